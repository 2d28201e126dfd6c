// The exhaustive agreement of a wasm-bindgen build of the core with the native CLI, shared by
// the page's end-to-end test (tests/e2e.mjs, the page's own `pkg/`) and the npm package's
// consumer test (the package as installed from its tarball):
//   every one-domain request (230,400, `onbehalf table`), one request per decision class of
//   every realm (`onbehalf table --realm-classes`), errors as JS Errors with the spec's code,
//   and every reason code the table emits present in the catalog.
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";

/** The catalog's packed fields, each with its path in a request object. */
function packedFields(record, path = []) {
  return record.fields.flatMap((f) => {
    if (f.kind === "record") return packedFields(f.record, [...path, f.name]);
    return f.packed_at === null ? [] : [{ field: f, path: [...path, f.name] }];
  });
}

/** A request object from one row of `onbehalf table` (columns named after the packed fields). */
function requestFromRow(cells, col, fields) {
  const request = {};
  for (const { field, path } of fields) {
    const text = cells[col[field.name]];
    const value = field.kind === "bool" ? text === "true" : field.kind === "text-list" ? (text === "true" ? ["cifs/fs1"] : []) : text;
    let o = request;
    for (const key of path.slice(0, -1)) o = o[key] ??= {};
    o[path[path.length - 1]] = value;
  }
  return request;
}


/** A request object from its packed bits (the catalog's packed positions and value counts). */
function requestFromPacked(raw, fields) {
  const request = {};
  for (const { field, path } of fields) {
    const width = field.kind === "choice" ? Math.ceil(Math.log2(field.values.length)) : 1;
    const bits = Math.floor(raw / 2 ** field.packed_at) % 2 ** width;
    const value = field.kind === "choice" ? field.values[bits].name : field.kind === "bool" ? bits === 1 : bits === 1 ? ["cifs/fs1"] : [];
    let o = request;
    for (const key of path.slice(0, -1)) o = o[key] ??= {};
    o[path[path.length - 1]] = value;
  }
  return request;
}

/** A decision object from a packed decision (levels, reaches and reason wire bits from the catalog). */
function decisionFromPacked(CAT, raw) {
  return {
    effective: CAT.effective_levels[raw & 3].name,
    reach: CAT.reaches[(raw >> 2) & 3].name,
    reasons: CAT.reasons.filter((r) => Math.floor(raw / 2 ** (4 + r.wire_index)) % 2 === 1).map((r) => r.code),
    hops: [],
  };
}

/** Runs the agreement checks on `pkg` (an initialised wasm-bindgen build) against the native
 *  `cli`, each through `check(name, fn)`; `what` names the build in the check names. The
 *  decision classes of every realm (2.3 million requests) only with `classes` (the page's
 *  test; the npm package is the same build, byte for byte, which its own test checks). */
export async function conformance(pkg, cli, check, what, { classes = true } = {}) {
  const CAT = pkg.catalog();
  const nativeTable = execFileSync(cli, ["table"], { maxBuffer: 1 << 30 }).toString().trim().split("\n");

  await check(`${what} decide() equals the native core on every one-domain request (names, CSV)`, () => {
    const [head, ...rows] = nativeTable;
    const header = head.split(",");
    const col = Object.fromEntries(header.map((h, i) => [h, i]));
    const fields = packedFields(CAT.request);
    assert.equal(fields.length, header.length - 4, "every packed field of the catalog is a column");
    let n = 0;
    for (const line of rows) {
      const c = line.split(",");
      const d = pkg.decide(requestFromRow(c, col, fields));
      const reasons = c[col.reasons] === "" ? [] : c[col.reasons].split(" ");
      if (d.effective !== c[col.effective] || d.reach !== c[col.reach] || d.reasons.join(" ") !== reasons.join(" ") || d.hops.length !== 0) {
        assert.fail(`packed ${c[col.packed]}: wasm ${JSON.stringify(d)} vs native ${c[col.effective]}/${c[col.reach]}/${reasons}`);
      }
      n += 1;
    }
    assert.equal(n, 230400);
  });

  if (classes) await check(`${what} decide() equals the native core on every decision class of every realm (packed)`, async () => {
    // One request per decision class (`onbehalf table --realm-classes`): the core proves, over the
    // whole 7.8-million domain, that every request decides like its class's representative.
    const fields = packedFields(CAT.request);
    const child = spawn(cli, ["table", "--format", "packed", "--realm-classes"], { stdio: ["ignore", "pipe", "inherit"] });
    let n = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const [request, decision] = line.split(" ").map(Number);
      const got = pkg.decide(requestFromPacked(request, fields));
      const want = decisionFromPacked(CAT, decision);
      if (JSON.stringify(got) !== JSON.stringify(want)) assert.fail(`packed ${request}: wasm ${JSON.stringify(got)} vs native ${JSON.stringify(want)}`);
      n += 1;
    }
    assert.equal(n, 230400 * 10);
  });

  await check(`${what} errors are JS Errors carrying the spec code`, () => {
    assert.throws(() => pkg.decide({ level: "superuser" }), (e) => e instanceof Error && e.code === "unknown-level" && /level/.test(e.message));
    assert.throws(() => pkg.decide({ level: null }), (e) => e.code === "invalid-type");
    assert.throws(() => pkg.decide([]), (e) => e.code === "invalid-request");
    assert.throws(() => pkg.explainJson('{"level":"delegation","level":"anonymous"}'), (e) => e.code === "invalid-json");
  });

  await check("every reason code the native table emits is in the catalog, with its rule and sources", () => {
    const codes = new Map(CAT.reasons.map((r) => [r.code, r]));
    const emitted = new Set(nativeTable.slice(1).flatMap((l) => l.split(",").at(-1).split(" ").filter((x) => x)));
    assert.ok(emitted.size > 10);
    for (const code of emitted) assert.ok(codes.get(code)?.rule.length > 20 && codes.get(code)?.sources, code);
  });
}
