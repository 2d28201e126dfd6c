//! onbehalf's host side around [`onbehalf_core`]: the wasmtime policy-module host
//! ([`policy`]), and the HTTP server ([`server`]) with its [`metrics`].
#![forbid(unsafe_code)]

pub mod metrics;
pub mod policy;
pub mod server;
