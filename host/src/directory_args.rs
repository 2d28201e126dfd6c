//! The directory options and commands of the CLI: `check`, `audit`, `directory export`, the
//! directory `fix` uses and the one `serve` keeps fresh. Every answer is the directory crate's;
//! this file only reads arguments and writes output. [`read`] is the one place that turns the
//! flags into a [`Directory`].

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use onbehalf_directory::ldap::{self, Options, Password};
use onbehalf_directory::{bloodhound, facts, report, Directory, Error, ErrorCode};

/// The environment variable that holds the bind password when no `--password-file` is given.
pub const PASSWORD_ENV: &str = "ONBEHALF_LDAP_PASSWORD";

/// Where the directory's facts come from: a file, or the live directory.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct DirectoryArgs {
    /// A BloodHound collection: a folder of JSON files or a `.zip` (SharpHound or
    /// BloodHound.py, format versions 5 and 6).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["facts", "ldap"])]
    pub bloodhound: Option<PathBuf>,
    /// A facts file written by `onbehalf directory export`.
    #[arg(long, value_name = "FILE", conflicts_with = "ldap")]
    pub facts: Option<PathBuf>,
    /// The live directory.
    #[command(flatten)]
    pub ldap: LdapArgs,
}

/// The directory of `audit` and `directory export`: `SOURCE` (a file) or the flags.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct SourceArgs {
    /// A BloodHound collection (folder or zip) or a facts file (or give --bloodhound,
    /// --facts or --ldap).
    #[arg(
        required_unless_present_any = ["bloodhound", "facts", "ldap"],
        conflicts_with_all = ["bloodhound", "facts", "ldap"]
    )]
    pub source: Option<PathBuf>,
    /// The directory, instead of SOURCE.
    #[command(flatten)]
    pub directory: DirectoryArgs,
}

impl SourceArgs {
    /// The directory, or the exit status of the refused command.
    pub fn require(&self, command: &str) -> Result<Directory, ExitCode> {
        self.directory.require(command, self.source.as_deref())
    }
}

/// `--ldap URL` and how to bind: Active Directory read live (LDAPS, or StartTLS on `ldap://`).
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct LdapArgs {
    /// Read the directory over LDAP: `ldaps://HOST[:PORT]`, or `ldap://HOST[:PORT]` with
    /// StartTLS. The certificate is verified (system CAs, or --ca-file).
    #[arg(long, value_name = "URL")]
    pub ldap: Option<String>,
    /// The DN (or `user@domain`) of a simple bind; anonymous without it. Its password comes
    /// from --password-file or the environment variable ONBEHALF_LDAP_PASSWORD, never from the
    /// command line.
    #[arg(long, value_name = "DN", requires = "ldap")]
    pub bind_dn: Option<String>,
    /// A file holding the bind password (one line).
    #[arg(long, value_name = "FILE", requires = "bind_dn")]
    pub password_file: Option<PathBuf>,
    /// A PEM file of the CA certificates that sign the directory's certificate (instead of
    /// the system's).
    #[arg(long, value_name = "FILE", requires = "ldap")]
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate from the directory (said on stderr: anyone on the path could
    /// then read the password and forge the facts).
    #[arg(long, requires = "ldap", conflicts_with = "ca_file")]
    pub insecure_tls: bool,
    /// Where accounts are read (default: the RootDSE's defaultNamingContext; groups and
    /// trusts are always read from the whole domain).
    #[arg(long, value_name = "DN", requires = "ldap")]
    pub base_dn: Option<String>,
}

impl LdapArgs {
    /// The connection options, when `--ldap` is given: the password read from its file or
    /// the environment; `--insecure-tls` is said on stderr.
    ///
    /// # Errors
    /// `directory-unavailable`: a bind DN without a readable, non-empty password.
    pub fn options(&self, command: &str) -> Result<Option<Options>, Error> {
        let Some(url) = &self.ldap else {
            return Ok(None);
        };
        let mut options = Options::new(url.clone());
        if let Some(dn) = &self.bind_dn {
            options.bind_dn = Some(dn.clone());
            options.password = self.password(dn)?;
        }
        options.ca_file.clone_from(&self.ca_file);
        options.base_dn.clone_from(&self.base_dn);
        if self.insecure_tls {
            options.insecure_tls = true;
            eprintln!(
                "onbehalf {command}: warning: --insecure-tls: {url}'s certificate is not verified; \
                 anyone on the path can read the bind password and forge the directory's facts"
            );
        }
        Ok(Some(options))
    }

    fn password(&self, dn: &str) -> Result<Password, Error> {
        let unavailable = |m: String| Error::new(ErrorCode::DirectoryUnavailable, m);
        let text = match &self.password_file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                unavailable(format!("cannot read the password file {}: {e}", path.display()))
            })?,
            None => std::env::var(PASSWORD_ENV).map_err(|_| {
                unavailable(format!(
                    "--bind-dn {dn} needs its password: --password-file FILE or the environment variable {PASSWORD_ENV}"
                ))
            })?,
        };
        let password = text.trim_end_matches(['\r', '\n']);
        // A DN with an empty password is an "unauthenticated bind" (RFC 4513 5.1.2), which
        // many servers accept as anonymous: refused rather than reading less than asked.
        if password.is_empty() {
            return Err(unavailable(format!(
                "the password for {dn} is empty (a bind with a DN and no password is anonymous)"
            )));
        }
        Ok(Password::new(password))
    }
}

