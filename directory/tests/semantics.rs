//! How directory facts become a request where the spec is silent (ARCHITECTURE, "Directory
//! facts → the spec request"): realms from trusts, resource-based delegation granted to a
//! group, which hop decides between KCD and RBCD, Protected Users only when the groups were
//! read, a read-only DC's unconstrained delegation. Each case edits the contoso facts file.
#![allow(missing_docs, clippy::unwrap_used)]
#![allow(clippy::indexing_slicing)] // edits index the facts JSON

mod common;

use common::fixture;
use onbehalf_directory::check::check_str;
use onbehalf_directory::{facts, Directory};
use serde_json::Value as Json;

/// The contoso facts with a second domain `name` (its own SID), an account `sam` in it, and
/// `trust` (JSON, or none) on CONTOSO.TEST's domain object.
fn two_domains(name: &str, trust: Option<serde_json::Value>) -> Directory {
    let dir = Directory::load(&fixture()).unwrap();
    let mut json: Json = serde_json::from_str(&facts::export(&dir)).unwrap();
    let sid = "S-1-5-21-9-9-9";
    let mut other = json["domains"][0].clone();
    other["sid"] = sid.into();
    other["name"] = name.into();
    other["trusts"] = Json::Array(Vec::new());
    json["domains"].as_array_mut().unwrap().push(other);
    if let Some(t) = trust {
        json["domains"][0]["trusts"] = Json::Array(vec![t]);
    }
    let mut svc = json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sam_account_name"] == "svcpt")
        .unwrap()
        .clone();
    svc["sid"] = format!("{sid}-1108").into();
    svc["domain"] = name.into();
    svc["sam_account_name"] = "remote-svc".into();
    svc["service_principal_names"] = serde_json::json!([format!("http/app.{name}")]);
    json["accounts"].as_array_mut().unwrap().push(svc);
    facts::from_text(&json.to_string(), "two-domains.json").unwrap()
}

fn trust(target: &str, kind: &str, direction: &str) -> serde_json::Value {
    serde_json::json!({"target_sid": "S-1-5-21-9-9-9", "target_name": target, "direction": direction,
        "kind": kind, "sid_filtering": true, "tgt_delegation": null, "selective_authentication": null})
}

