//! `onbehalf serve` over real loopback HTTP: routes, status codes, error bodies, reload.
#![allow(missing_docs)]

use onbehalf_host::server::ServerConfig;
use onbehalf_testkit::http::{post_json, request, upload_policy};
use onbehalf_testkit::server::start_default;

const TOKEN: &str = "0123456789abcdef-test-token";
use onbehalf_host::policy::STRICT_EXAMPLE_MODULE as STRICT_MODULE;

#[test]
fn decide_answers_the_spec_json_for_one_request_and_for_arrays() {
    let (addr, _) = start_default(ServerConfig::default());
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../core/tests/worked_examples.json")).unwrap();
    for case in &cases {
        let reply = post_json(addr, "/v1/decide", &case["request"].to_string());
        match case["expect"].get("error") {
            Some(e) => {
                assert_eq!(reply.status, 400, "{}", case["id"]);
                assert_eq!(reply.json()["error"]["code"], e["code"], "{}", case["id"]);
            }
            None => {
                assert_eq!(reply.status, 200, "{}", case["id"]);
                assert_eq!(reply.json(), case["expect"], "{}", case["id"]);
            }
        }
    }
    // The whole list as one array: one answer per element, errors in place.
    let all: Vec<serde_json::Value> = cases.iter().map(|c| c["request"].clone()).collect();
    let reply = post_json(addr, "/v1/decide", &serde_json::to_string(&all).unwrap());
    assert_eq!(reply.status, 200);
    let answers = reply.json();
    for (case, answer) in cases.iter().zip(answers.as_array().unwrap()) {
        match case["expect"].get("error") {
            Some(e) => assert_eq!(answer["error"]["code"], e["code"]),
            None => assert_eq!(*answer, case["expect"], "{}", case["id"]),
        }
    }
}

