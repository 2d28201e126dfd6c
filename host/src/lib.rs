//! onbehalf's host side: the wasmtime policy-module host ([`policy`]) and the HTTP server
//! ([`server`]) around [`onbehalf_core`].
#![forbid(unsafe_code)]

pub mod policy;
