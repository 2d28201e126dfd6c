//! Arbitrary bytes through the policy module's `explain` ABI, in wasmtime under the host's
//! limits.
//!
//! Properties: the embedded reference module never faults; its answer is exactly what the
//! native core answers for the same text (native and module agree), and invalid UTF-8 is
//! answered with `invalid-json`.
#![no_main]

use std::sync::Mutex;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onbehalf_core::json::{decide_str, error_to_value, invalid_utf8};
use onbehalf_host::policy::{Limits, PolicyHost, Worker};

fn worker() -> &'static Mutex<Worker> {
    static WORKER: OnceLock<Mutex<Worker>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let host =
            PolicyHost::with_default_module(Limits::default()).expect("the default module loads");
        Mutex::new(host.worker())
    })
}

fuzz_target!(|data: &[u8]| {
    let mut worker = worker()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let answer = worker
        .explain_raw(data)
        .unwrap_or_else(|fault| panic!("the reference module faulted: {}", fault.name()));
    let answer = String::from_utf8(answer).expect("the module answers UTF-8");
    match std::str::from_utf8(data) {
        Ok(text) => assert_eq!(
            answer,
            decide_str(text),
            "module and native differ on {text:?}"
        ),
        Err(bad) => {
            // Exactly the host's own answer to invalid UTF-8 (one definition, in the core).
            let expected = error_to_value(&invalid_utf8(bad.valid_up_to())).to_string();
            assert_eq!(answer, expected);
        }
    }
});
