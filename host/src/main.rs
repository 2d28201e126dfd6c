//! `onbehalf`: decide, explain and tabulate Windows impersonation/delegation outcomes.
#![forbid(unsafe_code)]

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onbehalf_core::json::{
    decide_str, error_to_value, explain_value, fail_closed_for, fix_str, invalid_utf8,
    parse_request, request_from_value, Value,
};
use onbehalf_core::{ErrorCode, FieldPath, RequestError};
use onbehalf_host::policy::Worker;

mod bench;
mod directory_args;
mod explain;
mod lines;
mod module_args;
mod serve;
mod table;

use lines::{next_line, Line, MAX_LINE};

/// What a Windows server really gets when a client calls it at impersonation level X over
/// transport Y — and how far that identity can travel.
#[derive(Parser)]
#[command(name = "onbehalf", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide requests: one JSON request per stdin line (JSON Lines) → one JSON line each;
    /// or one request given as the argument.
    Decide {
        /// A request as JSON (reads stdin when absent).
        request: Option<String>,
        #[command(flatten)]
        module: module_args::ModuleArgs,
    },
    /// How to make it work: for each request (JSON Lines, like `decide`, or the argument), its
    /// decision and the minimal fixes, ranked least-privilege first (`{"decision","fixes"}`).
    Fix {
        /// A request as JSON (reads stdin when absent).
        request: Option<String>,
        /// With a directory, requests may name `client_account` and `server_account`, and the
        /// commands name the real accounts.
        #[command(flatten)]
        directory: directory_args::DirectoryArgs,
    },
    /// Decide requests that name accounts (`client_account`, `server_account`): the directory
    /// fills the delegation facts; JSON Lines like `decide`, each answer with the filled
    /// `request` and every fact's source.
    Check {
        /// A named request as JSON (reads stdin when absent).
        request: Option<String>,
        #[command(flatten)]
        directory: directory_args::DirectoryArgs,
    },
    /// Every delegation risk of a directory, each with the decision that shows its reach.
    Audit {
        #[command(flatten)]
        directory: directory_args::SourceArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: directory_args::AuditFormat,
    },
    /// Directory tools.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Explain one request: the decision, each step that fired with its rule and source, each
    /// hop, and how to make a denied hop work.
    Explain {
        /// A request as JSON (reads the first stdin line when absent).
        request: Option<String>,
        /// Print the explanation as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve decisions over HTTP through the policy-module host (127.0.0.1 by default).
    Serve(serve::ServeArgs),
    /// Measure a policy module on the standard request mix (single calls, batches, requests
    /// with hops), beside the embedded default module and the native core, with its fuel.
    Bench(bench::BenchArgs),
    /// Write an embedded policy module to stdout: the default one (the reference engine, and
    /// the embedding kit a host in another language uses) or the strict example.
    Module {
        /// Which module.
        #[arg(value_enum, default_value = "default")]
        which: EmbeddedModule,
    },
    /// Print the decision for every hop-free request in one domain (230,400 rows).
    Table {
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: table::Format,
        /// Also every realm: one row per decision class (each realm, and the eight forest
        /// trusts the rules tell apart; 2,304,000 rows).
        #[arg(long)]
        realm_classes: bool,
    },
}

/// Which embedded module `onbehalf module` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum EmbeddedModule {
    /// The default policy: the reference engine (it also carries the embedding kit).
    Default,
    /// The strict example policy (`examples/strict-policy`).
    StrictExample,
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Write a directory as a facts file (stdout), for `--facts` and the web page.
    Export {
        #[command(flatten)]
        directory: directory_args::SourceArgs,
    },
}

/// The text of one input line: `Ok(None)` for a blank line, an `invalid-json` error for an
/// over-long line or invalid UTF-8.
fn line_text(line: &Line) -> Result<Option<&str>, RequestError> {
    match line {
        Line::TooLong(len) => Err(RequestError::new(
            ErrorCode::InvalidJson,
            FieldPath::REQUEST,
            "a request line of at most 4 MiB",
        )
        .found(format_args!(
            "a line of {len} bytes (limit {MAX_LINE}); not parsed"
        ))),
        Line::Text(bytes) => match std::str::from_utf8(bytes) {
            Err(e) => Err(invalid_utf8(e.valid_up_to())),
            Ok(text) if text.trim_matches([' ', '\t', '\r']).is_empty() => Ok(None),
            Ok(text) => Ok(Some(text)),
        },
    }
}

/// Decides one request text through a policy module: validated natively (the spec's
/// errors), decided by the module, fail-closed on a module fault.
fn decide_with_module(worker: &mut Worker, text: &str) -> String {
    let request = Value::parse(text).and_then(|v| request_from_value(&v));
    match request {
        Err(e) => error_to_value(&e).to_string(),
        Ok(r) => match worker.decide(&r) {
            Ok(answer) => answer.to_value().to_string(),
            Err(fault) => fail_closed_for(fault.reason(), &r).to_string(),
        },
    }
}

/// One input line → one output line (`answer`'s, or the line's error object); blank lines →
/// none.
fn answer_line(line: &Line, answer: &mut impl FnMut(&str) -> String) -> Option<String> {
    match line_text(line) {
        Ok(text) => text.map(answer),
        Err(e) => Some(error_to_value(&e).to_json()),
    }
}

/// JSON Lines: every non-blank input line gets exactly one output line, flushed at once.
fn answer_stream(
    input: &mut impl BufRead,
    out: &mut impl Write,
    mut answer: impl FnMut(&str) -> String,
) -> io::Result<()> {
    while let Some(line) = next_line(input)? {
        if let Some(text) = answer_line(&line, &mut answer) {
            writeln!(out, "{text}")?;
            out.flush()?;
        }
    }
    Ok(())
}

