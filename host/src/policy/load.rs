//! Load-time validation of a policy module: size, wasm validity, no imports, the required
//! exports with their exact signatures, the ABI version, and a smoke decision. Nothing is
//! half-loaded: a module either passes every check or is refused with a named error.

use std::fmt::Write as _;
use std::sync::Arc;

use wasmtime::{Engine, ExternType, FuncType, InstancePre, Linker, Module, ValType};

use onbehalf_abi::{names, Export};

use super::store::{new_store, StoreState};
use onbehalf_abi::reasons::OwnReason;
use onbehalf_abi::Limits;
use onbehalf_core::{PackedRequest, RawDecision, Request, RequestedLevel};

/// The newest policy ABI version this host speaks (it also loads version 1 modules).
pub const ABI_VERSION: i32 = onbehalf_abi::ABI_V2;

/// Why a module was refused at load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading the module file failed.
    #[error("cannot read policy module {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The module is larger than the configured limit.
    #[error("policy module is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a valid WebAssembly module.
    #[error("not a valid WebAssembly module: {0}")]
    Invalid(String),
    /// The module imports something; policy modules get no imports at all.
    #[error("policy module imports {module}::{name}; the policy ABI grants no imports")]
    Import {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// A required export is absent.
    #[error("policy module has no export `{0}` (required by its policy ABI version)")]
    MissingExport(&'static str),
    /// A required export has the wrong type or signature.
    #[error("policy module export `{export}` is {found}; the policy ABI requires {expected}")]
    WrongSignature {
        /// The export.
        export: &'static str,
        /// What the ABI requires.
        expected: &'static str,
        /// What the module has.
        found: String,
    },
    /// `onbehalf_abi_version()` returned a version this host does not speak.
    #[error("policy module implements ABI version {found}; this host speaks versions 1 and 2")]
    AbiVersion {
        /// What the module returned.
        found: i32,
    },
    /// Instantiation (or the start function, or a load-time call) failed.
    #[error("policy module failed at load: {0}")]
    Instantiate(String),
    /// The module's own reason codes (`policy_reasons`) are not a valid catalog.
    #[error("policy module's own reason codes are not valid: {0}")]
    Reasons(String),
    /// The module's answer to the smoke request is not a well-formed decision.
    #[error(
        "policy module's decide({request}) returned {found}, which is not a well-formed decision"
    )]
    SmokeTest {
        /// The packed request sent.
        request: i64,
        /// What came back.
        found: i64,
    },
}

fn valtype(v: &ValType) -> String {
    match v {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => format!("{r}"),
    }
}

fn signature(f: &FuncType) -> String {
    let params: Vec<String> = f.params().map(|p| valtype(&p)).collect();
    let results: Vec<String> = f.results().map(|r| valtype(&r)).collect();
    let mut s = String::new();
    let _ = write!(s, "({}) -> ({})", params.join(", "), results.join(", "));
    s
}

impl LoadError {
    /// A stable name for the refusal (CLI and HTTP output: `policy-rejected` with this name).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            LoadError::Io { .. } => "io",
            LoadError::TooLarge { .. } => "too-large",
            LoadError::Invalid(_) => "invalid",
            LoadError::Import { .. } => "import",
            LoadError::MissingExport(_) => "missing-export",
            LoadError::WrongSignature { .. } => "wrong-signature",
            LoadError::AbiVersion { .. } => "abi-version",
            LoadError::Instantiate(_) => "instantiate",
            LoadError::Reasons(_) => "reasons",
            LoadError::SmokeTest { .. } => "smoke-test",
        }
    }
}

/// A module that passed every load check, ready to instantiate cheaply per worker.
#[derive(Clone)]
pub struct LoadedPolicy {
    /// The pre-linked module.
    pub pre: InstancePre<StoreState>,
    /// Where it came from (a path, `embedded default`, or `uploaded`).
    pub source: String,
    /// Its size in bytes.
    pub size: usize,
    /// The ABI version it implements.
    pub version: i32,
    /// Its own reason codes (empty for ABI v1 and for a module that declares none).
    pub reasons: Vec<OwnReason>,
    /// Its faults' log (shared by every worker running it).
    pub faults: Arc<super::faultlog::FaultLog>,
}

/// A function export's type as the host prints it, or a description of what it is instead.
fn export_signature(module: &Module, name: &str) -> Option<Result<String, String>> {
    match module.get_export(name)? {
        ExternType::Func(f) => Some(Ok(signature(&f))),
        other => Some(Err(format!("not a function ({other:?})"))),
    }
}

/// Checks that `module` has each export of `exports` with its signature (`required`: also
/// that it is there at all).
fn check_exports(
    module: &Module,
    exports: &'static [Export],
    required: bool,
) -> Result<(), LoadError> {
    for export in exports {
        let (name, expected) = (export.name, export.signature);
        match export_signature(module, name) {
            None if required => return Err(LoadError::MissingExport(name)),
            None => {}
            Some(Ok(found)) if found == expected => {}
            Some(Ok(found) | Err(found)) => {
                return Err(LoadError::WrongSignature {
                    export: name,
                    expected,
                    found,
                })
            }
        }
    }
    Ok(())
}

