// "Your domain" in Chromium (called by e2e.mjs with its page and helpers): the shared
// BloodHound collection, exported as a facts file by the native CLI, loaded through the file
// picker; naming the client and server fills the request exactly as `onbehalf check` does, each
// fact listed with its source; the page fetches nothing once the file is loaded; a file that is
// not a facts file or a zip is refused with the directory's code; axe finds no violation.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import assert from "node:assert/strict";
import { axe } from "./fixes.mjs";

const collection = resolve(new URL("../../directory/tests/fixtures/bloodhound-contoso", import.meta.url).pathname);

export async function directoryTests({ page, origin, check, cli, open, shown, shots }) {
  const facts = join(tmpdir(), "contoso-facts.json");
  writeFileSync(facts, execFileSync(cli, ["directory", "export", collection]));
  const asked = { level: "impersonation", auth: "ntlm", hops: [{ target: "MSSQLSvc/db1.contoso.test:1433" }] };
  const named = { ...asked, client_account: "alice", server_account: "svcpt" };
  const cliAnswer = JSON.parse(execFileSync(cli, ["check", "--facts", facts, JSON.stringify(named)]).toString());

  await check("a loaded domain fills the request as `onbehalf check` does, each fact with its source", async () => {
    await open(`${origin}/?r=${encodeURIComponent(JSON.stringify(asked))}`);
    const before = await shown();
    assert.equal(before.hops[0].allowed, false, "without the domain's facts the hop fails");
    await page.click("#directory-details summary");
    const fetched = [];
    const onRequest = (r) => fetched.push(r.url());
    page.on("request", onRequest);
    await page.setInputFiles("#directory-file", facts);
    await page.waitForSelector("body[data-directory=loaded]");
    await page.fill("#client-account", "alice");
    await page.fill("#server-account", "svcpt");
    await page.click("#fill-from-directory");
    await page.waitForSelector("#directory-facts li");
    const after = await shown();
    const { request: _r, facts: _f, ...decision } = cliAnswer;
    assert.deepEqual(after, decision);
    assert.equal(after.hops[0].allowed, true);
    assert.equal(await page.inputValue("#delegation-server_trust"), cliAnswer.request.delegation.server_trust);
    const listed = await page.$$eval("#directory-facts li", (lis) => lis.map((li) => li.dataset.field));
    assert.deepEqual(listed, cliAnswer.facts.map((f) => f.field));
    const text = await page.textContent("#directory-facts");
    assert.ok(text.includes("Properties.trustedtoauth") === false && text.includes("trusted_to_auth_for_delegation"), text);
    // The URL holds the filled request, so a colleague sees the same without the file.
    assert.deepEqual(JSON.parse(new URL(page.url()).searchParams.get("r")), cliAnswer.request);
    page.off("request", onRequest);
    assert.deepEqual(fetched, [], "nothing is fetched once the domain is loaded");
    assert.deepEqual(await axe(page), []);
    await page.screenshot({ path: join(shots, "directory.png"), fullPage: true });
  });

  await check("a name the domain does not hold, and a file that is no domain, are refused with the directory's code", async () => {
    await page.fill("#client-account", "mallory");
    await page.click("#fill-from-directory");
    assert.match(await page.textContent("#directory-status"), /^account-not-found: /);
    const other = join(tmpdir(), "not-a-domain.json");
    writeFileSync(other, JSON.stringify({ level: "delegation" }));
    await page.setInputFiles("#directory-file", other);
    await page.waitForFunction(() => document.getElementById("directory-status").textContent.startsWith("directory-invalid"));
  });
}
