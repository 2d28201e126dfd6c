//! The policy-module options shared by `decide` and `serve`: which module, and the limit a
//! module file must stay within to be loaded.

use std::path::PathBuf;

use onbehalf_host::policy::{Limits, LoadError, PolicyHost};

/// Where the policy module comes from, and the load limit.
#[derive(Debug, clap::Args)]
pub struct ModuleArgs {
    /// Decide through this wasm policy module (in the sandboxed host) instead of the
    /// embedded default (for `decide`: instead of the native core).
    #[arg(long, value_name = "FILE")]
    pub module: Option<PathBuf>,
    /// Largest policy module accepted (at start and on every reload), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_module_bytes,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_module_bytes: usize,
}

impl ModuleArgs {
    /// The host's limits with these options applied.
    pub fn limits(&self) -> Limits {
        Limits {
            max_module_bytes: self.max_module_bytes,
            ..Limits::default()
        }
    }

    /// Loads the module given, or the embedded default.
    pub fn host(&self) -> Result<PolicyHost, LoadError> {
        match &self.module {
            Some(path) => PolicyHost::from_file(path, self.limits()),
            None => PolicyHost::with_default_module(self.limits()),
        }
    }
}