/// A directory file as named on the command line.
#[derive(Debug, Clone, Copy)]
pub enum File<'a> {
    /// A facts file or a BloodHound collection, told apart by its content.
    Any(&'a Path),
    /// `--bloodhound PATH`.
    Bloodhound(&'a Path),
    /// `--facts FILE`.
    Facts(&'a Path),
}

/// The directory the flags name, if any: one file, or one read of the live directory.
///
/// # Errors
/// The directory crate's error (`directory-invalid`, `directory-unavailable`).
pub fn read(
    command: &str,
    file: Option<File<'_>>,
    live: &LdapArgs,
) -> Result<Option<Directory>, Error> {
    match (file, live.options(command)?) {
        (Some(File::Any(path)), _) => Directory::load(path).map(Some),
        (Some(File::Bloodhound(path)), _) => bloodhound::load(path).map(Some),
        (Some(File::Facts(path)), _) => facts::load(path).map(Some),
        (None, Some(options)) => ldap::read(&options).map(Some),
        (None, None) => Ok(None),
    }
}

impl DirectoryArgs {
    /// The directory named, if any; an unreadable one is reported on stderr as
    /// `onbehalf COMMAND: directory-invalid: …` (or `directory-unavailable`) and ends the
    /// command with status 2.
    pub fn load(&self, command: &str) -> Result<Option<Directory>, ExitCode> {
        self.load_or(command, None)
    }

    /// `SOURCE` or the directory the flags name (audit, directory export): the directory, or
    /// the exit status of the refused command.
    pub fn require(&self, command: &str, source: Option<&Path>) -> Result<Directory, ExitCode> {
        match self.load_or(command, source)? {
            Some(dir) => Ok(dir),
            None => {
                eprintln!(
                    "onbehalf {command}: give the directory: SOURCE, --bloodhound PATH, --facts FILE or --ldap URL"
                );
                Err(ExitCode::from(2))
            }
        }
    }

    fn load_or(&self, command: &str, source: Option<&Path>) -> Result<Option<Directory>, ExitCode> {
        let file = match (source, &self.bloodhound, &self.facts) {
            (Some(path), _, _) => Some(File::Any(path)),
            (None, Some(path), _) => Some(File::Bloodhound(path)),
            (None, None, Some(path)) => Some(File::Facts(path)),
            (None, None, None) => None,
        };
        read(command, file, &self.ldap).map_err(|e| fail(command, &e))
    }
}

/// Reports `error` on stderr; the exit status of a refused command.
pub fn fail(command: &str, error: &Error) -> ExitCode {
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

/// `onbehalf audit`: every delegation risk of `dir`; progress on stderr when it is a terminal
/// or the run is long.
pub fn audit(dir: &Directory, format: AuditFormat, out: &mut impl Write) -> io::Result<()> {
    let show = io::stderr().is_terminal() || dir.accounts.len() >= 5_000;
    let findings = onbehalf_directory::audit::audit(dir, |done, all| {
        if show {
            eprintln!("onbehalf audit: {done}/{all} accounts");
        }
    });
    let text = match format {
        AuditFormat::Jsonl => report::jsonl(&findings),
        AuditFormat::Markdown => report::markdown(&findings, &dir.source),
        AuditFormat::Opengraph => report::opengraph(&findings),
    };
    out.write_all(text.as_bytes())
}
