//! Replays the committed corpus of the fuzz targets that run the host through their
//! properties (`onbehalf_testkit::fuzz`), in the ordinary test build.
#![allow(missing_docs, clippy::expect_used)] // test helpers

fn replay(target: &str, property: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the committed corpus") {
        let path = entry.expect("a corpus entry").path();
        property(&std::fs::read(&path).expect("a corpus file"));
        n += 1;
    }
    assert!(
        n >= 50,
        "{target}: only {n} corpus entries in {}",
        dir.display()
    );
}

#[test]
fn module_json_corpus_holds_its_property() {
    replay("module_json", onbehalf_testkit::fuzz::module_json);
}

#[test]
fn http_decide_corpus_holds_its_property() {
    replay("http_decide", onbehalf_testkit::fuzz::http_decide);
}
