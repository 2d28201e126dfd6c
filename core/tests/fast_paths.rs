//! The fast reader and writer (`parse_request`, `read_body`, `decide_str`, `write_decision`,
//! `write_error`) against the strict `Value` paths they stand in for: the same answer for
//! every text — the spec's examples, random valid requests rendered every legal way, and
//! those requests broken in every way the fast path must hand to the strict one.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onbehalf_core::json::{
    decide_str, decide_str_strict, decision_to_value, error_to_value, parse_request,
    parse_request_fast, parse_request_strict, read_body, read_body_strict, write_decision,
    write_error, Value,
};
use onbehalf_core::*;
use onbehalf_workload::sample::{self, Space};
use onbehalf_workload::Rng;
use proptest::prelude::*;

/// Every reader and the whole `decide_str` agree with their strict counterparts on `text`.
fn assert_same(text: &str) {
    assert_eq!(parse_request(text), parse_request_strict(text), "{text}");
    assert_eq!(decide_str(text), decide_str_strict(text), "{text}");
    assert_eq!(read_body(text), read_body_strict(text), "{text}");
}

fn examples() -> Vec<String> {
    let worked: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("worked_examples.json")).unwrap();
    let validation: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("validation_cases.json")).unwrap();
    worked
        .iter()
        .map(|case| case["request"].to_string())
        .chain(
            validation
                .iter()
                .map(|case| case["input"].as_str().unwrap().to_owned()),
        )
        .collect()
}

#[test]
fn the_spec_examples_read_the_same_both_ways() {
    let texts = examples();
    assert!(texts.len() > 40, "the example files were found");
    for text in &texts {
        assert_same(text);
    }
    // And all of them in one body, then each of them as a body's last item.
    assert_same(&format!("[{}]", texts.join(",")));
    for text in &texts {
        assert_same(&format!(r#"[{{"level":"identify"}}, {text} ]"#));
    }
}

#[test]
fn plainly_valid_requests_take_the_fast_path() {
    // Keys in any order, aliases in any case, whitespace, nesting to a hop's trust.
    let text = r#" {"hops":[{"target":"cifs/fs1","forest_trust":{"two_way":true},"realm":"OTHER-forest"}],"level":"Delegate","auth":"kerberos","delegation":{"server_trust":"unconstrained","allowed_targets":["a","b"]}} "#;
    assert_eq!(
        parse_request_fast(text).ok_or(()),
        parse_request_strict(text).map_err(|_| ())
    );
    assert_same(text);
    // Every worked example is plainly valid JSON: the fast path reads each one alone.
    let worked: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("worked_examples.json")).unwrap();
    for case in &worked {
        let text = case["request"].to_string();
        if let Ok(request) = parse_request_strict(&text) {
            assert_eq!(parse_request_fast(&text), Some(request), "{text}");
        }
    }
}

#[test]
fn raw_control_characters_go_the_strict_way() {
    for text in [
        "{\"level\":\"identify\n\"}",
        "{\"level\":\"identify\t\"}",
        "{\"level\":\"delegate\",\"hops\":[{\"target\":\"cifs/fs1\r\"}]}",
        "{\"level\n\":\"identify\"}",
        "[{\"level\":\"identify\"},{\"level\":\"x\u{1}\"}]",
    ] {
        assert!(parse_request_fast(text).is_none(), "{text:?}");
        assert_same(text);
    }
}

/// `from_name` tries the canonical spellings first (one `match`), then every spelling
/// case-insensitively: each spelling, in any case, still names its own value and no other.
#[test]
fn every_spelling_names_its_own_value() {
    fn check<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        choices: &[Choice],
        from_name: fn(&str) -> Option<T>,
    ) {
        assert_eq!(all.len(), choices.len());
        for (value, choice) in all.iter().zip(choices) {
            for spelling in choice.spellings {
                assert_eq!(from_name(spelling), Some(*value), "{spelling}");
                let upper = spelling.to_ascii_uppercase();
                assert_eq!(from_name(&upper), Some(*value), "{upper}");
            }
        }
    }
    check(
        RequestedLevel::ALL,
        RequestedLevel::CHOICES,
        RequestedLevel::from_name,
    );
    check(Transport::ALL, Transport::CHOICES, Transport::from_name);
    check(
        ServerLocation::ALL,
        ServerLocation::CHOICES,
        ServerLocation::from_name,
    );
    check(
        AuthService::ALL,
        AuthService::CHOICES,
        AuthService::from_name,
    );
    check(
        ServerTrust::ALL,
        ServerTrust::CHOICES,
        ServerTrust::from_name,
    );
    check(Realm::ALL, Realm::CHOICES, Realm::from_name);
}

