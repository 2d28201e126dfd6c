//! The peers a user would pick instead, encoding the same rules: spec §5 — the effective level
//! and the reach of a call — as a Cedar policy set and as a Rego policy. (Neither encodes the
//! reason codes or the §6 hop chain; onbehalf computes those too, so the comparison favours
//! the peers.) Both read the raw request fields; nothing is pre-decided for them in Rust.
//!
//! This crate (with criterion's benchmarks in `benches/decide.rs`) is built only by
//! `cargo xtask bench`, which runs its agreement tests (`tests/agree.rs`) before any timing:
//! the test command does not compile cedar-policy, regorus or criterion.
#![forbid(unsafe_code)]

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use onbehalf_benches::Verdict;
use onbehalf_core::json::OwnedRequest;
use onbehalf_core::{Level, Reach};

/// The flat input both peers read: the request's packed (hop-free) fields from the core's
/// field table, `allowed_targets` as "not empty".
#[must_use]
pub fn flat_input(r: &OwnedRequest) -> serde_json::Value {
    let fields = onbehalf_core::json::packed_fields(r)
        .into_iter()
        .map(|(name, value)| {
            // The core's value serialises itself (feature `serde`): no text in between.
            let value = serde_json::to_value(&value).unwrap_or_default();
            (name.to_owned(), value)
        });
    serde_json::Value::Object(fields.collect())
}

/// Peer setup failed (a policy that does not parse is a bug in this file).
#[derive(Debug)]
pub struct PeerError(pub String);

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(e: impl std::fmt::Display) -> PeerError {
    PeerError(e.to_string())
}

// ---- Cedar ---------------------------------------------------------------------------------

