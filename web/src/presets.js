// @ts-check
// Example situations people open the explainer for: requests in the spec's JSON shape
// (only what differs from the defaults). The names are the page's words; what each request
// means is decided by the core.
export const PRESETS = [
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
  ["KCD to a file server in a child domain", { level: "impersonation", auth: "kerberos",
    delegation: { server_trust: "constrained", allowed_targets: ["cifs/fs1.eu.contoso.com"] },
    hops: [{ target: "cifs/fs1.eu.contoso.com", realm: "same-forest" }] }],
  ["Unconstrained delegation into a partner forest", { level: "delegation", auth: "kerberos", delegation: { server_trust: "unconstrained" },
    hops: [{ target: "http/app.fabrikam.com", realm: "other-forest" }, { target: "cifs/fs.fabrikam.com" }] }],
  ["RBCD across a forest trust", { level: "delegation", auth: "kerberos",
    delegation: { server_trust: "resource_based", allowed_targets: ["cifs/fs1.fabrikam.com"] },
    hops: [{ target: "cifs/fs1.fabrikam.com", realm: "other-forest" }] }],
];
