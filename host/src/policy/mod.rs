//! The policy-module host: loads a wasm policy module (the embedded default, or anyone's
//! module implementing policy ABI v1 or v2), validates it, and runs every decision inside
//! the sandbox under fuel and memory limits, failing closed on any fault — including an
//! answer that grants more than the reference engine. Modules are hot-reloadable: a new
//! module replaces the old one between calls, atomically.

mod answer;
mod calls;
mod fault;
mod faultlog;
mod load;
mod store;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use wasmtime::{Config, Engine};

pub use answer::PolicyAnswer;
pub use fault::Fault;
pub use load::{LoadError, LoadedPolicy, ABI_VERSION};
pub use onbehalf_abi::reasons::OwnReason;
pub use onbehalf_abi::Limits;
pub use onbehalf_core::json::{POLICY_ABI_TOO_OLD, POLICY_MODULE_FAULT};
pub use worker::{Verdict, Worker};

/// The default policy module (`onbehalf-policy-module`), built by `build.rs` and embedded.
pub const DEFAULT_MODULE: &[u8] = include_bytes!(env!("ONBEHALF_DEFAULT_MODULE"));

/// The example custom policy (`examples/strict-policy`: no unconstrained delegation, reach
/// capped at one network hop), built by `build.rs` and embedded for tests, demos and the
/// soak run's reload cycle.
pub const STRICT_EXAMPLE_MODULE: &[u8] = include_bytes!(env!("ONBEHALF_STRICT_MODULE"));

/// Counters kept by the host (exported at `/metrics`).
#[derive(Debug, Default)]
pub struct Stats {
    /// Decisions asked of the module.
    pub decisions: AtomicU64,
    /// Faults, by [`Fault::ALL`] index.
    pub faults: [AtomicU64; Fault::ALL.len()],
    /// Successful reloads.
    pub reloads: AtomicU64,
    /// Refused reloads.
    pub reload_failures: AtomicU64,
}

impl Stats {
    /// Counts a fault of `policy`, and logs it if its fault log says a line is due.
    pub(crate) fn count_fault(&self, fault: Fault, policy: &LoadedPolicy) {
        let index = Fault::ALL.iter().position(|f| *f == fault).unwrap_or(0);
        if let Some(counter) = self.faults.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(line) = policy
            .faults
            .note(fault, &policy.source, std::time::Instant::now())
        {
            tracing::warn!(fault = fault.name(), policy = %policy.source, "{line}");
        }
    }

    /// Total faults of every kind.
    pub fn total_faults(&self) -> u64 {
        self.faults.iter().map(|f| f.load(Ordering::Relaxed)).sum()
    }
}

/// What is loaded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// Where the module came from.
    pub source: String,
    /// Its size in bytes.
    pub size: usize,
    /// Increases by one on every successful reload (the first module is generation 1).
    pub generation: u64,
    /// The policy ABI version the module implements.
    pub abi_version: i32,
    /// Its own reason codes (ABI v2).
    pub reasons: Vec<OwnReason>,
}

pub(crate) struct Shared {
    engine: Engine,
    limits: Limits,
    /// The reference decision of every one-domain request: the ceiling every answer is
    /// checked against (a lookup, not a computation, on the hot path).
    table: onbehalf_core::DecisionTable,
    current: RwLock<(u64, Arc<LoadedPolicy>)>,
    generation: AtomicU64,
    stats: Stats,
}

impl Shared {
    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn current(&self) -> (u64, Arc<LoadedPolicy>) {
        let guard = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (guard.0, Arc::clone(&guard.1))
    }
}

/// A loaded policy and everything needed to run it. Cheap to clone (shared).
///
/// ```
/// use onbehalf_host::policy::{PolicyHost, Limits, Verdict};
/// use onbehalf_core::{PackedRequest, Request, RequestedLevel, Level};
/// let host = PolicyHost::with_default_module(Limits::default()).unwrap();
/// let mut worker = host.worker();
/// let request = PackedRequest::pack(&Request::new(RequestedLevel::Impersonation));
/// let Verdict::Decided(d, _own_reasons) = worker.decide_packed(request) else { panic!() };
/// assert_eq!(d.unpack().effective, Level::Impersonation);
/// ```
#[derive(Clone)]
pub struct PolicyHost {
    shared: Arc<Shared>,
}

impl PolicyHost {
    fn engine(limits: &Limits) -> Result<Engine, LoadError> {
        let mut config = Config::new();
        config.consume_fuel(true);
        // Linear memory is initialised by copying the data segments, not from a sealed memfd
        // image: sealing (`F_ADD_SEALS`) can fail transiently while the kernel holds extra
        // references to the image's pages (seen once in CI: "cannot add seals to the memfd",
        // a refused load). Instances are reused per worker, so the copy is paid per
        // instantiation (after a reload or a fault), never per decision.
        config.memory_init_cow(false);
        config.max_wasm_stack(limits.max_stack_bytes);
        // The wasm features a policy may use (docs/policy-abi.md): what compilers emit for
        // wasm32 by default. Off: what could make a policy non-deterministic (threads,
        // relaxed SIMD; NaN bits are canonicalised) or that no policy needs. Threads, GC,
        // function references and exceptions are not even compiled into this wasmtime.
        config
            .wasm_shared_everything_threads(false)
            .wasm_relaxed_simd(false)
            .wasm_memory64(false)
            .wasm_multi_memory(false)
            .wasm_gc(false)
            .wasm_stack_switching(false)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            .cranelift_nan_canonicalization(true);
        Engine::new(&config).map_err(|e| LoadError::Instantiate(format!("engine: {e:#}")))
    }

