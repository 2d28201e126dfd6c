// @ts-check
// Renders an explanation (from the core's `explain`): the verdict, the chain of machines,
// each rule that fired with its source, and the requested-level × transport matrix. Every
// word about the spec — level names, what a reach means, who a hop arrives as, rule texts —
// comes from the explanation or the catalog.
import { el } from "./form.js";

const $ = (id) => document.getElementById(id);
const byName = (list, key = "name") => Object.fromEntries(list.map((x) => [x[key], x]));

/** @param {import("./pkg/onbehalf_web.js").Catalog} cat */
export function renderer(cat) {
  const levels = byName(cat.effective_levels);
  const reaches = byName(cat.reaches);
  const identities = byName(cat.identities);
  const hopReasons = byName(cat.hop_reasons, "code");
  const field = (name) => cat.request.fields.find((f) => f.name === name);
  const { matrix_rows: rowsField, matrix_columns: columnsField, server_location: serverField, server_realm: realmField } = cat.roles;
  const locations = byName(field(serverField)?.values ?? []);
  const realms = field(realmField)?.values ?? [];
  const realmWords = byName(realms);
  const realmDefault = field(realmField)?.default;
  const sameRealm = realmDefault && "value" in realmDefault ? realmDefault.value : undefined; // the client's own domain

  function machine(name, detail, cls, attrs = {}, crossing = null) {
    return el("li", { class: `machine ${cls}${crossing ? " boundary" : ""}`, ...attrs },
      crossing ? el("span", { class: "crossing", text: `boundary: the client's account is in ${crossing}` }) : "",
      el("span", { class: "name", text: name }), el("span", { text: detail }));
  }

  /** The boundary crossed on the way to a machine, when its realm relation to the client changes. */
  const crossing = (from, to) => (to !== from ? realmWords[to]?.description : null);

  /** @param {import("./pkg/onbehalf_web.js").Explanation} explanation */
  function chain(explanation) {
    const request = explanation.request;
    const decision = explanation.decision;
    const where = locations[request[serverField]]?.description;
    const serverCls = decision.effective === "anonymous" ? "as-anonymous" : "as-client";
    const serverRealm = request[realmField];
    const parts = [
      machine("client", "makes the call", "as-client"),
      machine(where ? `server — ${where}` : "server", `sees the client at ${decision.effective}`, serverCls,
        { "data-realm": serverRealm }, crossing(sameRealm, serverRealm)),
    ];
    let previous = serverRealm;
    explanation.hops.forEach((hop, i) => {
      const reached = hopReasons[hop.reason]?.reached ?? true;
      const cls = hop.allowed ? "as-client" : reached ? "as-anonymous" : "not-reached";
      const words = reached ? identities[hop.as].description : "not reached as the client (an earlier hop was denied)";
      parts.push(machine(`hop ${i + 1}: ${hop.target}`, words, cls, { "data-hop": String(i), "data-realm": hop.client_realm },
        crossing(previous, hop.client_realm)));
      previous = hop.client_realm;
    });
    if (decision.hops.length === 0) {
      parts.push(machine("(next machine)", "add a hop to see how far the identity travels", "not-reached"));
    }
    $("chain").replaceChildren(...parts);
  }

  /** @param {import("./pkg/onbehalf_web.js").Explanation} explanation */
  function trace(explanation) {
    const steps = explanation.steps.map((s) =>
      el("li", { "data-code": s.code },
        el("span", { class: "code", text: s.code }), " ", el("span", { class: "kind", text: `§5 step ${s.step}, ${s.kind}` }),
        el("p", { text: s.rule }), el("p", { class: "src", text: `Sources: ${s.sources}` })));
    const auth = `authentication resolved to ${explanation.resolved_auth} (§5 step 3)`;
    if (steps.length === 0) {
      steps.push(el("li", { class: "none", text: `No rule changed the request: the server gets ${explanation.decision.effective} as asked; ${auth}.` }));
    } else {
      steps.unshift(el("li", { class: "none", text: `The client's ${auth}.` }));
    }
    $("reasons").replaceChildren(...steps);
    $("hop-verdicts").replaceChildren(...explanation.hops.map((h, i) =>
      el("li", { class: "hop-verdict", "data-target": h.target, "data-allowed": String(h.allowed), "data-as": h.as, "data-reason": h.reason },
        el("span", { class: "code", text: `hop ${i + 1} → ${h.target}: ${h.allowed ? "allowed" : "denied"}` }), " ",
        el("span", { class: "kind", text: `(${h.auth}; §6 row ${h.row}: ${h.reason})` }),
        el("p", { text: h.rule }), el("p", { class: "src", text: `Sources: ${h.sources}` }))));
  }

  /** The matrix: every row value × column value (level × transport), the rest of `partial` as it is. */
  function matrix(partial, current, decide, load) {
    const rows = field(rowsField).values.map((v) => v.name);
    const columns = field(columnsField).values.map((v) => v.name);
    const head = el("tr", {}, el("th", { scope: "col", text: `${rowsField} \\ ${columnsField}` }),
      ...columns.map((c) => el("th", { scope: "col", text: c })));
    const body = rows.map((r) => el("tr", {}, el("th", { scope: "row", text: r }), ...columns.map((c) => {
      const cell = { ...partial, [rowsField]: r, [columnsField]: c };
      let text;
      try { const d = decide(cell); text = `${d.effective} · ${d.reach}`; } catch (e) { text = e.code; }
      const isCurrent = r === current[rowsField] && c === current[columnsField];
      return el("td", {},
        el("button", { type: "button", text, "aria-current": isCurrent ? "true" : undefined,
          "aria-label": `${r} over ${c}: ${text}${isCurrent ? " (current)" : ""}`,
          "data-row": r, "data-column": c, onclick: () => load(cell) }));
    })));
    $("matrix").replaceChildren(
      el("caption", { text: "Every requested level over every transport, all other inputs as above; select a cell to load it." }),
      el("thead", {}, head), el("tbody", {}, ...body));
  }

  function verdict(explanation) {
    const d = explanation.decision;
    $("error").hidden = true;
    $("verdict").hidden = false;
    $("effective").textContent = d.effective;
    $("effective").className = `level-${d.effective}`;
    const windows = levels[d.effective];
    $("effective-windows").textContent = windows ? `(${windows.security_name} / ${windows.rpc_name})` : "";
    $("reach").textContent = d.reach;
    $("reach-words").textContent = reaches[d.reach]?.description ?? "";
    const denied = d.hops.filter((h) => !h.allowed).length;
    $("summary").textContent = `Effective level ${d.effective}, reach ${d.reach}` +
      (d.hops.length ? `; ${d.hops.length - denied} of ${d.hops.length} hops arrive as the client.` : ".");
    chain(explanation);
    trace(explanation);
  }

  function error(e) {
    const code = e.code ?? "invalid-json";
    $("error").hidden = false;
    $("verdict").hidden = true;
    $("error-code").textContent = code;
    $("error-message").textContent = e.message;
    $("summary").textContent = `Invalid request: ${code}.`;
    $("chain").replaceChildren();
    $("reasons").replaceChildren();
    $("hop-verdicts").replaceChildren();
  }

  return { verdict, error, matrix };
}
