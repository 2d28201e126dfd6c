// The "How to make this work" panel, the exposure note and accessibility, in Chromium (called by
// e2e.mjs with its page and helpers):
// - the page's fix answer is byte-identical to `onbehalf fix` (the native CLI) for every worked
//   example and preset; the rendered fixes are that answer, in its order;
// - the double-hop preset's first fix is Kerberos-only KCD, and one click (or Enter) applies it;
// - the exposure note agrees with the native core deciding each of its requests;
// - axe-core reports no violation in the main states; the page is operable by keyboard alone.
// Timings of the fix and exposure calls in the page are printed (no assertion on them).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import assert from "node:assert/strict";

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** Runs `onbehalf <command>` on JSON Lines; one answer line per request line. */
function native(cli, command, lines) {
  const out = execFileSync(cli, [command], { input: lines.join("\n") + "\n", maxBuffer: 1 << 28 }).toString();
  return out.split("\n").slice(0, lines.length);
}

/** The page's own wasm exports (the very module instance the page initialised). */
function inPage(page, name, texts) {
  return page.evaluate(async ([name, texts]) => {
    const pkg = await import("/pkg/onbehalf_web.js");
    // The clock is coarse (0.1 ms in Chromium): each answer is timed over 20 calls.
    return texts.map((t) => {
      const answer = pkg[name](t);
      const start = performance.now();
      for (let i = 0; i < 20; i += 1) pkg[name](t);
      return { answer, ms: (performance.now() - start) / 20 };
    });
  }, [name, texts]);
}

