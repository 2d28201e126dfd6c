// End-to-end tests of the web explainer, as a person uses it, in Debian's Chromium:
//   node tests/e2e.mjs <dist dir> <native onbehalf binary> <screenshot dir>
// 1. Exhaustive: the wasm-bindgen build's decide() equals the native core on every request
//    of the packed domain (230,400 requests; the native side is `onbehalf table`).
// 2. Browser: requests entered through the controls (or typed into the JSON box where no
//    control can express them) show exactly the verdict of the native CLI.
// 3. The URL carries the whole state: reload, share, back and forward reproduce it.
// 4. Presets, keyboard use, no request leaves the origin; screenshots of the main states.
// 5. Fixes, the exposure note and accessibility (axe-core): tests/fixes.mjs.
// 6. A domain loaded from a facts file fills the request as `onbehalf check` does:
//    tests/directory.mjs.
import { chromium } from "playwright-core";
import { fixTests } from "./fixes.mjs";
import { directoryTests } from "./directory.mjs";
import { conformance } from "./conformance.mjs";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, mkdirSync, existsSync } from "node:fs";
import { join, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";

const [dist, cli, shots] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(shots, { recursive: true });
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${String(e.stack || e).split("\n").slice(0, 6).join("\n     ")}`);
  }
}

// ---- 1. exhaustive wasm-bindgen vs native --------------------------------------------------
const pkg = await import(pathToFileURL(join(dist, "pkg/onbehalf_web.js")).href);
pkg.initSync({ module: readFileSync(join(dist, "pkg/onbehalf_web_bg.wasm")) });
const CAT = pkg.catalog();
await conformance(pkg, cli, check, "wasm-bindgen");

// ---- the cases and their native verdicts ----------------------------------------------------
const worked = JSON.parse(readFileSync(new URL("../../core/tests/worked_examples.json", import.meta.url)));
const extra = [
  { level: "impersonation", hops: [{ target: "cifs/a", transport: "ncalrpc" }] },
  { level: "delegation", delegation: { server_trust: "constrained", allowed_targets: ["cifs/a", "http/b"] }, hops: [{ target: "http/b" }, { target: "cifs/a" }, { target: "cifs/c" }] },
  { level: "delegation", auth: "ntlm", delegation: { server_trust: "resource_based", allowed_targets: ["cifs/x"], client_protected_user: true }, hops: [{ target: "cifs/x" }] },
  { level: "default", transport: "ncalrpc", auth: "none", server_can_impersonate: false },
  { level: "impersonation", transport: "ncacn_http", auth: "schannel", hops: [{ target: "http/api" }] },
  { level: "delegation", transport: "ncadg_ip_udp", auth: "none" },
];
// Typed into the JSON box: the strict parser, not JSON.parse.
const jsonOnly = ['{"level":"delegation","level":"anonymous"}', '{"level":"impersonation",}', '{"level":"delegate","Level":1}'];
const cases = [...worked.map((w) => ({ id: w.id, request: w.request })), ...extra.map((r, i) => ({ id: `X${i + 1}`, request: r }))];
const native = execFileSync(cli, ["decide"], { input: cases.map((c) => JSON.stringify(c.request)).join("\n") + "\n" })
  .toString().trim().split("\n").map((l) => JSON.parse(l));
const expected = (i) => (native[i].error ? { error: { code: native[i].error.code } } : native[i]);

/** The canonical form of a request the controls can express (the core fills the defaults), or
 *  null when the core refuses it — then it is typed into the JSON box. */
function forControls(request) {
  try { return pkg.explain(request).request; } catch { return null; }
}

// ---- 2. the browser -------------------------------------------------------------------------
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".webmanifest": "application/manifest+json" };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = join(dist, path === "/" ? "index.html" : path);
  if (!file.startsWith(dist) || !existsSync(file)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, serviceWorkers: "block" });
const page = await context.newPage();
// A control that cannot be used fails the check; 30 s (not less) because a loaded two-core CI
// machine can take seconds to load the page and its wasm, and a flake costs a whole round.
page.setDefaultTimeout(30_000);
const foreign = [];
page.on("request", (r) => { if (!r.url().startsWith(origin)) foreign.push(r.url()); });
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));

async function open(url = origin + "/") {
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
}

async function shown() {
  return page.evaluate(() => {
    if (!document.getElementById("error").hidden) {
      return { error: { code: document.getElementById("error-code").textContent } };
    }
    return {
      effective: document.getElementById("effective").textContent,
      reach: document.getElementById("reach").textContent,
      reasons: [...document.querySelectorAll("#reasons li[data-code]")].map((li) => li.dataset.code),
      hops: [...document.querySelectorAll("#hop-verdicts li.hop-verdict")].map((li) => ({
        target: li.dataset.target, allowed: li.dataset.allowed === "true", as: li.dataset.as, reason: li.dataset.reason,
      })),
    };
  });
}

const idOf = (path) => path.join("-");

/** Sets one record's controls to `values` (a canonical object), field by field in table order. */
async function enterRecord(record, values, path = []) {
  for (const f of record.fields) {
    const at = [...path, f.name];
    const id = `#${idOf(at)}`;
    const value = values[f.name];
    if (f.kind === "record") await enterRecord(f.record, value, at);
    else if (f.kind === "choice") await page.selectOption(id, value);
    else if (f.kind === "bool") await page.setChecked(id, value);
    else if (f.kind === "text" || f.kind === "text-list") {
      await page.fill(id, f.kind === "text" ? value : value.join("\n"));
      await page.press(id, "Tab");
    } else if (f.kind === "record-list") {
      while ((await page.locator(`${id} > li`).count()) > 0) await page.click(`${id} > li .remove`);
      for (const [i, item] of value.entries()) {
        await page.click(`${id}-add`);
        await enterRecord(f.record, item, [...at, i]);
      }
    }
  }
}

