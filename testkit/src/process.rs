//! A child process as the command-line tests run one: stdin in; exit code, stdout and
//! stderr out; and the JSON lines a command prints.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `command` with `stdin` as its input: its exit code (-1 when a signal ended it),
/// stdout and stderr. The input is written on a thread, so a large input cannot deadlock
/// against a large output; a command that exits without reading it is not an error.
///
/// # Panics
/// When the command cannot start or its output is not UTF-8.
#[allow(clippy::expect_used)]
#[must_use]
pub fn run(command: &mut Command, stdin: &[u8]) -> (i32, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let input = child.stdin.take();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut input) = input {
            let _ = input.write_all(&data);
        }
    });
    let out = child.wait_with_output().expect("the command's output");
    writer.join().expect("the input writer");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// Each line of `text` as JSON.
///
/// # Panics
/// On a line that is not JSON.
#[allow(clippy::expect_used)]
#[must_use]
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}