    /// Loads and validates a module from bytes.
    pub fn from_bytes(bytes: &[u8], source: &str, limits: Limits) -> Result<PolicyHost, LoadError> {
        Self::loading(bytes, source, limits, limits)
    }

    /// Loads `bytes` under `load` limits; the host then enforces `limits` (reloads included).
    fn loading(
        bytes: &[u8],
        source: &str,
        load: Limits,
        limits: Limits,
    ) -> Result<PolicyHost, LoadError> {
        let engine = Self::engine(&limits)?;
        let policy = load::load(&engine, &load, bytes, source)?;
        Ok(PolicyHost {
            shared: Arc::new(Shared {
                engine,
                limits,
                table: onbehalf_core::DecisionTable::new(),
                current: RwLock::new((1, Arc::new(policy))),
                generation: AtomicU64::new(1),
                stats: Stats::default(),
            }),
        })
    }

    /// Loads the embedded default module. It is part of this binary, so the module size
    /// limit (for modules from outside: files and uploads) does not apply to it.
    pub fn with_default_module(limits: Limits) -> Result<PolicyHost, LoadError> {
        let load = Limits {
            max_module_bytes: limits.max_module_bytes.max(DEFAULT_MODULE.len()),
            ..limits
        };
        Self::loading(DEFAULT_MODULE, "embedded default", load, limits)
    }

    /// Loads a module file.
    pub fn from_file(path: &std::path::Path, limits: Limits) -> Result<PolicyHost, LoadError> {
        let bytes = read_module(path, &limits)?;
        Self::from_bytes(&bytes, &path.display().to_string(), limits)
    }

    /// Replaces the module, atomically, between calls. A module that fails any load check
    /// is refused and the current one stays. Calls under way finish on the instance they
    /// started on; each worker switches before its next call.
    pub fn reload(&self, bytes: &[u8], source: &str) -> Result<PolicyInfo, LoadError> {
        let loaded = load::load(&self.shared.engine, &self.shared.limits, bytes, source);
        let policy = match loaded {
            Ok(p) => p,
            Err(e) => {
                self.shared
                    .stats
                    .reload_failures
                    .fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        let mut guard = self
            .shared
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let generation = guard.0 + 1;
        *guard = (generation, Arc::new(policy));
        self.shared.generation.store(generation, Ordering::Release);
        drop(guard);
        self.shared.stats.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(self.info())
    }

    /// Reloads from a file (see [`reload`](Self::reload)).
    pub fn reload_file(&self, path: &std::path::Path) -> Result<PolicyInfo, LoadError> {
        let bytes = read_module(path, &self.shared.limits)?;
        self.reload(&bytes, &path.display().to_string())
    }

    /// A new worker (its own store and instance, created on first use).
    #[must_use]
    pub fn worker(&self) -> Worker {
        Worker::new(Arc::clone(&self.shared))
    }

    /// What is loaded now.
    #[must_use]
    pub fn info(&self) -> PolicyInfo {
        let (generation, policy) = self.shared.current();
        PolicyInfo {
            source: policy.source.clone(),
            size: policy.size,
            generation,
            abi_version: policy.version,
            reasons: policy.reasons.clone(),
        }
    }

    /// The host's counters.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// The limits calls run under.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }
}

fn read_module(path: &std::path::Path, limits: &Limits) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_module_bytes as u64 {
        return Err(LoadError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: limits.max_module_bytes,
        });
    }
    std::fs::read(path).map_err(io)
}

/// Workers shared by many threads: take one, use it, give it back. A pool never blocks
/// on a busy worker; it makes a new one.
pub struct WorkerPool {
    host: PolicyHost,
    idle: Mutex<Vec<Worker>>,
}

impl WorkerPool {
    /// An empty pool over `host`.
    #[must_use]
    pub fn new(host: PolicyHost) -> WorkerPool {
        WorkerPool {
            host,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The host behind the pool.
    #[must_use]
    pub fn host(&self) -> &PolicyHost {
        &self.host
    }

    /// Runs `f` with a worker.
    pub fn with<R>(&self, f: impl FnOnce(&mut Worker) -> R) -> R {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut worker = taken.unwrap_or_else(|| self.host.worker());
        let result = f(&mut worker);
        worker.flush(); // one atomic per use keeps /metrics exact; a use is a whole HTTP request
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(worker);
        result
    }
}
