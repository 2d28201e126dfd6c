//! `hostile-corpus DIR`: writes every module of the hostile corpus (`NAME.wasm`), the
//! requests, and what the Rust host answers (`expected.json`) into `DIR`, for another host's
//! tests (the Python package's) to meet.

use std::process::ExitCode;

use onbehalf_core::json::Value;
use onbehalf_testkit::corpus;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: hostile-corpus DIR");
        return ExitCode::from(2);
    };
    let dir = std::path::PathBuf::from(dir);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut outcomes = Vec::new();
        for case in corpus::cases() {
            std::fs::write(dir.join(format!("{}.wasm", case.name)), &case.wasm)?;
            outcomes.push(corpus::outcome(&case));
        }
        let requests = corpus::REQUESTS
            .iter()
            .filter_map(|t| Value::parse(t).ok())
            .collect();
        let limits = corpus::limits();
        let expected = Value::Object(vec![
            ("requests".into(), Value::Array(requests)),
            (
                "max_memory_bytes".into(),
                Value::Number(limits.max_memory_bytes.to_string()),
            ),
            ("cases".into(), Value::Array(outcomes)),
        ]);
        std::fs::write(dir.join("expected.json"), expected.to_json())
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hostile-corpus: cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