/// Compiles `bytes` and checks what needs no instance: size, validity, imports, memory and
/// the version export.
fn compile(engine: &Engine, limits: &Limits, bytes: &[u8]) -> Result<Module, LoadError> {
    if bytes.len() > limits.max_module_bytes {
        return Err(LoadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_module_bytes,
        });
    }
    let module =
        Module::from_binary(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
    if let Some(import) = module.imports().next() {
        return Err(LoadError::Import {
            module: import.module().into(),
            name: import.name().into(),
        });
    }
    match module.get_export(onbehalf_abi::MEMORY) {
        Some(ExternType::Memory(_)) => {}
        Some(_) => {
            return Err(LoadError::WrongSignature {
                export: onbehalf_abi::MEMORY,
                expected: "an exported linear memory",
                found: "not a memory".into(),
            })
        }
        None => return Err(LoadError::MissingExport(onbehalf_abi::MEMORY)),
    }
    // The version decides which exports are required; its own signature is the same in all.
    check_exports(
        &module,
        onbehalf_abi::EXPORTS_V1.get(..1).unwrap_or(&[]),
        true,
    )?;
    Ok(module)
}

fn instantiate_error(what: &str) -> impl Fn(wasmtime::Error) -> LoadError + '_ {
    move |e| LoadError::Instantiate(format!("{what}: {e:#}"))
}

/// Reads the module's own reason codes (`policy_reasons`, if exported) from a live instance.
fn own_reasons(
    instance: &wasmtime::Instance,
    store: &mut wasmtime::Store<StoreState>,
    limits: &Limits,
) -> Result<Vec<OwnReason>, LoadError> {
    let Ok(f) = instance.get_typed_func::<(), i64>(&mut *store, names::POLICY_REASONS) else {
        return Ok(Vec::new());
    };
    let packed = f
        .call(&mut *store, ())
        .map_err(instantiate_error(names::POLICY_REASONS))?;
    let memory = instance
        .get_memory(&mut *store, onbehalf_abi::MEMORY)
        .ok_or(LoadError::MissingExport(onbehalf_abi::MEMORY))?;
    let (ptr, len) = ((packed >> 32) as u32 as usize, packed as u32 as usize);
    let text = memory
        .data(&*store)
        .get(ptr..ptr.saturating_add(len))
        .filter(|_| len <= limits.max_answer_bytes)
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| {
            LoadError::Reasons("policy_reasons answered outside memory or not UTF-8".into())
        })?;
    onbehalf_abi::reasons::parse(text).map_err(LoadError::Reasons)
}

/// Validates `bytes` as a policy module. See the module docs for the checks.
pub fn load(
    engine: &Engine,
    limits: &Limits,
    bytes: &[u8],
    source: &str,
) -> Result<LoadedPolicy, LoadError> {
    let module = compile(engine, limits, bytes)?;
    let linker: Linker<StoreState> = Linker::new(engine);
    let pre = linker
        .instantiate_pre(&module)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;

    // Instantiate once and ask: the version, the exports it requires, its reasons, then one
    // real decision.
    let mut store = new_store(engine, limits);
    store
        .set_fuel(limits.load_fuel)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;
    let instance = pre
        .instantiate(&mut store)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;
    let version = instance
        .get_typed_func::<(), i32>(&mut store, names::ABI_VERSION)
        .and_then(|f| f.call(&mut store, ()))
        .map_err(instantiate_error(names::ABI_VERSION))?;
    let required =
        onbehalf_abi::required_exports(version).ok_or(LoadError::AbiVersion { found: version })?;
    check_exports(&module, required, true)?;
    let reasons = if version == onbehalf_abi::ABI_V2 {
        check_exports(&module, onbehalf_abi::OPTIONAL_V2, false)?;
        own_reasons(&instance, &mut store, limits)?
    } else {
        Vec::new()
    };
    let request = PackedRequest::pack(&Request::new(RequestedLevel::Impersonation)).raw();
    let found = instance
        .get_typed_func::<i64, i64>(&mut store, names::DECIDE)
        .and_then(|f| f.call(&mut store, request))
        .map_err(instantiate_error(names::DECIDE))?;
    let (spec, own) = if version == onbehalf_abi::ABI_V2 {
        onbehalf_abi::record::split_own_reasons(found)
    } else {
        (found, 0)
    };
    let own_ok = own >> reasons.len().min(31) == 0;
    if !own_ok || !matches!(RawDecision::classify(spec), RawDecision::Decision(_)) {
        return Err(LoadError::SmokeTest { request, found });
    }
    Ok(LoadedPolicy {
        pre,
        source: source.into(),
        size: bytes.len(),
        version,
        reasons,
        faults: Arc::default(),
    })
}
