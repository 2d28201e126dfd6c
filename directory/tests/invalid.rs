//! Bad sources and names: each a clear error naming the file and JSON path (or the name),
//! never a permissive reading. Each case edits a copy of the shared collection.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::indexing_slicing)] // edits index the fixture JSON

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, scratch};

use onbehalf_directory::check::check_str;
use onbehalf_directory::model::{Direction, TrustKind};
use onbehalf_directory::{facts, Directory, ErrorCode};
use serde_json::Value as Json;

/// A copy of the collection in a fresh folder, `edit` applied to the named file's JSON
/// (`None` removes the file).
fn edited(case: &str, file: &str, edit: impl FnOnce(&mut Json) -> Option<()>) -> PathBuf {
    let dir = scratch(&format!("invalid-{case}"));
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap().path();
        std::fs::copy(&entry, dir.join(entry.file_name().unwrap())).unwrap();
    }
    let path = dir.join(file);
    let mut json: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    match edit(&mut json) {
        Some(()) => std::fs::write(&path, json.to_string()).unwrap(),
        None => std::fs::remove_file(&path).unwrap(),
    }
    dir
}

/// The object of `data` whose samaccountname is `sam`.
fn object<'j>(json: &'j mut Json, sam: &str) -> &'j mut Json {
    json["data"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["Properties"]["samaccountname"] == sam)
        .unwrap()
}

fn refused(path: &Path, code: ErrorCode, words: &[&str]) {
    let e = Directory::load(path).expect_err("must not load");
    assert_eq!(e.code, code, "{e}");
    for w in words {
        assert!(e.message.contains(w), "{w:?} not in: {e}");
    }
}

#[test]
fn a_file_that_is_not_json_is_named() {
    let dir = edited("not-json", "users.json", |_| Some(()));
    std::fs::write(dir.join("users.json"), "{\"data\": [").unwrap();
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["users.json", "not valid JSON"],
    );
}