// Enters a request through the controls, like a person: selects, checkboxes, text, hop rows
// (first switching on every group of fields, such as domains and forests).
async function enter(canonical) {
  for (const name of Object.keys(CAT.groups)) await page.setChecked(`#show-${name}`, true);
  await enterRecord(CAT.request, canonical);
}

async function typeJson(text) {
  if (!(await page.locator("#json-details").evaluate((d) => d.open))) await page.click("#json-details summary");
  await page.fill("#json", text);
  await page.click("#apply-json");
}

await open();
let viaControls = 0;
let viaJson = 0;
const urls = [];
let afterJson = false;
for (const [i, c] of cases.entries()) {
  await check(`${c.id}: the page shows the native verdict`, async () => {
    const r = forControls(c.request);
    // After a refused JSON request its unknown keys stay in the request (no control shows
    // them); a person would clear the JSON box — here a fresh page.
    if (r && afterJson) await open();
    afterJson = !r;
    if (r) { await enter(r); viaControls += 1; } else { await typeJson(JSON.stringify(c.request)); viaJson += 1; }
    assert.deepEqual(await shown(), expected(i));
    urls.push([page.url(), expected(i)]);
  });
}
for (const text of jsonOnly) {
  await check(`JSON box: ${text} is refused like the CLI refuses it`, async () => {
    const cliAnswer = JSON.parse(execFileSync(cli, ["decide", text]).toString());
    await typeJson(text);
    assert.deepEqual(await shown(), { error: { code: cliAnswer.error.code } });
  });
}
await check("at least 30 requests were entered through the controls", () => assert.ok(viaControls >= 30, `${viaControls} via controls, ${viaJson} via JSON`));

// ---- 3. URL state -----------------------------------------------------------------------------
await check("a shared URL reproduces the verdict in a fresh page", async () => {
  const other = await context.newPage();
  for (const [url, want] of urls.filter((_, i) => i % 5 === 0)) {
    await other.goto(url);
    await other.waitForSelector("body[data-ready=true]");
    const got = await other.evaluate(() => ({
      effective: document.getElementById("error").hidden ? document.getElementById("effective").textContent : null,
      code: document.getElementById("error").hidden ? null : document.getElementById("error-code").textContent,
    }));
    assert.deepEqual(got, want.error ? { effective: null, code: want.error.code } : { effective: want.effective, code: null });
  }
  await other.close();
});

await check("back and forward walk through the states", async () => {
  await open();
  await enter(forControls(worked[12].request)); // W13: double hop
  const first = await shown();
  await enter(forControls(worked[8].request)); // W9: unconstrained
  const second = await shown();
  assert.notDeepEqual(first, second);
  // Each control change is one history entry; walk back until the first state shows again.
  let steps = 0;
  while (JSON.stringify(await shown()) !== JSON.stringify(first) && steps < 40) { await page.goBack(); steps += 1; }
  assert.deepEqual(await shown(), first);
  for (let i = 0; i < steps; i += 1) await page.goForward();
  assert.deepEqual(await shown(), second);
});

await check("URLs with aliases load into the controls and keep their spelling", async () => {
  const cases = [
    [{ level: "delegate", delegation: { server_trust: "unconstrained" } }, "delegation"],
    [{ level: "RPC_C_IMP_LEVEL_IMPERSONATE", transport: "NCALRPC" }, "impersonation"],
    [{ level: "SecurityIdentification", auth: "Kerberos" }, "identification"],
  ];
  for (const [request, level] of cases) {
    const text = JSON.stringify(request);
    await open(`${origin}/?r=${encodeURIComponent(text)}`);
    assert.equal(await page.inputValue("#level"), level, text);
    const native = JSON.parse(execFileSync(cli, ["decide", text]).toString());
    assert.deepEqual(await shown(), native, text);
    assert.equal(new URL(page.url()).searchParams.get("r"), text, "the URL is not rewritten on load");
    // Changing another control keeps the request's own spelling of everything else.
    await page.setChecked("#server_can_impersonate", false);
    const after = JSON.parse(new URL(page.url()).searchParams.get("r"));
    assert.deepEqual(after, { ...request, server_can_impersonate: false });
  }
  // An ncalrpc request without `server`: the core's default (local) shows in the control.
  await open(`${origin}/?r=${encodeURIComponent(JSON.stringify({ level: "impersonation", transport: "ncalrpc" }))}`);
  assert.equal(await page.inputValue("#server"), "local");
});

