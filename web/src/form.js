// @ts-check
// The request form, drawn entirely from the core's catalog: one control per field of the
// field table (a select for a vocabulary, a checkbox for a boolean, a text box for a list,
// a fieldset for a nested object, an editable list for hops). The page knows no field name,
// value or default; a new field in the core's table appears here without a change.

export const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children);
  return node;
};

/** The element id of a field path, e.g. ["hops", 0, "auth"] → "hops-0-auth". */
export const idOf = (path) => path.join("-");

/** @param {import("./pkg/onbehalf_web.js").CatalogChoice} choice */
function choiceText(choice) {
  const aliases = choice.spellings.slice(1);
  const alias = aliases.length ? ` (${aliases.join(" / ")})` : "";
  return `${choice.name}${alias} — ${choice.description}`;
}

/** Text with `code` spans (the catalog's documentation marks names with backticks). */
export function prose(tag, text, attrs = {}) {
  const node = el(tag, attrs);
  text.split("`").forEach((part, i) => node.append(i % 2 ? el("code", { text: part }) : part));
  return node;
}

/** @param {import("./pkg/onbehalf_web.js").CatalogField} field */
function help(field, id) {
  return field.help ? prose("span", field.help, { class: "help", id: `${id}-help` }) : null;
}

/** One leaf control; `onChange(path, value)` is called when the person changes it.
 *  @param {import("./pkg/onbehalf_web.js").CatalogField} field */
function leaf(field, path, onChange) {
  const id = idOf(path);
  const describedBy = field.help ? `${id}-help` : undefined;
  if (field.kind === "bool") {
    const input = el("input", { type: "checkbox", id, "aria-describedby": describedBy });
    input.addEventListener("change", () => onChange(path, input.checked));
    return el("div", { class: "field check" }, input, el("label", { for: id, text: field.label }), help(field, id));
  }
  let control;
  if (field.kind === "choice") {
    control = el("select", { id, "aria-describedby": describedBy },
      ...field.values.map((c) => el("option", { value: c.name, text: choiceText(c) })));
    control.addEventListener("change", () => onChange(path, control.value));
  } else if (field.kind === "text-list") {
    control = el("textarea", { id, rows: "2", spellcheck: "false", "aria-describedby": describedBy });
    const lines = () => control.value.split("\n").map((s) => s.trim()).filter((s) => s.length > 0);
    control.addEventListener("change", () => onChange(path, lines()));
  } else {
    control = el("input", { type: "text", id, spellcheck: "false", "aria-describedby": describedBy });
    control.addEventListener("change", () => onChange(path, control.value));
  }
  return el("div", { class: "field" }, el("label", { for: id, text: field.label }), control, help(field, id));
}

/** A record's fields, in table order; a field of a group is shown only while its group is.
 *  @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
function fields(record, path, handlers) {
  return record.fields.map((field) => {
    const at = [...path, field.name];
    let node;
    if (field.kind === "record") {
      node = el("fieldset", { id: idOf(at) }, el("legend", { text: field.label }),
        help(field, idOf(at)), ...fields(field.record, at, handlers));
    } else if (field.kind === "record-list") {
      node = recordList(field, at, handlers);
    } else {
      node = leaf(field, at, handlers.change);
    }
    if (field.group) node.dataset.group = field.group;
    return node;
  });
}

/** The switches that show a group of fields (e.g. domains and forests). */
export function groupSwitches(groups, onToggle) {
  return Object.entries(groups).map(([name, g]) => {
    const id = `show-${name}`;
    const input = el("input", { type: "checkbox", id, "aria-describedby": `${id}-help`, "aria-controls": "fields" });
    input.addEventListener("change", () => onToggle(name, input.checked));
    return el("div", { class: "field check group-switch" }, input, el("label", { for: id, text: g.label }),
      el("span", { class: "help", id: `${id}-help`, text: g.help }));
  });
}

/** Whether `canonical` sets any field of `group` to something other than its default.
 *  @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
export function usesGroup(record, canonical, group) {
  return record.fields.some((field) => {
    const value = canonical[field.name];
    if (field.group === group) {
      return "value" in field.default && JSON.stringify(value) !== JSON.stringify(field.default.value);
    }
    if (field.kind === "record") return usesGroup(field.record, value, group);
    if (field.kind === "record-list") return value.some((item) => usesGroup(field.record, item, group));
    return false;
  });
}

/** An editable list of records (the hops): items are drawn by `showCanonical`.
 *  @param {import("./pkg/onbehalf_web.js").CatalogField} field */
function recordList(field, path, handlers) {
  const id = idOf(path);
  const list = el("ol", { id, class: "records", "data-max": String(field.max) });
  const noun = field.record.type.toLowerCase();
  const add = el("button", { type: "button", id: `${id}-add`, text: `Add ${noun}`, onclick: () => handlers.add(path) });
  list.dataset.record = JSON.stringify(field.record);
  return el("fieldset", { id: `${id}-set` }, el("legend", { text: field.label }), help(field, id), list, add);
}

/** Draws the whole form for the catalog's request record.
 *  @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
export function buildForm(container, record, handlers) {
  container.replaceChildren(...fields(record, [], handlers));
}

/** One item of a record list, with a uniquely named remove button. */
function listItem(list, path, index, handlers) {
  const record = JSON.parse(list.dataset.record);
  const at = [...path, index];
  const noun = record.type.toLowerCase();
  return el("li", { class: "record" },
    el("fieldset", { id: idOf(at) }, el("legend", { text: `${record.type} ${index + 1}` }),
      ...fields(record, at, handlers),
      el("button", { type: "button", class: "remove", text: `Remove ${noun} ${index + 1}`,
        onclick: () => handlers.remove(path, index) })));
}

/** Sets every control from a canonical request (every field present).
 *  @param {import("./pkg/onbehalf_web.js").CatalogRecord} record */
export function showCanonical(container, record, canonical, handlers, path = []) {
  for (const field of record.fields) {
    const at = [...path, field.name];
    const value = canonical[field.name];
    if (field.kind === "record") {
      showCanonical(container, field.record, value, handlers, at);
      continue;
    }
    if (field.kind === "record-list") {
      const list = container.querySelector(`#${idOf(at)}`);
      // Redrawn only when the count changes, so a control keeps its focus while editing.
      if (list.children.length !== value.length) {
        list.replaceChildren(...value.map((_, i) => listItem(list, at, i, handlers)));
      }
      value.forEach((item, i) => showCanonical(container, field.record, item, handlers, [...at, i]));
      const add = container.querySelector(`#${idOf(at)}-add`);
      add.disabled = value.length >= field.max;
      continue;
    }
    const control = container.querySelector(`#${idOf(at)}`);
    if (!control) continue;
    if (field.kind === "bool") control.checked = value;
    else if (field.kind === "text-list") control.value = value.join("\n");
    else control.value = value;
  }
}
