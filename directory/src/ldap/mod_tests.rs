//! The attribute readings that need no server: trusts (the lab has none), integers,
//! names, SIDs.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::model::{Direction, TrustKind};
use crate::ErrorCode;

fn entry(attrs: &[(&str, &[u8])]) -> Entry {
    let mut e = Entry {
        dn: "CN=x,DC=contoso,DC=test".to_owned(),
        ..Entry::default()
    };
    for (name, value) in attrs {
        e.attrs
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.to_vec());
    }
    e
}

/// `S-1-5-21-1-2-3` in binary.
const DOMAIN_SID: [u8; 24] = [
    1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
];

/// `S-1-5-21-1-2-3-RID` in binary.
fn account_sid(rid: u32) -> Vec<u8> {
    let mut sid = DOMAIN_SID.to_vec();
    sid[1] = 5;
    sid.extend(rid.to_le_bytes());
    sid
}

fn trust_entry(partner: &str, direction: &str, kind: &str, attributes: &str) -> Entry {
    entry(&[
        ("trustPartner", partner.as_bytes()),
        ("securityIdentifier", &DOMAIN_SID),
        ("trustDirection", direction.as_bytes()),
        ("trustType", kind.as_bytes()),
        ("trustAttributes", attributes.as_bytes()),
    ])
}

/// The trust of CONTOSO.TEST that [`trust_entry`] describes.
fn contoso_trust(partner: &str, direction: &str, kind: &str, attributes: &str) -> Trust {
    trust(
        &trust_entry(partner, direction, kind, attributes),
        "CONTOSO.TEST",
    )
    .unwrap()
}

#[test]
fn trusts_read_their_kind_direction_and_flags() {
    // A forest trust, both ways, TGT delegation enabled (0x8 | 0x800).
    let t = contoso_trust("fabrikam.test", "3", "2", "2056");
    assert_eq!(t.target_name, "FABRIKAM.TEST");
    assert_eq!(t.direction, Direction::Bidirectional);
    assert_eq!(t.kind, TrustKind::Forest);
    assert!(t.sid_filtering);
    assert_eq!(t.tgt_delegation, Some(true));
    assert_eq!(t.selective_authentication, Some(false));
    // A child domain (WITHIN_FOREST 0x20), inbound.
    let t = contoso_trust("child.contoso.test", "1", "2", "32");
    assert_eq!(
        (t.kind, t.direction),
        (TrustKind::ParentChild, Direction::Inbound)
    );
    assert!(!t.sid_filtering);
    // Another tree of the forest.
    let t = contoso_trust("tailspin.test", "3", "2", "32");
    assert_eq!(t.kind, TrustKind::TreeRoot);
    // An external trust, quarantined (0x4), selective (0x10), TGT delegation off (0x200).
    let t = contoso_trust("wingtip.test", "2", "2", "532");
    assert_eq!(
        (t.kind, t.direction),
        (TrustKind::External, Direction::Outbound)
    );
    assert!(t.sid_filtering);
    assert_eq!(t.selective_authentication, Some(true));
    assert_eq!(t.tgt_delegation, Some(false));
    // A Kerberos realm.
    let t = contoso_trust("MIT.EXAMPLE", "3", "3", "1");
    assert_eq!(t.kind, TrustKind::Realm);
}

#[test]
fn unknown_trust_values_are_named_errors() {
    let e = trust(&trust_entry("x.test", "7", "2", "0"), "CONTOSO.TEST").unwrap_err();
    assert_eq!(e.code, ErrorCode::DirectoryInvalid);
    assert_eq!(
        e.message,
        "CN=x,DC=contoso,DC=test: trustDirection: expected 0 to 3"
    );
    let e = trust(&trust_entry("x.test", "3", "4", "0"), "CONTOSO.TEST").unwrap_err();
    assert!(e.message.contains("trustType: expected 1 (downlevel)"));
    let mut missing = trust_entry("x.test", "3", "2", "0");
    missing.attrs.remove("trustattributes");
    let e = trust(&missing, "CONTOSO.TEST").unwrap_err();
    assert!(e
        .message
        .contains("trustAttributes: expected a value (the attribute is missing)"));
}

