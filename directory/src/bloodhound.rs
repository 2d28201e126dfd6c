//! Reading a BloodHound collection (SharpHound or BloodHound.py, `meta.version` 5 and 6): a
//! folder or a `.zip` of JSON files, each dispatched by its `meta.type`. Every property read
//! is in [`crate::facts::Fact`]'s table with its BloodHound spelling; a missing or mistyped
//! property is `directory-invalid` naming the file and JSON path, never "no delegation".

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Account, Direction, Domain, Group, Kind, Origin, Trust, TrustKind};
use crate::read::{At, Place};
use crate::Directory;

/// The collection format versions read (`meta.version`).
pub const VERSIONS: [i64; 2] = [5, 6];

/// The largest JSON file read from a folder or a zip (uncompressed): a guard against a zip
/// bomb, far above a real collection (10,000 accounts are ~30 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The `meta.type`s a collection must hold, and the ones read when present.
const REQUIRED_TYPES: [&str; 4] = ["users", "computers", "groups", "domains"];

/// One JSON file of the collection.
struct File {
    name: String,
    json: Value,
}

/// Reads the collection at `path`: a folder of JSON files or a `.zip`.
///
/// # Errors
/// `directory-invalid` for an unreadable or malformed file, a missing required file, an
/// unknown `meta.version`, or duplicate SIDs.
pub fn load(path: &Path) -> Result<Directory> {
    let shown = path.display().to_string();
    let files = if path.is_dir() {
        folder(path)?
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::invalid(format!("{shown}: cannot read: {e}")))?;
        zip(file, &shown)?
    };
    from_files(&files, &shown)
}

/// Reads a collection's `.zip` from memory (the web page's file picker); `name` names it in
/// messages and provenance.
///
/// # Errors
/// As [`load`].
pub fn from_zip_bytes(bytes: &[u8], name: &str) -> Result<Directory> {
    let files = zip(std::io::Cursor::new(bytes), name)?;
    from_files(&files, name)
}

fn from_files(files: &[File], shown: &str) -> Result<Directory> {
    let mut directory = Directory::default();
    let mut seen = Vec::new();
    for file in files {
        let top = Place::new(&file.name, "");
        let top = top.at(&file.json);
        let kind = meta(&top)?;
        let data = top.array("data", false)?;
        match kind.as_str() {
            "users" => read_all(&data, user, &mut directory.accounts)?,
            "computers" => read_all(&data, computer, &mut directory.accounts)?,
            "groups" => read_all(&data, group, &mut directory.groups)?,
            "domains" => read_all(&data, domain, &mut directory.domains)?,
            _ => continue, // gpos, ous, containers, …: nothing delegation reads
        }
        seen.push(kind);
    }
    if let Some(missing) = REQUIRED_TYPES
        .iter()
        .find(|t| !seen.iter().any(|s| s == *t))
    {
        return Err(Error::invalid(format!(
            "{shown}: no file with meta.type {missing:?}: a collection needs users, computers, groups and domains (collect with DCOnly or All)"
        )));
    }
    directory.source = shown.to_owned();
    directory.index()?;
    Ok(directory)
}