/// Every spelling of every vocabulary a request uses: aliases and case variants for the
/// right field, and names of the wrong vocabulary for the others.
fn spellings() -> Vec<&'static str> {
    [
        RequestedLevel::CHOICES,
        Transport::CHOICES,
        ServerLocation::CHOICES,
        AuthService::CHOICES,
        ServerTrust::CHOICES,
        Realm::CHOICES,
    ]
    .iter()
    .flat_map(|choices| choices.iter().flat_map(|c| c.spellings.iter().copied()))
    .collect()
}

/// Odd strings: empty, escapes, control characters, non-ASCII, a Unicode look-alike.
const ODD_STRINGS: [&str; 11] = [
    "",
    "\n",
    "cifs/fs1\n",
    "kerberos\r ",
    "a\"b",
    "back\\slash",
    "tab\there",
    "cifs/fé",
    "\u{212A}erberos",
    "\u{1F600}",
    "\u{7f}",
];

/// Keys the tables do not have, or have in another case.
const ODD_KEYS: [&str; 5] = ["Level", "extra", "", "lével", "target "];

/// A value of another JSON type (or an empty container) where any value stood.
fn wrong_type(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => Value::Number("1".into()),
        3 => Value::Number("-0.5e3".into()),
        4 => Value::Array(vec![]),
        5 => Value::Object(vec![]),
        _ => Value::String(String::new()),
    }
}

