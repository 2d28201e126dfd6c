//! Filling a request's fields from the named accounts, each fact with its provenance.

use std::borrow::Cow;

use onbehalf_core::fix::Edit;
use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{FieldPath, Realm, ServerTrust};

use super::{conflict, CheckError, FactUse, HOPS, HOP_REALM};
use crate::error::Error;
use crate::facts::Fact;
use crate::model::Account;
use crate::realm::{realm_between, Derived};
use crate::Directory;

pub(super) fn account_name(a: &Account) -> String {
    format!("{}\\{}", a.domain, a.sam_account_name)
}

fn fact<'d>(
    directory: &Directory,
    path: &FieldPath,
    value: Value,
    account: &'d Account,
    fact: Fact,
) -> FactUse<'d> {
    FactUse {
        field: *path,
        value,
        account,
        origin: &account.origin,
        property: Cow::Borrowed(fact.property(directory)),
    }
}

pub(super) fn realm_fact<'d>(
    directory: &'d Directory,
    path: &FieldPath,
    realm: Realm,
    account: &'d Account,
    why: Fact,
) -> FactUse<'d> {
    let mut f = fact(
        directory,
        path,
        Value::String(realm.name().into()),
        account,
        why,
    );
    if why == Fact::Trusts {
        if let Some(d) = directory.domain(&account.domain) {
            f.origin = &d.origin;
        }
    }
    f
}

pub(super) fn fill_client<'d>(
    directory: &'d Directory,
    client: &'d Account,
    request: &mut OwnedRequest,
    facts: &mut Vec<FactUse<'d>>,
) -> Result<(), CheckError> {
    let Some(sensitive) = client.not_delegated else {
        return Err(Error::invalid(format!(
            "{} ({} {}): the source does not say whether the account is sensitive (NOT_DELEGATED); BloodHound collectors omit it for computers — use a facts file that states it",
            account_name(client),
            client.origin.file,
            client.origin.path
        ))
        .into());
    };
    request.delegation.client_sensitive = sensitive;
    facts.push(fact(
        directory,
        &Edit::ClientSensitive.path(),
        Value::Bool(sensitive),
        client,
        Fact::NotDelegated,
    ));
    // Membership is read from the groups of the client's domain and its primary group;
    // without either, "not in Protected Users" would be a guess.
    let groups_read = crate::domain_sid(&client.sid).is_some_and(|d| {
        directory
            .group(&format!("{d}-{}", crate::rid::PROTECTED_USERS))
            .or_else(|| directory.group(&format!("{d}-513")))
            .is_some()
    });
    if client.primary_group.is_none() || !groups_read {
        return Err(Error::invalid(format!(
            "{} ({} {}): the source holds no primary group for the account or no groups of its domain, so whether it is in Protected Users is unknown",
            account_name(client),
            client.origin.file,
            client.origin.path
        ))
        .into());
    }
    let protected = directory.is_protected_user(client);
    request.delegation.client_protected_user = protected;
    let mut f = fact(
        directory,
        &Edit::ClientProtectedUser.path(),
        Value::Bool(protected),
        client,
        Fact::Members,
    );
    if let Some(group) = crate::domain_sid(&client.sid)
        .and_then(|d| directory.group(&format!("{d}-{}", crate::rid::PROTECTED_USERS)))
    {
        f.origin = &group.origin;
        f.property = Cow::Owned(format!(
            "{} (transitively, primary group included)",
            Fact::Members.property(directory)
        ));
    }
    facts.push(f);
    Ok(())
}

/// The server's delegation as the spec's single `server_trust` with its targets:
/// 1. `TRUSTED_FOR_DELEGATION` → `unconstrained` (the KDC forwards the TGT to any service);
/// 2. else msDS-AllowedToDelegateTo non-empty → `constrained` with those SPNs — unless the
///    first hop's target is not among them and its account admits the server by
///    resource-based delegation, which the KDC then consults (→ `resource_based`);
/// 3. else a hop target whose account admits the server → `resource_based` with the
///    admitted hop targets;
/// 4. else `none`.
///
/// `protocol_transition` is `TRUSTED_TO_AUTH_FOR_DELEGATION` in every case.
pub fn server_delegation<'d>(
    directory: &'d Directory,
    server: &Account,
    targets: &[&str],
) -> Result<(ServerTrust, Vec<String>, Option<&'d Account>), Error> {
    if server.trusted_for_delegation {
        return Ok((ServerTrust::Unconstrained, Vec::new(), None));
    }
    let mut admitted = Vec::new();
    let mut admitter = None;
    let mut first_admits = false;
    for (i, target) in targets.iter().enumerate() {
        let account = directory.spn_account(target)?;
        if directory.admits(account, server) {
            admitted.push((*target).to_owned());
            admitter.get_or_insert(account);
            first_admits |= i == 0;
        }
    }
    let a2d = &server.allowed_to_delegate_to;
    let first_in_a2d = targets
        .first()
        .is_some_and(|t| a2d.iter().any(|s| s.eq_ignore_ascii_case(t)));
    // The KDC consults resource-based delegation when the target is not in the list: only
    // hop 1's target decides between the two (the server's own S4U2proxy goes there).
    if !a2d.is_empty() && (first_in_a2d || !first_admits) {
        return Ok((ServerTrust::Constrained, a2d.clone(), None));
    }
    if !admitted.is_empty() {
        return Ok((ServerTrust::ResourceBased, admitted, admitter));
    }
    Ok((ServerTrust::None, Vec::new(), None))
}

