//! `onbehalf check|audit|fix|directory export|serve --ldap` against a real Samba AD DC on
//! loopback (`onbehalf-samba-lab`), and onbehalf's hop verdicts cross-checked with what the
//! lab's KDC does for S4U2Self + S4U2Proxy.
//!
//! One test holds the one lab (the DC's ports are machine-wide), so the checks run in order
//! inside it (`ldap/*.rs`); the last ones stop the lab.
//!
//! ## How a triple becomes a request
//! S4U with protocol transition is what a service does for a client that did not authenticate
//! with Kerberos: the spec's case of a remote server reached with `auth: "ntlm"` at
//! impersonation level (steps 8 D1 / 9a: it delegates only through protocol transition, with a
//! forwardable S4U2Self ticket). So (service, client, target) is `onbehalf check` of
//! `{"level":"impersonation","auth":"ntlm","server_account":service,"client_account":client,
//! "hops":[{"target":target}]}`, and onbehalf's verdict is hop 1's `allowed`; the KDC's is
//! whether `kvno -U client@CONTOSO.TEST -P target` with the service's keytab gets a ticket.
//! (The realm is given because `kvno -U` sends an unqualified name as an enterprise name,
//! which Samba 4.17 resolves by userPrincipalName only: `Administrator`, who has none, is then
//! "not found" — a naming quirk, not a delegation answer.)
//!
//! ## The cross-check (triple → onbehalf → KDC)
//! | service | client | target | onbehalf | KDC | why |
//! |---|---|---|---|---|---|
//! | svcpt | alice | MSSQLSvc/db1.contoso.test:1433 | allowed (`hop-constrained-target-allowed`) | issued | KCD with protocol transition, listed SPN |
//! | svcpt | alice | MSSQLSvc/DB1.CONTOSO.TEST:1433 | allowed | issued | SPNs compare case-insensitively |
//! | svcpt | dave | MSSQLSvc/db1.contoso.test:1433 | allowed | issued | a Domain Admin is not protected by that alone |
//! | svcpt | Administrator | MSSQLSvc/db1.contoso.test:1433 | allowed | issued | idem (not marked sensitive) |
//! | svcpt | svcweb | MSSQLSvc/db1.contoso.test:1433 | allowed | issued | a service account as the client |
//! | svcpt | bob | MSSQLSvc/db1.contoso.test:1433 | denied (`hop-no-credentials`: step 9a refused, `client-account-sensitive`) | refused | bob is sensitive (`NOT_DELEGATED`) |
//! | svcpt | alice | cifs/fs1.contoso.test | denied (`hop-target-not-allowed`) | refused | SPN not in svcpt's list |
//! | svcpt | alice | http/app1.contoso.test | denied | refused | idem |
//! | svcpt | alice | cifs/nothere.contoso.test | `account-not-found` | refused | no account registers the SPN |
//! | svcpt | nobody | MSSQLSvc/db1.contoso.test:1433 | `account-not-found` | refused | no such client |
//! | svcweb | alice | cifs/fs1.contoso.test | denied (`hop-no-credentials`: `ntlm-cannot-delegate-remotely`) | refused | KCD without protocol transition: the S4U2Self ticket is not forwardable |
//! | svcweb | alice | MSSQLSvc/db1.contoso.test:1433 | denied | refused | not listed, and no protocol transition |
//! | svcunc | alice | cifs/fs1.contoso.test | denied (`hop-no-credentials`) | refused | unconstrained delegation needs the client's TGT; with no Kerberos logon there is none, and S4U2Proxy needs a KCD list or RBCD |
//!
//! **KDC differs** (Samba 4.17; the spec follows Windows' documented behaviour; not counted):
//! | service | client | target | onbehalf | KDC | why |
//! |---|---|---|---|---|---|
//! | svcpt | carol | MSSQLSvc/db1.contoso.test:1433 | denied (`hop-no-impersonation`: a Protected User cannot use NTLM, and is never delegated) | issued | Samba's KDC does not apply Protected Users to S4U |
//! | app1$ | alice | cifs/fs2.contoso.test | allowed | refused | fs2 admits app1 by resource-based delegation, which allows protocol transition on Windows; Samba 4.17's S4U2Proxy to a resource-based target fails |
//!
//! The two `account-not-found` rows are errors, not decisions (counted as "not allowed"); the
//! other eleven are hop verdicts. On the "differs" rows the KDC's answer is printed, and only
//! onbehalf's verdict is asserted.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use onbehalf_samba_lab as samba;
use onbehalf_testkit::process::{json_lines, run};

