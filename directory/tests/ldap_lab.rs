//! The live directory against a real Samba AD DC on loopback (`onbehalf-samba-lab`): what LDAP reads equals, by name, what the
//! BloodHound collection of a domain built by the same recipe says, and every way of failing
//! to read is its own `directory-unavailable` message.
//!
//! One test holds the one lab (provisioning takes seconds, and the DC's ports are
//! machine-wide), so the checks run in order inside it.
#![cfg(feature = "ldap")]
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::Path;

use onbehalf_directory::ldap::{self, filter, Options, Password, Scope, Session};
use onbehalf_directory::{Account, Directory, ErrorCode};
use onbehalf_samba_lab as samba;

fn fixture() -> Directory {
    Directory::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bloodhound-contoso"),
    )
    .unwrap()
}

fn admin(lab: &samba::Lab, url: &str) -> Options {
    let mut options = Options::new(url);
    options.bind_dn = Some(lab.admin_dn.clone());
    options.password = Password::new(lab.admin_password.clone());
    options.ca_file = Some(lab.ca_file.clone());
    options
}

/// An account's facts with SIDs replaced by names (SIDs differ between two provisionings).
fn facts(dir: &Directory, a: &Account) -> String {
    let name = |sid: &String| {
        dir.by_sid(sid)
            .map_or_else(|| sid.clone(), |x| x.sam_account_name.to_ascii_lowercase())
    };
    let spns: BTreeSet<String> = if dir.is_dc(a) {
        // A DC's SPNs name its own GUIDs, new with every provisioning.
        BTreeSet::new()
    } else {
        a.service_principal_names
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect()
    };
    let acts: BTreeSet<String> = a.allowed_to_act.iter().map(name).collect();
    let mut privileged = dir.privileged_groups(a);
    privileged.sort();
    format!(
        "kind={:?} enabled={} spns={spns:?} unconstrained={} protocol_transition={} sensitive={:?} \
         to={:?} acts={acts:?} primary_rid={:?} dc={} protected={} privileged={privileged:?}",
        a.kind,
        a.enabled,
        a.trusted_for_delegation,
        a.trusted_to_auth_for_delegation,
        // BloodHound.py does not say it for computers.
        a.not_delegated.filter(|_| a.kind == onbehalf_directory::Kind::User),
        a.allowed_to_delegate_to,
        a.primary_group.as_deref().and_then(onbehalf_directory::rid_of),
        dir.is_dc(a),
        dir.is_protected_user(a),
    )
}

fn by_name(dir: &Directory) -> BTreeSet<String> {
    dir.accounts
        .iter()
        .map(|a| a.sam_account_name.to_ascii_lowercase())
        .collect()
}