// ---- 4. presets, keyboard, network, screenshots ------------------------------------------------
await check("the double-hop preset explains ANONYMOUS LOGON on the second machine", async () => {
  await open();
  await page.click("[data-preset='0']");
  const v = await shown();
  assert.equal(v.effective, "impersonation");
  assert.equal(v.hops[0].reason, "hop-no-credentials");
  assert.match(await page.textContent("#chain"), /ANONYMOUS LOGON/);
  await page.screenshot({ path: join(shots, "double-hop.png"), fullPage: true });
});

await check("presets work from the keyboard", async () => {
  await open();
  await page.focus("[data-preset='1']");
  await page.keyboard.press("Enter");
  const v = await shown();
  assert.deepEqual([v.effective, v.reach, v.hops[0].allowed], ["delegation", "multi-hop", true]);
  await page.screenshot({ path: join(shots, "constrained-delegation.png"), fullPage: true });
});

await check("constrained delegation reaches SQL although the client asks only for impersonation", async () => {
  await open();
  await page.click("[data-preset='2']");
  const v = await shown();
  assert.deepEqual([v.effective, v.reach, v.hops[0].allowed, v.hops[0].reason], ["impersonation", "multi-hop", true, "hop-constrained-target-allowed"]);
  assert.ok(v.reasons.includes("server-side-constrained-delegation"));
  assert.match(await page.textContent("#reasons"), /without the client's consent|at its own discretion/);
});

await check("the partner-forest preset shows the forest boundary and the blocked TGT", async () => {
  await open();
  const i = await page.locator("[data-preset]").evaluateAll((b) => b.findIndex((x) => /partner forest/.test(x.textContent)));
  await page.click(`[data-preset='${i}']`);
  const v = await shown();
  assert.deepEqual(v.hops.map((h) => h.reason), ["hop-forwarded-tgt", "hop-tgt-not-forwarded-across-forest"]);
  assert.ok(await page.isVisible("#server_realm"), "the realm controls show when the request leaves the domain");
  assert.equal(await page.locator("#chain li.boundary").count(), 1);
  assert.match(await page.textContent("#chain li.boundary"), /another forest/);
  await page.screenshot({ path: join(shots, "cross-forest.png"), fullPage: true });
});

await check("the realm controls stay hidden for a request in one domain", async () => {
  await open();
  await page.click("[data-preset='0']");
  assert.equal(await page.isVisible("#server_realm"), false);
  await page.setChecked("#show-realms", true);
  assert.ok(await page.isVisible("#server_realm"));
});

await check("every preset decides without error", async () => {
  const count = await page.locator("[data-preset]").count();
  assert.ok(count >= 5);
  for (let i = 0; i < count; i += 1) {
    await page.click(`[data-preset='${i}']`);
    assert.ok((await shown()).effective, `preset ${i}`);
  }
});

await check("a matrix cell loads its level and transport", async () => {
  await open();
  await page.click("#matrix button[data-row='delegation'][data-column='ncalrpc']");
  assert.equal(await page.inputValue("#level"), "delegation");
  assert.equal(await page.inputValue("#transport"), "ncalrpc");
  assert.equal(await page.inputValue("#server"), "local");
  assert.equal(await page.getAttribute("#matrix button[data-row='delegation'][data-column='ncalrpc']", "aria-current"), "true");
  await page.screenshot({ path: join(shots, "matrix.png"), fullPage: true });
});

// ---- 5. fixes, exposure, accessibility ---------------------------------------------------------
const { PRESETS } = await import(pathToFileURL(join(dist, "presets.js")).href);
await fixTests({ page, pkg, origin, check, cli, open, shown, shots, worked, presets: PRESETS });

// ---- 6. your domain ------------------------------------------------------------------------
await directoryTests({ page, origin, check, cli, open, shown, shots });

await check("phone width and dark mode render", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark", serviceWorkers: "block" });
  const p = await phone.newPage();
  await p.goto(origin + "/");
  await p.waitForSelector("body[data-ready=true]");
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`);
  const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, "rgb(251, 251, 253)");
  await p.screenshot({ path: join(shots, "phone-dark.png"), fullPage: true });
  await phone.close();
});

await check("nothing is fetched from outside the page's origin, and no script error", () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});

await browser.close();
server.close();
console.log(`web e2e: ${viaControls} requests through the controls, ${viaJson} through the JSON box; screenshots in ${shots}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
