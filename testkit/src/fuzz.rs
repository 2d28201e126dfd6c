//! The properties of the fuzz targets that run the host (`fuzz/fuzz_targets/module_json.rs`
//! and `http_decide.rs` call these), so the same checks also replay the committed corpus in
//! an ordinary test (`tests/fuzz_corpus.rs`) without an instrumented build of wasmtime.
//!
//! `module_json`: arbitrary bytes through the policy module's JSON entry in wasmtime under
//! the host's limits — the embedded reference module never faults; its answer is exactly
//! what the native core answers for the same text, and invalid UTF-8 gets exactly the host's
//! own `invalid-json` error.
//!
//! `http_decide`: arbitrary bodies through the HTTP handler of `onbehalf serve` (the axum
//! router, in process, the embedded module behind it). The first input byte picks the route
//! (`/v1/decide` or `/v1/explain`) and whether a JSON content type is sent; the rest is the
//! body. Never a 5xx; every body is JSON; `/v1/decide` answers exactly what the native core
//! answers for the same text (200 for a decision or an array, 400 with the core's error
//! object otherwise), element by element for arrays; `/v1/explain` gives the same decision
//! and agrees with the reference.
#![allow(clippy::expect_used, clippy::panic)] // a property that fails must stop the fuzzer

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use onbehalf_core::json::{decide_str, decide_value, error_to_value, invalid_utf8, Value};
use onbehalf_host::policy::{Limits, PolicyHost, Worker};
use onbehalf_host::server::{router, AppState, ServerConfig};
use tower::ServiceExt;

fn worker() -> &'static Mutex<Worker> {
    static WORKER: OnceLock<Mutex<Worker>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let host =
            PolicyHost::with_default_module(Limits::default()).expect("the default module loads");
        Mutex::new(host.worker())
    })
}

/// The property of the `module_json` fuzz target, for one input.
pub fn module_json(data: &[u8]) {
    let mut worker = worker()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let answer = worker
        .decide_json_raw(data)
        .unwrap_or_else(|fault| panic!("the reference module faulted: {}", fault.name()));
    let answer = String::from_utf8(answer).expect("the module answers UTF-8");
    match std::str::from_utf8(data) {
        Ok(text) => assert_eq!(
            answer,
            decide_str(text),
            "module and native differ on {text:?}"
        ),
        Err(bad) => {
            // Exactly the host's own answer to invalid UTF-8 (one definition, in the core).
            let expected = error_to_value(&invalid_utf8(bad.valid_up_to())).to_string();
            assert_eq!(answer, expected);
        }
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    state: Arc<AppState>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let host =
            PolicyHost::with_default_module(Limits::default()).expect("the default module loads");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            state: AppState::new(host, ServerConfig::default()),
        }
    })
}

/// What the native core answers for this body, as the handler should.
fn expected(body: &[u8], max_batch: usize) -> Option<Value> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(bad) => return Some(error_to_value(&invalid_utf8(bad.valid_up_to()))),
    };
    match Value::parse(text) {
        Err(e) => Some(error_to_value(&e)),
        Ok(Value::Array(items)) if items.len() > max_batch => None,
        Ok(Value::Array(items)) => Some(Value::Array(items.iter().map(decide_value).collect())),
        Ok(single) => Some(decide_value(&single)),
    }
}

/// The property of the `http_decide` fuzz target, for one input.
pub fn http_decide(data: &[u8]) {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let fixture = fixture();
    let explain = selector & 1 == 1;
    let mut request = Request::post(if explain { "/v1/explain" } else { "/v1/decide" });
    if selector & 2 == 2 {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Body::from(body.to_vec()))
        .expect("a valid request");
    let app = router(fixture.state.clone());
    let (status, bytes) = fixture.runtime.block_on(async move {
        let response = app
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        (
            status,
            to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a body"),
        )
    });
    assert!(
        status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
        "unexpected status {status}"
    );
    let text = std::str::from_utf8(&bytes).expect("a UTF-8 body");
    let answer = Value::parse(text).expect("a JSON body");
    let Some(expected) = expected(body, ServerConfig::default().max_batch) else {
        assert_eq!(status, StatusCode::BAD_REQUEST);
        return;
    };
    let is_error = expected.get("error").is_some();
    if explain {
        if is_error || matches!(expected, Value::Array(_)) {
            // Arrays are not explained: an error either way.
            assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
            assert!(answer.get("error").is_some(), "{text}");
        } else {
            assert_eq!(status, StatusCode::OK, "{text}");
            assert_eq!(answer.get("decision"), Some(&expected), "{text}");
            assert_eq!(
                answer.get("agrees_with_reference"),
                Some(&Value::Bool(true))
            );
        }
    } else {
        let want = if is_error {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(status, want, "{text}");
        assert_eq!(answer, expected, "handler and native core differ");
    }
}
