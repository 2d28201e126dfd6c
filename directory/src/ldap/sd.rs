//! The binary self-relative security descriptor of `msDS-AllowedToActOnBehalfOfOtherIdentity`
//! (MS-DTYP 2.4.6), read as far as resource-based delegation needs: its DACL's ACEs and their
//! SIDs. A malformed descriptor is `directory-invalid` naming what is wrong, never "admits
//! nobody"; a deny ACE is reported, never read as an admission.

use crate::error::{Error, Result};

/// `SE_DACL_PRESENT`: the descriptor has a DACL (else it has a NULL DACL).
const SE_DACL_PRESENT: u16 = 0x0004;
/// `SE_SELF_RELATIVE`: offsets instead of pointers (the only form stored in the directory).
const SE_SELF_RELATIVE: u16 = 0x8000;
/// `INHERIT_ONLY_ACE`: the ACE applies to child objects only, not to this one.
const INHERIT_ONLY_ACE: u8 = 0x08;
/// `ACE_OBJECT_TYPE_PRESENT` and `ACE_INHERITED_OBJECT_TYPE_PRESENT` of an object ACE.
const OBJECT_TYPE_PRESENT: u32 = 0x1;
const INHERITED_OBJECT_TYPE_PRESENT: u32 = 0x2;
/// The header of a self-relative descriptor, of an ACL, of an ACE.
const SD_HEADER: usize = 20;
const ACL_HEADER: usize = 8;
const ACE_HEADER: usize = 4;
/// A SID has at most 15 sub-authorities (MS-DTYP 2.4.2).
const MAX_SUB_AUTHORITIES: u8 = 15;

/// Whether an ACE grants or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AceKind {
    /// `ACCESS_ALLOWED_ACE` (0x00) or `ACCESS_ALLOWED_OBJECT_ACE` (0x05).
    Allow,
    /// `ACCESS_DENIED_ACE` (0x01) or `ACCESS_DENIED_OBJECT_ACE` (0x06).
    Deny,
}

/// One ACE of the DACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// Grant or deny.
    pub kind: AceKind,
    /// The ACE type byte (0x00, 0x01, 0x05, 0x06).
    pub ace_type: u8,
    /// The ACE flags (inheritance).
    pub flags: u8,
    /// The access mask.
    pub mask: u32,
    /// An object ACE's object type GUID, when present: the ACE then concerns one property or
    /// right only.
    pub object_type: Option<[u8; 16]>,
    /// The trustee, as `S-1-…`.
    pub sid: String,
}

impl Ace {
    /// Whether the ACE takes part in an access check on the object itself: not inherit-only,
    /// and not restricted to one object type (the KDC's check names no object type).
    #[must_use]
    pub fn applies_to_object(&self) -> bool {
        self.flags & INHERIT_ONLY_ACE == 0 && self.object_type.is_none()
    }
}

/// A parsed descriptor: owner, group and the DACL (a NULL DACL is refused by [`parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The owner SID, when present.
    pub owner: Option<String>,
    /// The primary group SID, when present.
    pub group: Option<String>,
    /// The DACL's ACEs, in order.
    pub dacl: Vec<Ace>,
}

/// The right the KDC's access check asks of msDS-AllowedToActOnBehalfOfOtherIdentity
/// (`ADS_RIGHT_DS_CONTROL_ACCESS`): Windows writes `0x000F01FF`, but an allow ACE without
/// this bit (read access only, or an unmapped `GENERIC_ALL`) admits no one to S4U2Proxy.
pub const CONTROL_ACCESS: u32 = 0x100;

/// Who a descriptor admits, as resource-based delegation reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// SIDs with an allow ACE on the object and no deny ACE of their own.
    pub allowed: Vec<String>,
    /// SIDs with a deny ACE on the object: never admitted; a denied group also denies its
    /// members, which only the caller (who knows the groups) can resolve.
    pub denied: Vec<String>,
}

