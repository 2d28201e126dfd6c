//! The `module_json` fuzz target: the property is in `onbehalf_testkit::fuzz::module_json` (shared
//! with the corpus replay test of the main workspace).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onbehalf_testkit::fuzz::module_json(data));
