//! Helpers of the directory's integration tests (one copy, `mod common;` in each).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use onbehalf_core::json::{decide_str, parse_request, Value};
use onbehalf_directory::check::{FACTS_KEY, REQUEST_KEY};

/// The shared BloodHound CE collection of `CONTOSO.TEST`.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bloodhound-contoso")
}

/// A fresh, empty scratch folder under the target dir's tmp.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `files` (name, bytes) deflated into the zip at `path`.
pub fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(name.as_str(), options).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// Asserts that a `check` answer is `decide`'s answer for the request filled by hand (the
/// decision), that its filled request is that request, canonical, and returns the answer.
pub fn answers_like_decide(answer: &str, by_hand: &str, case: &str) -> Value {
    let got = Value::parse(answer).unwrap();
    let Value::Object(fields) = &got else {
        panic!("{case}: {answer}")
    };
    let decision: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k != REQUEST_KEY && k != FACTS_KEY)
        .cloned()
        .collect();
    let want = Value::parse(&decide_str(by_hand)).unwrap();
    assert_eq!(Value::Object(decision), want, "{case}: {answer}");
    let canonical = parse_request(by_hand).unwrap().to_value();
    assert_eq!(got.get(REQUEST_KEY), Some(&canonical), "{case}");
    got
}