/// The Cedar policy set. Cedar has no local bindings, so shared conditions are spelled out
/// once here and spliced into each policy.
#[must_use]
pub fn cedar_policies() -> String {
    let k = "(context.kerberos_available && context.domain_joined)";
    let nego = r#"(context.auth == "negotiate" || (context.auth == "none" && context.transport == "ncacn_np" && context.server == "remote"))"#;
    let ntlm = format!(r#"(context.auth == "ntlm" || ({nego} && !{k}))"#);
    let schannel = r#"(context.auth == "schannel")"#;
    let unauthenticated = r#"(context.auth == "none" && (context.transport == "ncacn_ip_tcp" || context.transport == "ncacn_http" || context.transport == "ncadg_ip_udp"))"#;
    let unusable = format!(
        r#"({unauthenticated} || (context.auth == "kerberos" && !{k}) || (context.client_protected_user && {ntlm} && context.server == "remote"))"#
    );
    let d1_fails = format!(
        r#"({ntlm} && context.server == "remote" && !((context.server_trust == "constrained" && context.protocol_transition) || context.server_trust == "resource_based"))"#
    );
    let gate_ok = format!(
        r#"(!{d1_fails} && !context.client_sensitive && !context.client_protected_user && context.server_trust != "none" && !((context.server_trust == "constrained" || context.server_trust == "resource_based") && !context.allowed_targets) && context.domain_joined && !(context.server_trust == "unconstrained" && context.client_credential_guard))"#
    );
    // Step 9a's prerequisites (an impersonating remote server here always has Kerberos or NTLM).
    let s4u_ok = format!(
        r#"((context.server_trust == "constrained" || context.server_trust == "resource_based") && !{d1_fails} && !context.client_sensitive && !context.client_protected_user && context.allowed_targets && context.domain_joined)"#
    );
    format!(
        r#"
// Effective level delegation: usable authentication, not Schannel, the delegation gate passes, SeImpersonatePrivilege.
permit(principal, action == Action::"act-as-delegate", resource)
when {{ !{unusable} && !{schannel} && context.level == "delegation" && {gate_ok} && context.server_can_impersonate }};
// Effective level impersonation: Schannel forces it; asked for it; or delegation that failed the gate.
permit(principal, action == Action::"act-as-impersonate", resource)
when {{ !{unusable} && context.server_can_impersonate && ({schannel} || context.level == "impersonation" || (context.level == "delegation" && !{gate_ok})) }};
// Effective level anonymous: no usable authentication, or anonymous over local RPC.
permit(principal, action == Action::"anonymous-only", resource)
when {{ {unusable} || (context.level == "anonymous" && context.transport == "ncalrpc" && !{schannel}) }};
// An impersonating local server reaches one network hop (not with a Schannel-mapped token).
permit(principal, action == Action::"reach-network", resource)
when {{ context.server == "local" && !{schannel} }};
// Step 9a: an impersonating server with KCD/RBCD reaches its targets, hop after hop.
permit(principal, action == Action::"reach-multi-hop", resource)
when {{ {s4u_ok} && !{schannel} }};
"#
    )
}

/// The five Cedar queries of one decision, built ahead of time.
pub struct CedarInput {
    delegate: Request,
    impersonate: Request,
    anonymous: Request,
    network: Request,
    multi_hop: Request,
}

/// cedar-policy deciding the verdict with up to five `is_authorized` queries.
pub struct CedarPeer {
    policies: PolicySet,
    authorizer: Authorizer,
    entities: Entities,
}

impl CedarPeer {
    /// Parses the policy set.
    pub fn new() -> Result<CedarPeer, PeerError> {
        Ok(CedarPeer {
            policies: PolicySet::from_str(&cedar_policies()).map_err(err)?,
            authorizer: Authorizer::new(),
            entities: Entities::empty(),
        })
    }

    /// Builds the queries for one request.
    pub fn prepare(r: &OwnedRequest) -> Result<CedarInput, PeerError> {
        let principal = EntityUid::from_str(r#"Client::"client""#).map_err(err)?;
        let resource = EntityUid::from_str(r#"Server::"server""#).map_err(err)?;
        let query = |action: &str| -> Result<Request, PeerError> {
            let context = Context::from_json_value(flat_input(r), None).map_err(err)?;
            let action = EntityUid::from_str(&format!(r#"Action::"{action}""#)).map_err(err)?;
            Request::new(principal.clone(), action, resource.clone(), context, None).map_err(err)
        };
        Ok(CedarInput {
            delegate: query("act-as-delegate")?,
            impersonate: query("act-as-impersonate")?,
            anonymous: query("anonymous-only")?,
            network: query("reach-network")?,
            multi_hop: query("reach-multi-hop")?,
        })
    }

    fn allows(&self, request: &Request) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }

    /// The verdict: highest level first, stopping at the first Allow.
    #[must_use]
    pub fn decide(&self, input: &CedarInput) -> Verdict {
        if self.allows(&input.delegate) {
            Verdict {
                effective: Level::Delegation,
                reach: Reach::MultiHop,
            }
        } else if self.allows(&input.impersonate) {
            let reach = if self.allows(&input.multi_hop) {
                Reach::MultiHop
            } else if self.allows(&input.network) {
                Reach::Network
            } else {
                Reach::Local
            };
            Verdict {
                effective: Level::Impersonation,
                reach,
            }
        } else if self.allows(&input.anonymous) {
            Verdict {
                effective: Level::Anonymous,
                reach: Reach::None,
            }
        } else {
            Verdict {
                effective: Level::Identification,
                reach: Reach::None,
            }
        }
    }
}

// ---- Rego ----------------------------------------------------------------------------------

/// The Rego policy (OPA v1 syntax), evaluated by regorus.
pub const REGO_POLICY: &str = r#"
package onbehalf

k if { input.kerberos_available; input.domain_joined }

nego if input.auth == "negotiate"
nego if { input.auth == "none"; input.transport == "ncacn_np"; input.server == "remote" }

ntlm if input.auth == "ntlm"
ntlm if { nego; not k }

schannel if input.auth == "schannel"

unusable if { input.auth == "none"; input.transport in {"ncacn_ip_tcp", "ncacn_http", "ncadg_ip_udp"} }
unusable if { input.auth == "kerberos"; not k }
unusable if { input.client_protected_user; ntlm; input.server == "remote" }

transition if { input.server_trust == "constrained"; input.protocol_transition }
transition if input.server_trust == "resource_based"

gate_fails if { ntlm; input.server == "remote"; not transition }
gate_fails if input.client_sensitive
gate_fails if input.client_protected_user
gate_fails if input.server_trust == "none"
gate_fails if { input.server_trust in {"constrained", "resource_based"}; not input.allowed_targets }
gate_fails if not input.domain_joined
gate_fails if { input.server_trust == "unconstrained"; input.client_credential_guard }

effective := "anonymous" if unusable
else := "anonymous" if { input.level == "anonymous"; input.transport == "ncalrpc"; not schannel }
else := "identification" if not input.server_can_impersonate
else := "impersonation" if schannel
else := "delegation" if { input.level == "delegation"; not gate_fails }
else := "impersonation" if input.level in {"impersonation", "delegation"}
else := "identification"

kcd if input.server_trust in {"constrained", "resource_based"}

s4u_fails if { ntlm; input.server == "remote"; not transition }
s4u_fails if input.client_sensitive
s4u_fails if input.client_protected_user
s4u_fails if not input.allowed_targets
s4u_fails if not input.domain_joined

server_side if { effective == "impersonation"; not schannel; kcd; not s4u_fails }

reach := "multi-hop" if effective == "delegation"
else := "multi-hop" if server_side
else := "local" if { effective == "impersonation"; schannel }
else := "network" if { effective == "impersonation"; input.server == "local" }
else := "local" if effective == "impersonation"
else := "none"

verdict := {"effective": effective, "reach": reach}
"#;

/// regorus evaluating `data.onbehalf.verdict`.
pub struct RegoPeer {
    engine: regorus::Engine,
}

impl RegoPeer {
    /// Loads the policy.
    pub fn new() -> Result<RegoPeer, PeerError> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("onbehalf.rego".into(), REGO_POLICY.into())
            .map_err(err)?;
        Ok(RegoPeer { engine })
    }

    /// The input value for one request, built ahead of time.
    pub fn prepare(r: &OwnedRequest) -> Result<regorus::Value, PeerError> {
        regorus::Value::from_json_str(&flat_input(r).to_string()).map_err(err)
    }

    /// The verdict for one prepared input.
    pub fn decide(&mut self, input: &regorus::Value) -> Result<Verdict, PeerError> {
        self.engine.set_input(input.clone());
        let v = self
            .engine
            .eval_rule("data.onbehalf.verdict".into())
            .map_err(err)?;
        let name = |key: &str| -> Result<String, PeerError> {
            let field = &v[&regorus::Value::from(key)];
            field.as_string().map(|s| s.to_string()).map_err(err)
        };
        let effective = Level::from_name(&name("effective")?)
            .ok_or_else(|| PeerError("bad effective".into()))?;
        let reach =
            Reach::from_name(&name("reach")?).ok_or_else(|| PeerError("bad reach".into()))?;
        Ok(Verdict { effective, reach })
    }
}
