//! Every worked example of the spec (§10) and the §4 validation-order cases, data-driven.
#![allow(missing_docs)]

use onbehalf_core::json::decide_str;
use serde_json::Value;

#[allow(clippy::expect_used)] // a test helper: failing is its job
fn run(request_text: &str) -> Value {
    serde_json::from_str(&decide_str(request_text)).expect("decide_str always prints JSON")
}

#[test]
fn worked_examples_match_the_spec() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("worked_examples.json")).unwrap();
    assert_eq!(cases.len(), 71, "the spec has W1..W71 (revision 3)");
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let got = run(&case["request"].to_string());
        let expect = &case["expect"];
        if let Some(code) = expect.get("error") {
            assert_eq!(got["error"]["code"], code["code"], "{id}: {got}");
            assert!(
                got["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{id}"
            );
        } else {
            assert_eq!(&got, expect, "{id}");
        }
    }
}

#[test]
fn validation_checks_run_in_spec_order() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("validation_cases.json")).unwrap();
    for case in &cases {
        let input = case["input"].as_str().unwrap();
        let got = run(input);
        match (case.get("code"), case.get("ok")) {
            (Some(code), _) => assert_eq!(&got["error"]["code"], code, "input {input}: {got}"),
            (_, Some(level)) => assert_eq!(&got["effective"], level, "input {input}: {got}"),
            _ => panic!("case without expectation: {case}"),
        }
    }
}

#[test]
fn error_messages_name_the_field_and_the_accepted_values() {
    let got = run(r#"{"level":"impersonation","hops":[{"target":"a","auth":"kerb"}]}"#);
    let message = got["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("hops[0].auth: unknown authentication service"),
        "{message}"
    );
    assert!(message.contains(r#"found "kerb""#), "{message}");
    assert!(
        message.contains("none, ntlm, kerberos, negotiate, schannel"),
        "{message}"
    );

    let got = run(r#"{"level":"impersonation","delegation":{"allowed_targets":["a",""]}}"#);
    let message = got["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("delegation.allowed_targets[1]:"),
        "{message}"
    );

    let got = run(
        r#"{"level":"impersonation","hops":[{"target":"a","forest_trust":{"selective_auth":1}}]}"#,
    );
    let message = got["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("hops[0].forest_trust.selective_auth: wrong JSON type"),
        "{message}"
    );
    let got = run(r#"{"level":"impersonation","server_realm":"child"}"#);
    let message = got["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("same-domain, same-forest, other-forest"),
        "{message}"
    );

    let got = run(r#"{"level":"impersonation","Level":1}"#);
    let message = got["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(r#"found "Level""#) && message.contains("kerberos_available"),
        "{message}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(run(&deep)["error"]["code"], "invalid-json");
    let ok_depth = format!(
        r#"{{"level":"impersonation","x":{}1{}}}"#,
        "[".repeat(60),
        "]".repeat(60)
    );
    assert_eq!(run(&ok_depth)["error"]["code"], "unknown-field");
}

#[test]
fn hop_targets_are_echoed_verbatim() {
    let got = run(
        r#"{"level":"delegation","delegation":{"server_trust":"constrained","allowed_targets":["CIFS/FS1"]},"hops":[{"target":"cifs/Fs1"}]}"#,
    );
    assert_eq!(got["hops"][0]["target"], "cifs/Fs1");
    assert_eq!(got["hops"][0]["reason"], "hop-constrained-target-allowed");
}

#[test]
fn strings_with_escapes_round_trip() {
    let got = run(
        r#"{"level":"impersonation","transport":"ncalrpc","hops":[{"target":"http/\u00e9\"x\\\n"}]}"#,
    );
    assert_eq!(got["hops"][0]["target"], "http/é\"x\\\n");
}
