//! The shared BloodHound CE collection of `CONTOSO.TEST` (BloodHound.py CE 1.9.1 against a
//! Samba AD DC): named requests answer what `decide` answers for the request filled by hand
//! from the lab's table (`../shared/directory/README.md`), from the collection, from its zip
//! and from its facts file alike.
#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]
#![allow(clippy::indexing_slicing)] // test cases index their own JSON

mod common;

use std::path::Path;

use common::{answers_like_decide, fixture, scratch, write_zip};
use onbehalf_core::json::Value;
use onbehalf_directory::check::{check_str, FACTS_KEY};
use onbehalf_directory::{facts, Directory};

fn contoso() -> Directory {
    Directory::load(&fixture()).unwrap()
}

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contoso_cases.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Checks every case against `dir`; returns the answers (for comparing sources).
fn check_all(dir: &Directory) -> Vec<String> {
    let mut answers = Vec::new();
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        let named = case["named"].to_string();
        let answer = check_str(dir, &named);
        let got = Value::parse(&answer).unwrap();
        if let Some(code) = case["error"].as_str() {
            let found = got.get("error").and_then(|e| e.get("code"));
            assert_eq!(found, Some(&Value::String(code.into())), "{id}: {answer}");
        } else {
            // The decision is decide's, the filled request the hand-filled one, canonical.
            let by_hand = case["by_hand"].to_string();
            let got = answers_like_decide(&answer, &by_hand, id);
            // Each fact names its file, object and property.
            let Some(Value::Array(used)) = got.get(FACTS_KEY) else {
                panic!("{id}: no facts")
            };
            assert!(!used.is_empty(), "{id}");
            for f in used {
                let source = f.get("source").unwrap();
                for key in ["file", "object", "property"] {
                    assert!(
                        matches!(source.get(key), Some(Value::String(s)) if !s.is_empty()),
                        "{id}: {f}"
                    );
                }
            }
        }
        answers.push(answer);
    }
    answers
}

#[test]
fn named_requests_answer_what_decide_answers_for_the_request_filled_by_hand() {
    let answers = check_all(&contoso());
    assert!(answers.len() >= 25);
}

#[test]
fn the_lab_table_reads_as_the_lab_set_it() {
    let dir = contoso();
    let acct = |n: &str| dir.account(n).unwrap();
    assert!(acct("svcunc").trusted_for_delegation);
    assert_eq!(
        acct("svcweb").allowed_to_delegate_to,
        ["cifs/fs1.contoso.test"]
    );
    assert!(!acct("svcweb").trusted_to_auth_for_delegation);
    assert!(acct("svcpt").trusted_to_auth_for_delegation);
    assert_eq!(acct("fs2$").allowed_to_act, [acct("app1").sid.clone()]);
    assert_eq!(acct("bob").not_delegated, Some(true));
    assert!(dir.is_protected_user(acct("carol")));
    assert!(!dir.is_protected_user(acct("alice")));
    // Administrators through Domain Admins: nesting resolved.
    assert_eq!(
        dir.privileged_groups(acct("dave")),
        ["ADMINISTRATORS@CONTOSO.TEST", "DOMAIN ADMINS@CONTOSO.TEST"]
    );
    assert!(dir.is_dc(acct("DC1")));
    assert!(!dir.is_dc(acct("fs1")));
    // The DC is known by its primary group alone: the collector writes no isdc.
    assert_eq!(acct("DC1").is_dc, None);
    assert_eq!(
        acct("DC1")
            .primary_group
            .as_deref()
            .map(|g| g.ends_with("-516")),
        Some(true)
    );
}

