//! A collection the reader was not written against: a seeded synthetic domain in SharpHound's
//! spelling (timestamped names in a zip, `meta` after `data`, the top-level
//! `UnconstrainedDelegation`, `isdc`, Protected Users through two nested groups, `cifs/`
//! targets registered only as `host/`). Named requests answer what `decide` answers for the
//! request filled by hand from the generator's own truth.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::{answers_like_decide, scratch, write_zip};
use onbehalf_core::json::Value;
use onbehalf_directory::check::{check_str, REQUEST_KEY};
use onbehalf_directory::Directory;
use onbehalf_workload::domain::{generate, Truth};
use onbehalf_workload::Rng;

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
    let zip = scratch("synthetic").join("synthetic.zip");
    let files: Vec<(String, Vec<u8>)> = domain
        .files
        .iter()
        .map(|(n, t)| (n.clone(), t.clone().into_bytes()))
        .collect();
    write_zip(&zip, &files);
    let dir = Directory::load(&zip).unwrap();
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
        let answer = answers_like_decide(&check_str(&dir, &named), &hand, &named);
        let filled = answer.get(REQUEST_KEY).unwrap();
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