/// `request` as the only line, or stdin's lines, each answered by `answer`.
fn answer_lines(
    request: Option<String>,
    out: &mut impl Write,
    mut answer: impl FnMut(&str) -> String,
) -> io::Result<()> {
    match request {
        Some(text) => match answer_line(&Line::Text(text.into_bytes()), &mut answer) {
            Some(text) => writeln!(out, "{text}"),
            None => Ok(()),
        },
        None => answer_stream(&mut io::stdin().lock(), out, answer),
    }
}

/// The request text for `explain`: the argument, or the first stdin line.
fn read_one(request: Option<String>) -> io::Result<Result<String, RequestError>> {
    if let Some(text) = request {
        return Ok(Ok(text));
    }
    let line = next_line(&mut io::stdin().lock())?.unwrap_or(Line::Text(Vec::new()));
    Ok(line_text(&line).map(|t| t.unwrap_or_default().to_owned()))
}

fn run(cli: Cli) -> io::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Decide { request, module } => {
            let mut worker = match module.module {
                None => None,
                Some(_) => match module.host() {
                    Ok(host) => Some(host.worker()),
                    Err(e) => {
                        eprintln!("onbehalf decide: policy-rejected ({}): {e}", e.name());
                        return Ok(ExitCode::from(2));
                    }
                },
            };
            match worker.as_mut() {
                Some(w) => answer_lines(request, &mut out, |t| decide_with_module(w, t))?,
                None => answer_lines(request, &mut out, decide_str)?,
            }
        }
        Command::Fix { request, directory } => match directory.load("fix") {
            Err(code) => return Ok(code),
            Ok(None) => answer_lines(request, &mut out, fix_str)?,
            Ok(Some(dir)) => answer_lines(request, &mut out, |t| {
                onbehalf_directory::fix::fix_str(&dir, t)
            })?,
        },
        Command::Check { request, directory } => match directory.load("check") {
            Err(code) => return Ok(code),
            Ok(None) => {
                eprintln!(
                    "onbehalf check: give the directory: --bloodhound PATH or --facts FILE, or --ldap URL"
                );
                return Ok(ExitCode::from(2));
            }
            Ok(Some(dir)) => answer_lines(request, &mut out, |t| {
                onbehalf_directory::check::check_str(&dir, t)
            })?,
        },
        Command::Audit { directory, format } => match directory.require("audit") {
            Ok(dir) => directory_args::audit(&dir, format, &mut out)?,
            Err(code) => return Ok(code),
        },
        Command::Directory(DirectoryCommand::Export { directory }) => {
            match directory.require("directory export") {
                Ok(dir) => out.write_all(onbehalf_directory::facts::export(&dir).as_bytes())?,
                Err(code) => return Ok(code),
            }
        }
        Command::Serve(args) => return serve::run(args),
        Command::Module { which } => out.write_all(match which {
            EmbeddedModule::Default => onbehalf_host::policy::DEFAULT_MODULE,
            EmbeddedModule::StrictExample => onbehalf_host::policy::STRICT_EXAMPLE_MODULE,
        })?,
        Command::Bench(args) => match bench::run(&args) {
            Ok(report) => write!(out, "{report}")?,
            Err(e) => {
                eprintln!("onbehalf bench: policy-rejected ({}): {e}", e.name());
                return Ok(ExitCode::from(2));
            }
        },
        Command::Explain { request, json } => {
            let text = read_one(request)?;
            if json {
                let answer = match text.and_then(|t| Value::parse(&t)) {
                    Ok(v) => explain_value(&v),
                    Err(e) => error_to_value(&e),
                };
                writeln!(out, "{answer}")?;
            } else {
                match text
                    .and_then(|t| parse_request(&t))
                    .and_then(|r| explain::explain_text(&r))
                {
                    Ok(text) => write!(out, "{text}")?,
                    Err(e) => {
                        out.flush()?;
                        eprintln!("onbehalf explain: error {}: {e}", e.code);
                        return Ok(ExitCode::from(2));
                    }
                }
            }
        }
        Command::Table {
            format,
            realm_classes,
        } => table::write_table(&mut out, format, realm_classes)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        // A closed pipe (`onbehalf table | head`) is a normal way to stop reading.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("onbehalf: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_line_gets_exactly_one_answer_and_blank_lines_none() {
        let mut input: Vec<u8> = Vec::new();
        input.extend(b"{\"level\":\"impersonation\"}\n\n   \n{\n[]\n{\"level\":7}\n");
        input.extend(std::iter::repeat_n(b'x', 1_000_000));
        input.extend(b"\n\xff\xfe{}\n{\"level\":\"delegate\"}");
        let mut out = Vec::new();
        answer_stream(&mut io::Cursor::new(input), &mut out, decide_str).unwrap();
        let text = String::from_utf8(out).unwrap();
        let codes: Vec<String> = text
            .lines()
            .map(|l| {
                let v = Value::parse(l).unwrap();
                match v.get("error").and_then(|e| e.get("code")) {
                    Some(Value::String(code)) => code.clone(),
                    _ => match v.get("effective") {
                        Some(Value::String(level)) => level.clone(),
                        _ => panic!("neither decision nor error: {l}"),
                    },
                }
            })
            .collect();
        assert_eq!(
            codes,
            [
                "impersonation",
                "invalid-json",
                "invalid-request",
                "invalid-type",
                "invalid-json",
                "invalid-json",
                "impersonation"
            ]
        );
    }
}
