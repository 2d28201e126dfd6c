// The onbehalf web explainer: every input is a control, the verdict, the hop chain, the rule
// trace and a level × transport matrix follow each change, and the whole request lives in the
// URL (?r=<request JSON>) so a link reproduces the exact situation. All decisions come from the
// Rust core compiled to wasm (pkg/); nothing is decided in JavaScript.
import init, { explain, explainJson, decide, catalog } from "./pkg/onbehalf_wasm.js";

await init();
const CAT = catalog();
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "title") node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children);
  return node;
};

const TRANSPORT_WORDS = {
  ncalrpc: "local RPC (ALPC), same computer only",
  ncacn_np: "named pipes (SMB when remote)",
  ncacn_ip_tcp: "TCP",
  ncacn_http: "RPC over HTTP",
  ncadg_ip_udp: "UDP (datagram RPC)",
};
const AUTH_WORDS = {
  none: "none — no RPC authentication",
  ntlm: "NTLM (RPC_C_AUTHN_WINNT)",
  kerberos: "Kerberos (RPC_C_AUTHN_GSS_KERBEROS)",
  negotiate: "Negotiate — Kerberos, else NTLM",
  schannel: "Schannel / TLS",
};
const TRUST_WORDS = {
  none: "not trusted (AD default)",
  unconstrained: "forwards the client's TGT (TRUSTED_FOR_DELEGATION)",
  constrained: "constrained — KCD (msDS-AllowedToDelegateTo)",
  resource_based: "resource-based — RBCD",
};
const REACH_WORDS = {
  none: "The server cannot act as the client at all.",
  local: "The server can act as the client on its own computer only — any onward call arrives as ANONYMOUS LOGON.",
  network: "The server can act as the client on exactly one more machine.",
  "multi-hop": "The client's identity can travel across machines, within the delegation settings.",
};

function levelLabel(entry) {
  const windows = entry.spellings.filter((s) => /^(Security|RPC_C)/.test(s));
  const nums = [];
  if (entry.security_level !== null && entry.security_level !== undefined) nums.push(`SECURITY_IMPERSONATION_LEVEL ${entry.security_level}`);
  nums.push(`RPC_C_IMP_LEVEL ${entry.rpc_imp_level}`);
  return `${entry.name} — ${windows.join(" / ")} (${nums.join(", ")})`;
}

function fillSelect(select, values, words = {}) {
  select.replaceChildren(...values.map((v) => el("option", { value: v, text: words[v] ? `${v} — ${words[v].replace(/^[^—]*— /, "")}` : v })));
}

fillSelect($("level"), CAT.levels.map((l) => l.name));
[...$("level").options].forEach((o, i) => (o.textContent = levelLabel(CAT.levels[i])));
fillSelect($("transport"), CAT.transports, TRANSPORT_WORDS);
fillSelect($("auth"), CAT.auth_services, AUTH_WORDS);
fillSelect($("server_trust"), CAT.server_trusts, TRUST_WORDS);

const DEFAULT = {
  level: "impersonation", transport: "ncacn_ip_tcp", server: "remote", auth: "negotiate",
  kerberos_available: true, server_can_impersonate: true,
  delegation: {
    client_sensitive: false, client_protected_user: false, server_trust: "none", allowed_targets: [],
    domain_joined: true, protocol_transition: false, client_credential_guard: false,
  },
  hops: [],
};
const clone = (x) => JSON.parse(JSON.stringify(x));
const withDefaults = (partial) => {
  const r = { ...clone(DEFAULT), ...clone(partial) };
  r.delegation = { ...clone(DEFAULT.delegation), ...(partial.delegation || {}) };
  if (!partial.server && r.transport === "ncalrpc") r.server = "local";
  r.hops = (partial.hops || []).map((h) => ({ auth: "negotiate", transport: "ncacn_ip_tcp", ...h }));
  return r;
};

const PRESETS = [
  ["IIS → SQL double hop (NTLM)", { level: "impersonation", auth: "ntlm", hops: [{ target: "MSSQLSvc/sql01.contoso.com:1433" }] }],
  ["IIS → SQL with Kerberos constrained delegation", { level: "delegation", auth: "kerberos",
    delegation: { server_trust: "constrained", allowed_targets: ["MSSQLSvc/sql01.contoso.com:1433"] },
    hops: [{ target: "MSSQLSvc/sql01.contoso.com:1433" }] }],
  ["IIS → SQL with constrained delegation, client asks only for impersonation", { level: "impersonation", auth: "kerberos",
    delegation: { server_trust: "constrained", allowed_targets: ["MSSQLSvc/sql01.contoso.com:1433"] },
    hops: [{ target: "MSSQLSvc/sql01.contoso.com:1433" }] }],
  ["Local COM server over ncalrpc", { level: "impersonation", transport: "ncalrpc",
    hops: [{ target: "cifs/fs1.contoso.com" }, { target: "MSSQLSvc/sql01.contoso.com" }] }],
  ["Anonymous named-pipe client", { level: "anonymous", transport: "ncacn_np", auth: "none" }],
  ["Service without SeImpersonatePrivilege", { level: "impersonation", server_can_impersonate: false, hops: [{ target: "cifs/fs1" }] }],
  ["Unconstrained delegation, three hops", { level: "delegation", auth: "kerberos", delegation: { server_trust: "unconstrained" },
    hops: [{ target: "cifs/fs1" }, { target: "http/web2" }, { target: "MSSQLSvc/db3", auth: "ntlm" }] }],
];
$("presets").append(
  ...PRESETS.map(([name, req], i) => el("button", { type: "button", text: name, "data-preset": String(i), onclick: () => load(withDefaults(req), true) }))
);