pub(super) fn fill_server<'d>(
    directory: &'d Directory,
    server: &'d Account,
    request: &mut OwnedRequest,
    facts: &mut Vec<FactUse<'d>>,
) -> Result<(), CheckError> {
    let targets: Vec<&str> = request.hops.iter().map(|h| h.target.as_str()).collect();
    let (trust, allowed, admitter) = server_delegation(directory, server, &targets)
        .map_err(|e| Error::new(e.code, format!("{}: {}", FieldPath::field(HOPS), e.message)))?;
    let (source, property) = match (trust, admitter) {
        (ServerTrust::Unconstrained, _) => (server, Fact::TrustedForDelegation),
        (ServerTrust::Constrained, _) => (server, Fact::AllowedToDelegateTo),
        (ServerTrust::ResourceBased, Some(target)) => (target, Fact::AllowedToAct),
        _ => (server, Fact::TrustedForDelegation),
    };
    request.delegation.server_trust = trust;
    let mut trust_fact = fact(
        directory,
        &Edit::ServerTrust(trust).path(),
        Value::String(trust.name().into()),
        source,
        property,
    );
    if trust == ServerTrust::None {
        trust_fact.property = Cow::Owned(format!(
            "{}, {} (none set), and no hop target's {}",
            Fact::TrustedForDelegation.property(directory),
            Fact::AllowedToDelegateTo.property(directory),
            Fact::AllowedToAct.property(directory)
        ));
    }
    facts.push(trust_fact);
    let list = Value::Array(allowed.iter().cloned().map(Value::String).collect());
    facts.push(fact(
        directory,
        &Edit::AllowedTargets.path(),
        list,
        source,
        property,
    ));
    request.delegation.allowed_targets = allowed;
    let pt = server.trusted_to_auth_for_delegation;
    request.delegation.protocol_transition = pt;
    facts.push(fact(
        directory,
        &Edit::ProtocolTransition.path(),
        Value::Bool(pt),
        server,
        Fact::TrustedToAuthForDelegation,
    ));
    Ok(())
}

/// Each hop's realm: the target's account's domain relative to the calling machine's
/// account (hop 1: the server; then the previous target's account).
pub(super) fn fill_hop_realms<'d>(
    directory: &'d Directory,
    server: &'d Account,
    explicit: &dyn Fn(&FieldPath) -> bool,
    request: &mut OwnedRequest,
    facts: &mut Vec<FactUse<'d>>,
) -> Result<(), CheckError> {
    let mut caller = server;
    for (i, hop) in request.hops.iter_mut().enumerate() {
        let target = directory.spn_account(&hop.target)?;
        let path = FieldPath::field(HOPS).index(i).key(HOP_REALM);
        let how = Explicit {
            path: &path,
            explicit,
            hint: "give it explicitly",
        };
        if let Some(realm) = derive_realm(directory, caller, target, &how, facts)? {
            hop.realm = realm;
        }
        caller = target;
    }
    Ok(())
}

/// A field the directory may derive: its path, whether the request gave it, and what to say
/// when it cannot be derived.
pub(super) struct Explicit<'a> {
    pub path: &'a FieldPath,
    pub explicit: &'a dyn Fn(&FieldPath) -> bool,
    pub hint: &'a str,
}

/// The realm of `to`'s account relative to `from`'s, with its fact; `None` when the request
/// gives it and the directory cannot derive it (the request's value stands).
///
/// # Errors
/// `directory-conflict` when it is derived and also given; `directory-invalid` when it is
/// neither derivable nor given.
pub(super) fn derive_realm<'d>(
    directory: &'d Directory,
    from: &Account,
    to: &'d Account,
    field: &Explicit<'_>,
    facts: &mut Vec<FactUse<'d>>,
) -> Result<Option<Realm>, CheckError> {
    let given = (field.explicit)(field.path);
    match realm_between(directory, &from.domain, &to.domain)? {
        Derived::Known(_, _) if given => Err(conflict(
            field.path,
            &format!(
                "the domains of {} and {}",
                from.sam_account_name, to.sam_account_name
            ),
        )),
        Derived::Known(realm, why) => {
            facts.push(realm_fact(directory, field.path, realm, to, why));
            Ok(Some(realm))
        }
        Derived::Unknown(_) if given => Ok(None),
        Derived::Unknown(why) => {
            Err(Error::invalid(format!("{}: {why}; {}", field.path, field.hint)).into())
        }
    }
}
