//! Exposure (issue 16): for every delegation setting of a grid, its JSON agrees with deciding
//! every client kind × target combination directly, each request written here as plain JSON.
#![allow(missing_docs)]
// Test helpers (outside `#[test]`) check by failing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use onbehalf_core::fix::{exposure, ANY_OTHER_SERVICE};
use onbehalf_core::json::{decide_str, exposure_to_value, parse_request};
use serde_json::{json, Value};

const TRUSTS: [&str; 4] = ["none", "unconstrained", "constrained", "resource_based"];
const AUTHS: [&str; 5] = ["none", "ntlm", "kerberos", "negotiate", "schannel"];

fn decide(request: &Value) -> Value {
    serde_json::from_str(&decide_str(&request.to_string())).unwrap()
}

/// The exposure of `delegation` (a `delegation` object), as JSON.
fn exposure_json(delegation: &Value) -> Value {
    let request =
        parse_request(&json!({"level": "impersonation", "delegation": delegation}).to_string())
            .unwrap();
    let exposed = exposure(&request.delegation).unwrap();
    serde_json::from_str(&exposure_to_value(&exposed).to_string()).unwrap()
}

/// The targets an exposure must consider: the allowed ones (case-insensitively once), then
/// every other service.
fn expected_targets(allowed: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in allowed {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push((*t).to_string());
        }
    }
    out.push(ANY_OTHER_SERVICE.to_string());
    out
}

/// Every client kind, as the request fields it sets.
fn client_kinds() -> Vec<(&'static str, &'static str, [bool; 3])> {
    let mut out = Vec::new();
    for level in ["impersonation", "delegation"] {
        for auth in AUTHS {
            for bits in 0..8u8 {
                out.push((level, auth, [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0]));
            }
        }
    }
    out
}

fn check(delegation: &Value, allowed: &[&str]) {
    let got = exposure_json(delegation);
    let targets = expected_targets(allowed);
    assert_eq!(got["targets"], json!(targets), "{delegation}");
    let reached = got["reached"].as_array().unwrap();
    assert_eq!(reached.len(), targets.len());
    for (entry, target) in reached.iter().zip(&targets) {
        assert_eq!(entry["target"], target.as_str());
        let mut listed = entry["clients"].as_array().unwrap().iter();
        for (level, auth, [sensitive, protected, guard]) in client_kinds() {
            let mut d = delegation.clone();
            d["client_sensitive"] = json!(sensitive);
            d["client_protected_user"] = json!(protected);
            d["client_credential_guard"] = json!(guard);
            let request = json!({"level": level, "auth": auth, "delegation": d,
                "hops": [{"target": target}, {"target": ANY_OTHER_SERVICE}]});
            let decision = decide(&request);
            if decision["hops"][0]["allowed"] != true {
                continue;
            }
            // Listed, in kind order, with the same decision; its request decides to it too.
            let row = listed.next().unwrap_or_else(|| panic!("{request} missing"));
            assert_eq!(row["decision"], decision, "{request}");
            assert_eq!(decide(&row["request"]), decision, "{request}");
            assert_eq!(row["request"]["level"], level);
            assert_eq!(row["request"]["auth"], auth);
        }
        assert!(
            listed.next().is_none(),
            "a client listed that does not reach {target}"
        );
    }
}

#[test]
fn exposure_equals_deciding_every_client_kind_and_target() {
    let lists: [&[&str]; 3] = [&[], &["cifs/fs1"], &["cifs/fs1", "CIFS/FS1", "http/web"]];
    for trust in TRUSTS {
        for allowed in lists {
            for protocol_transition in [false, true] {
                for domain_joined in [true, false] {
                    let delegation = json!({"server_trust": trust, "allowed_targets": allowed,
                        "protocol_transition": protocol_transition, "domain_joined": domain_joined});
                    check(&delegation, allowed);
                }
            }
        }
    }
}

/// How many client kinds reach `target`, and how many of them go on to any other service.
fn reach_counts(delegation: Value, target: &str) -> (usize, usize) {
    let got = exposure_json(&delegation);
    let entry = got["reached"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == target)
        .unwrap();
    let clients = entry["clients"].as_array().unwrap();
    let onward = clients
        .iter()
        .filter(|c| c["decision"]["hops"][1]["allowed"] == true)
        .count();
    (clients.len(), onward)
}

#[test]
fn what_each_kind_of_delegation_exposes() {
    // Not trusted: no identity leaves the server.
    assert_eq!(reach_counts(json!({}), ANY_OTHER_SERVICE), (0, 0));
    // Unconstrained: a delegating Kerberos (or Negotiate) client without protections, to any
    // service, and on from there.
    let unconstrained = json!({"server_trust": "unconstrained"});
    assert_eq!(reach_counts(unconstrained, ANY_OTHER_SERVICE), (2, 2));
    // Kerberos-only KCD: only the listed target, only Kerberos clients (either level, either
    // Kerberos spelling, Credential Guard or not), and from there only to listed targets.
    let kcd = json!({"server_trust": "constrained", "allowed_targets": ["cifs/fs1"]});
    assert_eq!(reach_counts(kcd.clone(), "cifs/fs1"), (8, 0));
    assert_eq!(reach_counts(kcd, ANY_OTHER_SERVICE), (0, 0));
    // Protocol transition adds the NTLM clients.
    let transition = json!({"server_trust": "constrained", "allowed_targets": ["cifs/fs1"],
        "protocol_transition": true});
    assert_eq!(reach_counts(transition, "cifs/fs1"), (12, 0));
}

#[test]
fn bad_settings_and_requests_are_errors_naming_the_field() {
    use onbehalf_core::fix::fixes;
    use onbehalf_core::{Delegation, ErrorCode, Hop, Request, RequestedLevel};
    let settings: Delegation = Delegation {
        allowed_targets: &[""][..],
        ..Delegation::blank()
    };
    let error = exposure(&settings).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidValue);
    assert!(
        error
            .to_string()
            .starts_with("delegation.allowed_targets[0]"),
        "{error}"
    );
    let hops = [Hop::to("")];
    let mut request = Request::new(RequestedLevel::Impersonation);
    request.hops = &hops[..];
    assert_eq!(fixes(&request).unwrap_err().code, ErrorCode::InvalidValue);
}