// ---- form <-> request -------------------------------------------------------------------
const CHECKS = ["kerberos_available", "server_can_impersonate"];
const DELEGATION_CHECKS = ["domain_joined", "protocol_transition", "client_sensitive", "client_protected_user", "client_credential_guard"];

function hopRow(hop) {
  const target = el("input", { type: "text", name: "target", value: hop.target, "aria-label": "hop target (SPN or host)", placeholder: "cifs/fs1.contoso.com" });
  const auth = el("select", { name: "auth", "aria-label": "hop authentication" });
  fillSelect(auth, CAT.auth_services, AUTH_WORDS);
  auth.value = hop.auth;
  const transport = el("select", { name: "transport", "aria-label": "hop transport" });
  fillSelect(transport, CAT.transports, TRANSPORT_WORDS);
  transport.value = hop.transport;
  const remove = el("button", { type: "button", text: "Remove", class: "remove-hop", onclick: (e) => { e.target.closest("li").remove(); changed(); } });
  return el("li", { class: "hop" }, el("div", { class: "hop-row" }, target, auth, transport, remove));
}

function setForm(r) {
  for (const id of ["level", "transport", "server", "auth"]) $(id).value = r[id];
  for (const id of CHECKS) $(id).checked = r[id];
  $("server_trust").value = r.delegation.server_trust;
  $("allowed_targets").value = r.delegation.allowed_targets.join("\n");
  for (const id of DELEGATION_CHECKS) $(id).checked = r.delegation[id];
  $("hops").replaceChildren(...r.hops.map(hopRow));
}

function readForm() {
  const r = { level: $("level").value, transport: $("transport").value, server: $("server").value, auth: $("auth").value };
  for (const id of CHECKS) r[id] = $(id).checked;
  r.delegation = { server_trust: $("server_trust").value,
    allowed_targets: $("allowed_targets").value.split("\n").map((s) => s.trim()).filter((s) => s.length > 0) };
  for (const id of DELEGATION_CHECKS) r.delegation[id] = $(id).checked;
  r.hops = [...$("hops").querySelectorAll("li.hop")].map((li) => ({
    target: li.querySelector("[name=target]").value,
    auth: li.querySelector("[name=auth]").value,
    transport: li.querySelector("[name=transport]").value,
  }));
  return r;
}

// ---- rendering --------------------------------------------------------------------------
function machine(name, detail, cls) {
  return el("div", { class: `machine ${cls}`, role: "listitem" }, el("span", { class: "name", text: name }), el("span", { text: detail }));
}

function renderChain(request, decision) {
  const parts = [machine("client", "makes the call", "as-client")];
  const server = request.server === "local" ? "server (same computer)" : "server";
  const serverCls = decision.effective === "anonymous" ? "as-anonymous" : "as-client";
  parts.push(el("span", { class: "arrow", text: "→" }), machine(server, `sees the client at ${decision.effective}`, serverCls));
  decision.hops.forEach((hop, i) => {
    const cls = hop.allowed ? "as-client" : hop.reason === "hop-chain-broken" ? "not-reached" : "as-anonymous";
    const words = hop.allowed ? "arrives as the client" : hop.reason === "hop-chain-broken" ? "not reached as the client" : "arrives as NT AUTHORITY\\ANONYMOUS LOGON";
    parts.push(el("span", { class: "arrow", text: "→" }),
      el("div", { class: `machine ${cls}`, role: "listitem", "data-hop": String(i) },
        el("span", { class: "name", text: `hop ${i + 1}: ${hop.target}` }), el("span", { text: words })));
  });
  if (decision.hops.length === 0) {
    parts.push(el("span", { class: "arrow", text: "→" }), machine("(next machine)", "add a hop to see how far the identity travels", "not-reached"));
  }
  $("chain").replaceChildren(...parts);
}