/// One change at a node of `v` drawn uniformly (a target string as likely as a name).
fn mutate(v: &mut Value, rng: &mut Rng) {
    let n = rng.below(count(v));
    if let Ok(at) = node(v, n) {
        mutate_here(at, rng);
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Object(fields) => fields.iter().map(|(_, v)| count(v)).sum(),
        Value::Array(items) => items.iter().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order, or how many were left to skip.
fn node(v: &mut Value, n: usize) -> Result<&mut Value, usize> {
    if n == 0 {
        return Ok(v);
    }
    let mut left = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Object(fields) => fields.iter_mut().map(|(_, v)| v).collect(),
        Value::Array(items) => items.iter_mut().collect(),
        _ => vec![],
    };
    for child in children {
        match node(child, left) {
            Ok(found) => return Ok(found),
            Err(rest) => left = rest,
        }
    }
    Err(left)
}

fn mutate_here(v: &mut Value, rng: &mut Rng) {
    match (v, rng.below(6)) {
        (Value::Object(fields), 0) if !fields.is_empty() => {
            // A duplicate key (a `Value` may hold one; its text then has it twice).
            let i = rng.below(fields.len());
            let copy = fields[i].clone();
            fields.push(copy);
        }
        (Value::Object(fields), 1) if !fields.is_empty() => {
            fields.remove(rng.below(fields.len()));
        }
        (Value::Object(fields), 2) => fields.push((rng.pick(&ODD_KEYS).into(), wrong_type(rng))),
        (Value::Object(fields), 3) => {
            let by = usize::from(!fields.is_empty());
            fields.rotate_left(by);
        }
        (Value::Array(items), 0..=2) if !items.is_empty() => {
            // Up to 17 copies: past the hop limit.
            let copy = items[rng.below(items.len())].clone();
            let n = 1 + rng.below(16);
            items.extend(std::iter::repeat_n(copy, n));
        }
        (Value::String(s), 0..=1) => *s = rng.pick(&spellings()).to_owned(),
        (Value::String(s), 2..=3) => *s = rng.pick(&ODD_STRINGS).to_owned(),
        (Value::String(s), 4) => *s = s.to_ascii_uppercase(),
        (v, _) => *v = wrong_type(rng),
    }
}

/// Optional whitespace between tokens (all four RFC 8259 kinds).
fn ws(rng: &mut Rng, out: &mut String) {
    if rng.chance(10) {
        out.push_str(rng.pick(&[" ", "\n", "\t", "\r\n  "]));
    }
}

/// A string literal, now and then with one character written as an escape (the same string
/// to a JSON reader; the fast path must hand it to the strict one).
fn render_string(s: &str, escapes: u64, rng: &mut Rng, out: &mut String) {
    if s.chars().any(char::is_control) && !s.contains(['"', '\\']) && rng.chance(50) {
        // Control characters left raw: not JSON (the strict parser's error to report).
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    if s.is_empty() || !rng.chance(escapes) {
        Value::String(s.to_owned()).write_json(out);
        return;
    }
    let at = rng.below(s.chars().count());
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        match c {
            '/' if i == at => out.push_str("\\/"),
            c if i == at && (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => {
                let quoted = Value::String(c.to_string()).to_json();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
        }
    }
    out.push('"');
}

/// `v` as JSON text with random whitespace, and escapes in `escapes` percent of its strings.
fn render(v: &Value, escapes: u64, rng: &mut Rng, out: &mut String) {
    ws(rng, out);
    match v {
        Value::String(s) => render_string(s, escapes, rng, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(item, escapes, rng, out);
            }
            ws(rng, out);
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws(rng, out);
                render_string(key, escapes, rng, out);
                ws(rng, out);
                out.push(':');
                render(value, escapes, rng, out);
            }
            ws(rng, out);
            out.push('}');
        }
        other => other.write_json(out),
    }
    ws(rng, out);
}

/// A valid request's canonical JSON with fields left at their defaults dropped (the table's
/// fixed defaults) and the keys shuffled: still the same request.
fn sparse(request: &Value, rng: &mut Rng) -> Value {
    match request {
        Value::Object(fields) => {
            let mut kept = Vec::new();
            for (key, value) in fields {
                if required(key) || rng.chance(70) {
                    kept.push((key.clone(), sparse(value, rng)));
                }
            }
            let n = kept.len().max(1);
            kept.rotate_left(rng.below(n));
            Value::Object(kept)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| sparse(i, rng)).collect()),
        other => other.clone(),
    }
}

/// Whether the tables say a field of this name must be present.
fn required(key: &str) -> bool {
    [<Request>::FIELDS, <Hop>::FIELDS]
        .iter()
        .flat_map(|fields| fields.iter())
        .any(|f| f.name == key && matches!(f.default, DefaultInfo::Required(_)))
}

/// A random valid request (hops, realms, trusts) as a `Value`, sometimes sparse.
fn valid_value(rng: &mut Rng) -> Value {
    let request = sample::request(rng, Space::All, MAX_HOPS).to_value();
    if rng.chance(50) {
        sparse(&request, rng)
    } else {
        request
    }
}

