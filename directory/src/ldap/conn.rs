//! One LDAP session: TLS (LDAPS, or StartTLS on `ldap://`: a password never crosses the wire
//! in clear), certificate verification on unless asked otherwise, a simple bind, paged
//! searches whose referrals are not followed, and a deadline on every step.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{adapters::PagedResults, LdapConn, LdapConnSettings, LdapError, ResultEntry, Scope};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, ErrorCode, Result};

/// The longest connect (TCP and TLS) allowed.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries asked for per page.
const PAGE_SIZE: i32 = 500;

/// A password held as a value: never shown by `Debug`, never put in a message.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password (read by the caller from a file or the environment).
    #[must_use]
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// How to reach and read a directory.
#[derive(Debug, Clone)]
pub struct Options {
    /// `ldaps://host[:port]` or `ldap://host[:port]` (then StartTLS).
    pub url: String,
    /// The DN (or `user@domain`) of a simple bind; `None` binds anonymously.
    pub bind_dn: Option<String>,
    /// The bind password.
    pub password: Password,
    /// A PEM file of the CA certificates to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (only when asked: the caller says so on stderr).
    pub insecure_tls: bool,
    /// Where accounts are read; `None` is the RootDSE's `defaultNamingContext` (groups and
    /// trusts are always read from the whole domain).
    pub base_dn: Option<String>,
    /// The connect deadline (at most [`MAX_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// The deadline of each operation (bind, each search result).
    pub operation_timeout: Duration,
}

impl Options {
    /// Options for `url` with the defaults: anonymous, verified TLS with the system's CAs,
    /// 5 s to connect, 30 s per operation.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Options {
        Options {
            url: url.into(),
            bind_dn: None,
            password: Password::default(),
            ca_file: None,
            insecure_tls: false,
            base_dn: None,
            connect_timeout: MAX_CONNECT_TIMEOUT,
            operation_timeout: Duration::from_secs(30),
        }
    }
}

/// A `directory-unavailable` error.
pub(crate) fn unavailable(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::DirectoryUnavailable, message)
}

/// One search result: its DN and its values, by attribute name in lower case, as bytes
/// (binary attributes such as `objectSid` are read the same way as text).
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// distinguishedName.
    pub dn: String,
    /// Values by lower-case attribute name.
    pub attrs: HashMap<String, Vec<Vec<u8>>>,
}

/// An open, bound session.
pub struct Session {
    conn: LdapConn,
    url: String,
    timeout: Duration,
}

impl Session {
    /// Connects (TLS), binds.
    ///
    /// # Errors
    /// `directory-unavailable`: unreachable host, TLS failure, refused bind — each its own
    /// message; `directory-invalid` for an unreadable CA file.
    pub fn open(options: &Options) -> Result<Session> {
        let url = options.url.as_str();
        let starttls = if url.starts_with("ldaps://") {
            false
        } else if url.starts_with("ldap://") {
            true
        } else {
            return Err(unavailable(format!(
                "{url}: the LDAP URL must start with ldaps:// or ldap:// (then StartTLS)"
            )));
        };
        let settings = LdapConnSettings::new()
            .set_conn_timeout(options.connect_timeout.min(MAX_CONNECT_TIMEOUT))
            .set_starttls(starttls)
            .set_config(Arc::new(tls_config(options)?));
        let conn = LdapConn::with_settings(settings, url).map_err(|e| connect_error(url, &e))?;
        let mut session = Session {
            conn,
            url: url.to_owned(),
            timeout: options.operation_timeout,
        };
        if let Some(dn) = &options.bind_dn {
            session.bind(dn, &options.password)?;
        }
        Ok(session)
    }

    fn bind(&mut self, dn: &str, password: &Password) -> Result<()> {
        let result = self
            .conn
            .with_timeout(self.timeout)
            .simple_bind(dn, &password.0)
            .map_err(|e| unavailable(format!("{}: bind as {dn}: {e}", self.url)))?;
        match result.rc {
            0 => Ok(()),
            49 => Err(unavailable(format!(
                "{}: bind as {dn} refused: invalid credentials (wrong password, or no such account)",
                self.url
            ))),
            rc => Err(unavailable(format!(
                "{}: bind as {dn} refused: LDAP result {rc} {}",
                self.url, result.text
            ))),
        }
    }