/// A request's headers.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[test]
fn bad_input_gets_4xx_with_an_error_body_never_5xx() {
    let (addr, _) = start_default(ServerConfig {
        body_limit: 4096,
        ..ServerConfig::default()
    });
    let code_of = |r: &onbehalf_testkit::http::Response| {
        r.json()["error"]["code"].as_str().unwrap().to_owned()
    };
    let big = format!(
        r#"{{"level":"delegation","hops":[{{"target":"{}"}}]}}"#,
        "a".repeat(5000)
    );
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let json: Headers = &[("Content-Type", "application/json")];
    let text: Headers = &[("Content-Type", "text/plain")];
    // `POST /v1/decide` with these headers and body: the status and error code.
    let refused: [(Headers, &[u8], u16, &str); 6] = [
        (json, b"{", 400, "invalid-json"),
        (json, b"42", 400, "invalid-request"),
        (text, b"{}", 415, "unsupported-media-type"),
        (json, b"\xff\xfe", 400, "invalid-json"),
        (json, big.as_bytes(), 413, "payload-too-large"),
        (json, deep.as_bytes(), 400, "invalid-json"),
    ];
    for (headers, body, status, code) in refused {
        let r = request(addr, "POST", "/v1/decide", headers, body);
        assert_eq!(
            (r.status, code_of(&r)),
            (status, code.into()),
            "{}",
            r.text()
        );
    }
    let r = request(addr, "POST", "/v1/decide", &[], br#"{"level":"delegate"}"#); // no content type: accepted
    assert_eq!(r.status, 200);
    let r = request(addr, "GET", "/nope", &[], b"");
    assert_eq!((r.status, code_of(&r)), (404, "not-found".into()));
    let r = request(addr, "GET", "/v1/decide", &[], b"");
    assert_eq!(r.status, 405);
    // The server still answers after all that.
    assert_eq!(
        request(addr, "GET", "/healthz", &[], b"").json()["status"],
        "ok"
    );
}

#[test]
fn batches_over_the_limit_are_refused() {
    let (addr, _) = start_default(ServerConfig {
        max_batch: 3,
        ..ServerConfig::default()
    });
    let r = post_json(
        addr,
        "/v1/decide",
        r#"[{"level":"default"},{"level":"default"},{"level":"default"},{"level":"default"}]"#,
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("4 requests"));
}

#[test]
fn explain_gives_the_policy_decision_and_the_reference_trace() {
    let (addr, _) = start_default(ServerConfig::default());
    let r = post_json(
        addr,
        "/v1/explain",
        r#"{"level":"delegation","kerberos_available":false,"delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/fs1"}]}"#,
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["decision"]["effective"], "impersonation");
    assert_eq!(v["agrees_with_reference"], true);
    assert_eq!(
        v["reference"]["steps"][1]["code"],
        "ntlm-cannot-delegate-remotely"
    );
    assert_eq!(v["reference"]["steps"][1]["step"], "8/D1");
    assert_eq!(v["reference"]["hops"][0]["row"], "3");
    assert_eq!(v["policy"]["source"], "embedded default");
    // The body is what the generated TypeScript declares (ExplainAnswer and its parts).
    let ts = onbehalf_core::json::typescript();
    let parts = [
        ("ExplainAnswer", &v),
        ("PolicyInfo", &v["policy"]),
        ("PolicyDecision", &v["decision"]),
        ("Explanation", &v["reference"]),
        ("Exposure", &v["exposure"]),
    ];
    for (interface, value) in parts {
        onbehalf_testkit::typescript::conforms(&ts, interface, value).unwrap();
    }
}

/// The classic double hop: `/v1/explain` carries the core's fixes (byte for byte what
/// `onbehalf fix` prints, see tests/cli.rs) and the exposure of the server's settings.
#[test]
fn explain_carries_the_fixes_and_the_exposure_of_the_core() {
    let (addr, _) = start_default(ServerConfig::default());
    let request = r#"{"level":"impersonation","auth":"kerberos","hops":[{"target":"MSSQLSvc/db1.contoso.com:1433"}]}"#;
    let v = post_json(addr, "/v1/explain", request).json();
    let core: serde_json::Value =
        serde_json::from_str(&onbehalf_core::json::fix_str(request)).unwrap();
    assert_eq!(v["fixes"], core["fixes"]);
    let first = v["fixes"][0]["summary"].as_str().unwrap();
    assert!(
        first.starts_with("Kerberos-only constrained delegation"),
        "{first}"
    );
    // The settings expose nothing: the server is not trusted for delegation.
    let exposure = &v["exposure"];
    assert!(exposure["reached"].as_array().is_some(), "{exposure}");
    let kcd = r#"{"level":"impersonation","delegation":{"server_trust":"constrained","allowed_targets":["cifs/fs1"]}}"#;
    let v = post_json(addr, "/v1/explain", kcd).json();
    let reached = v["exposure"]["reached"].as_array().unwrap();
    assert!(
        reached
            .iter()
            .any(|t| t["target"] == "cifs/fs1" && !t["clients"].as_array().unwrap().is_empty()),
        "KCD to cifs/fs1 exposes some client identities to it: {reached:?}"
    );
}

#[test]
fn metrics_count_decisions_statuses_and_latency() {
    let (addr, _) = start_default(ServerConfig::default());
    post_json(
        addr,
        "/v1/decide",
        r#"[{"level":"default"},{"level":"delegate"}]"#,
    );
    post_json(addr, "/v1/decide", r#"{"level":"nope"}"#);
    let text = request(addr, "GET", "/metrics", &[], b"").text();
    assert!(text.contains("onbehalf_decisions_total 2"), "{text}");
    assert!(
        text.contains(r#"onbehalf_http_responses_total{route="/v1/decide",status="400"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("onbehalf_request_duration_seconds_count 2"),
        "{text}"
    );
    assert!(
        text.contains(r#"onbehalf_policy_faults_total{kind="trap"} 0"#),
        "{text}"
    );
}

#[test]
fn policy_upload_is_off_by_default_and_needs_the_token() {
    let (addr, _) = start_default(ServerConfig::default());
    let r = request(
        addr,
        "POST",
        "/v1/policy",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        STRICT_MODULE,
    );
    assert_eq!(r.status, 403);

    let (addr, state) = start_default(ServerConfig {
        admin_token: Some(TOKEN.into()),
        ..ServerConfig::default()
    });
    let wasm = [("Content-Type", "application/wasm")];
    let r = request(
        addr,
        "POST",
        "/v1/policy",
        &[wasm[0], ("Authorization", "Bearer wrong-token-wrong-token")],
        STRICT_MODULE,
    );
    assert_eq!(r.status, 401);
    let r = request(addr, "POST", "/v1/policy", &wasm, STRICT_MODULE);
    assert_eq!(r.status, 401);
    let r = upload_policy(addr, TOKEN, b"not wasm");
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "policy-rejected");
    let message = r.json()["error"]["message"].clone();
    assert!(
        message.as_str().is_some_and(|m| m.starts_with("invalid: ")),
        "the load error's name leads the message: {message}"
    );
    assert_eq!(state.host().info().generation, 1);

    let unconstrained =
        r#"{"level":"delegation","auth":"kerberos","delegation":{"server_trust":"unconstrained"}}"#;
    assert_eq!(
        post_json(addr, "/v1/decide", unconstrained).json()["reach"],
        "multi-hop"
    );
    let r = upload_policy(addr, TOKEN, STRICT_MODULE);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["policy"]["generation"], 2);
    let v = post_json(addr, "/v1/decide", unconstrained).json();
    assert_eq!(
        (v["effective"].as_str(), v["reach"].as_str()),
        (Some("impersonation"), Some("local"))
    );
    let r = post_json(addr, "/v1/explain", unconstrained).json();
    assert_eq!(r["agrees_with_reference"], false);
}

#[test]
fn static_files_are_served_from_the_web_dir_only() {
    let dir = std::env::temp_dir().join(format!("onbehalf-web-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>onbehalf</h1>").unwrap();
    let (addr, _) = start_default(ServerConfig {
        web_dir: Some(dir.clone()),
        ..ServerConfig::default()
    });
    let r = request(addr, "GET", "/", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<h1>onbehalf</h1>");
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.contains("text/html")));
    assert_eq!(request(addr, "GET", "/../Cargo.toml", &[], b"").status, 404);
    assert_eq!(
        request(addr, "GET", "/%2e%2e/Cargo.toml", &[], b"").status,
        404
    );
    assert_eq!(request(addr, "GET", "/missing.js", &[], b"").status, 404);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_fills_named_requests_from_the_directory_and_decides_them_through_the_policy() {
    let collection = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../directory/tests/fixtures/bloodhound-contoso"
    );
    let directory = onbehalf_directory::Directory::load(std::path::Path::new(collection)).unwrap();
    let named = r#"{"level":"delegation","auth":"kerberos","client_account":"dave","server_account":"svcunc","hops":[{"target":"cifs/fs1.contoso.test"}]}"#;
    let cli_answer = onbehalf_directory::check::check_str(&directory, named);
    let (addr, _) = start_default(ServerConfig {
        directory: Some(std::sync::Arc::new(directory)),
        admin_token: Some(TOKEN.into()),
        ..ServerConfig::default()
    });
    // The same contract as `onbehalf check`: the CLI's line, byte for byte (default policy).
    let reply = post_json(addr, "/v1/check", named);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), cli_answer);
    let reply = post_json(
        addr,
        "/v1/check",
        r#"{"level":"delegation","server_account":"nobody"}"#,
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "account-not-found");
    // Decided by the policy loaded: the strict example refuses unconstrained delegation.
    assert_eq!(upload_policy(addr, TOKEN, STRICT_MODULE).status, 200);
    let strict = post_json(addr, "/v1/check", named).json();
    assert_ne!(strict["reach"], "multi-hop", "{strict}");
    assert_eq!(
        strict["request"]["delegation"]["server_trust"],
        "unconstrained"
    );
    // Without a directory the route says how to get one.
    let (bare, _) = start_default(ServerConfig::default());
    let reply = post_json(bare, "/v1/check", named);
    assert_eq!(reply.status, 404);
    assert!(reply.text().contains("--facts FILE"));
}
