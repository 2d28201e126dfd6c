//! Classifying a failed wasmtime call as a [`Fault`] (the fault vocabulary itself is the ABI
//! crate's): wasmtime's trap codes and the store's memory-cap flag, never error text.

pub use onbehalf_abi::Fault;

use super::store::StoreState;

/// The classification of a failed call.
pub(crate) trait Classify {
    /// Classifies a failed call: wasmtime's trap code, or the store's memory-cap flag.
    fn from_call_error(error: &wasmtime::Error, state: &StoreState) -> Fault;
}

impl Classify for Fault {
    fn from_call_error(error: &wasmtime::Error, state: &StoreState) -> Fault {
        if state.memory_limit_hit() {
            return Fault::MemoryLimit;
        }
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::OutOfFuel) => Fault::OutOfFuel,
            Some(wasmtime::Trap::StackOverflow) => Fault::StackOverflow,
            Some(_) | None => Fault::Trap,
        }
    }
}
