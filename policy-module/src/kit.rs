//! The embedding kit (`docs/policy-abi.md` §11): what a host written in another language
//! needs to host policy modules exactly as the Rust host does, without re-implementing the
//! spec — the contract (the ABI tables, the default limits, the fault names), a request's
//! validation and encoding, the check of a module's answer against the reference and its
//! rendering (or the fail-closed answer), the explanation, and the check of a module's own
//! reason codes. Bytes in, bytes out; every function is total (no input can make it trap).

use alloc::string::String;
use alloc::vec::Vec;

use onbehalf_abi::{check, record, Export, Fault, Limits};
use onbehalf_core::json::{
    decision_to_value, error_to_value, explain_owned, fail_closed_for, invalid_utf8, parse_request,
    request_from_value, OwnedRequest, Value,
};
use onbehalf_core::{Decision, PackedRequest, Request, RequestedLevel};

/// The first byte of `kit_prepare`'s answer: the request is invalid (the error JSON follows).
pub const PREPARED_ERROR: u8 = 0;
/// The request has no hops: the v1 flag, then the packed request (8 bytes, little-endian).
pub const PREPARED_PACKED: u8 = 1;
/// The request has hops: the v1 flag, then its request record (`decide_records` input).
pub const PREPARED_RECORD: u8 = 2;

fn text(s: &str) -> Value {
    Value::String(s.into())
}

