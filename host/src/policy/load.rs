//! Load-time validation of a policy module: size, wasm validity, no imports, the required
//! exports with their exact signatures, the ABI version, and a smoke decision. Nothing is
//! half-loaded: a module either passes every check or is refused with a named error.

use std::fmt::Write as _;

use wasmtime::{Engine, ExternType, FuncType, InstancePre, Linker, Module, ValType};

use super::limits::Limits;
use super::store::{new_store, StoreState};
use onbehalf_core::{PackedRequest, RawDecision, Request, RequestedLevel};

/// The policy ABI version this host speaks.
pub const ABI_VERSION: i32 = onbehalf_abi::ABI_V1;

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
    #[error("policy module imports {module}::{name}; policy ABI v1 grants no imports")]
    Import {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// A required export is absent.
    #[error("policy module has no export `{0}` (required by policy ABI v1)")]
    MissingExport(&'static str),
    /// A required export has the wrong type or signature.
    #[error("policy module export `{export}` is {found}; policy ABI v1 requires {expected}")]
    WrongSignature {
        /// The export.
        export: &'static str,
        /// What the ABI requires.
        expected: &'static str,
        /// What the module has.
        found: String,
    },
    /// `onbehalf_abi_version()` returned another version.
    #[error(
        "policy module implements ABI version {found}; this host speaks version {ABI_VERSION}"
    )]
    AbiVersion {
        /// What the module returned.
        found: i32,
    },
    /// Instantiation (or the start function, or a load-time call) failed.
    #[error("policy module failed at load: {0}")]
    Instantiate(String),
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

/// A module that passed every load check, ready to instantiate cheaply per worker.
#[derive(Clone)]
pub struct LoadedPolicy {
    /// The pre-linked module.
    pub pre: InstancePre<StoreState>,
    /// Where it came from (a path, `embedded default`, or `uploaded`).
    pub source: String,
    /// Its size in bytes.
    pub size: usize,
}

/// Validates `bytes` as a policy module. See the module docs for the checks.
pub fn load(
    engine: &Engine,
    limits: &Limits,
    bytes: &[u8],
    source: &str,
) -> Result<LoadedPolicy, LoadError> {
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
    for export in onbehalf_abi::EXPORTS_V1 {
        let (name, expected) = (export.name, export.signature);
        match module.get_export(name) {
            None => return Err(LoadError::MissingExport(name)),
            Some(ExternType::Func(f)) => {
                let found = signature(&f);
                if found != expected {
                    return Err(LoadError::WrongSignature {
                        export: name,
                        expected,
                        found,
                    });
                }
            }
            Some(other) => {
                return Err(LoadError::WrongSignature {
                    export: name,
                    expected,
                    found: format!("not a function ({other:?})"),
                })
            }
        }
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
    let linker: Linker<StoreState> = Linker::new(engine);
    let pre = linker
        .instantiate_pre(&module)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;

    // Instantiate once and ask: the version, then one real decision.
    let mut store = new_store(engine, limits);
    store
        .set_fuel(limits.load_fuel)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;
    let instance = pre
        .instantiate(&mut store)
        .map_err(|e| LoadError::Instantiate(format!("{e:#}")))?;
    let version = instance
        .get_typed_func::<(), i32>(&mut store, "onbehalf_abi_version")
        .and_then(|f| f.call(&mut store, ()))
        .map_err(|e| LoadError::Instantiate(format!("onbehalf_abi_version: {e:#}")))?;
    if version != ABI_VERSION {
        return Err(LoadError::AbiVersion { found: version });
    }
    let request = PackedRequest::pack(&Request::new(RequestedLevel::Impersonation)).raw();
    let found = instance
        .get_typed_func::<i64, i64>(&mut store, "decide")
        .and_then(|f| f.call(&mut store, request))
        .map_err(|e| LoadError::Instantiate(format!("decide: {e:#}")))?;
    if !matches!(RawDecision::classify(found), RawDecision::Decision(_)) {
        return Err(LoadError::SmokeTest { request, found });
    }
    Ok(LoadedPolicy {
        pre,
        source: source.into(),
        size: bytes.len(),
    })
}
