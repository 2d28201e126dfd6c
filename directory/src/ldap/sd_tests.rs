//! Security descriptors built by hand, byte by byte as MS-DTYP lays them out, and broken in
//! every way the parser must name.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::ErrorCode;

const APP1: &str = "S-1-5-21-2007138262-2688765669-284827659-1113";
const OTHER: &str = "S-1-5-21-2007138262-2688765669-284827659-1114";
/// What Windows writes for "admit this account": every right but the SACL's.
const FULL: u32 = 0x000F_01FF;

fn sid_bytes(sid: &str) -> Vec<u8> {
    let parts: Vec<u64> = sid
        .trim_start_matches("S-1-")
        .split('-')
        .map(|p| p.parse().unwrap())
        .collect();
    let mut out = vec![1, u8::try_from(parts.len() - 1).unwrap()];
    out.extend_from_slice(&parts[0].to_be_bytes()[2..]);
    for sub in &parts[1..] {
        out.extend_from_slice(&u32::try_from(*sub).unwrap().to_le_bytes());
    }
    out
}

fn ace(ace_type: u8, flags: u8, mask: u32, sid: &str) -> Vec<u8> {
    object_ace(ace_type, flags, mask, None, sid)
}

/// An ACE; for types 0x05/0x06 `object` is the object-flags word followed by its GUIDs.
fn object_ace(
    ace_type: u8,
    flags: u8,
    mask: u32,
    object: Option<(u32, usize)>,
    sid: &str,
) -> Vec<u8> {
    let mut body = mask.to_le_bytes().to_vec();
    if let Some((object_flags, guids)) = object {
        body.extend_from_slice(&object_flags.to_le_bytes());
        body.extend(std::iter::repeat_n(0xab, 16 * guids));
    }
    body.extend(sid_bytes(sid));
    let size = u16::try_from(4 + body.len()).unwrap();
    let mut out = vec![ace_type, flags];
    out.extend_from_slice(&size.to_le_bytes());
    out.extend(body);
    out
}

