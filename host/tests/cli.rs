//! The `onbehalf` binary as a user runs it: JSON Lines in, one JSON line out per input line.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::io::Write;
use std::process::{Command, Stdio};

use onbehalf_testkit::process::{json_lines, run};
use serde_json::Value;

fn onbehalf(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    run(
        Command::new(env!("CARGO_BIN_EXE_onbehalf")).args(args),
        stdin,
    )
}

/// The stdout of `onbehalf ARGS`, which must exit 0.
fn succeeds(args: &[&str], stdin: &[u8]) -> String {
    let (code, stdout, stderr) = onbehalf(args, stdin);
    assert_eq!(code, 0, "onbehalf {args:?}: {stderr}");
    stdout
}

/// The stderr of `onbehalf ARGS`, which must exit 2 (refused input).
fn fails(args: &[&str], stdin: &[u8]) -> String {
    let (code, stdout, stderr) = onbehalf(args, stdin);
    assert_eq!(code, 2, "onbehalf {args:?}: {stdout}");
    stderr
}

#[test]
fn every_worked_example_passes_through_the_cli() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("../../core/tests/worked_examples.json")).unwrap();
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", c["request"]))
        .collect();
    let stdout = succeeds(&["decide"], input.as_bytes());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), cases.len());
    for (case, line) in cases.iter().zip(lines) {
        let got: Value = serde_json::from_str(line).unwrap();
        match case["expect"].get("error") {
            Some(e) => assert_eq!(got["error"]["code"], e["code"], "{}", case["id"]),
            None => assert_eq!(got, case["expect"], "{}", case["id"]),
        }
    }
}

#[test]
fn garbage_yields_one_error_line_each_and_the_stream_goes_on() {
    let mut input: Vec<u8> = b"{\n[]\n{\"level\":7}\n".to_vec();
    input.extend(std::iter::repeat_n(b'a', 1 << 20));
    input.extend(b"\n\xc3\x28\n\n");
    input.extend(std::iter::repeat_n(b' ', 5 << 20)); // over the line limit
    input.extend(b"\n{\"level\":\"impersonation\",\"transport\":\"ncalrpc\"}\n");
    let stdout = succeeds(&["decide"], &input);
    let got: Vec<Value> = json_lines(&stdout);
    let codes: Vec<&str> = got[..6]
        .iter()
        .map(|v| v["error"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "invalid-json",
            "invalid-request",
            "invalid-type",
            "invalid-json",
            "invalid-json",
            "invalid-json"
        ]
    );
    assert_eq!(got[6]["reach"], "network");
    assert_eq!(got.len(), 7);
}

