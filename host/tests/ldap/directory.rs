//! The live directory through `directory export`, `check` and `audit`: the facts read over
//! LDAP equal, by name, those of the BloodHound collection of a domain built by the same recipe.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use super::{json_lines, named, onbehalf, Live, FS1, SQL};

/// The facts of a domain export by name: SIDs differ between two provisionings.
fn facts_by_name(export: &str) -> (BTreeMap<String, String>, BTreeMap<String, BTreeSet<String>>) {
    let v: Value = serde_json::from_str(export).unwrap();
    let (accounts, groups) = (
        v["accounts"].as_array().unwrap(),
        v["groups"].as_array().unwrap(),
    );
    let mut names: HashMap<&str, String> = HashMap::new();
    for a in accounts {
        let name = a["sam_account_name"].as_str().unwrap().to_ascii_lowercase();
        names.insert(a["sid"].as_str().unwrap(), name);
    }
    for g in groups {
        names.insert(
            g["sid"].as_str().unwrap(),
            g["name"].as_str().unwrap().to_owned(),
        );
    }
    let name = |sid: &Value| {
        names
            .get(sid.as_str().unwrap())
            .cloned()
            .unwrap_or_default()
    };
    let rid = |sid: &Value| {
        sid.as_str()
            .and_then(|s| s.rsplit('-').next())
            .map(str::to_owned)
    };
    let mut by_name = BTreeMap::new();
    for a in accounts {
        let dc = rid(&a["primary_group"]).as_deref() == Some("516");
        let strings = |k: &str| -> BTreeSet<String> {
            a[k].as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_ascii_lowercase())
                .collect()
        };
        // A DC's SPNs name its own GUIDs, new with every provisioning.
        let spns = if dc {
            BTreeSet::new()
        } else {
            strings("service_principal_names")
        };
        let acts: BTreeSet<String> = a["allowed_to_act"]
            .as_array()
            .unwrap()
            .iter()
            .map(name)
            .collect();
        // BloodHound.py does not say NOT_DELEGATED for computers.
        let sensitive = if a["kind"] == "user" {
            a["not_delegated"].clone()
        } else {
            Value::Null
        };
        by_name.insert(
            a["sam_account_name"].as_str().unwrap().to_ascii_lowercase(),
            format!(
                "kind={} enabled={} spns={spns:?} unconstrained={} pt={} sensitive={sensitive} to={:?} acts={acts:?} primary={:?}",
                a["kind"], a["enabled"], a["trusted_for_delegation"], a["trusted_to_auth_for_delegation"],
                strings("allowed_to_delegate_to"), rid(&a["primary_group"]),
            ),
        );
    }
    let members = groups
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["members"].as_array().unwrap().iter().map(name).collect(),
            )
        })
        .collect();
    (by_name, members)
}

pub fn export_equals_the_collection_by_name(live: &Live) {
    let collection = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../directory/tests/fixtures/bloodhound-contoso"
    );
    let (code, collected, err) = onbehalf(
        &["directory", "export", "--bloodhound", collection],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, read, err) = live.run(&["directory", "export"], &[], "");
    assert_eq!(code, 0, "{err}");
    let (want, want_groups) = facts_by_name(&collected);
    let (got, got_groups) = facts_by_name(&read);
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "the same accounts"
    );
    for (name, facts) in &want {
        assert_eq!(Some(facts), got.get(name), "{name}");
    }
    // The groups delegation reads (other groups hold well-known SIDs each source names its
    // own way).
    for group in ["PROTECTED USERS@CONTOSO.TEST", "DOMAIN ADMINS@CONTOSO.TEST"] {
        assert_eq!(want_groups.get(group), got_groups.get(group), "{group}");
        assert!(want_groups.contains_key(group), "{group}");
    }
    // The facts file it wrote reads back, and names the directory as its source.
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ldap-lab")
        .join("facts.json");
    std::fs::write(&path, &read).unwrap();
    let (code, again, _) = onbehalf(
        &["directory", "export", "--facts", path.to_str().unwrap()],
        "",
        &[],
    );
    assert_eq!((code, again.as_str()), (0, read.as_str()));
}

pub fn check_and_audit(live: &Live) {
    let input = format!(
        "{}\n{}\n",
        named("svcpt", "alice", SQL),
        named("svcweb", "alice", FS1)
    );
    let (code, out, err) = live.run(&["check"], &[], &input);
    assert_eq!(code, 0, "{err}");
    let answers = json_lines(&out);
    assert_eq!(answers[0]["reach"], "multi-hop", "{out}");
    assert_eq!(
        answers[0]["request"]["delegation"]["protocol_transition"],
        true
    );
    assert_eq!(
        answers[1]["reasons"][0], "ntlm-cannot-delegate-remotely",
        "{out}"
    );
    // Every fact names the directory and the entry it was read from.
    let source = &answers[0]["facts"][0]["source"];
    assert_eq!(source["file"], live.url.as_str());
    assert!(
        source["object"]
            .as_str()
            .unwrap()
            .ends_with("DC=contoso,DC=test"),
        "{source}"
    );
    // ... and the LDAP attribute it was read from, never a BloodHound property name.
    for fact in answers[0]["facts"].as_array().unwrap() {
        let property = fact["source"]["property"].as_str().unwrap();
        assert!(
            !property.starts_with("Properties.")
                && property.chars().next().unwrap().is_ascii_lowercase(),
            "{fact}"
        );
    }

    let (code, out, err) = live.run(&["audit"], &[], "");
    assert_eq!(code, 0, "{err}");
    let codes: BTreeSet<String> = json_lines(&out)
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "unconstrained-delegation",
        "constrained-protocol-transition",
        "resource-based-delegation",
        "constrained-delegation",
    ] {
        assert!(codes.contains(expected), "{expected} not in {codes:?}");
    }
    let (code, markdown, _) = live.run(&["audit"], &["--format", "markdown"], "");
    assert_eq!(code, 0);
    assert!(markdown.starts_with("# Delegation audit of"), "{markdown}");
}
