//! The fixed, realistic request mix every benchmark (and every peer) decides.
//!
//! 1,024 requests from a seeded generator, so every run and every machine sees the same
//! inputs. Shares (approximate, by construction):
//!
//! | field | shares |
//! |---|---|
//! | level | impersonation 40 %, delegation 25 %, identification 15 %, default 10 %, anonymous 10 % |
//! | transport | ncacn_ip_tcp 45 %, ncacn_np 20 %, ncalrpc 15 %, ncacn_http 15 %, ncadg_ip_udp 5 % |
//! | auth | negotiate 55 %, kerberos 15 %, ntlm 15 %, none 10 %, schannel 5 % |
//! | server_trust | none 50 %, constrained 20 %, unconstrained 15 %, resource_based 15 % |
//! | allowed_targets | non-empty in 70 % of constrained / resource-based requests |
//! | flags | kerberos unavailable 10 %, no SeImpersonatePrivilege 5 %, sensitive 5 %, Protected Users 5 %, not domain-joined 5 %, protocol transition 30 % of KCD, Credential Guard 20 % |
//! | hops | none 75 %, one 15 %, two 7 %, three 3 % (targets drawn from the allowed list half the time) |

use onbehalf_core::json::{OwnedHop, OwnedRequest};

use crate::Rng;
use onbehalf_core::{
    AuthService, PackedRequest, RequestedLevel, ServerLocation, ServerTrust, Transport,
};

/// How many requests the mix holds.
pub const MIX_SIZE: usize = 1024;

const TARGETS: [&str; 4] = [
    "cifs/fs1.contoso.com",
    "MSSQLSvc/sql01.contoso.com:1433",
    "http/web.contoso.com",
    "ldap/dc1.contoso.com",
];

/// The mix: always the same 1,024 valid requests.
#[must_use]
pub fn mix() -> Vec<OwnedRequest> {
    let mut rng = Rng(0x6F6E_6265_6861_6C66); // "onbehalf"
    let mut out = Vec::with_capacity(MIX_SIZE);
    while out.len() < MIX_SIZE {
        let level = rng.pick_weighted(&[
            (40, RequestedLevel::Impersonation),
            (25, RequestedLevel::Delegation),
            (15, RequestedLevel::Identification),
            (10, RequestedLevel::Default),
            (10, RequestedLevel::Anonymous),
        ]);
        let transport = rng.pick_weighted(&[
            (45, Transport::NcacnIpTcp),
            (20, Transport::NcacnNp),
            (15, Transport::Ncalrpc),
            (15, Transport::NcacnHttp),
            (5, Transport::NcadgIpUdp),
        ]);
        let auth = rng.pick_weighted(&[
            (55, AuthService::Negotiate),
            (15, AuthService::Kerberos),
            (15, AuthService::Ntlm),
            (10, AuthService::None),
            (5, AuthService::Schannel),
        ]);
        let server_trust = rng.pick_weighted(&[
            (50, ServerTrust::None),
            (20, ServerTrust::Constrained),
            (15, ServerTrust::Unconstrained),
            (15, ServerTrust::ResourceBased),
        ]);
        let (Some(level), Some(transport), Some(auth), Some(server_trust)) =
            (level, transport, auth, server_trust)
        else {
            continue;
        };
        let server = if transport == Transport::Ncalrpc || rng.chance(10) {
            ServerLocation::Local
        } else {
            ServerLocation::Remote
        };
        let kcd = matches!(
            server_trust,
            ServerTrust::Constrained | ServerTrust::ResourceBased
        );
        let allowed_targets: Vec<String> = if kcd && rng.chance(70) {
            TARGETS
                .iter()
                .take(1 + (rng.next_u64() % 2) as usize)
                .map(|t| (*t).to_owned())
                .collect()
        } else {
            Vec::new()
        };
        let hop_count = rng
            .pick_weighted(&[(75, 0), (15, 1), (7, 2), (3, 3)])
            .unwrap_or(0);
        let hops = (0..hop_count)
            .map(|_| {
                let target = if rng.chance(50) {
                    allowed_targets
                        .first()
                        .map(String::as_str)
                        .unwrap_or(TARGETS[2])
                } else {
                    TARGETS
                        .get((rng.next_u64() % 4) as usize)
                        .copied()
                        .unwrap_or(TARGETS[0])
                };
                let auth = rng.pick_weighted(&[
                    (85, AuthService::Negotiate),
                    (10, AuthService::Ntlm),
                    (5, AuthService::Kerberos),
                ]);
                let mut hop = OwnedHop::blank();
                hop.target = target.to_owned();
                hop.auth = auth.unwrap_or(AuthService::Negotiate);
                hop
            })
            .collect();
        // Field by field in this order: the generator's draws define the mix.
        let mut r = OwnedRequest::blank();
        (r.level, r.transport, r.server, r.auth) = (level, transport, server, auth);
        r.kerberos_available = !rng.chance(10);
        r.server_can_impersonate = !rng.chance(5);
        r.delegation.client_sensitive = rng.chance(5);
        r.delegation.client_protected_user = rng.chance(5);
        r.delegation.server_trust = server_trust;
        r.delegation.allowed_targets = allowed_targets;
        r.delegation.domain_joined = !rng.chance(5);
        r.delegation.protocol_transition = kcd && rng.chance(30);
        r.delegation.client_credential_guard = rng.chance(20);
        r.hops = hops;
        out.push(r);
    }
    out
}

/// The hop-free requests of `requests`, packed, in order (what the packed paths decide).
#[must_use]
pub fn packed_hop_free(requests: &[OwnedRequest]) -> Vec<PackedRequest> {
    requests
        .iter()
        .filter(|r| r.hops().is_empty())
        .map(PackedRequest::pack)
        .collect()
}
