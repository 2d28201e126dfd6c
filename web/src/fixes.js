// @ts-check
// "How to make this work" and the exposure note. Both render the core's JSON as it is: the fix
// answer (`fixJson`, the same text `onbehalf fix` prints) and the exposure of the delegation
// settings (`exposureJson`). Every summary, change, command and decision comes from the core;
// field labels come from the catalog by the change's field path; the recommended fix is the
// answer's `recommended` index.
import { el, idOf } from "./form.js";

const $ = (id) => document.getElementById(id);

/** Keys of a fix step that are not commands (every other text key is one, e.g. `powershell`). */
const STEP_META = new Set(["action", "title", "description"]);

/** The catalog field at a field path such as `delegation.server_trust` or `hops[0].auth`. */
function fieldAt(record, path) {
  const names = path.split(/[.[\]]/).filter((s) => s !== "" && !/^\d+$/.test(s));
  let field;
  for (const name of names) {
    field = record?.fields.find((f) => f.name === name);
    record = field?.record;
  }
  return field;
}

const show = (value) => (Array.isArray(value) ? value.join(", ") || "(none)" : String(value));

/** How a decision's hops end, e.g. "1 of 1 hops arrive as the client".
 *  @param {import("./pkg/onbehalf_web.js").Decision} decision */
function outcome(decision) {
  const allowed = decision.hops.filter((h) => h.allowed).length;
  const hops = decision.hops.length ? `; ${allowed} of ${decision.hops.length} hops arrive as the client` : "";
  return `effective level ${decision.effective}, reach ${decision.reach}${hops}`;
}

/**
 * @param {import("./pkg/onbehalf_web.js").Catalog} cat
 * @param {(request: import("./pkg/onbehalf_web.js").CanonicalRequest) => void} apply
 */