#[test]
fn the_facts_file_round_trips_byte_for_byte_and_answers_alike() {
    let dir = contoso();
    let exported = facts::export(&dir);
    let folder = scratch("facts-round-trip");
    let path = folder.join("contoso.json");
    std::fs::write(&path, &exported).unwrap();
    let again = Directory::load(&path).unwrap();
    assert_eq!(again.format, onbehalf_directory::facts::Format::Facts);
    assert_eq!(facts::export(&again), exported);
    // Same answers; provenance and messages name the source, so those are left aside.
    let strip = |answers: Vec<String>| -> Vec<String> {
        answers
            .iter()
            .map(|a| match Value::parse(a).unwrap() {
                Value::Object(f) if f.iter().any(|(k, _)| k == "error") => {
                    a.split(r#","message""#).next().unwrap().to_owned()
                }
                Value::Object(f) => {
                    Value::Object(f.into_iter().filter(|(k, _)| k != FACTS_KEY).collect()).to_json()
                }
                other => other.to_json(),
            })
            .collect()
    };
    for (i, (a, b)) in strip(check_all(&again))
        .iter()
        .zip(strip(check_all(&dir)))
        .enumerate()
    {
        assert_eq!(*a, b, "case {i}");
    }
}

#[test]
fn a_zip_of_the_collection_reads_like_the_folder() {
    let folder = scratch("zip");
    let path = folder.join("20261204_bloodhound.zip");
    // SharpHound's names: a timestamp before each file's type.
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture())
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap().path();
            let name = entry.file_name().unwrap().to_str().unwrap().to_owned();
            (
                format!("20261204150000_{name}"),
                std::fs::read(&entry).unwrap(),
            )
        })
        .collect();
    write_zip(&path, &files);
    let from_zip = Directory::load(&path).unwrap();
    assert_eq!(facts::export(&from_zip), facts::export(&contoso()));
    // The same bytes from memory (the web page's file picker), and a facts file's.
    let bytes = std::fs::read(&path).unwrap();
    let in_memory = Directory::from_bytes(&bytes, "picked.zip").unwrap();
    assert_eq!(facts::export(&in_memory), facts::export(&contoso()));
    let exported = facts::export(&contoso());
    let from_facts = Directory::from_bytes(exported.as_bytes(), "picked.json").unwrap();
    assert_eq!(facts::export(&from_facts), exported);
    let e = Directory::from_bytes(b"\xff\xfe", "garbage.bin").unwrap_err();
    assert!(e.message.contains("garbage.bin"), "{e}");
    // A truncated zip is an error naming the file, never an empty directory.
    let bytes = std::fs::read(&path).unwrap();
    let cut = folder.join("truncated.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = Directory::load(&cut).unwrap_err();
    assert_eq!(e.code.name(), "directory-invalid");
    assert!(e.message.contains("truncated.zip"), "{e}");
}

#[test]
fn the_audit_finds_each_risk_the_lab_set_and_each_demonstration_replays_through_check() {
    let dir = contoso();
    let findings = onbehalf_directory::audit::audit(&dir, |_, _| {});
    let mut found: Vec<(&str, Vec<String>)> = findings
        .iter()
        .map(|f| (f.code, f.accounts.clone()))
        .collect();
    found.sort();
    let names = |list: &[&str]| {
        list.iter()
            .map(|n| format!("CONTOSO.TEST\\{n}"))
            .collect::<Vec<_>>()
    };
    let mut want = vec![
        ("constrained-delegation", names(&["svcweb"])),
        ("constrained-protocol-transition", names(&["svcpt"])),
        ("privileged-account-delegable", names(&["Administrator"])),
        ("privileged-account-delegable", names(&["dave"])),
        ("resource-based-delegation", names(&["app1$", "fs2$"])),
        ("unconstrained-delegation", names(&["svcunc"])),
    ];
    want.sort();
    // The DC's own unconstrained delegation is by design: not a finding.
    assert_eq!(found, want);
    for f in &findings {
        let (request, answer) = f
            .demonstration
            .as_ref()
            .expect("every lab finding is demonstrated");
        assert_eq!(
            check_str(&dir, &request.to_json()),
            answer.to_json(),
            "{}",
            f.code
        );
        assert_eq!(
            answer.get("reach"),
            Some(&Value::String("multi-hop".into())),
            "{}",
            f.code
        );
    }
    // Findings arrive most severe first.
    assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity));
    let graph = onbehalf_directory::report::opengraph(&findings);
    let graph = Value::parse(&graph).unwrap();
    let Some(Value::Array(edges)) = graph.get("graph").and_then(|g| g.get("edges")) else {
        panic!()
    };
    assert_eq!(edges.len(), findings.len());
}

#[test]
fn fixes_name_the_real_accounts_and_refuse_targets_no_account_registers() {
    let dir = contoso();
    // DB1 has no delegation: the fixes name DB1's and FS2's accounts, not placeholders.
    let answer = onbehalf_directory::fix::fix_str(
        &dir,
        r#"{"level":"impersonation","auth":"kerberos","client_account":"alice","server_account":"db1","hops":[{"target":"cifs/fs2.contoso.test"}]}"#,
    );
    assert!(
        answer.contains("samba-tool delegation add-service db1$ cifs/fs2.contoso.test"),
        "{answer}"
    );
    assert!(
        answer.contains("samba-tool delegation add-principal fs2$ db1$"),
        "{answer}"
    );
    assert!(
        !answer.contains("<server account>") && !answer.contains("<account of"),
        "{answer}"
    );
    // Without a server named, a fix may add a target no account registers: refused, said why.
    let answer = onbehalf_directory::fix::fix_str(
        &dir,
        r#"{"level":"impersonation","auth":"kerberos","client_account":"alice","hops":[{"target":"cifs/nowhere.contoso.test"}]}"#,
    );
    let value = Value::parse(&answer).unwrap();
    let Some(Value::Array(refused)) = value.get("refused") else {
        panic!("{answer}")
    };
    assert!(!refused.is_empty(), "{answer}");
    assert!(
        refused[0].to_json().contains("registers the SPN"),
        "{answer}"
    );
    let Some(Value::Array(kept)) = value.get("fixes") else {
        panic!("{answer}")
    };
    assert!(
        kept.iter()
            .all(|f| !f.to_json().contains(r#""added_targets":["cifs/nowhere"#)),
        "{answer}"
    );
}