#[test]
fn the_samba_lab_reads_like_its_bloodhound_collection() {
    let lab = samba::Lab::start().unwrap();
    eprintln!("lab: {}", lab.summary());

    // LDAPS, verified against the lab's CA.
    let live = ldap::read(&admin(&lab, &lab.ldaps_url)).unwrap();
    let collected = fixture();
    assert_eq!(by_name(&live), by_name(&collected), "the same accounts");
    let mut differences = Vec::new();
    for a in &collected.accounts {
        let b = live.account(&a.sam_account_name).unwrap();
        let (want, got) = (facts(&collected, a), facts(&live, b));
        if want != got {
            differences.push(format!(
                "{}:\n  bloodhound {want}\n  ldap       {got}",
                a.sam_account_name
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The lab's table, stated outright (the comparison above would pass on two empty reads).
    let get = |name: &str| live.account(name).unwrap();
    assert_eq!(
        get("svcweb").allowed_to_delegate_to,
        ["cifs/fs1.contoso.test"]
    );
    assert!(!get("svcweb").trusted_to_auth_for_delegation);
    assert_eq!(
        get("svcpt").allowed_to_delegate_to,
        ["MSSQLSvc/db1.contoso.test:1433"]
    );
    assert!(get("svcpt").trusted_to_auth_for_delegation);
    assert!(get("svcunc").trusted_for_delegation);
    assert!(live.admits(get("fs2$"), get("app1$")));
    assert!(!live.admits(get("fs2$"), get("svcweb")));
    assert_eq!(get("bob").not_delegated, Some(true));
    assert!(live.is_protected_user(get("carol")));
    // Domain Admins is itself a member of BUILTIN\Administrators.
    let mut dave = live.privileged_groups(get("dave"));
    dave.sort();
    assert_eq!(
        dave,
        ["ADMINISTRATORS@CONTOSO.TEST", "DOMAIN ADMINS@CONTOSO.TEST"]
    );
    assert!(!live.is_protected_user(get("dave")) && get("dave").not_delegated == Some(false));
    let dc = get("DC1$");
    assert!(live.is_dc(dc) && dc.trusted_for_delegation);
    // dNSHostName as the directory holds it: the DC's, and none for the computers
    // `samba-tool computer create` made (BloodHound shows them as FS1.CONTOSO.TEST all the same).
    assert!(dc
        .dns_host_name
        .as_deref()
        .is_some_and(|h| h.ends_with(".contoso.test")));
    assert_eq!(get("fs1$").dns_host_name, None);
    assert_eq!(live.domains.len(), 1);
    assert_eq!(live.domains[0].name, "CONTOSO.TEST");

    // A narrower base reads fewer accounts, and the groups whole: carol is still protected.
    let mut users = admin(&lab, &lab.ldaps_url);
    users.base_dn = Some(format!("CN=Users,{}", lab.base_dn));
    let users = ldap::read(&users).unwrap();
    assert!(users.account("fs1$").is_err());
    assert!(users.is_protected_user(users.account("carol").unwrap()));

    // StartTLS on ldap:// reads the same.
    let starttls = ldap::read(&admin(&lab, &lab.ldap_url)).unwrap();
    assert_eq!(by_name(&starttls), by_name(&live));

    kdc_smoke(&lab);
    bad_input(&lab);
    malformed_descriptors(&lab);
}

/// The lab's KDC answers S4U2Self + S4U2Proxy (the ground the KDC cross-check of issue 25
/// stands on): granted with protocol transition to a listed SPN, refused for a sensitive
/// client, an unlisted SPN, and without protocol transition.
fn kdc_smoke(lab: &samba::Lab) {
    let sql = "MSSQLSvc/db1.contoso.test:1433";
    assert!(
        lab.s4u("svcpt", "alice", sql).unwrap(),
        "svcpt → alice → {sql}"
    );
    assert!(!lab.s4u("svcpt", "bob", sql).unwrap(), "bob is sensitive");
    assert!(
        !lab.s4u("svcpt", "alice", "cifs/fs1.contoso.test").unwrap(),
        "not listed"
    );
    assert!(
        !lab.s4u("svcweb", "alice", "cifs/fs1.contoso.test").unwrap(),
        "Kerberos only"
    );
}

fn unavailable(options: &Options, expected: &str) {
    let e = ldap::read(options).unwrap_err();
    assert_eq!(e.code, ErrorCode::DirectoryUnavailable, "{e}");
    assert!(e.message.contains(expected), "{expected:?} not in {e}");
}

fn bad_input(lab: &samba::Lab) {
    // Samba's certificate is not signed by the system's CAs: refused unless asked.
    let mut options = admin(lab, &lab.ldaps_url);
    options.ca_file = None;
    unavailable(&options, "TLS handshake failed");
    options.insecure_tls = true;
    assert!(!ldap::read(&options).unwrap().accounts.is_empty());

    let mut options = admin(lab, &lab.ldaps_url);
    options.password = Password::new("not the password");
    unavailable(&options, "invalid credentials");
    // The password is never shown.
    assert!(!format!("{options:?}").contains("not the password"));

    unavailable(&admin(lab, "ldaps://127.0.0.1:1"), "cannot connect");
    unavailable(&admin(lab, "http://127.0.0.1"), "must start with ldaps://");

    // Filter metacharacters in a name match only themselves.
    let mut session = Session::open(&admin(lab, &lab.ldaps_url)).unwrap();
    let find = |session: &mut Session, f: &str| {
        session
            .search(&lab.base_dn, Scope::Subtree, f, &["sAMAccountName"])
            .unwrap()
            .len()
    };
    assert_eq!(
        find(&mut session, &filter::equals("sAMAccountName", "alice")),
        1
    );
    assert!(find(&mut session, "(sAMAccountName=*)") > 10);
    assert_eq!(
        find(&mut session, &filter::equals("sAMAccountName", "*")),
        0
    );
    assert_eq!(
        find(
            &mut session,
            &filter::equals("sAMAccountName", "alice)(sAMAccountName=*")
        ),
        0
    );
    assert_eq!(
        find(
            &mut session,
            &format!(
                "(|{}(cn=x))",
                filter::equals("sAMAccountName", "*)(objectClass=*")
            )
        ),
        0
    );
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Replaces fs1$'s resource-based delegation descriptor with `bytes`, as the system: Samba
/// 4.17 lets nobody else write this attribute, over LDAP not even Administrator.
fn write_descriptor(lab: &samba::Lab, bytes: &[u8]) -> Result<(), String> {
    lab.modify_computer(
        "fs1",
        &format!(
            "replace: msDS-AllowedToActOnBehalfOfOtherIdentity\nmsDS-AllowedToActOnBehalfOfOtherIdentity:: {}\n",
            base64(bytes)
        ),
    )
}

/// A descriptor the directory holds but that cannot be read as an admission list is an error
/// naming the account and the attribute, never "admits nobody".
fn malformed_descriptors(lab: &samba::Lab) {
    // Self-relative, no SE_DACL_PRESENT: a NULL DACL, which grants everyone everything.
    let header_only = [
        1, 0, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    // A DACL with one deny ACE for S-1-1-0 (Everyone) and one allow ACE for it.
    let mut deny = vec![
        1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
    ];
    deny.extend([2, 0, 36, 0, 2, 0, 0, 0]);
    for ace_type in [1u8, 0] {
        deny.extend([
            ace_type, 0, 20, 0, 0xff, 0x01, 0x0f, 0x00, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
        ]);
    }
    let candidates: [(&str, &[u8], &str); 3] = [
        (
            "truncated",
            &header_only[..10],
            "shorter than the 20-byte header",
        ),
        ("NULL DACL", &header_only, "NULL DACL"),
        ("deny ACE", &deny, "deny ACEs for S-1-1-0"),
    ];
    let mut accepted = 0;
    for (name, bytes, expected) in candidates {
        if let Err(said) = write_descriptor(lab, bytes) {
            eprintln!("lab: Samba refused to store the {name} descriptor: {said}");
            continue;
        }
        accepted += 1;
        let e = ldap::read(&admin(lab, &lab.ldaps_url)).unwrap_err();
        assert_eq!(e.code, ErrorCode::DirectoryInvalid, "{name}: {e}");
        assert!(
            e.message.contains("CN=fs1,CN=Computers")
                && e.message
                    .contains("msDS-AllowedToActOnBehalfOfOtherIdentity"),
            "{name}: {e}"
        );
        assert!(
            e.message.contains(expected),
            "{name}: {expected:?} not in {e}"
        );
    }
    assert!(
        accepted > 0,
        "Samba stored none of the malformed descriptors: nothing was tested"
    );
}

/// A server that accepts the connection and never speaks TLS: the connect deadline ends it.
#[test]
fn a_silent_server_runs_into_the_connect_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = Options::new(format!("ldaps://{}", silent.local_addr().unwrap()));
    options.connect_timeout = std::time::Duration::from_millis(300);
    let started = std::time::Instant::now();
    unavailable(&options, "no connection within the connect timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Asking for more than 5 s is capped.
    options.connect_timeout = std::time::Duration::from_secs(3600);
    let started = std::time::Instant::now();
    unavailable(&options, "no connection within the connect timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(7));
}
