//! The per-store state: the resource limiter every instance runs under, which also records
//! that it refused a memory grow (so the fault is named by a flag, not by error text).

use wasmtime::{Engine, ResourceLimiter, Store};

use onbehalf_abi::Limits;

/// Data held by each wasmtime store.
pub struct StoreState {
    max_memory: usize,
    max_table_elements: usize,
    memory_limit_hit: bool,
    /// The fuel the last [`refuel`] set, and what the calls before it burnt in total.
    fuel_budget: u64,
    fuel_burnt: u64,
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
        fuel_budget: 0,
        fuel_burnt: 0,
    };
    let mut store = Store::new(engine, state);
    store.limiter(|s| s);
    store
}

/// Sets the fuel for the next call, first adding what the calls since the last refuel burnt
/// to the store's account (so [`fuel_burnt`] is exact without a read after every call).
///
/// # Errors
/// If the store has no fuel metering (never: the engine enables it).
pub fn refuel(store: &mut Store<StoreState>, budget: u64) -> wasmtime::Result<()> {
    let left = store.get_fuel().unwrap_or(0);
    let state = store.data_mut();
    state.fuel_burnt += state.fuel_budget.saturating_sub(left);
    state.fuel_budget = budget;
    store.set_fuel(budget)
}

/// All the fuel this store's calls have burnt (instantiation excluded).
#[must_use]
pub fn fuel_burnt(store: &Store<StoreState>) -> u64 {
    let left = store.get_fuel().unwrap_or(0);
    let state = store.data();
    state.fuel_burnt + state.fuel_budget.saturating_sub(left)
}
