//! onbehalf in the browser: [`decide`], [`explain`] and [`catalog`] take and return plain JS
//! objects in exactly the spec's JSON shapes. JS objects go through the very same strict
//! validator as JSON text (spec §4), so the page, the CLI and the server agree on every input.
//! Errors are thrown as JS `Error`s whose `code` property is the spec's error code.

use js_sys::{Error as JsError, Reflect};
use onbehalf_core::json::{explain_owned, request_from_value, Value};
use onbehalf_core::{
    AuthService, ErrorCode, FieldPath, HopReason, Level, Reason, RequestError, RequestedLevel,
    ServerTrust, Transport, MAX_HOPS,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export type Level = "anonymous" | "identification" | "impersonation" | "delegation";
export type Reach = "none" | "local" | "network" | "multi-hop";
export interface Hop { target: string; auth?: string; transport?: string }
export interface Request {
  level: string; transport?: string; server?: "local" | "remote" | string; auth?: string;
  kerberos_available?: boolean; server_can_impersonate?: boolean;
  delegation?: {
    client_sensitive?: boolean; client_protected_user?: boolean; server_trust?: string;
    allowed_targets?: string[]; domain_joined?: boolean; protocol_transition?: boolean;
    client_credential_guard?: boolean;
  };
  hops?: Hop[];
}
export interface HopOutcome { target: string; allowed: boolean; as: "client" | "anonymous"; reason: string }
export interface Decision { effective: Level; reach: Reach; reasons: string[]; hops: HopOutcome[] }
export interface Step { step: string; code: string; kind: string; rule: string; sources: string }
export interface HopStep extends HopOutcome { auth: string; row: number; rule: string; sources: string }
export interface Explanation { request: Request; decision: Decision; resolved_auth: string; steps: Step[]; hops: HopStep[] }
/** Thrown by decide/explain: `code` is the spec's error code. */
export interface OnbehalfError extends Error { code: string }
"#;

fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            throw(&RequestError::new(ErrorCode::InvalidRequest, FieldPath::Request, "").found(e))
        })
}

/// A JS `Error` with the spec's `code`.
fn throw(error: &RequestError) -> JsValue {
    let js = JsError::new(&error.to_string());
    // Setting a property on a fresh Error object cannot fail; if it did, the message stays.
    let _ = Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code.name()),
    );
    js.into()
}

fn from_js(request: JsValue) -> Result<onbehalf_core::json::OwnedRequest, JsValue> {
    let value: Value = serde_wasm_bindgen::from_value(request).map_err(|e| {
        throw(
            &RequestError::new(
                ErrorCode::InvalidJson,
                FieldPath::Request,
                "a plain JSON-like object",
            )
            .found(e),
        )
    })?;
    request_from_value(&value).map_err(|e| throw(&e))
}

/// Decides one request object; returns the decision object or throws an error with `code`.
#[wasm_bindgen(unchecked_return_type = "Decision")]
pub fn decide(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let request = from_js(request)?;
    request.with_request(|r| match onbehalf_core::decide(r) {
        Ok(d) => to_js(&d),
        Err(e) => Err(throw(&e)),
    })
}

/// Explains one request object: the decision plus every step that fired and each hop's row.
#[wasm_bindgen(unchecked_return_type = "Explanation")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let request = from_js(request)?;
    let explanation = explain_owned(&request).map_err(|e| throw(&e))?;
    to_js(&explanation)
}

/// Explains a request given as JSON text, through the same strict parser as the CLI and the
/// server (duplicate keys, `NaN`, lone surrogates are `invalid-json`, unlike `JSON.parse`).
#[wasm_bindgen(js_name = explainJson, unchecked_return_type = "Explanation")]
pub fn explain_json(text: &str) -> Result<JsValue, JsValue> {
    let value = Value::parse(text).map_err(|e| throw(&e))?;
    let request = request_from_value(&value).map_err(|e| throw(&e))?;
    let explanation = explain_owned(&request).map_err(|e| throw(&e))?;
    to_js(&explanation)
}

#[derive(Serialize)]
struct LevelEntry {
    name: &'static str,
    spellings: &'static [&'static str],
    rpc_imp_level: u32,
    security_level: Option<u32>,
}

#[derive(Serialize)]
struct ReasonEntry {
    code: &'static str,
    step: &'static str,
    kind: &'static str,
    rule: &'static str,
    sources: &'static str,
}

#[derive(Serialize)]
struct HopReasonEntry {
    code: &'static str,
    row: u8,
    allowed: bool,
    rule: &'static str,
    sources: &'static str,
}

#[derive(Serialize)]
struct Catalog {
    levels: Vec<LevelEntry>,
    transports: Vec<&'static str>,
    auth_services: Vec<&'static str>,
    server_trusts: Vec<&'static str>,
    reasons: Vec<ReasonEntry>,
    hop_reasons: Vec<HopReasonEntry>,
    error_codes: Vec<&'static str>,
    max_hops: usize,
}

/// The vocabulary: levels (with their Windows constants), transports, auth services, server
/// trusts, reason and hop-reason codes with their rule text and sources, error codes.
#[wasm_bindgen]
pub fn catalog() -> Result<JsValue, JsValue> {
    let catalog = Catalog {
        levels: RequestedLevel::ALL
            .iter()
            .map(|l| LevelEntry {
                name: l.name(),
                spellings: l.spellings(),
                rpc_imp_level: l.rpc_imp_level(),
                security_level: l.level().map(Level::security_level),
            })
            .collect(),
        transports: Transport::ALL.iter().map(|t| t.name()).collect(),
        auth_services: AuthService::ALL.iter().map(|a| a.name()).collect(),
        server_trusts: ServerTrust::ALL.iter().map(|t| t.name()).collect(),
        reasons: Reason::ALL
            .iter()
            .map(|r| ReasonEntry {
                code: r.name(),
                step: r.step(),
                kind: r.kind().name(),
                rule: r.rule(),
                sources: r.sources(),
            })
            .collect(),
        hop_reasons: HopReason::ALL
            .iter()
            .map(|r| HopReasonEntry {
                code: r.name(),
                row: r.row(),
                allowed: r.allowed(),
                rule: r.rule(),
                sources: r.sources(),
            })
            .collect(),
        error_codes: ErrorCode::ALL.iter().map(|e| e.name()).collect(),
        max_hops: MAX_HOPS,
    };
    to_js(&catalog)
}