/** axe-core on the page as it is now; the violations, compactly. */
export async function axe(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(3);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms over ${s.length}`;
};

export async function fixTests({ page, pkg, origin, check, cli, open, shown, shots, worked, presets }) {
  const requests = [...worked.map((w) => w.request), ...presets.map(([, r]) => r)].map((r) => JSON.stringify(r));
  const timings = {};

  await check("the page's fix answers are byte-identical to `onbehalf fix` (worked examples and presets)", async () => {
    await open();
    const cliAnswers = native(cli, "fix", requests);
    const pageAnswers = await inPage(page, "fixJson", requests);
    requests.forEach((r, i) => assert.equal(pageAnswers[i].answer, cliAnswers[i], r));
    assert.ok(cliAnswers.filter((a) => JSON.parse(a).fixes?.length > 0).length >= 20, "many requests have fixes");
    timings.fix = stats(pageAnswers.map((a) => a.ms));
    timings.exposure = stats((await inPage(page, "exposureJson", requests)).map((a) => a.ms));
  });

  await check("each preset renders its fix answer, in the core's order", async () => {
    await open();
    const pageAnswers = await inPage(page, "fixJson", presets.map(([, r]) => JSON.stringify(r)));
    for (const [i, { answer }] of pageAnswers.entries()) {
      await page.click(`[data-preset='${i}']`);
      const fixes = JSON.parse(answer).fixes;
      const rendered = await page.locator("#fixes .fix .summary").allTextContents();
      assert.deepEqual(rendered, fixes.map((f) => f.summary), `preset ${i}`);
      const recommended = await page.locator("#fixes .fix[data-recommended=true]").count();
      assert.equal(recommended, fixes[0] && !fixes[0].lowers_security ? 1 : 0, `preset ${i}`);
      if (recommended) assert.equal(await page.getAttribute("#fixes .fix >> nth=0", "data-recommended"), "true");
    }
  });

  await check("a sensitive client: every fix lowers a protection, and none is marked recommended", async () => {
    const request = { level: "impersonation", auth: "kerberos", hops: [{ target: "cifs/a" }],
      delegation: { client_sensitive: true, server_trust: "constrained", allowed_targets: ["cifs/a"] } };
    const answer = JSON.parse(pkg.fixJson(JSON.stringify(request)));
    assert.ok(answer.fixes.length > 0 && answer.fixes.every((f) => f.lowers_security));
    await open(`${origin}/?r=${encodeURIComponent(JSON.stringify(request))}`);
    assert.equal(await page.locator("#fixes .fix").count(), answer.fixes.length);
    assert.equal(await page.locator("#fixes .fix[data-recommended=true]").count(), 0);
    assert.equal(await page.locator("#fixes .badge.bad").count(), answer.fixes.length);
    assert.match(await page.textContent("#fix-status"), /none is recommended/);
    assert.deepEqual(await axe(page), []);
  });

  await check("the wasm exports' objects equal their JSON text (fix, exposure)", () => {
    for (const text of requests) {
      for (const [object, json] of [[pkg.fix, pkg.fixJson], [pkg.exposure, pkg.exposureJson]]) {
        const want = JSON.parse(json(text));
        if (want.error) assert.throws(() => object(JSON.parse(text)), (e) => e.code === want.error.code, text);
        else assert.deepEqual(object(JSON.parse(text)), want, text);
      }
    }
    assert.throws(() => pkg.fix({ level: "superuser" }), (e) => e.code === "unknown-level");
    assert.equal(JSON.parse(pkg.exposureJson('{"level":"superuser"}')).error.code, "unknown-level");
  });

  await check("double-hop preset: fix 1 is Kerberos-only KCD with its commands; Apply turns the hop green", async () => {
    await open();
    await page.click("[data-preset='0']");
    assert.equal((await shown()).hops[0].allowed, false);
    const first = page.locator("#fixes .fix >> nth=0");
    assert.match(await first.locator(".summary").textContent(), /^Kerberos-only constrained delegation/);
    assert.match(await first.textContent(), /Recommended/);
    const commands = await first.locator(".commands dd").allTextContents();
    assert.ok(commands.some((c) => c.startsWith("samba-tool delegation add-service")), commands.join("\n"));
    assert.ok(commands.some((c) => /msDS-AllowedToDelegateTo/.test(c)), "the PowerShell command");
    assert.ok(commands.some((c) => /RPC_C_AUTHN_GSS_KERBEROS/.test(c)), "the API parameter");
    await page.screenshot({ path: join(shots, "fixes.png"), fullPage: true });
    await first.locator("button.apply").click();
    const v = await shown();
    assert.equal(v.hops[0].allowed, true);
    assert.equal(await page.getAttribute("#chain li[data-hop='0']", "class"), "machine as-client");
    assert.equal(await page.evaluate(() => document.activeElement.id), "fix-title");
    assert.equal(await page.locator("#fixes .fix").count(), 0, "nothing left to fix");
    await page.screenshot({ path: join(shots, "fix-applied.png"), fullPage: true });
  });

  await check("keyboard only: Tab reaches the recommended fix's button, Enter applies it", async () => {
    await open();
    await page.focus("[data-preset='0']");
    await page.keyboard.press("Enter");
    let tabs = 0;
    while (!(await page.evaluate(() => document.activeElement.matches("button.apply[data-fix='0']"))) && tabs < 400) {
      await page.keyboard.press("Tab");
      tabs += 1;
    }
    assert.ok(tabs < 400, "the Apply button is in the tab order");
    await page.keyboard.press("Enter");
    assert.equal((await shown()).hops[0].allowed, true);
    // The matrix and a hop's Remove button work from the keyboard too.
    await page.focus("#matrix button[data-row='delegation'][data-column='ncalrpc']");
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#transport"), "ncalrpc");
    await page.focus("#hops .remove >> nth=0");
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#hops > li").count(), 0);
  });

  await check("the exposure note beside the delegation settings agrees with the native core", async () => {
    await open();
    await page.click("[data-preset='1']"); // Kerberos-only KCD to SQL
    const [{ answer }] = await inPage(page, "exposureJson", [JSON.stringify(presets[1][1])]);
    const exposure = JSON.parse(answer);
    assert.ok(await page.evaluate(() => document.getElementById("exposure").previousElementSibling.id === "delegation"));
    const rows = await page.locator("#exposure-list > li").evaluateAll((lis) => lis.map((li) => [li.dataset.target, Number(li.dataset.clients)]));
    assert.deepEqual(rows, exposure.reached.map((r) => [r.target, r.clients.length]));
    assert.ok(rows[0][1] > 0 && rows.at(-1)[1] === 0, "the listed target only");
    await page.click("#exposure details summary");
    await page.locator("#exposure").screenshot({ path: join(shots, "exposure.png") });
    const clients = exposure.reached.flatMap((r) => r.clients);
    const decided = native(cli, "decide", clients.map((c) => JSON.stringify(c.request)));
    clients.forEach((c, i) => assert.deepEqual(JSON.parse(decided[i]), c.decision));
  });

  await check("accessibility: one small live region, list items only, a marked current cell, distinct names", async () => {
    await open();
    await page.click("[data-preset='3']"); // two hops
    const live = await page.locator("[aria-live], [role=status], [role=alert]").evaluateAll((n) => n.map((x) => [x.id, x.textContent.length]));
    assert.equal(live.length, 1);
    assert.equal(live[0][0], "summary");
    assert.ok(live[0][1] < 200, "the live region is a short summary");
    assert.equal(await page.locator("#chain > :not(li)").count(), 0, "the chain's arrows are not list children");
    assert.equal(await page.locator("#matrix caption").count(), 1);
    assert.equal(await page.locator("#matrix [aria-current]").count(), 1);
    for (const selector of ["#hops .remove", "#fixes button.apply"]) {
      const names = await page.locator(selector).allTextContents();
      assert.equal(new Set(names).size, names.length, `${selector}: ${names}`);
    }
    assert.ok((await page.locator("#hops .remove").count()) >= 2);
  });

  await check("axe-core: no violations in every preset, an error, and after applying a fix", async () => {
    await open();
    const found = [];
    const count = await page.locator("[data-preset]").count();
    for (let i = 0; i < count; i += 1) {
      await page.click(`[data-preset='${i}']`);
      found.push(...(await axe(page)).map((v) => `preset ${i}: ${v}`));
    }
    timings.panel = stats(await page.evaluate(() => performance.getEntriesByName("fixes").map((m) => m.duration)));
    await page.click("[data-preset='0']");
    await page.click("#fixes button.apply >> nth=0");
    found.push(...(await axe(page)).map((v) => `after a fix: ${v}`));
    await page.emulateMedia({ colorScheme: "dark" });
    for (const i of [0, 4]) {
      await page.click(`[data-preset='${i}']`);
      found.push(...(await axe(page)).map((v) => `dark, preset ${i}: ${v}`));
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.click("#json-details summary");
    await page.fill("#json", '{"level":"superuser"}');
    await page.click("#apply-json");
    assert.ok((await shown()).error);
    found.push(...(await axe(page)).map((v) => `error: ${v}`));
    assert.deepEqual(found, []);
  });

  console.log(`in the page: fixJson ${timings.fix}; exposureJson ${timings.exposure} (worked examples and presets); ` +
    `fix answer parsed and drawn per preset ${timings.panel}`);
}
