//! The directory options and commands of the CLI: `check`, `audit`, `directory export`, and
//! the directory `fix` uses. Every answer is the directory crate's; this file only reads
//! arguments and writes output.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use onbehalf_directory::{facts, report, Directory};

/// Where the directory's facts come from.
#[derive(Debug, clap::Args)]
#[group(required = false, multiple = false)]
pub struct DirectoryArgs {
    /// A BloodHound collection: a folder of JSON files or a `.zip` (SharpHound or
    /// BloodHound.py, format versions 5 and 6).
    #[arg(long, value_name = "PATH")]
    pub bloodhound: Option<PathBuf>,
    /// A facts file written by `onbehalf directory export`.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
}

impl DirectoryArgs {
    /// The directory named, if any; an unreadable one is reported on stderr as
    /// `onbehalf COMMAND: directory-invalid: …` and ends the command with status 2.
    pub fn load(&self, command: &str) -> Result<Option<Directory>, ExitCode> {
        let loaded = match (&self.bloodhound, &self.facts) {
            (Some(path), _) => onbehalf_directory::bloodhound::load(path),
            (None, Some(path)) => facts::load(path),
            (None, None) => return Ok(None),
        };
        loaded.map(Some).map_err(|e| fail(command, &e))
    }
}

/// Reports `error` on stderr; the exit status of a refused command.
pub fn fail(command: &str, error: &onbehalf_directory::Error) -> ExitCode {
    eprintln!("onbehalf {command}: {error}");
    ExitCode::from(2)
}

/// The formats of `onbehalf audit`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuditFormat {
    /// One finding per line.
    Jsonl,
    /// A report for people.
    Markdown,
    /// BloodHound OpenGraph edges, to upload into BloodHound CE.
    Opengraph,
}

/// `onbehalf audit SOURCE`: every delegation risk; progress on stderr when it is a terminal
/// or the run is long.
pub fn audit(
    source: &std::path::Path,
    format: AuditFormat,
    out: &mut impl Write,
) -> io::Result<ExitCode> {
    let dir = match Directory::load(source) {
        Ok(d) => d,
        Err(e) => return Ok(fail("audit", &e)),
    };
    let show = io::stderr().is_terminal() || dir.accounts.len() >= 5_000;
    let findings = onbehalf_directory::audit::audit(&dir, |done, all| {
        if show {
            eprintln!("onbehalf audit: {done}/{all} accounts");
        }
    });
    let text = match format {
        AuditFormat::Jsonl => report::jsonl(&findings),
        AuditFormat::Markdown => report::markdown(&findings, &dir.source),
        AuditFormat::Opengraph => report::opengraph(&findings),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `onbehalf directory export SOURCE`: the facts file on stdout.
pub fn export(source: &std::path::Path, out: &mut impl Write) -> io::Result<ExitCode> {
    match Directory::load(source) {
        Ok(dir) => {
            out.write_all(facts::export(&dir).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(fail("directory export", &e)),
    }
}
