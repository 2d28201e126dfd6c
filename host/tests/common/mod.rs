//! Helpers shared by the integration tests (a directory, so Cargo does not build it as a
//! test of its own). Each test binary uses part of it.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

pub mod hostile;
pub mod http;