/// Reads every element of `data` that stands for an object (`Ok(None)`: skipped).
fn read_all<T>(
    data: &[(Place, &Value)],
    read: impl Fn(&At<'_>) -> Result<Option<T>>,
    into: &mut Vec<T>,
) -> Result<()> {
    for (place, value) in data {
        if let Some(item) = read(&place.at(value))? {
            into.push(item);
        }
    }
    Ok(())
}

/// `meta.type`, after checking that `meta.version` is one this reader knows and `meta.count`
/// matches the data.
fn meta(top: &At<'_>) -> Result<String> {
    let (place, value) = top.required("meta", "the collection's meta object")?;
    let meta = place.at(value);
    let kind = meta.string("type")?.to_ascii_lowercase();
    let version = meta.integer("version")?;
    if !VERSIONS.contains(&version) {
        return Err(Error::invalid(format!(
            "{}: meta.version: onbehalf reads BloodHound collection format versions 5 and 6, found {version}",
            meta.file()
        )));
    }
    let count = meta.integer("count")?;
    let data = top.array("data", false)?;
    if usize::try_from(count).ok() != Some(data.len()) {
        return Err(Error::invalid(format!(
            "{}: meta.count is {count} but data holds {} objects: the file is truncated or was edited",
            meta.file(),
            data.len()
        )));
    }
    Ok(kind)
}

/// Whether a SID is a domain account's (`S-1-5-21-…`): BloodHound also lists well-known
/// principals (`CONTOSO.TEST-S-1-5-20`, NT AUTHORITY) without account properties.
fn is_domain_sid(sid: &str) -> bool {
    sid.starts_with("S-1-5-21-")
}

fn origin(at: &At<'_>, file: &str) -> Origin {
    Origin {
        file: file.to_owned(),
        path: at.path().to_owned(),
    }
}

/// The facts users and computers share.
fn account(at: &At<'_>, kind: Kind, sensitive_required: bool) -> Result<Option<Account>> {
    let sid = at.string("ObjectIdentifier")?;
    if !is_domain_sid(sid) {
        return Ok(None);
    }
    let (place, value) = at.required("Properties", "the object's properties")?;
    let p = place.at(value);
    let allowed_to_delegate_to = p.strings("allowedtodelegate", true)?;
    // The edge list and the property must agree: a collector that wrote the edges but not the
    // SPNs (or a file edited by hand) is not read as "no constrained delegation".
    let edges = at.references("AllowedToDelegate", true)?;
    if allowed_to_delegate_to.is_empty() && !edges.is_empty() {
        return Err(p.missing(
            "allowedtodelegate",
            "the SPNs the AllowedToDelegate edges stand for",
        ));
    }
    let sam = p.string("samaccountname")?.to_owned();
    // SharpHound flags managed service accounts; BloodHound.py lists them in users.json
    // without a flag, where only they end in `$`.
    let managed = p.optional_boolean("gmsa")?.unwrap_or(false)
        || p.optional_boolean("msa")?.unwrap_or(false)
        || (kind == Kind::User && sam.ends_with('$'));
    Ok(Some(Account {
        sid: sid.to_owned(),
        kind: if managed { Kind::Gmsa } else { kind },
        domain: p.string("domain")?.to_owned(),
        user_principal_name: p.optional_string("userprincipalname")?.map(str::to_owned),
        dns_host_name: None,
        distinguished_name: p.optional_string("distinguishedname")?.map(str::to_owned),
        enabled: p.boolean("enabled")?,
        service_principal_names: p.strings("serviceprincipalnames", false)?,
        trusted_for_delegation: unconstrained(at, &p)?,
        trusted_to_auth_for_delegation: p.boolean("trustedtoauth")?,
        not_delegated: if sensitive_required {
            Some(p.boolean("sensitive")?)
        } else {
            p.optional_boolean("sensitive")?
        },
        allowed_to_delegate_to,
        allowed_to_act: at.references("AllowedToAct", true)?,
        primary_group: at.optional_string("PrimaryGroupSID")?.map(str::to_owned),
        is_dc: match p.optional_boolean("isdc")? {
            Some(dc) => Some(dc),
            None => at.optional_boolean("IsDC")?,
        },
        sam_account_name: sam,
        origin: Origin::default(),
    }))
}

fn user(at: &At<'_>) -> Result<Option<Account>> {
    let Some(mut a) = account(at, Kind::User, true)? else {
        return Ok(None);
    };
    a.origin = origin(at, at.file());
    Ok(Some(a))
}

fn computer(at: &At<'_>) -> Result<Option<Account>> {
    let Some(mut a) = account(at, Kind::Computer, false)? else {
        return Ok(None);
    };
    // Computers must carry their resource-based admissions: an absent list is not "admits
    // nobody".
    at.required("AllowedToAct", "the resource-based delegation list")?;
    let (place, value) = at.required("Properties", "the object's properties")?;
    let p = place.at(value);
    // BloodHound names a computer by its DNS host name (upper case) when it has one.
    a.dns_host_name = match p.optional_string("dnshostname")? {
        Some(name) => Some(name.to_ascii_lowercase()),
        None => p
            .optional_string("name")?
            .filter(|n| n.contains('.'))
            .map(str::to_ascii_lowercase),
    };
    a.origin = origin(at, at.file());
    Ok(Some(a))
}

fn group(at: &At<'_>) -> Result<Option<Group>> {
    let (place, value) = at.required("Properties", "the object's properties")?;
    let p = place.at(value);
    Ok(Some(Group {
        sid: at.string("ObjectIdentifier")?.to_owned(),
        name: p.string("name")?.to_owned(),
        domain: p.string("domain")?.to_owned(),
        members: at.references("Members", false)?,
        origin: origin(at, at.file()),
    }))
}

fn domain(at: &At<'_>) -> Result<Option<Domain>> {
    let (place, value) = at.required("Properties", "the object's properties")?;
    let p = place.at(value);
    let trusts = at
        .array("Trusts", false)?
        .iter()
        .map(|(place, v)| trust(&place.at(v)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Domain {
        sid: at.string("ObjectIdentifier")?.to_owned(),
        name: p.string("name")?.to_owned(),
        trusts,
        origin: origin(at, at.file()),
    }))
}

/// A trust: `TrustDirection` and `TrustType` as numbers (SharpHound, v5) or names (v6).
fn trust(at: &At<'_>) -> Result<Trust> {
    // BloodHound.py writes a disabled trust's direction (0) as null.
    let direction = match at.optional("TrustDirection")? {
        None => "disabled".to_owned(),
        Some(_) => enum_value(at, "TrustDirection")?,
    };
    let direction = match direction.as_str() {
        "0" | "disabled" => Direction::Disabled,
        "1" | "inbound" => Direction::Inbound,
        "2" | "outbound" => Direction::Outbound,
        "3" | "bidirectional" => Direction::Bidirectional,
        _ => {
            return Err(at.field_error(
                "TrustDirection",
                "Disabled, Inbound, Outbound or Bidirectional (0–3)",
            ))
        }
    };
    let kind = match enum_value(at, "TrustType")?.as_str() {
        "0" | "parentchild" => TrustKind::ParentChild,
        "1" | "crosslink" => TrustKind::CrossLink,
        "2" | "forest" => TrustKind::Forest,
        "3" | "external" => TrustKind::External,
        "4" | "unknown" => {
            return Err(at.field_error(
                "TrustType",
                "a known trust type (the collector could not tell)",
            ))
        }
        "treeroot" => TrustKind::TreeRoot,
        "realm" | "mit" => TrustKind::Realm,
        _ => {
            return Err(at.field_error(
                "TrustType",
                "ParentChild, CrossLink, Forest, External, TreeRoot or Realm",
            ))
        }
    };
    Ok(Trust {
        target_sid: at.string("TargetDomainSid")?.to_owned(),
        target_name: at.string("TargetDomainName")?.to_owned(),
        direction,
        kind,
        sid_filtering: at.boolean("SidFilteringEnabled")?,
        tgt_delegation: at.optional_boolean("TGTDelegationEnabled")?,
        selective_authentication: at.optional_boolean("SelectiveAuthentication")?,
    })
}

/// An enumeration written as a number or a name, lower-cased.
fn enum_value(at: &At<'_>, key: &str) -> Result<String> {
    let (place, v) = at.required(key, "a number or a name")?;
    match v {
        Value::String(s) => Ok(s.to_ascii_lowercase()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(place.at(v).error("a number or a name")),
    }
}

/// `TRUSTED_FOR_DELEGATION`: `Properties.unconstraineddelegation` (every collector up to
/// SharpHound 2.5.7 and BloodHound.py), or the top-level `UnconstrainedDelegation` of later
/// SharpHound; both present must agree.
fn unconstrained(at: &At<'_>, p: &At<'_>) -> Result<bool> {
    match (
        p.optional_boolean("unconstraineddelegation")?,
        at.optional_boolean("UnconstrainedDelegation")?,
    ) {
        (Some(a), Some(b)) if a != b => Err(p.field_error(
            "unconstraineddelegation",
            "the same value as the object's UnconstrainedDelegation",
        )),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(p.missing("unconstraineddelegation", "true or false")),
    }
}

impl At<'_> {
    fn field_error(&self, key: &str, expected: &str) -> Error {
        let place = Place::new(self.file(), self.child_path(key));
        let value = self.value().get(key).unwrap_or(&Value::Null);
        place.at(value).error(expected)
    }
}

/// Parses one JSON file's bytes.
fn parse(name: &str, bytes: &[u8]) -> Result<File> {
    let json = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(format!("{name}: not valid JSON: {e}")))?;
    Ok(File {
        name: name.to_owned(),
        json,
    })
}