#[test]
fn integers_names_and_sids_read_strictly() {
    // userAccountControl with its high bit set arrives negative (Integer syntax is signed).
    assert_eq!(
        number(&entry(&[("n", b"-2147483648")]), "n").unwrap(),
        0x8000_0000
    );
    assert_eq!(number(&entry(&[("n", b"66048")]), "n").unwrap(), 66048);
    assert!(number(&entry(&[("n", b"ten")]), "n")
        .unwrap_err()
        .message
        .ends_with("n: expected an integer"));
    assert!(text(&entry(&[("n", b"a"), ("n", b"b")]), "n")
        .unwrap_err()
        .message
        .ends_with("n: expected a single value"));
    assert!(texts(&entry(&[("n", &[0xff])]), "n")
        .unwrap_err()
        .message
        .ends_with("expected UTF-8 text"));
    assert_eq!(dns_name("DC=contoso,DC=test"), "CONTOSO.TEST");
    assert_eq!(
        dns_name("OU=x,DC=child, dc=contoso,DC=test"),
        "CHILD.CONTOSO.TEST"
    );
    assert_eq!(
        principal("CONTOSO.TEST", "S-1-5-32-544"),
        "CONTOSO.TEST-S-1-5-32-544"
    );
    assert_eq!(
        principal("CONTOSO.TEST", "S-1-5-21-1-2-3-500"),
        "S-1-5-21-1-2-3-500"
    );
    let binary = DOMAIN_SID;
    assert_eq!(
        sid(&entry(&[("objectSid", &binary)]), "objectSid").unwrap(),
        "S-1-5-21-1-2-3"
    );
    assert!(sid(&entry(&[("objectSid", &binary[..10])]), "objectSid")
        .unwrap_err()
        .message
        .starts_with("CN=x,DC=contoso,DC=test: objectSid: "));
}

#[test]
fn accounts_read_the_control_bits_and_refuse_a_deny_ace() {
    let sid = account_sid(1105);
    let uac = (0x200 | 0x8_0000 | 0x100_0000 | 0x2).to_string();
    let mut e = entry(&[
        ("sAMAccountName", b"svc"),
        ("objectSid", &sid),
        ("objectClass", b"top"),
        ("objectClass", b"user"),
        ("userAccountControl", uac.as_bytes()),
        ("primaryGroupID", b"513"),
        ("servicePrincipalName", b"http/svc.contoso.test"),
    ]);
    let a = account(&e, "CONTOSO.TEST", "S-1-5-21-1-2-3").unwrap();
    assert_eq!(a.sid, "S-1-5-21-1-2-3-1105");
    assert_eq!(a.kind, crate::Kind::User);
    assert!(!a.enabled && a.trusted_for_delegation && a.trusted_to_auth_for_delegation);
    assert_eq!(a.not_delegated, Some(false));
    assert_eq!(a.primary_group.as_deref(), Some("S-1-5-21-1-2-3-513"));
    // A DACL with a deny ACE for Everyone.
    let mut sd = vec![
        1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
    ];
    sd.extend([2, 0, 28, 0, 1, 0, 0, 0]);
    sd.extend([
        1, 0, 20, 0, 0xff, 1, 0xf, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
    ]);
    e.attrs.insert(
        "msds-allowedtoactonbehalfofotheridentity".to_owned(),
        vec![sd],
    );
    let err = account(&e, "CONTOSO.TEST", "S-1-5-21-1-2-3").unwrap_err();
    assert!(err
        .message
        .contains("deny ACEs for S-1-1-0 are not supported"));
    e.attrs.remove("useraccountcontrol");
    assert!(account(&e, "CONTOSO.TEST", "S-1-5-21-1-2-3")
        .unwrap_err()
        .message
        .contains("userAccountControl: expected a value"));
}