impl Descriptor {
    /// The SIDs admitted and denied, each once, in ACE order; ACEs that do not apply to the
    /// object itself (inherit-only, object-type) count for neither, and an allow ACE admits
    /// only with [`CONTROL_ACCESS`] (the right the KDC checks). Every deny ACE is reported,
    /// whatever its mask (the caller refuses them: the model lists admissions only).
    #[must_use]
    pub fn admission(&self) -> Admission {
        let mut out = Admission::default();
        let applying = || self.dacl.iter().filter(|a| a.applies_to_object());
        for ace in applying().filter(|a| a.kind == AceKind::Deny) {
            if !out.denied.contains(&ace.sid) {
                out.denied.push(ace.sid.clone());
            }
        }
        for ace in applying().filter(|a| a.kind == AceKind::Allow && a.mask & CONTROL_ACCESS != 0) {
            if !out.denied.contains(&ace.sid) && !out.allowed.contains(&ace.sid) {
                out.allowed.push(ace.sid.clone());
            }
        }
        out
    }
}

/// Parses a self-relative security descriptor.
///
/// # Errors
/// `directory-invalid` naming the part that is truncated, out of range or of an unknown
/// revision or ACE type, and a NULL DACL (which would admit every account).
pub fn parse(bytes: &[u8]) -> Result<Descriptor> {
    descriptor(bytes).map_err(|e| Error::invalid(format!("security descriptor: {}", e.message)))
}

fn descriptor(bytes: &[u8]) -> Result<Descriptor> {
    let b = Bytes(bytes);
    if bytes.len() < SD_HEADER {
        return Err(bad(format!(
            "{} bytes, shorter than the 20-byte header",
            bytes.len()
        )));
    }
    let revision = b.u8(0, "revision")?;
    if revision != 1 {
        return Err(bad(format!("revision {revision}, expected 1")));
    }
    let control = b.u16(2, "control")?;
    if control & SE_SELF_RELATIVE == 0 {
        return Err(bad(format!(
            "control {control:#06x} lacks SE_SELF_RELATIVE (0x8000)"
        )));
    }
    let owner = b.offset(4, "owner")?;
    let group = b.offset(8, "group")?;
    let dacl = b.offset(16, "DACL")?;
    let owner = owner
        .map(|at| b.sid(at, bytes.len(), "owner SID"))
        .transpose()?;
    let group = group
        .map(|at| b.sid(at, bytes.len(), "group SID"))
        .transpose()?;
    let dacl = match dacl {
        Some(at) if control & SE_DACL_PRESENT != 0 => b.acl(at)?,
        _ => {
            return Err(bad(
                "no DACL (a NULL DACL would admit every account)".to_owned()
            ))
        }
    };
    Ok(Descriptor { owner, group, dacl })
}

fn bad(what: String) -> Error {
    Error::invalid(what)
}