function renderTrace(explanation) {
  const steps = explanation.steps.map((s) =>
    el("li", { "data-code": s.code },
      el("span", { class: "code", text: s.code }), " ", el("span", { class: "kind", text: `§5 step ${s.step}, ${s.kind}` }),
      el("p", { text: s.rule }), el("p", { class: "src", text: `Sources: ${s.sources}` })));
  if (steps.length === 0) {
    steps.push(el("li", { class: "none", text: `No rule changed the request: the server gets ${explanation.decision.effective} as asked (authentication resolved to ${explanation.resolved_auth}).` }));
  } else {
    steps.unshift(el("li", { class: "none", text: `Authentication resolved to ${explanation.resolved_auth} (§5 step 3).` }));
  }
  $("reasons").replaceChildren(...steps);
  $("hop-verdicts").replaceChildren(...explanation.hops.map((h, i) =>
    el("li", { class: "hop-verdict", "data-target": h.target, "data-allowed": String(h.allowed), "data-as": h.as, "data-reason": h.reason },
      el("span", { class: "code", text: `hop ${i + 1} → ${h.target}: ${h.allowed ? "allowed" : "denied"}` }), " ",
      el("span", { class: "kind", text: `(${h.auth}; §6 row ${h.row}: ${h.reason})` }),
      el("p", { text: h.rule }), el("p", { class: "src", text: `Sources: ${h.sources}` }))));
}

function renderMatrix(request) {
  const head = el("tr", {}, el("th", { text: "level \\ transport" }), ...CAT.transports.map((t) => el("th", { scope: "col", text: t })));
  const rows = CAT.levels.map((l) => el("tr", {}, el("th", { scope: "row", text: l.name }), ...CAT.transports.map((t) => {
    const cell = { ...clone(request), level: l.name, transport: t, server: t === "ncalrpc" ? "local" : request.server };
    let text;
    try { const d = decide(cell); text = `${d.effective} · ${d.reach}`; } catch (e) { text = e.code; }
    const current = l.name === request.level && t === request.transport;
    return el("td", { class: current ? "current" : "" },
      el("button", { type: "button", text, title: `load ${l.name} over ${t}`, "data-level": l.name, "data-transport": t, onclick: () => load(cell, true) }));
  })));
  $("matrix").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function show(request, jsonText) {
  $("json").value = jsonText ?? JSON.stringify(request, null, 2);
  let explanation;
  try {
    explanation = jsonText === undefined ? explain(request) : explainJson(jsonText);
  } catch (e) {
    const code = e.code ?? "invalid-json";
    $("error").hidden = false;
    $("verdict").hidden = true;
    $("error-code").textContent = code;
    $("error-message").textContent = e.message;
    $("chain").replaceChildren();
    $("reasons").replaceChildren();
    $("hop-verdicts").replaceChildren();
    return;
  }
  $("error").hidden = true;
  $("verdict").hidden = false;
  const d = explanation.decision;
  $("effective").textContent = d.effective;
  $("effective").className = `level-${d.effective}`;
  $("reach").textContent = d.reach;
  $("reach-words").textContent = REACH_WORDS[d.reach];
  renderChain(explanation.request, d);
  renderTrace(explanation);
  renderMatrix(explanation.request);
}

// ---- state in the URL -------------------------------------------------------------------
function urlFor(text) {
  return `${location.pathname}?r=${encodeURIComponent(text)}`;
}

function load(request, push) {
  setForm(request);
  const text = JSON.stringify(request);
  if (push) history.pushState(null, "", urlFor(text));
  show(request);
}

function changed() {
  const r = readForm();
  history.pushState(null, "", urlFor(JSON.stringify(r)));
  show(r);
}

function fromUrl() {
  const text = new URLSearchParams(location.search).get("r");
  if (text === null) return load(withDefaults(PRESETS[0][1]), false);
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    try { decide(parsed); setForm(withDefaults(parsed)); } catch { /* shown as an error below */ }
  }
  show(undefined, text);
}

// Typing re-decides at once; the URL (and so the history) follows when the field is left.
$("request-form").addEventListener("input", (e) => {
  if (e.target.matches("input[type=text], textarea") && e.target.id !== "json") show(readForm());
});
$("request-form").addEventListener("change", (e) => { if (e.target.id !== "json") changed(); });
$("request-form").addEventListener("submit", (e) => e.preventDefault());
$("add-hop").addEventListener("click", () => {
  $("hops").append(hopRow({ target: `cifs/server${$("hops").children.length + 1}`, auth: "negotiate", transport: "ncacn_ip_tcp" }));
  changed();
});
$("apply-json").addEventListener("click", () => {
  const text = $("json").value;
  history.pushState(null, "", urlFor(text));
  fromUrl();
});
window.addEventListener("popstate", fromUrl);
fromUrl();
document.body.dataset.ready = "true";

if ("serviceWorker" in navigator && location.protocol.startsWith("http")) {
  navigator.serviceWorker.register("sw.js").catch(() => {});
}
