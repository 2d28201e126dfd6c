//! The per-store state: the resource limiter every instance runs under.

use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};

use super::limits::Limits;

/// Data held by each wasmtime store.
pub struct StoreState {
    limits: StoreLimits,
}

/// A store with the memory cap installed (one instance, one memory, one table; a failed
/// `memory.grow` traps instead of returning -1, so a memory bomb ends the call at once).
pub fn new_store(engine: &Engine, limits: &Limits) -> Store<StoreState> {
    let state = StoreState {
        limits: StoreLimitsBuilder::new()
            .memory_size(limits.max_memory_bytes)
            .instances(1)
            .memories(1)
            .tables(1)
            .table_elements(10_000)
            .trap_on_grow_failure(true)
            .build(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store
}