fn number(n: i64) -> Value {
    Value::Number(alloc::format!("{n}"))
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn exports(list: &[Export]) -> Value {
    Value::Array(
        list.iter()
            .map(|e| object([("name", text(e.name)), ("signature", text(e.signature))]))
            .collect(),
    )
}

fn size(n: usize) -> Value {
    number(i64::try_from(n).unwrap_or(i64::MAX))
}

fn fuel(n: u64) -> Value {
    number(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `kit_contract`: the ABI as data — versions, required and optional exports with their
/// signatures, the memory export, the default limits, the faults with the reason of their
/// fail-closed answer, the load-time smoke request and the answer record size.
#[must_use]
pub fn contract(_: &[u8]) -> Vec<u8> {
    let l = Limits::default();
    let limits = object([
        ("max_module_bytes", size(l.max_module_bytes)),
        ("max_memory_bytes", size(l.max_memory_bytes)),
        ("max_stack_bytes", size(l.max_stack_bytes)),
        ("decide_fuel", fuel(l.decide_fuel)),
        ("batch_fuel_per_request", fuel(l.batch_fuel_per_request)),
        ("record_fuel_base", fuel(l.record_fuel_base)),
        ("json_fuel_base", fuel(l.json_fuel_base)),
        ("json_fuel_per_byte", fuel(l.json_fuel_per_byte)),
        ("load_fuel", fuel(l.load_fuel)),
        ("max_answer_bytes", size(l.max_answer_bytes)),
    ]);
    let faults = Fault::ALL
        .iter()
        .map(|f| object([("name", text(f.name())), ("reason", text(f.reason()))]))
        .collect();
    let smoke = PackedRequest::pack(&Request::new(RequestedLevel::Impersonation)).raw();
    let contract = object([
        (
            "versions",
            Value::Array(alloc::vec![
                number(onbehalf_abi::ABI_V1.into()),
                number(onbehalf_abi::ABI_V2.into())
            ]),
        ),
        ("exports_v1", exports(onbehalf_abi::EXPORTS_V1)),
        ("exports_v2", exports(onbehalf_abi::EXPORTS_V2)),
        ("optional_v2", exports(onbehalf_abi::OPTIONAL_V2)),
        ("memory", text(onbehalf_abi::MEMORY)),
        ("limits", limits),
        ("faults", Value::Array(faults)),
        ("smoke_request", number(smoke)),
        ("answer_record_size", size(record::ANSWER_SIZE)),
    ]);
    contract.to_json().into_bytes()
}

fn utf8(input: &[u8]) -> Result<&str, Vec<u8>> {
    core::str::from_utf8(input).map_err(|e| {
        error_to_value(&invalid_utf8(e.valid_up_to()))
            .to_json()
            .into_bytes()
    })
}

/// `kit_prepare`: a JSON request → [`PREPARED_ERROR`] and the error JSON, or
/// [`PREPARED_PACKED`] / [`PREPARED_RECORD`], a byte that is 1 when an ABI v1 module can be
/// asked it, the length (`u32`, little-endian) of what follows it — the packed request (8
/// bytes, little-endian) or the request record — and, for a request with hops, the canonical
/// request JSON (what an ABI v1 module's `explain` is given, as the Rust host gives it).
#[must_use]
pub fn prepare(input: &[u8]) -> Vec<u8> {
    match utf8(input) {
        Err(error) => [&[PREPARED_ERROR][..], &error].concat(),
        Ok(text) => prepared(parse_request(text)),
    }
}

fn prepared(request: Result<OwnedRequest, onbehalf_core::RequestError>) -> Vec<u8> {
    let request = match request {
        Err(e) => {
            return [
                &[PREPARED_ERROR][..],
                error_to_value(&e).to_json().as_bytes(),
            ]
            .concat()
        }
        Ok(request) => request,
    };
    let v1 = u8::from(check::v1_can_express(&request));
    let mut payload = Vec::new();
    let (kind, canonical) = if request.hops().is_empty() {
        payload.extend_from_slice(&PackedRequest::pack(&request).raw().to_le_bytes());
        (PREPARED_PACKED, String::new())
    } else if record::encode(&request, &mut payload).is_some() {
        (PREPARED_RECORD, request.to_value().to_json())
    } else {
        // Unreachable for a valid request (at most 16 hops, targets far below 4 GiB).
        return [
            &[PREPARED_ERROR][..],
            &invalid("request: cannot be encoded"),
        ]
        .concat();
    };
    let length = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes();
    [&[kind, v1][..], &length, &payload, canonical.as_bytes()].concat()
}

/// `kit_prepare_many`: requests, each a JSON text after its length (`u32`, little-endian) →
/// for each, its length and what [`prepare`] answers for it (every item is read on its own:
/// one bad request spoils nothing else).
#[must_use]
pub fn prepare_many(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some((length, tail)) = rest.split_first_chunk::<4>() {
        let length = usize::try_from(u32::from_le_bytes(*length)).unwrap_or(usize::MAX);
        let Some((text, tail)) = tail.split_at_checked(length) else {
            break;
        };
        let item = prepare(text);
        out.extend_from_slice(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&item);
        rest = tail;
    }
    out
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.parse().ok(),
        _ => None,
    }
}

fn answer_bytes(value: Option<&Value>) -> Option<Vec<u8>> {
    match value? {
        Value::Array(items) => items
            .iter()
            .map(|v| integer(Some(v)).and_then(|n| u8::try_from(n).ok()))
            .collect(),
        _ => None,
    }
}

/// The answer of a module to `request`, checked: the rendered decision, or the fault.
fn checked(
    request: &OwnedRequest,
    version: i32,
    catalog: &[String],
    answer: &Value,
) -> Result<Value, Fault> {
    if let Some(name) = answer.get("fault") {
        let fault = match name {
            Value::String(n) => Fault::from_name(n).unwrap_or(Fault::Trap),
            _ => Fault::Trap,
        };
        return Err(fault);
    }
    if let Some(raw) = integer(answer.get("packed")) {
        let (decision, own) =
            check::packed(version, catalog.len(), raw).ok_or(Fault::MalformedAnswer)?;
        let decision = decision.unpack();
        let decision = Decision::new(decision.effective, decision.reach, decision.reasons);
        check::within_reference(request, &decision)?;
        return Ok(check::render(&decision, own, &[], catalog));
    }
    if let Some(bytes) = answer_bytes(answer.get("record")) {
        let (decision, own, hop_own) = check::record(version, catalog.len(), request, &bytes)?;
        let hop_own = hop_own.get(..request.hops().len()).unwrap_or_default();
        return Ok(check::render(&decision, own, hop_own, catalog));
    }
    if let Some(text) = answer.get("json_text") {
        // The v1 module's JSON answer as it wrote it: parsed here by the strict parser, as the
        // Rust host parses it (duplicate keys, NaN, depth: not a decision).
        let Value::String(text) = text else {
            return Err(Fault::MalformedAnswer);
        };
        let value = Value::parse(text).map_err(|_| Fault::MalformedAnswer)?;
        return check::json(request, &value).map(|d| decision_to_value(&d));
    }
    Err(Fault::MalformedAnswer)
}

/// The error object of a kit input that is not what the kit reads (a host's defect).
fn invalid(message: &str) -> Vec<u8> {
    object([(
        "error",
        object([
            ("code", text("invalid-request")),
            ("message", text(message)),
        ]),
    )])
    .to_json()
    .into_bytes()
}

/// One answer of `kit_answer(s)`: the checked decision and `null`, or the fail-closed
/// decision and the fault's name; `None` when the item names no valid request.
fn answered(item: &Value, version: i32, catalog: &[String]) -> Option<Value> {
    let request = request_from_value(item.get("request")?).ok()?;
    let (decision, fault) = match checked(&request, version, catalog, item) {
        Ok(decision) => (decision, Value::Null),
        Err(fault) => (
            fail_closed_for(fault.reason(), &request),
            text(fault.name()),
        ),
    };
    Some(object([("decision", decision), ("fault", fault)]))
}

/// The module's ABI version and own reason codes of a `kit_answer(s)` input.
fn module_of(value: &Value) -> (i32, Vec<String>) {
    let version = integer(value.get("version"))
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(onbehalf_abi::ABI_V2);
    let catalog = match value.get("reasons") {
        Some(Value::Array(codes)) => codes
            .iter()
            .filter_map(|c| match c {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (version, catalog)
}

fn parsed(input: &[u8]) -> Result<Value, Vec<u8>> {
    match utf8(input).map(Value::parse) {
        Err(error) => Err(error),
        Ok(Err(e)) => Err(error_to_value(&e).to_json().into_bytes()),
        Ok(Ok(value)) => Ok(value),
    }
}

/// `kit_answer`: `{"request", "version", "reasons": [codes], and "packed": n | "record":
/// [24 bytes] | "json_text": the module's JSON answer as text | "fault": name}` → `{"decision", "fault"}`: the module's
/// checked answer (its own codes after the spec's), or the fail-closed decision and the
/// fault's name. An input that is not such an object is the error object.
#[must_use]
pub fn answer(input: &[u8]) -> Vec<u8> {
    with_module(input, |value, version, catalog| {
        match answered(value, version, catalog) {
            Some(answer) => answer.to_json().into_bytes(),
            None => invalid("kit_answer: no valid request"),
        }
    })
}

/// Parses a `kit_answer(s)` input and runs `f` with it and the module's version and own
/// codes; the error object for an input that is not JSON.
fn with_module(input: &[u8], f: impl FnOnce(&Value, i32, &[String]) -> Vec<u8>) -> Vec<u8> {
    match parsed(input) {
        Ok(value) => {
            let (version, catalog) = module_of(&value);
            f(&value, version, &catalog)
        }
        Err(error) => error,
    }
}

/// `kit_answers`: `{"version", "reasons", "items": [kit_answer's items without version and
/// reasons]}` → the array of their answers.
#[must_use]
pub fn answers(input: &[u8]) -> Vec<u8> {
    with_module(input, |value, version, catalog| {
        let Some(Value::Array(items)) = value.get("items") else {
            return invalid("kit_answers: no items");
        };
        let answers: Option<Vec<Value>> = items
            .iter()
            .map(|item| answered(item, version, catalog))
            .collect();
        match answers {
            Some(answers) => Value::Array(answers).to_json().into_bytes(),
            None => invalid("kit_answers: an item without a valid request"),
        }
    })
}

/// `kit_explain`: a JSON request → its explanation JSON, or the error JSON.
#[must_use]
pub fn explain(input: &[u8]) -> Vec<u8> {
    let explained = utf8(input).map(|t| parse_request(t).and_then(|r| explain_owned(&r)));
    match explained {
        Err(error) => error,
        Ok(Ok(value)) => value.to_json().into_bytes(),
        Ok(Err(e)) => error_to_value(&e).to_json().into_bytes(),
    }
}

/// `kit_catalog`: the catalog (the request's fields with their kinds, values, defaults and
/// packed positions; levels, reaches, reason and error codes with rules and sources).
#[must_use]
pub fn catalog(_: &[u8]) -> Vec<u8> {
    onbehalf_core::json::catalog().to_json().into_bytes()
}

/// `kit_reasons`: a module's `policy_reasons` text → `{"codes": [...]}`, or `{"refused":
/// why}` (the Rust host's load check, word for word).
#[must_use]
pub fn reasons(input: &[u8]) -> Vec<u8> {
    let parsed = core::str::from_utf8(input)
        .map_err(|_| String::from("not UTF-8"))
        .and_then(onbehalf_abi::reasons::parse);
    let answer = match parsed {
        Ok(reasons) => object([(
            "codes",
            Value::Array(reasons.iter().map(|r| text(&r.code)).collect()),
        )]),
        Err(why) => object([("refused", text(&why))]),
    };
    answer.to_json().into_bytes()
}

onbehalf_abi::export_kit! {
    kit_contract => contract,
    kit_prepare => prepare,
    kit_prepare_many => prepare_many,
    kit_answer => answer,
    kit_answers => answers,
    kit_explain => explain,
    kit_reasons => reasons,
    kit_catalog => catalog,
}
