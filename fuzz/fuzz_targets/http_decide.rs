//! The `http_decide` fuzz target: the property is in `onbehalf_testkit::fuzz::http_decide` (shared
//! with the corpus replay test of the main workspace).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onbehalf_testkit::fuzz::http_decide(data));
