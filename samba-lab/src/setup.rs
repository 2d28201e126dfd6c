//! Building the lab: packages, provisioning, the TLS certificate, the configuration and the
//! sample lab's accounts; and the one way every command here is run ([`run`]).

use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Lab, Result, PACKAGES, PASSWORD, REALM};

impl Lab {
    pub(crate) fn provision(&self) -> Result<()> {
        let target = format!("--targetdir={}", self.dir.display());
        let password = format!("--adminpass={PASSWORD}");
        run(
            Command::new("samba-tool").args([
                "domain",
                "provision",
                "--realm=CONTOSO.TEST",
                "--domain=CONTOSO",
                "--server-role=dc",
                "--dns-backend=SAMBA_INTERNAL",
                "--host-ip=127.0.0.1",
                "--option=interfaces=lo",
                "--option=bind interfaces only=yes",
                "--option=netbios name=DC1",
                &password,
                &target,
            ]),
            &self.dir.join("provision.log"),
        )
    }

    /// A CA and a server certificate for the DC, with the names a client may use.
    pub(crate) fn make_certificate(&self) -> Result<()> {
        let tls = self.dir.join("lab-tls");
        fs::create_dir(&tls).map_err(|e| format!("{}: {e}", tls.display()))?;
        let host = fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_ascii_lowercase())
            .unwrap_or_else(|_| "dc1".to_owned());
        let names = format!(
            "subjectAltName=IP:127.0.0.1,DNS:dc1.contoso.test,DNS:{host}.contoso.test,DNS:localhost"
        );
        let path = |name: &str| tls.join(name).display().to_string();
        let log = self.dir.join("tls.log");
        // One self-signed or CA-signed P-256 certificate: `subject`, then `extra` arguments,
        // the key to `key` and the certificate to `cert`.
        let req = |subject: &str, extra: &[&str], key: &str, cert: &str| {
            run(
                Command::new("openssl")
                    .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                    .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
                    .args(["-subj", subject])
                    .args(extra)
                    .args(["-keyout", &path(key), "-out", &path(cert)]),
                &log,
            )
        };
        req(
            "/CN=onbehalf Samba lab CA",
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
            "ca-key.pem",
            "ca.pem",
        )?;
        req(
            "/CN=dc1.contoso.test",
            &[
                "-CA",
                &path("ca.pem"),
                "-CAkey",
                &path("ca-key.pem"),
                "-addext",
                &names,
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "keyUsage=critical,digitalSignature",
                "-addext",
                "extendedKeyUsage=serverAuth",
            ],
            "key.pem",
            "cert.pem",
        )?;
        // Samba refuses a private key others can read.
        fs::set_permissions(tls.join("key.pem"), fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("key.pem: {e}"))
    }

    /// The lab's own `smb.conf` edits: no DNS forwarder (a lab answers only for itself), logs
    /// in the folder, the lab's certificate.
    pub(crate) fn configure(&self) -> Result<()> {
        let text =
            fs::read_to_string(&self.conf).map_err(|e| format!("{}: {e}", self.conf.display()))?;
        let tls = self.dir.join("lab-tls");
        let mut out = String::new();
        for line in text.lines() {
            let key = line.trim_start();
            if key.starts_with("dns forwarder") || key.starts_with("log file") {
                continue;
            }
            out.push_str(line);
            out.push('\n');
            if line.trim() == "[global]" {
                let _ = writeln!(out, "\tlog file = {}", self.dir.join("log.%m").display());
                for (option, file) in [
                    ("tls keyfile", "key.pem"),
                    ("tls certfile", "cert.pem"),
                    ("tls cafile", "ca.pem"),
                ] {
                    let _ = writeln!(out, "\t{option} = {}", tls.join(file).display());
                }
            }
        }
        fs::write(&self.conf, out).map_err(|e| format!("{}: {e}", self.conf.display()))
    }

    pub(crate) fn write_krb5_conf(&self) -> Result<()> {
        let text = format!(
            "[libdefaults]\n\tdefault_realm = {REALM}\n\tdns_lookup_realm = false\n\tdns_lookup_kdc = false\n\trdns = false\n\tforwardable = true\n\n[realms]\n\t{REALM} = {{\n\t\tkdc = 127.0.0.1\n\t}}\n\n[domain_realm]\n\t.contoso.test = {REALM}\n\tcontoso.test = {REALM}\n"
        );
        fs::write(&self.krb5_conf, text).map_err(|e| format!("{}: {e}", self.krb5_conf.display()))
    }

    /// The sample lab's accounts (the table of `shared/directory/README.md`).
    pub(crate) fn accounts(&self) -> Result<()> {
        for user in ["alice", "bob", "carol", "dave", "svcweb", "svcpt", "svcunc"] {
            self.samba_tool(&["user", "create", user, PASSWORD])?;
        }
        let password = format!("--newpassword={PASSWORD}");
        for computer in ["fs1", "fs2", "db1", "app1"] {
            self.samba_tool(&["computer", "create", computer])?;
            self.samba_tool(&["user", "setpassword", &format!("{computer}$"), &password])?;
        }
        let steps: [&[&str]; 15] = [
            &["spn", "add", "cifs/fs1.contoso.test", "fs1$"],
            &["spn", "add", "cifs/fs2.contoso.test", "fs2$"],
            &["spn", "add", "MSSQLSvc/db1.contoso.test:1433", "db1$"],
            &["spn", "add", "http/app1.contoso.test", "app1$"],
            &["spn", "add", "http/web.contoso.test", "svcweb"],
            &["spn", "add", "http/pt.contoso.test", "svcpt"],
            &["spn", "add", "http/unc.contoso.test", "svcunc"],
            // KCD, Kerberos only.
            &[
                "delegation",
                "add-service",
                "svcweb",
                "cifs/fs1.contoso.test",
            ],
            // KCD with protocol transition.
            &[
                "delegation",
                "add-service",
                "svcpt",
                "MSSQLSvc/db1.contoso.test:1433",
            ],
            &["delegation", "for-any-protocol", "svcpt", "on"],
            // Unconstrained.
            &["delegation", "for-any-service", "svcunc", "on"],
            // Resource-based: fs2 admits app1.
            &["delegation", "add-principal", "fs2$", "app1$"],
            &["user", "sensitive", "bob", "on"],
            &["group", "addmembers", "Protected Users", "carol"],
            &["group", "addmembers", "Domain Admins", "dave"],
        ];
        for step in steps {
            self.samba_tool(step)?;
        }
        let admin = format!("--password={PASSWORD}");
        for host in ["dc1", "fs1", "fs2", "db1", "app1"] {
            self.dns_add(host, &admin)?;
        }
        Ok(())
    }

    /// `samba-tool dns add` of `host` → 127.0.0.1. Samba answers LDAP before its RPC server
    /// (the DNS management interface) listens, later still on a busy machine: a refused
    /// connection is retried until [`START_PATIENCE`](crate::START_PATIENCE) passes.
    fn dns_add(&self, host: &str, admin: &str) -> Result<()> {
        let deadline = std::time::Instant::now() + crate::START_PATIENCE;
        loop {
            let added = self.samba_tool(&[
                "dns",
                "add",
                "127.0.0.1",
                "contoso.test",
                host,
                "A",
                "127.0.0.1",
                "-U",
                "Administrator",
                admin,
            ]);
            match added {
                Err(e) if e.contains("refused") && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }
}

/// Installs [`PACKAGES`] that `dpkg` does not list as installed.
pub(crate) fn ensure_packages() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .into_iter()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${db:Status-Abbrev}", p])
                .output()
                .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"ii"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let log = std::env::temp_dir().join("onbehalf-lab-apt.log");
    run(Command::new("apt-get").arg("update"), &log)?;
    run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &log,
    )
}

/// A new folder under the temporary directory, unique to this process and moment.
pub(crate) fn fresh_dir() -> Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("onbehalf-samba-{}-{nanos}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Runs `command` with its output appended to `log`; a failure names the command and shows
/// the end of the log.
pub(crate) fn run(command: &mut Command, log: &Path) -> Result<()> {
    let shown = format!("{command:?}").replace(PASSWORD, "***");
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let status = command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status}):\n{}", tail(log)))
    }
}

/// The last lines of a log file.
pub(crate) fn tail(path: &Path) -> String {
    let mut text = String::new();
    let _ = fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(15);
    lines.into_iter().skip(skip).collect::<Vec<_>>().join("\n")
}