#[test]
fn a_format_version_onbehalf_does_not_read_is_refused() {
    let dir = edited("version", "computers.json", |j| {
        j["meta"]["version"] = 4.into();
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["computers.json", "meta.version", "found 4"],
    );
}

#[test]
fn a_missing_delegation_property_is_never_read_as_false() {
    let dir = edited("missing", "users.json", |j| {
        object(j, "bob")["Properties"]
            .as_object_mut()?
            .remove("sensitive");
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["users.json", ".Properties.sensitive", "missing"],
    );
    let dir = edited("mistyped", "users.json", |j| {
        object(j, "svcunc")["Properties"]["unconstraineddelegation"] = "yes".into();
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &[
            "Properties.unconstraineddelegation",
            "expected true, false",
            "found \"yes\"",
        ],
    );
    // Edges of constrained delegation without the SPNs they stand for.
    let dir = edited("edges-only", "users.json", |j| {
        object(j, "svcweb")["Properties"]
            .as_object_mut()?
            .remove("allowedtodelegate");
        Some(())
    });
    refused(&dir, ErrorCode::DirectoryInvalid, &["allowedtodelegate"]);
    // A computer without its resource-based list.
    let dir = edited("no-allowedtoact", "computers.json", |j| {
        object(j, "fs2$").as_object_mut()?.remove("AllowedToAct");
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["computers.json", "AllowedToAct"],
    );
}

#[test]
fn a_truncated_data_array_and_a_missing_file_are_refused() {
    let dir = edited("count", "groups.json", |j| {
        j["data"].as_array_mut()?.pop();
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["groups.json", "meta.count is 42 but data holds 41"],
    );
    let dir = edited("no-groups", "groups.json", |_| None);
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["no file with meta.type \"groups\""],
    );
}

#[test]
fn duplicate_sids_are_refused() {
    let dir = edited("duplicate-sid", "users.json", |j| {
        let copy = object(j, "alice").clone();
        j["data"].as_array_mut()?.push(copy);
        j["meta"]["count"] = 12.into();
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["appears twice", "-1103"],
    );
}

#[test]
fn an_spn_on_two_accounts_is_ambiguous_where_it_is_used_and_an_audit_finding() {
    let dir = edited("duplicate-spn", "users.json", |j| {
        object(j, "svcpt")["Properties"]["serviceprincipalnames"]
            .as_array_mut()?
            .push("cifs/fs1.contoso.test".into());
        Some(())
    });
    let dir = Directory::load(&dir).unwrap();
    let answer = check_str(
        &dir,
        r#"{"level":"impersonation","server_account":"svcweb","hops":[{"target":"cifs/fs1.contoso.test"}]}"#,
    );
    assert!(answer.contains(r#""code":"account-ambiguous""#), "{answer}");
    assert!(answer.contains("KDC cannot choose"), "{answer}");
    let findings = onbehalf_directory::audit::audit(&dir, |_, _| {});
    assert!(findings
        .iter()
        .any(|f| f.code == "duplicate-spn" && f.accounts.len() == 2));
}

#[test]
fn a_name_two_accounts_answer_to_is_ambiguous() {
    // A user called "fs1" beside the computer FS1$.
    let dir = edited("ambiguous", "users.json", |j| {
        let mut copy = object(j, "alice").clone();
        copy["ObjectIdentifier"] = "S-1-5-21-2007138262-2688765669-284827659-1199".into();
        copy["Properties"]["samaccountname"] = "fs1".into();
        j["data"].as_array_mut()?.push(copy);
        j["meta"]["count"] = 12.into();
        Some(())
    });
    let dir = Directory::load(&dir).unwrap();
    let answer = check_str(&dir, r#"{"level":"impersonation","client_account":"fs1"}"#);
    assert!(answer.contains(r#""code":"account-ambiguous""#), "{answer}");
    assert!(
        answer.contains("fs1$") && answer.contains("-1199"),
        "{answer}"
    );
    // The SID names one.
    let answer = check_str(
        &dir,
        r#"{"level":"impersonation","client_account":"S-1-5-21-2007138262-2688765669-284827659-1199"}"#,
    );
    assert!(
        answer.contains(r#""effective":"impersonation""#),
        "{answer}"
    );
}

#[test]
fn a_facts_file_is_strict_too() {
    let dir = Directory::load(&fixture()).unwrap();
    let text = facts::export(&dir);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let cases = [
        (
            text.replacen("\"version\": 1", "\"version\": 2", 1),
            "version",
        ),
        (
            text.replacen("\"enabled\": true", "\"enabled\": true, \"colour\": 1", 1),
            "unknown field `colour`",
        ),
        (
            text.replacen("\"trusted_for_delegation\": false,", "", 1),
            "accounts[0]",
        ),
        (
            text.replacen(
                "\"format\": \"onbehalf-directory-facts\"",
                "\"format\": \"other\"",
                1,
            ),
            "format",
        ),
    ];
    for (i, (bad, words)) in cases.iter().enumerate() {
        assert_ne!(bad, &text, "case {i} edits nothing");
        let path = scratch.join(format!("bad-facts-{i}.json"));
        std::fs::write(&path, bad).unwrap();
        let e = Directory::load(&path).expect_err("must not load");
        assert_eq!(e.code, ErrorCode::DirectoryInvalid);
        assert!(e.message.contains(words), "{words:?} not in {e}");
    }
}

#[test]
fn format_5_numeric_trust_enums_and_sharphound_flags_are_read() {
    let dir = edited("v5", "domains.json", |j| {
        j["meta"]["version"] = 5.into();
        j["data"][0]["Trusts"] = serde_json::json!([{"TargetDomainSid": "S-1-5-21-9-9-9",
            "TargetDomainName": "FABRIKAM.TEST", "IsTransitive": true, "SidFilteringEnabled": true,
            "TrustDirection": 1, "TrustType": 2}]);
        Some(())
    });
    let dir = Directory::load(&dir).unwrap();
    let t = &dir.domains[0].trusts[0];
    assert_eq!(
        (t.direction, t.kind),
        (Direction::Inbound, TrustKind::Forest)
    );
    let dir = edited("bad-trust", "domains.json", |j| {
        j["data"][0]["Trusts"] = serde_json::json!([{"TargetDomainSid": "S-1-5-21-9-9-9",
            "TargetDomainName": "X", "IsTransitive": true, "SidFilteringEnabled": true,
            "TrustDirection": "Sideways", "TrustType": "Forest"}]);
        Some(())
    });
    refused(
        &dir,
        ErrorCode::DirectoryInvalid,
        &["Trusts[0].TrustDirection", "Bidirectional"],
    );
}