/// Every `*.json` file of a folder, in name order.
fn folder(path: &Path) -> Result<Vec<File>> {
    let unreadable =
        |e: std::io::Error| Error::invalid(format!("{}: cannot read: {e}", path.display()));
    let mut names: Vec<_> = std::fs::read_dir(path)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(unreadable)?;
    names.retain(|p| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    });
    names.sort();
    names
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            let file = std::fs::File::open(p)
                .map_err(|e| Error::invalid(format!("{name}: cannot read: {e}")))?;
            let bytes = bounded(file, &name)?;
            parse(&name, &bytes)
        })
        .collect()
}

/// Reads at most [`MAX_FILE_BYTES`].
fn bounded(reader: impl Read, name: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::invalid(format!("{name}: cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::invalid(format!(
            "{name}: larger than {} MiB uncompressed; not read",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Every `*.json` entry of a zip, in name order.
fn zip(reader: impl Read + std::io::Seek, shown: &str) -> Result<Vec<File>> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| {
        Error::invalid(format!(
            "{shown}: neither a folder nor a readable zip archive: {e}"
        ))
    })?;
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| Error::invalid(format!("{shown}: entry {i}: cannot read: {e}")))?;
        let n = entry
            .name()
            .map_err(|e| Error::invalid(format!("{shown}: entry {i}: unreadable name: {e}")))?
            .into_owned();
        if n.to_ascii_lowercase().ends_with(".json") {
            names.push(n);
        }
    }
    names.sort();
    names
        .iter()
        .map(|n| {
            let name = format!("{shown}!{n}");
            let entry = archive
                .by_name(n)
                .map_err(|e| Error::invalid(format!("{name}: cannot read: {e}")))?;
            let bytes = bounded(entry, &name)?;
            parse(&name, &bytes)
        })
        .collect()
}