export function fixRenderer(cat, apply) {
  const label = (path) => fieldAt(cat.request, path)?.label ?? path;

  /** @param {import("./pkg/onbehalf_web.js").FixChange} c */
  function change(c) {
    return el("li", { "data-field": c.field },
      `${label(c.field)} (`, el("code", { text: c.field }), ") → ", el("code", { text: show(c.value) }),
      el("span", { class: "kind", text: ` ${c.kind} change; widens: ${c.effect}` }));
  }

  /** @param {import("./pkg/onbehalf_web.js").FixStep} s */
  function step(s) {
    const commands = Object.entries(s).filter(([k, v]) => !STEP_META.has(k) && typeof v === "string");
    return el("li", { "data-action": s.action },
      el("strong", { text: s.title }), el("span", { class: "kind", text: ` — ${s.description}` }),
      el("dl", { class: "commands" }, ...commands.flatMap(([k, v]) => [
        el("dt", { text: k.replaceAll("_", "-") }), el("dd", {}, el("code", { text: v }))])));
  }

  /**
   * @param {import("./pkg/onbehalf_web.js").Fix} f
   * @param {number} i
   * @param {import("./pkg/onbehalf_web.js").Fix | null} recommended
   */
  function fix(f, i, recommended) {
    const id = `fix-${i + 1}`;
    const flags = [];
    if (f === recommended) flags.push(el("span", { class: "badge ok", text: "Recommended" }), " ");
    if (f.lowers_security) flags.push(el("span", { class: "badge bad", text: "Lowers a client protection" }), " ");
    return el("li", { class: "fix", id, "data-fix": String(i), "data-recommended": String(f === recommended) },
      el("h4", { id: `${id}-title` }, ...flags, el("span", { class: "summary", text: f.summary })),
      el("p", { class: "kind", text: `Delegation: ${f.delegation.before} → ${f.delegation.after} (${f.delegation.meaning})` +
        (f.widens ? "; widens what the server can do." : ".") }),
      // The first fix's changes and commands are open; the others, one click away.
      el("details", { open: i === 0 },
        el("summary", { text: `Changes and commands of fix ${i + 1}` }),
        el("ul", { class: "changes", "aria-label": `Changes of fix ${i + 1}` }, ...f.changes.map(change)),
        el("ol", { class: "steps", "aria-label": `How to apply fix ${i + 1}` }, ...f.steps.map(step))),
      el("p", { text: `Then: ${outcome(f.decision)}.` }),
      el("button", { type: "button", class: "apply", "data-fix": String(i), "aria-describedby": `${id}-title`,
        text: `Apply fix ${i + 1}`, onclick: () => apply(f.request) }));
  }

  /** The fix answer `{decision, falls_short, fixes}` for the request shown.
   *  @param {import("./pkg/onbehalf_web.js").FixAnswer} answer */
  function fixes(answer) {
    $("fix-panel").hidden = false;
    const list = answer.fixes;
    // The core's answer says which fix to recommend (none when each lowers a client protection).
    const recommended = answer.recommended === null ? null : list[answer.recommended];
    const denied = answer.decision.hops.filter((h) => !h.allowed).length;
    let status;
    if (list.length === 0) {
      status = !answer.falls_short
        ? "Nothing to fix: the request gets what it asks for."
        : denied
          ? "No fix within two changes makes every hop arrive as the client."
          : "No fix within two changes gets the level asked for.";
    } else if (!recommended) {
      status = `${list.length} fix${list.length > 1 ? "es" : ""}, each lowering a client protection; none is recommended.`;
    } else {
      status = `${list.length} fix${list.length > 1 ? "es" : ""}, least privilege first; fix ${answer.recommended + 1} is recommended.`;
    }
    $("fix-status").textContent = status;
    // The live summary says only that there is something to try (a few words per keystroke).
    if (list.length) $("summary").textContent += ` ${list.length} fix${list.length > 1 ? "es" : ""} below.`;
    $("fixes").replaceChildren(...list.map((f, i) => fix(f, i, recommended)));
  }

  /** The leaf fields (label, value) of a request, the hops left out. */
  function leaves(record, request) {
    return record.fields.flatMap((f) => f.kind === "record" ? leaves(f.record, request[f.name])
      : f.kind === "record-list" ? [] : [[f.label, show(request[f.name])]]);
  }

  /** Each client kind in words: the fields in which the kinds differ from the settings.
   *  @param {import("./pkg/onbehalf_web.js").Exposure} answer */
  function clientWords(answer) {
    const base = leaves(cat.request, answer.settings);
    const kinds = answer.reached.flatMap((r) => r.clients.map((c) => leaves(cat.request, c.request)));
    const varying = base.map((_, i) => kinds.some((k) => k[i][1] !== base[i][1]));
    return (request) => leaves(cat.request, request).filter((_, i) => varying[i])
      .map(([label, value]) => `${label}: ${value}`).join("; ") || "the client the settings describe";
  }

  /** The exposure of the delegation settings, beside them in the form.
   *  @param {import("./pkg/onbehalf_web.js").Exposure} answer */
  function exposure(answer) {
    const client = clientWords(answer);
    const rows = answer.reached.map((r) => {
      const onward = r.clients.filter((c) => c.decision.hops[1]?.allowed);
      const next = r.clients[0]?.request.hops[1]?.target;
      const words = r.clients.length === 0
        ? "reached by no client's identity."
        : `reached as the client by ${r.clients.length} kind${r.clients.length > 1 ? "s" : ""} of client; ` +
          `${onward.length} of them travel on to ${next}.`;
      const kinds = r.clients.map((c) => el("li", { "data-onward": String(!!c.decision.hops[1]?.allowed) },
        `${client(c.request)} — ${outcome(c.decision)}`));
      return el("li", { "data-target": r.target, "data-clients": String(r.clients.length), "data-onward": String(onward.length) },
        el("code", { text: r.target }), ` ${words}`,
        kinds.length ? el("details", {}, el("summary", { text: "Which clients" }), el("ul", {}, ...kinds)) : "");
    });
    exposureNote().hidden = false;
    $("exposure-list").replaceChildren(...rows);
  }

  /** The note, placed after the request's settings record (the first record field outside a
   *  group: the delegation settings). */
  function exposureNote() {
    let note = $("exposure");
    if (!note) {
      const settings = cat.request.fields.find((f) => f.kind === "record" && !f.group);
      note = el("aside", { id: "exposure", class: "exposure", "aria-labelledby": "exposure-title" },
        el("h3", { id: "exposure-title", text: `${settings.label}: what they expose` }),
        el("p", { class: "help", text: "For every kind of client (the level it grants, its authentication service, its protections): whose identity reaches each target, and whether it travels on. Each line is a decision of the core." }),
        el("ul", { id: "exposure-list" }));
      $(idOf([settings.name])).after(note);
    }
    return note;
  }

  function clear() {
    $("fix-panel").hidden = true;
    $("fixes").replaceChildren();
    if ($("exposure")) $("exposure").hidden = true;
  }

  return { fixes, exposure, clear };
}
