//! Arbitrary text through the JSON request path: the parser, §4 validation, the decision.
//!
//! Properties: `decide_str` always answers JSON; a request that parses re-serialises to a
//! canonical form that parses back to the same request and decides the same way; every
//! decision satisfies the core's invariants; an input that does not parse is answered with
//! exactly the parser's error; the tree-free reader and writer answer exactly as the strict
//! parser and the `Value` tree do (`parse_request_strict`, `decide_str_strict`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onbehalf_core::json::{
    decide_str, decide_str_strict, decision_to_value, error_to_value, parse_request,
    parse_request_strict, Value,
};
use onbehalf_core::{decide, invariants};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let answer = decide_str(text);
    assert_eq!(
        answer,
        decide_str_strict(text),
        "fast and strict answers differ"
    );
    assert_eq!(parse_request(text), parse_request_strict(text));
    assert!(
        Value::parse(&answer).is_ok(),
        "decide_str answered non-JSON: {answer}"
    );
    match parse_request(text) {
        Err(e) => assert_eq!(answer, error_to_value(&e).to_string()),
        Ok(request) => {
            let canonical = request.to_value().to_string();
            let again = parse_request(&canonical)
                .unwrap_or_else(|e| panic!("canonical form {canonical} does not parse: {e}"));
            assert_eq!(again, request, "{canonical}");
            assert_eq!(decide_str(&canonical), answer);
            let decision = decide(&request).unwrap_or_else(|e| panic!("validated but {e}"));
            if let Err(v) = invariants::check(&request, &decision) {
                panic!("invariant broken ({v}) for {canonical}: {answer}");
            }
            assert_eq!(decision_to_value(&decision).to_string(), answer);
        }
    }
});
