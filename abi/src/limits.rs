//! The limits every policy-module call runs under. A module that exceeds one is faulted and
//! answered fail-closed; none of them can stall or exhaust the host.

/// Resource limits for loading and calling a policy module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest module accepted at load, in bytes.
    pub max_module_bytes: usize,
    /// Largest linear memory an instance may grow to, in bytes.
    pub max_memory_bytes: usize,
    /// Largest wasm call stack, in bytes (deep recursion traps).
    pub max_stack_bytes: usize,
    /// Fuel for one `decide` call (the reference module uses well under 1,000).
    pub decide_fuel: u64,
    /// Fuel per request of a `decide_batch` call.
    pub batch_fuel_per_request: u64,
    /// Fuel per record of a `decide_records` call (plus `json_fuel_per_byte` per byte).
    pub record_fuel_base: u64,
    /// Fuel for one call of the JSON entry (`explain` in ABI v1, `decide_json` in v2): a
    /// base plus a share per input byte.
    pub json_fuel_base: u64,
    /// Fuel per input byte of the JSON entry (and of `decide_records`' input).
    pub json_fuel_per_byte: u64,
    /// Fuel for instantiation (start function) and the load-time ABI checks.
    pub load_fuel: u64,
    /// Largest answer of the JSON entry (or `policy_reasons`) accepted, in bytes.
    pub max_answer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_module_bytes: 16 << 20,
            max_memory_bytes: 64 << 20,
            max_stack_bytes: 256 << 10,
            decide_fuel: 100_000,
            batch_fuel_per_request: 10_000,
            record_fuel_base: 100_000,
            json_fuel_base: 5_000_000,
            json_fuel_per_byte: 2_000,
            load_fuel: 10_000_000,
            max_answer_bytes: 1 << 20,
        }
    }
}
