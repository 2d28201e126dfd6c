//! Test helpers shared by onbehalf's tests, benches and soak run, so none is copied between
//! test files: one HTTP/1.1 client ([`http`]), servers in process or as a child process
//! ([`server`]), hostile policy modules written in WAT ([`hostile`]), and the properties of
//! the fuzz targets that run the host ([`fuzz`]), a seeded sample of requests with hops
//! ([`requests`]), heavy and abusive clients ([`load`]), and waiting with a deadline for
//! something asynchronous ([`wait`]).
//!
//! [`corpus`] is the hostile-module corpus every policy host is held to; the
//! `hostile-corpus DIR` binary writes its modules and the Rust host's outcomes for the Python
//! package's tests. The fuzz properties are also replayed over the committed seed corpus by
//! `tests/fuzz_corpus.rs`, without an instrumented build. No test reads an asynchronous
//! effect once or sleeps a fixed time: it polls with [`wait::eventually`].
#![forbid(unsafe_code)]

pub mod corpus;
pub mod fuzz;
pub mod hostile;
pub mod http;
pub mod load;
pub mod process;
pub use onbehalf_workload::sample as requests;
pub mod server;
pub mod typescript;
pub mod wait;