mod directory;
mod input;
mod kdc;
mod serve;

const BIN: &str = env!("CARGO_BIN_EXE_onbehalf");
const PASSWORD_ENV: &str = "ONBEHALF_LDAP_PASSWORD";
const SQL: &str = "MSSQLSvc/db1.contoso.test:1433";
const FS1: &str = "cifs/fs1.contoso.test";

/// (service, client, target, allowed by the spec and by the KDC).
const AGREE: [(&str, &str, &str, bool); 13] = [
    ("svcpt", "alice", SQL, true),
    ("svcpt", "alice", "MSSQLSvc/DB1.CONTOSO.TEST:1433", true),
    ("svcpt", "dave", SQL, true),
    ("svcpt", "Administrator", SQL, true),
    ("svcpt", "svcweb", SQL, true),
    ("svcpt", "bob", SQL, false),
    ("svcpt", "alice", FS1, false),
    ("svcpt", "alice", "http/app1.contoso.test", false),
    ("svcpt", "alice", "cifs/nothere.contoso.test", false),
    ("svcpt", "nobody", SQL, false),
    ("svcweb", "alice", FS1, false),
    ("svcweb", "alice", SQL, false),
    ("svcunc", "alice", FS1, false),
];

/// (service, client, target, allowed by the spec): Samba's KDC answers otherwise.
const DIFFERS: [(&str, &str, &str, bool); 2] = [
    ("svcpt", "carol", SQL, false),
    ("app1$", "alice", "cifs/fs2.contoso.test", true),
];

/// `onbehalf ARGS` with `stdin`, the password variable unset unless `env` sets it.
fn onbehalf(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove(PASSWORD_ENV)
        .envs(env.iter().copied());
    run(&mut command, stdin.as_bytes())
}

/// The lab's connection flags, with the CA and the password in files that outlive the lab
/// (the server test reads them after Samba is gone).
struct Live {
    ca: PathBuf,
    password: PathBuf,
    dn: String,
    url: String,
    secret: String,
}

impl Live {
    fn new(lab: &samba::Lab) -> Live {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ldap-lab");
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::copy(&lab.ca_file, &ca).unwrap();
        let password = dir.join("password");
        std::fs::write(&password, format!("{}\n", lab.admin_password)).unwrap();
        Live {
            ca,
            password,
            dn: lab.admin_dn.clone(),
            url: lab.ldaps_url.clone(),
            secret: lab.admin_password.clone(),
        }
    }

    /// `--ldap URL --ca-file … --bind-dn … --password-file …`.
    fn flags(&self) -> Vec<String> {
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        [
            "--ldap".into(),
            self.url.clone(),
            "--ca-file".into(),
            path(&self.ca),
            "--bind-dn".into(),
            self.dn.clone(),
            "--password-file".into(),
            path(&self.password),
        ]
        .into()
    }

    /// `onbehalf COMMAND… --ldap …` (and `extra` after), the password never in the output.
    fn run(&self, command: &[&str], extra: &[&str], stdin: &str) -> (i32, String, String) {
        let flags = self.flags();
        let mut args: Vec<&str> = command.to_vec();
        args.extend(flags.iter().map(String::as_str));
        args.extend(extra);
        let (code, out, err) = onbehalf(&args, stdin, &[]);
        assert!(
            !out.contains(&self.secret) && !err.contains(&self.secret),
            "the password was shown"
        );
        (code, out, err)
    }
}

fn named(service: &str, client: &str, target: &str) -> String {
    serde_json::json!({
        "level": "impersonation",
        "auth": "ntlm",
        "client_account": client,
        "server_account": service,
        "hops": [{"target": target}],
    })
    .to_string()
}

#[test]
fn the_live_directory_answers_like_its_collection_and_like_its_kdc() {
    let lab = samba::Lab::start().unwrap();
    eprintln!("lab: {}", lab.summary());
    let live = Live::new(&lab);
    directory::export_equals_the_collection_by_name(&live);
    directory::check_and_audit(&live);
    kdc::kdc_cross_check(&lab, &live);
    input::bad_input(&lab, &live);
    kdc::fix_against_the_kdc(&lab, &live);
    serve::serve_until_the_directory_goes(lab, &live);
}
