//! onbehalf's host side around [`onbehalf_core`]: the wasmtime policy-module host
//! ([`policy`]), and the HTTP server ([`server`], its accept loop in `connections.rs`) with
//! its [`metrics`].
#![forbid(unsafe_code)]

pub mod banner;
pub mod connections;
pub mod log;
pub mod metrics;
pub mod policy;
pub mod server;