/// The text after `mutations` changes to a valid request, then maybe a cut or a byte
/// change in the text itself.
fn broken_text(rng: &mut Rng, mutations: usize) -> String {
    let mut v = valid_value(rng);
    for _ in 0..mutations {
        mutate(&mut v, rng);
    }
    let mut text = String::new();
    let escapes = if rng.chance(25) { 10 } else { 0 };
    render(&v, escapes, rng, &mut text);
    let cut = |text: &str, rng: &mut Rng| {
        let chars: Vec<char> = text.chars().collect();
        (chars.len(), rng.below(chars.len().max(1)), chars)
    };
    match rng.below(8) {
        0 => {
            let (_, at, chars) = cut(&text, rng);
            chars[..at].iter().collect()
        }
        1 => {
            let (n, at, mut chars) = cut(&text, rng);
            if n > 0 {
                chars[at] = rng.pick(&['"', '\\', ',', ':', '{', ']', '0', 'é', '\u{1}']);
            }
            chars.into_iter().collect()
        }
        2 => format!("{text}{}", rng.pick(&[" x", ",", "}", "\u{feff}"])),
        _ => text,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    #[test]
    fn valid_requests_read_the_same_both_ways(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let value = valid_value(&mut rng);
        let mut text = String::new();
        let escapes = if rng.chance(25) { 10 } else { 0 };
        render(&value, escapes, &mut rng, &mut text);
        let request = parse_request(&text);
        prop_assert!(request.is_ok(), "{text}: {request:?}");
        assert_same(&text);
        // Without escapes the text is plainly valid: the fast path alone reads it.
        if !text.contains('\\') {
            prop_assert_eq!(parse_request_fast(&text), request.ok(), "{}", text);
        }
    }

    #[test]
    fn broken_requests_read_the_same_both_ways(seed in any::<u64>(), mutations in 0usize..4) {
        let mut rng = Rng(seed);
        assert_same(&broken_text(&mut rng, mutations));
    }

    #[test]
    fn bodies_mixing_valid_and_broken_items_read_the_same_both_ways(seed in any::<u64>(), n in 0usize..8) {
        let mut rng = Rng(seed);
        let items: Vec<String> = (0..n)
            .map(|_| match rng.below(4) {
                0 => {
                    let mutations = 1 + rng.below(2);
                    broken_text(&mut rng, mutations)
                }
                1 => rng.pick(&["5", "null", "[]", "\"level\"", "{}"]).to_owned(),
                _ => {
                    let mut text = String::new();
                    let value = valid_value(&mut rng);
                    render(&value, 0, &mut rng, &mut text);
                    text
                }
            })
            .collect();
        let text = format!("[{}]", items.join(","));
        prop_assert_eq!(read_body(&text), read_body_strict(&text), "{}", text);
    }

    #[test]
    fn arbitrary_text_reads_the_same_both_ways(text in ".{0,200}") {
        assert_same(&text);
    }

    #[test]
    fn json_shaped_noise_reads_the_same_both_ways(text in r#"[\[\]{}":,a-z0-9_ \-\\]{0,120}"#) {
        assert_same(&text);
        assert_same(&format!("{{\"level\":\"identify\"}}{text}"));
        assert_same(&format!("[{{\"level\":\"identify\"}},{text}"));
    }

    #[test]
    fn decisions_write_as_their_values_do(
        effective in proptest::sample::select(Level::ALL),
        reach in proptest::sample::select(Reach::ALL),
        reasons in proptest::collection::vec(proptest::sample::select(Reason::ALL), 0..6),
        hops in proptest::collection::vec(
            (".{0,12}", proptest::sample::select(HopReason::ALL)), 0..=MAX_HOPS),
    ) {
        // Any decision, sensible or not, with targets that need escapes.
        let mut set = Reasons::EMPTY;
        reasons.iter().for_each(|r| set.insert(*r));
        let outcomes: Vec<HopOutcome> = hops
            .iter()
            .map(|(target, reason)| HopOutcome { target, reason: *reason })
            .collect();
        let decision = Decision::with_hops(effective, reach, set, &outcomes).unwrap();
        let mut out = String::from("[");
        write_decision(&decision, &mut out);
        out.push(',');
        write_decision(&decision, &mut out);
        let one = decision_to_value(&decision).to_json();
        prop_assert_eq!(out, format!("[{one},{one}"));
    }

    #[test]
    fn errors_write_as_their_values_do(seed in any::<u64>(), found in ".{0,80}") {
        let mut rng = Rng(seed);
        let mutations = 1 + rng.below(2);
        let error = parse_request(&broken_text(&mut rng, mutations))
            .err()
            .unwrap_or_else(|| RequestError::new(ErrorCode::UnknownField, FieldPath::field("hops").index(3), "x"));
        for error in [error.clone(), error.found(&found)] {
            let mut out = String::new();
            write_error(&error, &mut out);
            prop_assert_eq!(out, error_to_value(&error).to_json());
        }
    }
}
