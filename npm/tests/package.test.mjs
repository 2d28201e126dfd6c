// The npm package as installed from its tarball into a fresh project (`cargo xtask npm`,
// part of `cargo xtask test`), under Node's test runner: the exhaustive one-domain table
// against `onbehalf table`, the spec's worked examples and explain/fix/exposure against the
// native CLI, and the package being the page's own build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as onbehalf from "onbehalf";
import { conformance } from "./conformance.mjs";

const cli = process.env.ONBEHALF_CLI;
const root = process.env.ONBEHALF_ROOT;
const worked = JSON.parse(readFileSync(join(root, "core/tests/worked_examples.json")));

/** The native CLI's answer lines (JSON) to `lines` on stdin. */
function native(args, lines) {
  return execFileSync(cli, args, { input: lines.join("\n") + "\n", maxBuffer: 1 << 28 })
    .toString().trim().split("\n").map((l) => JSON.parse(l));
}

/** The package's answer, or the error object with its code, as the CLI writes it. */
function answer(f, request) {
  try {
    return f(request);
  } catch (e) {
    return { error: { code: e.code, message: e.message } };
  }
}

await conformance(onbehalf, cli, test, "the npm package", { classes: false });

test("the worked examples decide through the package as in the spec and the CLI", () => {
  const cliAnswers = native(["decide"], worked.map((w) => JSON.stringify(w.request)));
  assert.equal(worked.length, cliAnswers.length);
  worked.forEach((w, i) => {
    const got = answer(onbehalf.decide, w.request);
    assert.deepEqual(got, cliAnswers[i], w.id);
    if (!got.error) assert.deepEqual(got, w.expect, w.id);
  });
});

test("decideMany answers each item as decide does, invalid items as their error object", () => {
  const items = [...worked.map((w) => w.request), { level: 3 }, "not an object", Symbol("not JSON"), { level: "identify" }];
  const many = onbehalf.decideMany(items);
  assert.equal(many.length, items.length);
  items.forEach((item, i) => {
    const one = answer(onbehalf.decide, item);
    assert.deepEqual(many[i], one, JSON.stringify(item));
  });
  assert.throws(() => onbehalf.decideMany({ level: "identify" }), (e) => e.code === "invalid-request");
});

test("fix and exposure answer what `onbehalf fix` answers, for every worked example", () => {
  const texts = worked.map((w) => JSON.stringify(w.request));
  const fixes = native(["fix"], texts);
  texts.forEach((text, i) => {
    assert.deepEqual(JSON.parse(onbehalf.fixJson(text)), fixes[i], worked[i].id);
    const got = answer(onbehalf.fix, worked[i].request);
    if (!fixes[i].error) assert.deepEqual(got, fixes[i], worked[i].id);
    if (!fixes[i].error) assert.ok(Array.isArray(onbehalf.exposure(worked[i].request).targets));
  });
});

test("explain gives the decision of decide, the steps with rules and sources", () => {
  for (const w of worked) {
    let d;
    try { d = onbehalf.decide(w.request); } catch { continue; }
    const e = onbehalf.explain(w.request);
    assert.deepEqual(e.decision, d, w.id);
    for (const step of e.steps) assert.ok(step.rule.length > 0 && step.sources.length > 0, w.id);
  }
});

test("the package's wasm is the web page's, byte for byte", () => {
  const installed = readFileSync(join(process.cwd(), "node_modules/onbehalf/onbehalf_web_bg.wasm"));
  const page = readFileSync(join(root, "web/dist/pkg/onbehalf_web_bg.wasm"));
  const sha = (b) => createHash("sha256").update(b).digest("hex");
  assert.equal(sha(installed), sha(page));
});
