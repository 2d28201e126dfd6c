//! Faults: what can go wrong inside a policy-module call.

//! The fail-closed answer itself and the check of a module's JSON answer are the core's
//! output shapes (`onbehalf_core::json::{fail_closed_for, decision_from_value}`).

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
