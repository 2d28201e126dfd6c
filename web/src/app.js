// @ts-check
// The onbehalf web explainer. The state is the request as the person wrote it (only the
// fields they set, in their own spelling — aliases such as `delegate` stay as given); the URL
// holds it (?r=<request JSON>) so a link reproduces the exact situation. The form is drawn
// from the core's catalog and shows the canonical request the core returns; every decision
// comes from the Rust core compiled to wasm (pkg/); nothing is decided in JavaScript.
import init, { explain, explainJson, decide, catalog, fixJson, exposureJson, loadDirectory, fillFromDirectory } from "./pkg/onbehalf_web.js";
import { buildForm, showCanonical, el, idOf, groupSwitches, usesGroup } from "./form.js";
import { renderer } from "./verdict.js";
import { fixRenderer } from "./fixes.js";
import { PRESETS } from "./presets.js";
import { directoryPanel } from "./directory.js";

await init();
const CAT = catalog();
const $ = (id) => document.getElementById(id);
/** The request's JSON text box. */
const jsonBox = () => /** @type {HTMLTextAreaElement} */ ($("json"));
const view = renderer(CAT);
// Applying a fix loads its whole request (the core's canonical one) and keeps keyboard focus
// in the panel, which now tells what the applied request gets.
const fixView = fixRenderer(CAT, (request) => { load(clone(request)); $("fix-title").focus(); });
const clone = (x) => JSON.parse(JSON.stringify(x));

/** The request as written: only the fields set, as given. `null` when the JSON box holds text
 *  that is not a request object (then `text` is shown as the error). */
/** @type {any} what the person wrote, any JSON: the core validates it */
let partial = {};
let lastCanonical = null;

/** A record with every field at its catalog default (required text fields empty).
 *  @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
function blank(record) {
  return Object.fromEntries(record.fields.map((f) => [f.name,
    f.kind === "record" ? blank(f.record) : "value" in f.default ? clone(f.default.value) : f.kind === "record-list" ? [] : ""]));
}

/** `written` laid over `base` (a canonical record), field by field: what the controls show for
 *  a request the core refused. Values of the wrong shape are left to the base. */
/** @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
function overlay(record, base, written) {
  const out = clone(base ?? blank(record));
  if (!written || typeof written !== "object" || Array.isArray(written)) return out;
  for (const f of record.fields) {
    if (!(f.name in written)) continue;
    const w = written[f.name];
    if (f.kind === "record") out[f.name] = overlay(f.record, out[f.name], w);
    else if (f.kind === "record-list") out[f.name] = Array.isArray(w) ? w.map((item, i) => overlay(f.record, out[f.name][i], item)) : out[f.name];
    else if (f.kind === "bool" ? typeof w === "boolean" : f.kind === "text-list" ? Array.isArray(w) : typeof w === "string") out[f.name] = w;
  }
  return out;
}

function getAt(obj, path) {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setAt(obj, path, value) {
  let o = obj;
  for (const [i, k] of path.slice(0, -1).entries()) {
    if (o[k] === undefined || o[k] === null || typeof o[k] !== "object") o[k] = typeof path[i + 1] === "number" ? [] : {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
}

const handlers = {
  change(path, value) {
    // A list item the person has not written yet starts as its canonical form.
    if (typeof path[1] === "number" && getAt(partial, path.slice(0, 2)) === undefined) {
      setAt(partial, path.slice(0, 2), clone(getAt(lastCanonical, path.slice(0, 2))));
    }
    setAt(partial, path, value);
    update(true);
  },
  add(path) {
    const list = clone(getAt(partial, path) ?? getAt(lastCanonical, path) ?? []);
    list.push({ target: `cifs/server${list.length + 1}` });
    setAt(partial, path, list);
    update(true);
    // Keyboard users continue in the new item.
    /** @type {HTMLElement | null} */ (document.querySelector(`#${idOf([...path, list.length - 1])} input, #${idOf([...path, list.length - 1])} select`))?.focus();
  },
  remove(path, index) {
    const list = clone(getAt(partial, path) ?? getAt(lastCanonical, path) ?? []);
    list.splice(index, 1);
    setAt(partial, path, list);
    update(true);
    document.getElementById(`${idOf(path)}-add`)?.focus();
  },
};

