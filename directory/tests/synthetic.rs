//! A collection the reader was not written against: a seeded synthetic domain in SharpHound's
//! spelling (timestamped names in a zip, `meta` after `data`, the top-level
//! `UnconstrainedDelegation`, `isdc`, Protected Users through two nested groups, `cifs/`
//! targets registered only as `host/`). Named requests answer what `decide` answers for the
//! request filled by hand from the generator's own truth.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use onbehalf_core::json::{decide_str, parse_request, Value};
use onbehalf_directory::check::{check_str, FACTS_KEY, REQUEST_KEY};
use onbehalf_directory::Directory;
use onbehalf_workload::domain::{generate, Truth};
use onbehalf_workload::Rng;

fn zip_of(files: &[(String, String)], name: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (file, text) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(file.as_str(), options).unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// The account that runs `spn`: its owner, or the host whose `HOST/` SPN it maps to.
fn owner<'t>(accounts: &'t [Truth], spn: &str) -> &'t Truth {
    let host = spn.replacen("cifs/", "HOST/", 1);
    accounts
        .iter()
        .find(|a| a.spns.iter().any(|s| s.eq_ignore_ascii_case(spn)))
        .or_else(|| {
            accounts
                .iter()
                .find(|a| a.spns.iter().any(|s| s.eq_ignore_ascii_case(&host)))
        })
        .unwrap()
}

/// The spec request filled by hand from the truth, by ARCHITECTURE.md's rules.
fn by_hand(
    client: &Truth,
    server: &Truth,
    target: &Truth,
    spn: &str,
    level: &str,
    auth: &str,
) -> String {
    let admitted = target.allowed_to_act.contains(&server.sid);
    let listed = server
        .allowed_to_delegate_to
        .iter()
        .any(|t| t.eq_ignore_ascii_case(spn));
    let (trust, targets) = if server.unconstrained {
        ("unconstrained", Vec::new())
    } else if !server.allowed_to_delegate_to.is_empty() && (listed || !admitted) {
        ("constrained", server.allowed_to_delegate_to.clone())
    } else if admitted {
        ("resource_based", vec![spn.to_owned()])
    } else {
        ("none", Vec::new())
    };
    serde_json::json!({
        "level": level, "auth": auth,
        "delegation": {
            "client_sensitive": client.sensitive, "client_protected_user": client.protected,
            "server_trust": trust, "allowed_targets": targets,
            "protocol_transition": server.protocol_transition,
        },
        "hops": [{"target": spn}],
    })
    .to_string()
}

#[test]
fn a_synthetic_sharphound_collection_answers_as_its_truth_says() {
    let domain = generate(2026, 2_000, 400);
    let dir = Directory::load(&zip_of(&domain.files, "synthetic.zip")).unwrap();
    let accounts = &domain.accounts;
    assert_eq!(dir.accounts.len(), accounts.len());
    let clients: Vec<&Truth> = accounts
        .iter()
        .filter(|a| a.sam.starts_with("user"))
        .collect();
    let servers: Vec<&Truth> = accounts
        .iter()
        .filter(|a| a.sam.starts_with("svc") || a.computer)
        .collect();
    let spns: Vec<String> = accounts
        .iter()
        .filter(|a| a.computer)
        .map(|a| {
            let host = a.sam.trim_end_matches('$').to_lowercase();
            if a.dc {
                format!("ldap/{host}.scale.test")
            } else {
                format!("cifs/{host}.scale.test")
            }
        })
        .collect();
    // Every truth the reader must see: DCs, Protected Users two groups deep.
    for t in accounts {
        let a = dir.account(&t.sid).unwrap();
        assert_eq!(dir.is_dc(a), t.dc, "{}", t.sam);
        assert_eq!(dir.is_protected_user(a), t.protected, "{}", t.sam);
    }
    let mut rng = Rng(7);
    let (mut multi_hop, mut kinds) = (0, std::collections::BTreeSet::new());
    for _ in 0..3_000 {
        let client = clients[rng.below(clients.len())];
        let server = servers[rng.below(servers.len())];
        let spn = &spns[rng.below(spns.len())];
        let level = ["impersonation", "delegation"][rng.below(2)];
        let auth = ["kerberos", "ntlm", "negotiate"][rng.below(3)];
        let named = serde_json::json!({
            "level": level, "auth": auth, "client_account": client.sam,
            "server_account": server.sid, "hops": [{"target": spn}],
        })
        .to_string();
        let hand = by_hand(client, server, owner(accounts, spn), spn, level, auth);
        let answer = Value::parse(&check_str(&dir, &named)).unwrap();
        let Value::Object(fields) = &answer else {
            panic!("{answer}")
        };
        let decision: Vec<_> = fields
            .iter()
            .filter(|(k, _)| k != REQUEST_KEY && k != FACTS_KEY)
            .cloned()
            .collect();
        assert_eq!(
            Value::Object(decision),
            Value::parse(&decide_str(&hand)).unwrap(),
            "{named}"
        );
        let filled = answer.get(REQUEST_KEY).unwrap();
        assert_eq!(*filled, parse_request(&hand).unwrap().to_value(), "{named}");
        if answer.get("reach") == Some(&Value::String("multi-hop".into())) {
            multi_hop += 1;
        }
        if let Some(Value::String(t)) = filled.get("delegation").and_then(|d| d.get("server_trust"))
        {
            kinds.insert(t.clone());
        }
    }
    // The sample covers every delegation kind and both outcomes.
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(multi_hop > 100 && multi_hop < 2_900, "{multi_hop}");
}
