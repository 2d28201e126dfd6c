//! onbehalf in the browser and in Node: [`decide`], [`explain`], [`fix`], [`exposure`] and
//! [`catalog`] take and return plain JS objects in exactly the spec's JSON shapes;
//! [`fix_json`] and [`exposure_json`] return the core's JSON text itself (byte-identical to
//! `onbehalf fix`). JS objects go through the very
//! same strict validator as JSON text (spec §4), so the page, the CLI and the server agree on
//! every input. Errors are thrown as JS `Error`s whose `code` property is the spec's error
//! code. The TypeScript types (`Request`, `Decision`, `Explanation`, `Catalog`, …) are
//! generated from the core's tables (`onbehalf_core::json::typescript`) by `cargo xtask web`.
#![forbid(unsafe_code)]

use js_sys::{Error as JsError, Reflect};
use onbehalf_core::json::{
    decision_to_value, error_to_value, explain_owned, exposure_to_value, fix_answer, fix_str,
    request_from_value, OwnedRequest, Value,
};
use onbehalf_core::{ErrorCode, FieldPath, RequestError};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod directory;
pub use directory::{fill_from_directory, load_directory};

fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            throw(&RequestError::new(ErrorCode::InvalidRequest, FieldPath::REQUEST, "").found(e))
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

/// A JS value as the core's JSON value (`invalid-json` when it is not JSON-like).
fn value_of(request: JsValue) -> Result<Value, RequestError> {
    serde_wasm_bindgen::from_value(request).map_err(|e| {
        RequestError::new(
            ErrorCode::InvalidJson,
            FieldPath::REQUEST,
            "a plain JSON-like object",
        )
        .found(e)
    })
}

fn from_js(request: JsValue) -> Result<OwnedRequest, JsValue> {
    let value = value_of(request).map_err(|e| throw(&e))?;
    request_from_value(&value).map_err(|e| throw(&e))
}

/// Decides one request object; returns the decision object or throws an error with `code`.
#[wasm_bindgen(unchecked_return_type = "Decision")]
pub fn decide(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let request = from_js(request)?;
    match onbehalf_core::decide(&request) {
        Ok(d) => to_js(&d),
        Err(e) => Err(throw(&e)),
    }
}

/// Decides an array of request objects: one answer per item, in order — its decision, or
/// for an invalid one the error object `{"error": {"code", "message"}}` that `decide` throws
/// for it (as `onbehalf serve` answers an array); throws only when `requests` is not an array.
#[wasm_bindgen(js_name = decideMany, unchecked_return_type = "(Decision | ErrorObject)[]")]
pub fn decide_many(
    #[wasm_bindgen(unchecked_param_type = "Request[]")] requests: JsValue,
) -> Result<JsValue, JsValue> {
    let Some(items) = requests.dyn_ref::<js_sys::Array>() else {
        return Err(throw(&RequestError::new(
            ErrorCode::InvalidRequest,
            FieldPath::REQUEST,
            "an array of request objects",
        )));
    };
    let answers: Vec<Value> = items
        .iter()
        .map(|item| {
            // Each item read on its own, exactly as `decide` reads it.
            value_of(item)
                .and_then(|value| request_from_value(&value))
                .and_then(|request| onbehalf_core::decide(&request).map(|d| decision_to_value(&d)))
                .unwrap_or_else(|e| error_to_value(&e))
        })
        .collect();
    to_js(&Value::Array(answers))
}

/// Explains one request object: the decision plus every step that fired and each hop's row.
#[wasm_bindgen(unchecked_return_type = "Explanation")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    answer(request, explain_owned)
}

/// `answer_of` the request object `request`, as a JS value; an invalid request or a failed
/// answer throws the error with its `code`.
fn answer(
    request: JsValue,
    answer_of: impl FnOnce(&OwnedRequest) -> Result<Value, RequestError>,
) -> Result<JsValue, JsValue> {
    let request = from_js(request)?;
    to_js(&answer_of(&request).map_err(|e| throw(&e))?)
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

/// The fix answer for one request object, `{"decision": …, "fixes": [ … ]}` (fixes ranked; the
/// first is the one to recommend unless it `lowers_security`), or throws an error with `code`.
#[wasm_bindgen(unchecked_return_type = "FixAnswer")]
pub fn fix(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    answer(request, |r| {
        onbehalf_core::fix::fixes(r).map(|fixes| fix_answer(r, &fixes))
    })
}

/// The fix answer for a request given as JSON text, exactly as the core writes it: one line,
/// byte-identical to `onbehalf fix` (an invalid request answers the error object, as there).
#[wasm_bindgen(js_name = fixJson)]
#[must_use]
pub fn fix_json(text: &str) -> String {
    fix_str(text)
}

fn exposure_value(request: &OwnedRequest) -> Result<Value, RequestError> {
    onbehalf_core::fix::exposure(&request.delegation).map(|e| exposure_to_value(&e))
}

/// What the delegation settings of a request object expose: every client kind whose identity
/// reaches each target, as decisions (the request's client fields are ignored).
#[wasm_bindgen(unchecked_return_type = "Exposure")]
pub fn exposure(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
) -> Result<JsValue, JsValue> {
    answer(request, exposure_value)
}

/// [`exposure`] of a request given as JSON text, as the core's JSON text (the error object for
/// an invalid request).
#[wasm_bindgen(js_name = exposureJson)]
#[must_use]
pub fn exposure_json(text: &str) -> String {
    let answer = Value::parse(text)
        .and_then(|value| request_from_value(&value))
        .and_then(|request| exposure_value(&request));
    answer.unwrap_or_else(|e| error_to_value(&e)).to_string()
}

/// The catalog: the request's fields (labels, kinds, values, defaults), levels, reaches,
/// reason and hop-reason codes with rule text and sources, error codes.
#[wasm_bindgen(unchecked_return_type = "Catalog")]
pub fn catalog() -> Result<JsValue, JsValue> {
    to_js(&onbehalf_core::json::catalog())
}