/// Little-endian reads that name what is truncated instead of panicking.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn get(&self, at: usize, len: usize, what: &str) -> Result<&[u8]> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| {
                bad(format!(
                    "{what} at offset {at} needs {len} bytes, the descriptor has {}",
                    self.0.len()
                ))
            })
    }

    fn u8(&self, at: usize, what: &str) -> Result<u8> {
        self.get(at, 1, what)
            .map(|s| s.first().copied().unwrap_or_default())
    }

    fn u16(&self, at: usize, what: &str) -> Result<u16> {
        let s = self.get(at, 2, what)?;
        Ok(u16::from_le_bytes([byte(s, 0), byte(s, 1)]))
    }

    fn u32(&self, at: usize, what: &str) -> Result<u32> {
        let s = self.get(at, 4, what)?;
        Ok(u32::from_le_bytes([
            byte(s, 0),
            byte(s, 1),
            byte(s, 2),
            byte(s, 3),
        ]))
    }

    /// A header offset: 0 is "absent"; anything else must point past the header and inside.
    fn offset(&self, at: usize, what: &str) -> Result<Option<usize>> {
        let offset = self.u32(at, what)?;
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        if offset == 0 {
            return Ok(None);
        }
        if offset < SD_HEADER || offset >= self.0.len() {
            return Err(bad(format!(
                "{what} offset {offset} outside the descriptor (20..{})",
                self.0.len()
            )));
        }
        Ok(Some(offset))
    }

    /// A SID at `at` that must end by `end` (MS-DTYP 2.4.2.2).
    fn sid(&self, at: usize, end: usize, what: &str) -> Result<String> {
        let revision = self.u8(at, what)?;
        if revision != 1 {
            return Err(bad(format!(
                "{what} at offset {at}: revision {revision}, expected 1"
            )));
        }
        let count = self.u8(at.saturating_add(1), what)?;
        if count > MAX_SUB_AUTHORITIES {
            return Err(bad(format!(
                "{what} at offset {at}: {count} sub-authorities, at most 15"
            )));
        }
        let len = 8 + 4 * usize::from(count);
        if at.checked_add(len).is_none_or(|e| e > end) {
            return Err(bad(format!(
                "{what} at offset {at}: {len} bytes run past its container (ends at {end})"
            )));
        }
        let authority = self.get(at.saturating_add(2), 6, what)?;
        let authority = authority
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let mut text = if authority >= 1 << 32 {
            format!("S-1-{authority:#014X}")
        } else {
            format!("S-1-{authority}")
        };
        for i in 0..usize::from(count) {
            let sub = self.u32(at.saturating_add(8 + 4 * i), what)?;
            text.push('-');
            text.push_str(&sub.to_string());
        }
        Ok(text)
    }

    /// An ACL (MS-DTYP 2.4.5) and its ACEs, each inside the ACL's stated size.
    fn acl(&self, at: usize) -> Result<Vec<Ace>> {
        let revision = self.u8(at, "DACL revision")?;
        if revision != 2 && revision != 4 {
            return Err(bad(format!("DACL revision {revision}, expected 2 or 4")));
        }
        let size = usize::from(self.u16(at + 2, "DACL size")?);
        let count = self.u16(at + 4, "DACL ACE count")?;
        let end = at.saturating_add(size);
        if size < ACL_HEADER || end > self.0.len() {
            return Err(bad(format!(
                "DACL at offset {at} states {size} bytes; the descriptor has {} (at least 8 needed)",
                self.0.len()
            )));
        }
        let mut aces = Vec::with_capacity(usize::from(count).min(64));
        let mut pos = at + ACL_HEADER;
        for i in 0..count {
            let what = format!("ACE {i} of the DACL");
            let ace_type = self.u8(pos, &what)?;
            let flags = self.u8(pos + 1, &what)?;
            let ace_size = usize::from(self.u16(pos + 2, &what)?);
            let ace_end = pos.saturating_add(ace_size);
            if ace_size < ACE_HEADER + 4 || ace_end > end {
                return Err(bad(format!(
                    "{what} at offset {pos} states {ace_size} bytes: at least 8, and within the DACL (which ends at {end})"
                )));
            }
            let kind = match ace_type {
                0x00 | 0x05 => AceKind::Allow,
                0x01 | 0x06 => AceKind::Deny,
                other => {
                    return Err(bad(format!(
                        "{what}: ACE type {other:#04x}; only access-allowed and access-denied ACEs (0x00, 0x01, 0x05, 0x06) are read"
                    )))
                }
            };
            let mask = self.u32(pos + ACE_HEADER, &what)?;
            let mut body = pos + ACE_HEADER + 4;
            let mut object_type = None;
            if ace_type >= 0x05 {
                let object_flags = self.u32(body, &what)?;
                body += 4;
                if object_flags & OBJECT_TYPE_PRESENT != 0 {
                    let guid = self.get(body, 16, &what)?;
                    object_type = Some(guid.try_into().unwrap_or([0; 16]));
                    body += 16;
                }
                if object_flags & INHERITED_OBJECT_TYPE_PRESENT != 0 {
                    self.get(body, 16, &what)?;
                    body += 16;
                }
            }
            let sid = self.sid(body, ace_end, &format!("{what}'s SID"))?;
            aces.push(Ace {
                kind,
                ace_type,
                flags,
                mask,
                object_type,
                sid,
            });
            pos = ace_end;
        }
        Ok(aces)
    }
}

/// A byte of a slice whose length was checked by [`Bytes::get`].
fn byte(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or_default()
}

/// A binary SID (`objectSid`, MS-DTYP 2.4.2.2) as `S-1-…`; the whole value must be the SID.
///
/// # Errors
/// `directory-invalid` naming what is wrong.
pub fn sid_string(bytes: &[u8]) -> Result<String> {
    let sid = Bytes(bytes).sid(0, bytes.len(), "SID")?;
    let count = usize::from(bytes.get(1).copied().unwrap_or_default());
    if bytes.len() != 8 + 4 * count {
        return Err(bad(format!(
            "SID: {} bytes, expected {} for {count} sub-authorities",
            bytes.len(),
            8 + 4 * count
        )));
    }
    Ok(sid)
}

#[cfg(test)]
#[path = "sd_tests.rs"]
mod tests;