#[test]
fn decide_takes_one_request_as_an_argument() {
    let stdout = succeeds(&["decide", r#"{"level":"default"}"#], b"");
    assert_eq!(
        stdout.trim(),
        r#"{"effective":"identification","reach":"none","reasons":["default-resolved-to-identification"],"hops":[]}"#
    );
}

#[test]
fn explain_shows_steps_rules_and_sources() {
    let stdout = succeeds(
        &[
            "explain",
            r#"{"level":"delegation","kerberos_available":false,"delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/fs1"}]}"#,
        ],
        b"",
    );
    assert!(
        stdout.contains("Effective level: impersonation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("step 3     negotiate-fell-back-to-ntlm (info)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("step 8/D1  ntlm-cannot-delegate-remotely (downgrade)"),
        "{stdout}"
    );
    assert!(stdout.contains("source: S1, S5, S8, S20"), "{stdout}");
    assert!(stdout.contains("1. cifs/fs1 (auth kerberos, ncacn_ip_tcp): denied, arrives as NT AUTHORITY\\ANONYMOUS LOGON"), "{stdout}");

    let stdout = succeeds(
        &["explain", "--json"],
        b"{\"level\":\"impersonation\",\"transport\":\"ncalrpc\"}\n",
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["steps"][0]["code"], "local-server-one-network-hop");
    assert_eq!(v["resolved_auth"], "kerberos");
}

#[test]
fn explain_reports_bad_input_on_stderr_with_exit_2() {
    let (code, stdout, stderr) = onbehalf(&["explain", r#"{"level":"superuser"}"#], b"");
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown-level") && stderr.contains("anonymous, identification"),
        "{stderr}"
    );
}

#[test]
fn table_covers_the_one_domain_requests() {
    let stdout = succeeds(&["table"], b"");
    let one_domain = onbehalf_core::PackedRequest::one_domain().count();
    assert_eq!(stdout.lines().count(), 1 + one_domain);
    assert!(stdout
        .lines()
        .any(|l| l.ends_with(",delegation,multi-hop,protocol-transition-used")));
}

#[test]
fn decide_through_a_policy_module() {
    let strict = env!("ONBEHALF_STRICT_MODULE");
    let input = "{\"level\":\"delegation\",\"delegation\":{\"server_trust\":\"unconstrained\"}}\n{\"level\":7}\n";
    let stdout = succeeds(&["decide", "--module", strict], input.as_bytes());
    let lines: Vec<Value> = json_lines(&stdout);
    assert_eq!(lines[0]["reasons"][0], "server-not-trusted-for-delegation");
    assert_eq!(lines[1]["error"]["code"], "invalid-type");
    let stderr = fails(&["decide", "--module", "/nonexistent.wasm"], b"");
    assert!(
        stderr.contains("cannot read policy module /nonexistent.wasm"),
        "{stderr}"
    );
}

#[test]
fn serve_with_no_arguments_listens_on_loopback_and_answers() {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_onbehalf"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("policy: embedded default"), "{first}");
    let addr = first
        .split("http://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let body = r#"{"level":"impersonation","transport":"ncalrpc","hops":[{"target":"cifs/fs1"},{"target":"mssql/db1"}]}"#;
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /v1/decide HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply.ends_with(r#""reason":"hop-no-credentials"}]}"#),
        "{reply}"
    );
}

/// `onbehalf bench` as a policy author runs it: a module of their own (the lockdown fixture,
/// written from docs/policy-abi.md) beside the default module and the native core.
#[test]
fn bench_reports_every_path_for_the_module_the_default_and_native_with_fuel() {
    let dir = std::env::temp_dir().join(format!("onbehalf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("lockdown.wasm");
    let wasm = wat::parse_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/lockdown.wat"
    ))
    .unwrap();
    std::fs::write(&module, wasm).unwrap();
    let module = module.to_str().unwrap();
    let args = [
        "bench",
        "--module",
        module,
        "--seconds",
        "0.4",
        "--format",
        "json",
    ];
    let (code, stdout, stderr) = onbehalf(&args, b"");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("bench [1/12]"), "a progress line: {stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["module"], module);
    assert_eq!(report["faults"], 0);
    let paths = report["paths"].as_array().unwrap();
    let names: Vec<&str> = paths.iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert_eq!(names, ["single", "batch", "hops", "mix"]);
    for p in paths {
        for engine in ["module", "default_module", "native"] {
            let ns = p[engine]["ns_per_decision"].as_f64().unwrap();
            assert!(ns > 0.0, "{engine} {p}");
        }
        for engine in ["module", "default_module"] {
            let fuel = p[engine]["fuel_per_decision"].as_f64().unwrap();
            assert!(fuel > 0.0, "a module burns fuel: {engine} {p}");
        }
        assert!(p["native"]["fuel_per_decision"].is_null());
    }
    // The table names the same paths; a module that does not load is refused by name.
    let stdout = succeeds(&["bench", "--seconds", "0.1"], b"");
    assert!(stdout.lines().any(|l| l.starts_with("mix ")), "{stdout}");
    std::fs::write(dir.join("garbage.wasm"), b"not wasm").unwrap();
    let garbage = dir.join("garbage.wasm");
    let stderr = fails(&["bench", "--module", garbage.to_str().unwrap()], b"");
    assert!(stderr.contains("policy-rejected (invalid)"), "{stderr}");
    let stderr = fails(&["bench", "--seconds", "0"], b"");
    assert!(stderr.contains("from 0.01 to 3600"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `onbehalf fix` on the classic double hop: the core's answer byte for byte, the first fix
/// the least-privilege one, and deciding its `request` lets the hop through.
#[test]
fn fix_answers_the_double_hop_with_kcd_first_and_the_fixed_request_works() {
    let request = r#"{"level":"impersonation","auth":"kerberos","hops":[{"target":"MSSQLSvc/db1.contoso.com:1433"}]}"#;
    let stdout = succeeds(&["fix"], format!("{request}\n\n{{\n").as_bytes());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one line per non-blank input line: {stdout}"
    );
    assert_eq!(lines[0], onbehalf_core::json::fix_str(request));
    assert!(lines[1].starts_with(r#"{"error":{"code":"invalid-json""#));
    let answer: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(answer["decision"]["hops"][0]["allowed"], false);
    let first = &answer["fixes"][0];
    assert!(
        first["summary"]
            .as_str()
            .unwrap()
            .starts_with("Kerberos-only constrained delegation"),
        "{first}"
    );
    let fixed = first["request"].to_string();
    let (_, decided, _) = onbehalf(&["decide", &fixed], b"");
    let decided: Value = serde_json::from_str(decided.trim()).unwrap();
    assert_eq!(decided["hops"][0]["allowed"], true, "{decided}");
    assert_eq!(decided, first["decision"]);
    // The text explanation ends with the same fixes, the first recommended.
    let text = succeeds(&["explain", request], b"");
    let summary = first["summary"].as_str().unwrap();
    assert!(
        text.contains(&format!("1. {summary} [recommended]")),
        "{text}"
    );
}

fn contoso() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../directory/tests/fixtures/bloodhound-contoso"
    )
    .to_owned()
}

#[test]
fn check_answers_named_requests_line_by_line_from_a_collection_or_its_facts_file() {
    let collection = contoso();
    let input = concat!(
        r#"{"level":"impersonation","auth":"ntlm","client_account":"alice","server_account":"svcpt","hops":[{"target":"MSSQLSvc/db1.contoso.test:1433"}]}"#,
        "\n\n",
        r#"{"level":"delegation","client_account":"nobody"}"#,
        "\n{\n"
    );
    let stdout = succeeds(&["check", "--bloodhound", &collection], input.as_bytes());
    let lines: Vec<Value> = json_lines(&stdout);
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0]["reach"], "multi-hop");
    assert_eq!(
        lines[0]["request"]["delegation"]["protocol_transition"],
        true
    );
    assert_eq!(lines[1]["error"]["code"], "account-not-found");
    assert_eq!(lines[2]["error"]["code"], "invalid-json");
    // The same domain as a facts file answers alike (its facts name the facts file).
    let facts = succeeds(&["directory", "export", &collection], b"");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("contoso-facts.json");
    std::fs::write(&path, &facts).unwrap();
    let again = succeeds(
        &["check", "--facts", path.to_str().unwrap()],
        input.as_bytes(),
    );
    let again: Vec<Value> = json_lines(&again);
    assert_eq!(again[0]["request"], lines[0]["request"]);
    assert_eq!(
        again[0]["facts"][0]["source"]["file"],
        path.to_str().unwrap()
    );
    // Fixes name the real accounts.
    let named = r#"{"level":"impersonation","auth":"kerberos","server_account":"db1","hops":[{"target":"cifs/fs2.contoso.test"}]}"#;
    let fix = succeeds(&["fix", "--facts", path.to_str().unwrap(), named], b"");
    assert!(
        fix.contains("samba-tool delegation add-principal fs2$ db1$"),
        "{fix}"
    );
}

#[test]
fn directory_commands_refuse_a_missing_or_broken_source_with_status_2() {
    let (code, stdout, stderr) = onbehalf(&["check", r#"{"level":"delegation"}"#], b"");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("--bloodhound PATH or --facts FILE"),
        "{stderr}"
    );
    let stderr = fails(&["check", "--bloodhound", "/nonexistent", "{}"], b"");
    assert!(
        stderr.contains("directory-invalid") && stderr.contains("/nonexistent"),
        "{stderr}"
    );
    let stderr = fails(&["audit", "Cargo.toml"], b"");
    assert!(stderr.contains("directory-invalid"), "{stderr}");
    let stderr = fails(&["check", "--bloodhound", "a", "--facts", "b", "{}"], b"");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn audit_writes_json_lines_markdown_and_opengraph() {
    let collection = contoso();
    let jsonl = succeeds(&["audit", &collection], b"");
    let findings: Vec<Value> = json_lines(&jsonl);
    assert_eq!(findings.len(), 6);
    assert!(findings.iter().all(|f| f["answer"]["reach"] == "multi-hop"));
    let markdown = succeeds(&["audit", &collection, "--format", "markdown"], b"");
    assert!(markdown.starts_with("# Delegation audit of"));
    assert_eq!(markdown.matches("\n## ").count(), 6);
    let graph = succeeds(&["audit", &collection, "--format", "opengraph"], b"");
    let graph: Value = serde_json::from_str(&graph).unwrap();
    assert_eq!(graph["metadata"]["source_kind"], "onbehalf");
    let edges = graph["graph"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 6);
    assert!(edges
        .iter()
        .all(|e| e["start"]["match_by"] == "id"
            && e["kind"].as_str().unwrap().starts_with("onbehalf_")));
}
