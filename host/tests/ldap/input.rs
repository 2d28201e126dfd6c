//! Bad input through the CLI: each way of failing to read the directory its own
//! `directory-unavailable` message with status 2, never the password, never a panic; names
//! that match nothing or several accounts, filter metacharacters, a malformed descriptor.

use std::path::Path;

use onbehalf_samba_lab as samba;

use super::{json_lines, named, onbehalf, Live, FS1, PASSWORD_ENV, SQL};

/// `check` with the lab's flags, `replace`d values and `drop`ped flags.
fn check_with(live: &Live, replace: &[(&str, &str)], drop: &[&str]) -> Vec<String> {
    let flags = live.flags();
    let mut out = vec!["check".to_owned()];
    for pair in flags.chunks(2) {
        let (flag, value) = (&pair[0], &pair[1]);
        if !drop.contains(&flag.as_str()) {
            let new = replace.iter().find(|(f, _)| *f == flag.as_str());
            out.extend([
                flag.clone(),
                new.map_or(value.clone(), |(_, v)| (*v).to_owned()),
            ]);
        }
    }
    out
}

fn refused(live: &Live, args: &[String], env: &[(&str, &str)], expected: &str) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = onbehalf(&args, &named("svcpt", "alice", SQL), env);
    assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
    assert!(
        err.contains("directory-unavailable") && err.contains(expected),
        "{expected:?} not in {err}"
    );
    assert!(
        !err.contains(&live.secret) && !err.contains("panicked"),
        "{err}"
    );
}

pub fn bad_input(lab: &samba::Lab, live: &Live) {
    let unreachable = check_with(live, &[("--ldap", "ldaps://127.0.0.1:1")], &[]);
    refused(live, &unreachable, &[], "cannot connect");
    let wrong = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ldap-lab/wrong");
    std::fs::write(&wrong, "not the password").unwrap();
    let wrong = check_with(live, &[("--password-file", wrong.to_str().unwrap())], &[]);
    refused(live, &wrong, &[], "invalid credentials");
    let untrusted = check_with(live, &[], &["--ca-file"]);
    refused(live, &untrusted, &[], "TLS handshake failed");
    let no_password = check_with(live, &[], &["--password-file"]);
    refused(live, &no_password, &[], "needs its password");
    refused(live, &no_password, &[(PASSWORD_ENV, "")], "is empty");

    // The password from the environment, and --insecure-tls said on stderr.
    let mut insecure = check_with(live, &[], &["--ca-file", "--password-file"]);
    insecure.push("--insecure-tls".into());
    let insecure: Vec<&str> = insecure.iter().map(String::as_str).collect();
    let request = named("svcpt", "alice", SQL);
    let (code, out, err) = onbehalf(&insecure, &request, &[(PASSWORD_ENV, &live.secret)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: --insecure-tls"), "{err}");
    assert_eq!(json_lines(&out)[0]["hops"][0]["allowed"], true, "{out}");
    // --insecure-tls and --ca-file contradict each other.
    let mut both = insecure.clone();
    both.extend(["--ca-file", "x"]);
    let (code, _, err) = onbehalf(&both, "", &[]);
    assert_eq!(code, 2, "{err}");

    unknown_and_ambiguous_names(lab, live);
    malformed_descriptor(lab, live);
}

/// Unknown names and filter metacharacters find no account; a name two accounts answer to
/// (a computer whose dNSHostName is `svcweb`: Samba refuses duplicate SPNs and UPNs even to
/// the system) is ambiguous: each line its own error, the stream goes on.
fn unknown_and_ambiguous_names(lab: &samba::Lab, live: &Live) {
    lab.modify_computer("app1", "replace: dNSHostName\ndNSHostName: svcweb\n")
        .unwrap();
    let names = [
        "nobody",
        "*",
        "alice)(sAMAccountName=*",
        "*)(objectClass=*",
        "al*",
        "\\2a",
        "alice\u{0}",
    ];
    let mut input: String = names
        .iter()
        .map(|n| named("svcpt", n, SQL) + "\n")
        .collect();
    input.push_str(&(named("svcweb", "alice", FS1) + "\n"));
    let (code, out, err) = live.run(&["check"], &[], &input);
    assert_eq!(code, 0, "{err}");
    let answers = json_lines(&out);
    assert_eq!(answers.len(), names.len() + 1, "{out}");
    for (name, answer) in names.iter().zip(&answers) {
        assert_eq!(
            answer["error"]["code"], "account-not-found",
            "{name:?}: {answer}"
        );
    }
    let ambiguous = &answers[names.len()];
    assert_eq!(
        ambiguous["error"]["code"], "account-ambiguous",
        "{ambiguous}"
    );
    assert!(
        ambiguous["error"]["message"]
            .as_str()
            .unwrap()
            .contains("app1"),
        "{ambiguous}"
    );
    lab.modify_computer("app1", "delete: dNSHostName\n")
        .unwrap();
}

/// A resource-based delegation descriptor with a deny ACE (Everyone denied, then allowed):
/// the read stops with `directory-invalid` naming the account and the attribute — never a
/// decision that reads it as "admits nobody" or "admits everyone".
fn malformed_descriptor(lab: &samba::Lab, live: &Live) {
    const DENY_THEN_ALLOW_EVERYONE: &str =
        "AQAEgAAAAAAAAAAAAAAAABQAAAACACQAAgAAAAEAFAD/AQ8AAQEAAAAAAAEAAAAAAAAUAP8BDwABAQAAAAAAAQAAAAA=";
    let attribute = "msDS-AllowedToActOnBehalfOfOtherIdentity";
    lab.modify_computer(
        "fs1",
        &format!("replace: {attribute}\n{attribute}:: {DENY_THEN_ALLOW_EVERYONE}\n"),
    )
    .unwrap();
    let (code, out, err) = live.run(&["check"], &[], &named("svcpt", "alice", SQL));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("directory-invalid") && err.contains("CN=fs1") && err.contains(attribute),
        "{err}"
    );
    lab.modify_computer("fs1", &format!("delete: {attribute}\n"))
        .unwrap();
    let (code, _, err) = live.run(&["check"], &[], &named("svcpt", "alice", SQL));
    assert_eq!(code, 0, "{err}");
}