buildForm($("fields"), CAT.request, handlers);

// A group of fields (domains and forests) shows when switched on, or once the request uses it
// (and then stays, so fields do not vanish while someone edits them).
const shownGroups = new Set();
function showGroups(canonical) {
  for (const name of Object.keys(CAT.groups)) {
    if (canonical && usesGroup(CAT.request, canonical, name)) shownGroups.add(name);
    const on = shownGroups.has(name);
    document.body.toggleAttribute(`data-show-${name}`, on);
    /** @type {HTMLInputElement} */ ($(`show-${name}`)).checked = on;
  }
}
$("fields").before(...groupSwitches(CAT.groups, (name, on) => {
  if (on) shownGroups.add(name); else shownGroups.delete(name);
  showGroups(lastCanonical);
}));

$("presets").append(...PRESETS.map(([name, request], i) =>
  el("li", {}, el("button", { type: "button", text: name, "data-preset": String(i), onclick: () => load(clone(request)) }))));

function urlFor(text) {
  return `${location.pathname}?r=${encodeURIComponent(text)}`;
}

/** Decides `partial` (or `text`, through the strict parser) and shows it. */
function show(text) {
  jsonBox().value = text ?? JSON.stringify(partial, null, 2);
  let explanation;
  try {
    explanation = text === undefined ? explain(partial) : explainJson(text);
  } catch (e) {
    view.error(e);
    fixView.clear();
    // The controls still show what was written (the last valid request, overlaid).
    showCanonical($("fields"), CAT.request, overlay(CAT.request, lastCanonical, partial), handlers);
    return;
  }
  lastCanonical = explanation.request;
  showCanonical($("fields"), CAT.request, explanation.request, handlers);
  domain.decorate();
  showGroups(lastCanonical);
  view.verdict(explanation);
  // The same JSON text `onbehalf fix` prints for this request, and the settings' exposure.
  // (Timed as the user-timing measure "fixes": the search, its JSON and drawing the panel.)
  const requestText = text ?? JSON.stringify(partial);
  const start = performance.now();
  fixView.fixes(JSON.parse(fixJson(requestText)));
  performance.measure("fixes", { start });
  fixView.exposure(JSON.parse(exposureJson(requestText)));
  view.matrix(partial ?? {}, explanation.request, decide, (cell) => load(cell));
}

function update(push) {
  const text = JSON.stringify(partial);
  if (push) history.pushState(null, "", urlFor(text));
  show();
}

function load(request) {
  partial = request;
  update(true);
}

function fromUrl() {
  const text = new URLSearchParams(location.search).get("r");
  if (text === null) {
    partial = clone(PRESETS[0][1]);
    return show();
  }
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  const isObject = parsed && typeof parsed === "object" && !Array.isArray(parsed);
  // The strict parser decides what the text means (duplicate keys, NaN …): the URL's text is
  // shown as written, and becomes the editable state when it is a request object.
  partial = isObject ? parsed : {};
  show(text);
}

const domain = directoryPanel(CAT, { loadDirectory, fillFromDirectory }, () => lastCanonical ?? partial, load);

$("request-form").addEventListener("submit", (e) => e.preventDefault());
$("apply-json").addEventListener("click", () => {
  const text = jsonBox().value;
  history.pushState(null, "", urlFor(text));
  fromUrl();
});
window.addEventListener("popstate", fromUrl);
fromUrl();
document.body.dataset.ready = "true";

if ("serviceWorker" in navigator && location.protocol.startsWith("http")) {
  navigator.serviceWorker.register("sw.js").catch(() => {});
}