    /// Every entry under `base` (`scope`) matching `filter`, page by page; continuation
    /// references (other partitions, other domains) are not followed.
    ///
    /// # Errors
    /// `directory-unavailable` when the search fails or times out; `directory-invalid` for
    /// an entry that is not an entry.
    pub fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
    ) -> Result<Vec<Entry>> {
        let failed = |e: LdapError| {
            unavailable(format!("{}: search {filter} under {base:?}: {e}", self.url))
        };
        let timeout = self.timeout;
        let mut stream = self
            .conn
            .with_timeout(timeout)
            .streaming_search_with(
                PagedResults::new(PAGE_SIZE),
                base,
                scope,
                filter,
                attrs.to_vec(),
            )
            .map_err(failed)?;
        let mut out = Vec::new();
        while let Some(item) = stream.next().map_err(failed)? {
            if item.is_ref() || item.is_intermediate() {
                continue;
            }
            out.push(entry(item)?);
        }
        let result = stream.result();
        // 10 (referral): the base lies in a partition another server holds. Referrals are
        // not followed, and an empty answer must not read as an empty directory.
        if result.rc == 10 {
            return Err(unavailable(format!(
                "{}: search under {base:?}: the server refers elsewhere (LDAP result 10, referral): the base is not in its partitions; referrals are not followed",
                self.url
            )));
        }
        if result.rc != 0 {
            return Err(unavailable(format!(
                "{}: search {filter} under {base:?}: LDAP result {} {}",
                self.url, result.rc, result.text
            )));
        }
        Ok(out)
    }
}

/// Reads an entry's tags without `SearchEntry::construct`, which panics on a malformed one.
fn entry(item: ResultEntry) -> Result<Entry> {
    let bad =
        || Error::invalid("LDAP: a search result entry that is not an entry (dn, attributes)");
    let mut parts = item
        .0
        .match_id(4)
        .and_then(|t| t.expect_constructed())
        .ok_or_else(bad)?
        .into_iter();
    let dn = parts
        .next()
        .and_then(|t| t.expect_primitive())
        .ok_or_else(bad)?;
    let dn =
        String::from_utf8(dn).map_err(|_| Error::invalid("LDAP: an entry's DN is not UTF-8"))?;
    let mut attrs = HashMap::new();
    for attr in parts
        .next()
        .and_then(|t| t.expect_constructed())
        .ok_or_else(bad)?
    {
        let mut attr = attr.expect_constructed().ok_or_else(bad)?.into_iter();
        let name = attr
            .next()
            .and_then(|t| t.expect_primitive())
            .ok_or_else(bad)?;
        let name = String::from_utf8_lossy(&name).to_ascii_lowercase();
        let values = attr
            .next()
            .and_then(|t| t.expect_constructed())
            .ok_or_else(bad)?
            .into_iter()
            .map(|v| v.expect_primitive().ok_or_else(bad))
            .collect::<Result<Vec<_>>>()?;
        attrs.insert(name, values);
    }
    Ok(Entry { dn, attrs })
}

/// Names what failed to connect: the TLS handshake (and how to fix it) or the host.
fn connect_error(url: &str, e: &LdapError) -> Error {
    let tls = match e {
        LdapError::Io { source } => source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(ToString::to_string),
        _ => None,
    };
    match (tls, e) {
        (Some(tls), _) => unavailable(format!(
            "{url}: TLS handshake failed: {tls} (trust the directory's CA with --ca-file FILE; --insecure-tls skips verification)"
        )),
        (None, LdapError::Timeout { .. }) => unavailable(format!(
            "{url}: no connection within the connect timeout (host down or filtered?)"
        )),
        (None, _) => unavailable(format!("{url}: cannot connect: {e}")),
    }
}

/// The rustls configuration: ring, the CA file's or the system's roots, or no verification.
fn tls_config(options: &Options) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| unavailable(format!("TLS configuration: {e}")))?;
    if options.insecure_tls {
        let verifier = Arc::new(NoVerification(provider));
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth());
    }
    let mut roots = RootCertStore::empty();
    match &options.ca_file {
        Some(path) => {
            let shown = path.display();
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<std::result::Result<Vec<_>, _>>)
                .map_err(|e| {
                    Error::invalid(format!(
                        "{shown}: not a readable PEM file of CA certificates: {e}"
                    ))
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Error::invalid(format!(
                    "{shown}: holds no usable CA certificate"
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `--insecure-tls`: any certificate is accepted; handshake signatures are still checked
/// (the session is encrypted, only the server's identity is unknown).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
