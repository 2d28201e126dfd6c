//! Faults: what can go wrong inside a policy-module call, and the fail-closed answer.

use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{Decision, HopOutcome, HopReason, Identity, Level, Reach, Reason, Reasons};

/// The reason code of a fail-closed decision and of each of its hops.
pub const POLICY_MODULE_FAULT: &str = "policy-module-fault";

/// Why a call into a policy module did not produce a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The module trapped (unreachable, out-of-bounds access, division by zero, …).
    Trap,
    /// The call used up its fuel (an endless or too-long loop).
    OutOfFuel,
    /// The call exhausted the wasm stack (deep recursion).
    StackOverflow,
    /// The module tried to grow memory beyond its cap.
    MemoryLimit,
    /// The module answered something that is not a well-formed decision for the request.
    MalformedAnswer,
    /// A fresh instance could not be created.
    Instantiate,
}

impl Fault {
    /// Every fault kind (for metrics).
    pub const ALL: [Fault; 6] = [
        Fault::Trap,
        Fault::OutOfFuel,
        Fault::StackOverflow,
        Fault::MemoryLimit,
        Fault::MalformedAnswer,
        Fault::Instantiate,
    ];

    /// Stable name (metrics label, log field).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Fault::Trap => "trap",
            Fault::OutOfFuel => "out-of-fuel",
            Fault::StackOverflow => "stack-overflow",
            Fault::MemoryLimit => "memory-limit",
            Fault::MalformedAnswer => "malformed-answer",
            Fault::Instantiate => "instantiate",
        }
    }

    /// Classifies a wasmtime call error.
    #[must_use]
    pub fn from_call_error(error: &wasmtime::Error) -> Fault {
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::OutOfFuel) => Fault::OutOfFuel,
            Some(wasmtime::Trap::StackOverflow) => Fault::StackOverflow,
            Some(_) => Fault::Trap,
            // `trap_on_grow_failure` reports a refused memory.grow as a plain error.
            None if format!("{error:#}").contains("grow") => Fault::MemoryLimit,
            None => Fault::Trap,
        }
    }
}

/// The safest decision: nothing may be done as the client, no hop arrives as the client.
/// No fault may ever produce anything more permissive than this.
#[must_use]
pub fn fail_closed<'a>(targets: impl Iterator<Item = &'a str>) -> Value {
    let s = |t: &str| Value::String(t.to_owned());
    let hops = targets
        .map(|t| {
            Value::Object(vec![
                ("target".into(), s(t)),
                ("allowed".into(), Value::Bool(false)),
                ("as".into(), s(Identity::Anonymous.name())),
                ("reason".into(), s(POLICY_MODULE_FAULT)),
            ])
        })
        .collect();
    Value::Object(vec![
        ("effective".into(), s(Level::Anonymous.name())),
        ("reach".into(), s(Reach::None.name())),
        ("reasons".into(), Value::Array(vec![s(POLICY_MODULE_FAULT)])),
        ("hops".into(), Value::Array(hops)),
    ])
}

/// The fail-closed decision for a request.
#[must_use]
pub fn fail_closed_for(request: &OwnedRequest) -> Value {
    fail_closed(request.hops.iter().map(|h| h.target.as_str()))
}

fn name_in<T: Copy>(value: Option<&Value>, all: &[T], name: fn(T) -> &'static str) -> Option<T> {
    match value {
        Some(Value::String(s)) => all.iter().copied().find(|v| name(*v) == s),
        _ => None,
    }
}

/// Checks a module's JSON answer against the request: exactly the decision shape, canonical
/// spec names only, reasons in emission order without duplicates, one hop per requested hop
/// with its target verbatim, `allowed` agreeing with `as` and the hop reason. Returns the
/// decision, or `None` (the caller fails closed).
#[must_use]
pub fn check_answer<'r>(answer: &Value, request: &'r OwnedRequest) -> Option<Decision<'r>> {
    let Value::Object(fields) = answer else {
        return None;
    };
    if fields.len() != 4 {
        return None;
    }
    let effective = name_in(answer.get("effective"), Level::ALL, Level::name)?;
    let reach = name_in(answer.get("reach"), Reach::ALL, Reach::name)?;
    let Some(Value::Array(reason_list)) = answer.get("reasons") else {
        return None;
    };
    let mut reasons = Reasons::EMPTY;
    let mut last: Option<Reason> = None;
    for r in reason_list {
        let reason = name_in(Some(r), Reason::ALL, Reason::name)?;
        if last.is_some_and(|l| l >= reason) {
            return None; // out of emission order, or a duplicate
        }
        reasons.insert(reason);
        last = Some(reason);
    }
    let Some(Value::Array(hops)) = answer.get("hops") else {
        return None;
    };
    if hops.len() != request.hops.len() {
        return None;
    }
    let mut outcomes = Vec::with_capacity(hops.len());
    for (hop, asked) in hops.iter().zip(&request.hops) {
        let Value::Object(hop_fields) = hop else {
            return None;
        };
        if hop_fields.len() != 4 || hop.get("target") != Some(&Value::String(asked.target.clone()))
        {
            return None;
        }
        let Some(Value::Bool(allowed)) = hop.get("allowed") else {
            return None;
        };
        let identity = name_in(hop.get("as"), Identity::ALL, Identity::name)?;
        let reason = name_in(hop.get("reason"), HopReason::ALL, HopReason::name)?;
        if *allowed != (identity == Identity::Client) || *allowed != reason.allowed() {
            return None;
        }
        outcomes.push(HopOutcome {
            target: asked.target.as_str(),
            reason,
        });
    }
    Decision::with_hops(effective, reach, reasons, &outcomes)
}
