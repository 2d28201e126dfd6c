//! Test helpers shared by onbehalf's tests, benches and soak run, so none is copied between
//! test files: one HTTP/1.1 client ([`http`]), servers in process or as a child process
//! ([`server`]), and hostile policy modules written in WAT ([`hostile`]).
#![forbid(unsafe_code)]

pub mod hostile;
pub mod http;
pub mod server;