fn acl(aces: &[Vec<u8>]) -> Vec<u8> {
    let size = 8 + aces.iter().map(Vec::len).sum::<usize>();
    let mut out = vec![2, 0];
    out.extend_from_slice(&u16::try_from(size).unwrap().to_le_bytes());
    out.extend_from_slice(&u16::try_from(aces.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    for a in aces {
        out.extend_from_slice(a);
    }
    out
}

/// Header (self-relative, DACL present), owner BUILTIN\Administrators, then the DACL.
fn descriptor(dacl: &[u8]) -> Vec<u8> {
    let owner = sid_bytes("S-1-5-32-544");
    let owner_at = 20u32;
    let dacl_at = owner_at + u32::try_from(owner.len()).unwrap();
    let mut out = vec![1, 0];
    out.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
    for offset in [owner_at, 0, 0, dacl_at] {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend(owner);
    out.extend_from_slice(dacl);
    out
}

fn windows_style() -> Vec<u8> {
    descriptor(&acl(&[ace(0x00, 0, FULL, APP1)]))
}

fn error_of(bytes: &[u8]) -> String {
    let e = parse(bytes).unwrap_err();
    assert_eq!(e.code, ErrorCode::DirectoryInvalid);
    e.message
}

/// The error of [`windows_style`] with `patch` written over its bytes from `at`.
fn error_with(at: usize, patch: &[u8]) -> String {
    let mut bytes = windows_style();
    bytes[at..at + patch.len()].copy_from_slice(patch);
    error_of(&bytes)
}

#[test]
fn a_descriptor_as_windows_writes_it_admits_its_sid() {
    let sd = parse(&windows_style()).unwrap();
    assert_eq!(sd.owner.as_deref(), Some("S-1-5-32-544"));
    assert_eq!(sd.group, None);
    assert_eq!(sd.dacl.len(), 1);
    assert_eq!(sd.dacl[0].mask, FULL);
    let admission = sd.admission();
    assert_eq!(admission.allowed, [APP1]);
    assert!(admission.denied.is_empty());
}

#[test]
fn a_deny_ace_is_reported_and_never_admits() {
    let dacl = acl(&[
        ace(0x01, 0, FULL, APP1),
        ace(0x00, 0, FULL, APP1),
        ace(0x00, 0, FULL, OTHER),
    ]);
    let admission = parse(&descriptor(&dacl)).unwrap().admission();
    assert_eq!(admission.allowed, [OTHER]);
    assert_eq!(admission.denied, [APP1]);
}

#[test]
fn object_aces_are_laid_out_by_their_flags() {
    let dacl = acl(&[
        // No GUID: applies to the whole object, like a plain ACE.
        object_ace(0x05, 0, FULL, Some((0, 0)), APP1),
        // Both GUIDs: concerns one property only, so it admits nobody.
        object_ace(0x05, 0, FULL, Some((3, 2)), OTHER),
        // An inherited-object-type GUID only.
        object_ace(0x06, 0, FULL, Some((2, 1)), "S-1-5-21-1-2-3-4"),
    ]);
    let sd = parse(&descriptor(&dacl)).unwrap();
    assert_eq!(sd.dacl[1].object_type, Some([0xab; 16]));
    assert_eq!(sd.dacl[1].sid, OTHER);
    assert_eq!(sd.dacl[2].sid, "S-1-5-21-1-2-3-4");
    let admission = sd.admission();
    assert_eq!(admission.allowed, [APP1]);
    assert_eq!(admission.denied, ["S-1-5-21-1-2-3-4"]);
}

#[test]
fn inherit_only_and_empty_masks_admit_nobody_and_an_empty_dacl_is_no_error() {
    let dacl = acl(&[
        ace(0x00, INHERIT_ONLY_ACE, FULL, APP1),
        ace(0x00, 0, 0, OTHER),
    ]);
    assert_eq!(
        parse(&descriptor(&dacl)).unwrap().admission(),
        Admission::default()
    );
    assert!(parse(&descriptor(&acl(&[]))).unwrap().dacl.is_empty());
}

#[test]
fn an_allow_ace_admits_only_with_the_control_access_right_the_kdc_checks() {
    // Read access (0x20094) and an unmapped GENERIC_ALL admit no one; the right alone does.
    let dacl = acl(&[
        ace(0x00, 0, 0x0002_0094, APP1),
        ace(0x00, 0, 0x1000_0000, OTHER),
    ]);
    assert_eq!(
        parse(&descriptor(&dacl)).unwrap().admission(),
        Admission::default()
    );
    let dacl = acl(&[ace(0x00, 0, CONTROL_ACCESS, APP1)]);
    assert_eq!(
        parse(&descriptor(&dacl)).unwrap().admission().allowed,
        [APP1]
    );
}

#[test]
fn every_truncation_is_an_error_naming_the_part() {
    let bytes = windows_style();
    for len in 0..bytes.len() {
        let message = error_of(&bytes[..len]);
        assert!(
            message.starts_with("security descriptor: "),
            "{len}: {message}"
        );
    }
    assert!(error_of(&bytes[..10]).contains("shorter than the 20-byte header"));
}

#[test]
fn malformed_headers_are_named() {
    assert!(error_with(0, &[2]).contains("revision 2, expected 1"));
    assert!(error_with(2, &SE_DACL_PRESENT.to_le_bytes()).contains("lacks SE_SELF_RELATIVE"));
    assert!(error_with(2, &SE_SELF_RELATIVE.to_le_bytes()).contains("NULL DACL"));
    assert!(error_with(16, &0u32.to_le_bytes()).contains("NULL DACL"));
    assert!(error_with(16, &4000u32.to_le_bytes()).contains("DACL offset 4000 outside"));
    assert!(error_with(4, &u32::MAX.to_le_bytes()).contains("owner offset"));
}

#[test]
fn acls_and_aces_that_lie_about_their_size_are_named() {
    let dacl_at = 20 + sid_bytes("S-1-5-32-544").len();

    // The ACL claims more bytes than the descriptor has.
    assert!(error_with(dacl_at + 2, &200u16.to_le_bytes()).contains("DACL at offset"));

    // The ACL claims fewer bytes than its ACE needs.
    assert!(error_with(dacl_at + 2, &12u16.to_le_bytes()).contains("within the DACL"));

    // More ACEs than there are.
    assert!(error_with(dacl_at + 4, &2u16.to_le_bytes()).contains("ACE 1 of the DACL"));

    // An ACE too small for its own mask.
    assert!(error_with(dacl_at + 10, &4u16.to_le_bytes()).contains("states 4 bytes"));

    // A SID with 16 sub-authorities.
    assert!(error_with(dacl_at + 8 + 8 + 1, &[16]).contains("16 sub-authorities, at most 15"));

    // A SID that runs past its ACE.
    assert!(error_with(dacl_at + 8 + 8 + 1, &[6]).contains("run past its container"));

    // A conditional (callback) ACE, which the KDC would evaluate: not read as anything.
    assert!(error_with(dacl_at + 8, &[0x09]).contains("ACE type 0x09"));

    // An unknown ACL revision.
    assert!(error_with(dacl_at, &[3]).contains("DACL revision 3"));
}

#[test]
fn object_sids_read_as_strings() {
    assert_eq!(sid_string(&sid_bytes(APP1)).unwrap(), APP1);
    assert_eq!(
        sid_string(&sid_bytes("S-1-5-32-544")).unwrap(),
        "S-1-5-32-544"
    );
    let mut wide = sid_bytes("S-1-5-21-1");
    wide[2] = 1; // authority 2^40: written in hex
    assert_eq!(sid_string(&wide).unwrap(), "S-1-0x010000000005-21-1");
    let mut long = sid_bytes(APP1);
    long.push(0);
    assert!(sid_string(&long)
        .unwrap_err()
        .message
        .contains("expected 28"));
    assert_eq!(
        sid_string(&[]).unwrap_err().code,
        ErrorCode::DirectoryInvalid
    );
}

proptest::proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        let _ = parse(&bytes);
        let _ = sid_string(&bytes);
    }

    #[test]
    fn a_corrupted_descriptor_never_panics(at in 0usize..80, value in proptest::num::u8::ANY) {
        let mut bytes = descriptor(&acl(&[ace(0x01, 0, FULL, OTHER), object_ace(0x05, 0, FULL, Some((3, 2)), APP1)]));
        if let Some(b) = bytes.get_mut(at) {
            *b = value;
        }
        if let Ok(sd) = parse(&bytes) {
            // Whatever parses is well-formed: every SID reads back as a SID.
            for ace in &sd.dacl {
                proptest::prop_assert!(ace.sid.starts_with("S-1-"));
            }
        }
    }
}
