// @ts-check
// "Your domain": a facts file (`onbehalf directory export`) or a BloodHound collection's zip,
// read by the core in this browser — the file never leaves it, and nothing is fetched after
// it is loaded. The person picks the client and server accounts by name; the core lays their
// delegation facts over the form's request (`fillFromDirectory`, the rules of `onbehalf
// check`) and the page shows each fact with its source. Hop targets get the domain's SPNs as
// suggestions; the field is found through the catalog (no field name is written here).
import { el, idOf } from "./form.js";

/** The directory panel. `current()` is the form's canonical request; `load(request)` shows a
 *  filled one (and puts it in the URL).
 *  @param {import("./pkg/onbehalf_web.js").Catalog} CAT */
export function directoryPanel(CAT, { loadDirectory, fillFromDirectory }, current, load) {
  const $ = (id) => document.getElementById(id);
  /** The text of the input or select `id`. */
  const value = (id) => /** @type {HTMLInputElement | HTMLSelectElement} */ ($(id)).value;
  const status = $("directory-status");
  const facts = $("directory-facts");
  let spns = [];

  // The page keeps one live region (the verdict's summary); what the domain panel says is
  // read out by moving focus to it instead.
  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("bad", isError);
    if (isError) status.focus();
  }

  async function read(file) {
    if (!file) return;
    let summary;
    try {
      summary = loadDirectory(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (e) {
      say(`${e.code ?? "error"}: ${e.message}`, true);
      return;
    }
    const names = $("account-names");
    names.replaceChildren(...summary.accounts.map((a) =>
      el("option", { value: a.name, label: `${a.domain}\\${a.name} (${a.kind})` })));
    spns = [...new Set(summary.accounts.flatMap((a) => a.spns))].sort();
    $("spn-names").replaceChildren(...spns.map((s) => el("option", { value: s })));
    decorate();
    for (const id of ["client-account", "server-account", "fill-from-directory"]) /** @type {HTMLButtonElement | HTMLSelectElement} */ ($(id)).disabled = false;
    say(`Loaded ${summary.source}: ${summary.accounts.length} accounts. It stays in this browser.`);
    document.body.dataset.directory = "loaded";
    $("client-account").focus();
  }

  function fill() {
    let answer;
    try {
      answer = JSON.parse(fillFromDirectory(current(), value("client-account") || null, value("server-account") || null));
    } catch (e) {
      say(`${e.code ?? "error"}: ${e.message}`, true);
      return;
    }
    if (answer.error) {
      say(`${answer.error.code}: ${answer.error.message}`, true);
      return;
    }
    load(answer.request);
    facts.replaceChildren(...answer.facts.map((f) => el("li", { "data-field": f.field },
      el("code", { text: `${f.field} = ${JSON.stringify(f.value)}` }),
      ` — ${f.account}, ${f.source.file} ${f.source.object}, ${f.source.property}`)));
    say(`Filled ${answer.facts.length} facts from the domain (listed below with their sources).`);
  }

  /** Hop target boxes suggest the domain's SPNs. */
  function decorate() {
    if (spns.length === 0) return;
    const list = CAT.request.fields.find((f) => f.kind === "record-list");
    const target = list?.record.fields.find((f) => f.kind === "text");
    if (!target) return;
    for (let i = 0; document.getElementById(idOf([list.name, i, target.name])); i += 1) {
      document.getElementById(idOf([list.name, i, target.name])).setAttribute("list", "spn-names");
    }
  }

  $("directory-file").addEventListener("change", (e) => read(/** @type {HTMLInputElement} */ (e.target).files[0]));
  const drop = $("directory-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); read(e.dataTransfer.files[0]); });
  $("fill-from-directory").addEventListener("click", fill);
  return { decorate };
}