#[test]
fn realms_come_from_the_trusts_and_an_untrusted_pair_is_refused() {
    let named =
        r#"{"level":"impersonation","client_account":"alice","server_account":"remote-svc"}"#;
    let realm = |dir: &Directory| {
        let answer = check_str(dir, named);
        let v: Json = serde_json::from_str(&answer).unwrap();
        v["request"]["server_realm"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or(answer)
    };
    let child = two_domains(
        "EU.CONTOSO.TEST",
        Some(trust("EU.CONTOSO.TEST", "parent_child", "bidirectional")),
    );
    assert_eq!(realm(&child), "same-forest");
    // CONTOSO trusts FABRIKAM outbound: FABRIKAM's users reach CONTOSO, not the other way.
    let outbound = two_domains(
        "FABRIKAM.TEST",
        Some(trust("FABRIKAM.TEST", "forest", "outbound")),
    );
    assert!(
        realm(&outbound).contains("does not trust CONTOSO.TEST"),
        "{}",
        realm(&outbound)
    );
    let inbound = two_domains(
        "FABRIKAM.TEST",
        Some(trust("FABRIKAM.TEST", "forest", "inbound")),
    );
    assert_eq!(realm(&inbound), "other-forest");
    let none = two_domains("FABRIKAM.TEST", None);
    let answer = realm(&none);
    assert!(
        answer.contains("directory-invalid") && answer.contains("server_realm"),
        "{answer}"
    );
    // Not derivable, given by hand: the request's value stands.
    let given = r#"{"level":"impersonation","client_account":"alice","server_account":"remote-svc","server_realm":"other-forest"}"#;
    assert!(check_str(&none, given).contains(r#""server_realm":"other-forest""#));
    // Derivable and given: a conflict.
    let twice = r#"{"level":"impersonation","client_account":"alice","server_account":"remote-svc","server_realm":"same-domain"}"#;
    assert!(check_str(&child, twice).contains("directory-conflict"));
}

/// The contoso facts as JSON, edited by `edit`, loaded back.
fn facts_edited(edit: impl FnOnce(&mut Json)) -> Directory {
    let dir = Directory::load(&fixture()).unwrap();
    let mut json: Json = serde_json::from_str(&facts::export(&dir)).unwrap();
    edit(&mut json);
    facts::from_text(&json.to_string(), "edited.json").unwrap()
}

fn account_mut<'j>(json: &'j mut Json, sam: &str) -> &'j mut Json {
    json["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["sam_account_name"] == sam)
        .unwrap()
}

#[test]
fn resource_based_delegation_granted_to_a_group_admits_its_members_and_hop_1_decides() {
    let group = "S-1-5-21-2007138262-2688765669-284827659-1300";
    let dir = facts_edited(|j| {
        let members = ["db1$", "svcweb"].map(|s| account_mut(j, s)["sid"].clone());
        j["groups"].as_array_mut().unwrap().push(serde_json::json!({
            "sid": group, "name": "WEBSERVERS@CONTOSO.TEST", "domain": "CONTOSO.TEST", "members": members}));
        account_mut(j, "fs2$")["allowed_to_act"] = serde_json::json!([group]);
    });
    let trust = |named: &str| {
        let v: Json = serde_json::from_str(&check_str(&dir, named)).unwrap();
        (
            v["request"]["delegation"]["server_trust"].clone(),
            v["request"]["delegation"]["allowed_targets"].clone(),
        )
    };
    // DB1 is a member of the admitted group.
    let named = r#"{"level":"impersonation","server_account":"db1","hops":[{"target":"cifs/fs2.contoso.test"}]}"#;
    assert_eq!(
        trust(named),
        (
            "resource_based".into(),
            serde_json::json!(["cifs/fs2.contoso.test"])
        )
    );
    // svcweb's own list decides when hop 1 is not a resource-based target, even if a later
    // hop's account admits it.
    let named = r#"{"level":"impersonation","server_account":"svcweb","hops":[{"target":"http/app1.contoso.test"},{"target":"cifs/fs2.contoso.test"}]}"#;
    assert_eq!(
        trust(named),
        (
            "constrained".into(),
            serde_json::json!(["cifs/fs1.contoso.test"])
        )
    );
    let named = r#"{"level":"impersonation","server_account":"svcweb","hops":[{"target":"cifs/fs2.contoso.test"}]}"#;
    assert_eq!(trust(named).0, "resource_based");
}

#[test]
fn protected_users_is_unknown_without_the_primary_group_or_the_domains_groups() {
    let named = r#"{"level":"impersonation","client_account":"alice"}"#;
    let no_primary = facts_edited(|j| account_mut(j, "alice")["primary_group"] = Json::Null);
    assert!(check_str(&no_primary, named).contains("directory-invalid"));
    let no_groups = facts_edited(|j| j["groups"] = Json::Array(Vec::new()));
    let answer = check_str(&no_groups, named);
    assert!(
        answer.contains("directory-invalid") && answer.contains("Protected Users"),
        "{answer}"
    );
}

#[test]
fn a_read_only_dc_trusted_for_unconstrained_delegation_is_a_finding_a_writable_dc_is_not() {
    let dir = facts_edited(|j| {
        let fs1 = account_mut(j, "fs1$");
        fs1["primary_group"] = "S-1-5-21-2007138262-2688765669-284827659-521".into();
        fs1["trusted_for_delegation"] = true.into();
    });
    let findings = onbehalf_directory::audit::audit(&dir, |_, _| {});
    let unconstrained: Vec<&str> = findings
        .iter()
        .filter(|f| f.code == "unconstrained-delegation")
        .map(|f| f.accounts[0].as_str())
        .collect();
    assert_eq!(
        unconstrained,
        ["CONTOSO.TEST\\fs1$", "CONTOSO.TEST\\svcunc"]
    );
}

#[test]
fn a_resource_based_descriptor_admitting_a_well_known_sid_admits_every_service_it_names() {
    // Authenticated Users, Everyone and This Organization are in every service's token (the
    // KDC's access check sees them); Enterprise Domain Controllers only in a DC's.
    let dir = Directory::load(&fixture()).unwrap();
    let svcweb = dir.account("svcweb").unwrap();
    let dc = dir.account("DC1$").unwrap();
    let mut fs1 = dir.account("fs1$").unwrap().clone();
    assert!(!dir.admits(&fs1, svcweb));
    for (sid, admits_svcweb) in [
        ("CONTOSO.TEST-S-1-5-11", true),
        ("S-1-1-0", true),
        ("CONTOSO.TEST-S-1-5-15", true),
        ("CONTOSO.TEST-S-1-5-9", false),
        ("CONTOSO.TEST-S-1-5-32-544", false),
    ] {
        fs1.allowed_to_act = vec![sid.to_owned()];
        assert_eq!(dir.admits(&fs1, svcweb), admits_svcweb, "{sid}");
    }
    fs1.allowed_to_act = vec!["CONTOSO.TEST-S-1-5-9".to_owned()];
    assert!(
        dir.admits(&fs1, dc),
        "a DC is in Enterprise Domain Controllers"
    );
}
