//! onbehalf's hop verdicts against what the lab's KDC does (the table is in `ldap.rs`), and a
//! fix applied to the lab with its own `samba-tool` commands.

use onbehalf_samba_lab as samba;

use super::{json_lines, named, Live, AGREE, DIFFERS, FS1, SQL};

/// onbehalf's hop verdict for each triple, from one `check` run.
fn verdicts(live: &Live, triples: &[(&str, &str, &str)]) -> Vec<(bool, String)> {
    let input: String = triples
        .iter()
        .map(|(s, c, t)| named(s, c, t) + "\n")
        .collect();
    let (code, out, err) = live.run(&["check"], &[], &input);
    assert_eq!(code, 0, "{err}");
    json_lines(&out)
        .iter()
        .map(|a| match a["hops"][0]["allowed"].as_bool() {
            Some(allowed) => (allowed, a["hops"][0]["reason"].as_str().unwrap().to_owned()),
            None => (false, a["error"]["code"].as_str().unwrap().to_owned()),
        })
        .collect()
}

fn at_realm(client: &str) -> String {
    format!("{client}@{}", samba::REALM)
}

pub fn kdc_cross_check(lab: &samba::Lab, live: &Live) {
    let triples: Vec<_> = AGREE.iter().map(|&(s, c, t, _)| (s, c, t)).collect();
    let mut table = Vec::new();
    for ((service, client, target, spec), (onbehalf, why)) in
        AGREE.iter().zip(verdicts(live, &triples))
    {
        let kdc = lab.s4u(service, &at_realm(client), target).unwrap();
        table.push(format!(
            "{service} {client} {target}: onbehalf {onbehalf} ({why}), KDC {kdc}"
        ));
        assert_eq!(onbehalf, *spec, "onbehalf: {}", table.join("\n"));
        assert_eq!(kdc, *spec, "KDC: {}", table.join("\n"));
    }
    let triples: Vec<_> = DIFFERS.iter().map(|&(s, c, t, _)| (s, c, t)).collect();
    for ((service, client, target, spec), (onbehalf, why)) in
        DIFFERS.iter().zip(verdicts(live, &triples))
    {
        let kdc = lab.s4u(service, &at_realm(client), target);
        table.push(format!(
            "KDC differs: {service} {client} {target}: onbehalf {onbehalf} ({why}), KDC {kdc:?}"
        ));
        assert_eq!(onbehalf, *spec, "{}", table.join("\n"));
    }
    eprintln!("{}", table.join("\n"));
    // The nonexistent client is a directory error, not a decision.
    assert_eq!(
        verdicts(live, &[("svcpt", "nobody", SQL)])[0].1,
        "account-not-found"
    );
}

/// A command line as printed by a fix (`samba-tool group removemembers 'Protected Users' x`):
/// words, single quotes grouping.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => out.extend((!word.is_empty()).then(|| std::mem::take(&mut word))),
            c => word.push(c),
        }
    }
    out.extend((!word.is_empty()).then_some(word));
    out
}

/// svcpt may not delegate alice to cifs/fs1: apply onbehalf's first fix the lab can apply,
/// and the KDC issues that ticket — and still no other.
pub fn fix_against_the_kdc(lab: &samba::Lab, live: &Live) {
    assert!(!lab.s4u("svcpt", "alice", FS1).unwrap());
    let (code, out, err) = live.run(&["fix"], &[], &named("svcpt", "alice", FS1));
    assert_eq!(code, 0, "{err}");
    let answer = &json_lines(&out)[0];
    let fix = answer["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            let steps = f["steps"].as_array().unwrap();
            !steps.is_empty() && steps.iter().all(|s| s["samba_tool"].is_string())
        })
        .unwrap_or_else(|| panic!("no fix with samba-tool commands: {answer}"));
    for step in fix["steps"].as_array().unwrap() {
        let command = words(step["samba_tool"].as_str().unwrap());
        assert_eq!(command[0], "samba-tool", "{command:?}");
        let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
        assert!(
            !args.iter().any(|a| a.contains('<')),
            "a placeholder in {command:?}"
        );
        lab.samba_tool(&args).unwrap();
    }
    eprintln!("applied: {}", fix["summary"]);
    assert!(lab.s4u("svcpt", "alice", FS1).unwrap(), "the fix: {fix}");
    assert!(lab.s4u("svcpt", "alice", SQL).unwrap());
    assert!(!lab.s4u("svcpt", "alice", "http/app1.contoso.test").unwrap());
    // onbehalf, reading the directory again, agrees.
    let after = verdicts(
        live,
        &[
            ("svcpt", "alice", FS1),
            ("svcpt", "alice", "http/app1.contoso.test"),
        ],
    );
    assert_eq!((after[0].0, after[1].0), (true, false), "{after:?}");
}
