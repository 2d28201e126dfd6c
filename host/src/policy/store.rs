//! The per-store state: the resource limiter every instance runs under, which also records
//! that it refused a memory grow (so the fault is named by a flag, not by error text).

use wasmtime::{Engine, ResourceLimiter, Store};

use super::limits::Limits;

/// Data held by each wasmtime store.
pub struct StoreState {
    max_memory: usize,
    max_table_elements: usize,
    memory_limit_hit: bool,
}

impl StoreState {
    /// Whether a `memory.grow` beyond the cap was refused in this store.
    #[must_use]
    pub fn memory_limit_hit(&self) -> bool {
        self.memory_limit_hit
    }
}

impl ResourceLimiter for StoreState {
    /// A grow beyond the cap traps at once (the module cannot carry on with less memory than
    /// it asked for), and is remembered.
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.memory_limit_hit = true;
            return Err(wasmtime::Error::msg("the policy module's memory cap"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.max_table_elements)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// A store with the memory cap installed (one instance, one memory, one table).
pub fn new_store(engine: &Engine, limits: &Limits) -> Store<StoreState> {
    let state = StoreState {
        max_memory: limits.max_memory_bytes,
        max_table_elements: 10_000,
        memory_limit_hit: false,
    };
    let mut store = Store::new(engine, state);
    store.limiter(|s| s);
    store
}
