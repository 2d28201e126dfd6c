//! A policy may only restrict: every way a hostile module can answer more than the reference
//! engine grants — or contradict itself — is refused fail-closed as `exceeds-reference`, for
//! ABI v1 and v2, on the packed path, in batches, on records and on JSON; a stricter answer
//! passes.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use onbehalf_core::json::{parse_request, OwnedRequest};
use onbehalf_core::{
    AuthService, Level, PackedDecision, PackedRequest, Reach, Reason, Reasons, Request,
    RequestedLevel, ServerLocation, Transport,
};
use onbehalf_host::policy::{Fault, Limits, PolicyHost, Verdict};
use onbehalf_testkit::hostile::{answering_module, record_bytes};

fn packed_decision(effective: Level, reach: Reach, reasons: &[Reason]) -> i64 {
    let mut set = Reasons::EMPTY;
    for r in reasons {
        set.insert(*r);
    }
    PackedDecision::from_parts(effective, reach, set).raw()
}

fn host(version: i32, bad: i64, record: &str, json: &str) -> PolicyHost {
    PolicyHost::from_bytes(
        &answering_module(version, bad, record, json),
        "hostile",
        Limits::default(),
    )
    .unwrap()
}

/// An impersonation request over NTLM to a remote server: the reference grants
/// impersonation, reach local.
fn ntlm_impersonation() -> PackedRequest {
    let mut r = Request::new(RequestedLevel::Impersonation);
    r.auth = AuthService::Ntlm;
    PackedRequest::pack(&r)
}

/// An anonymous request over ncalrpc: the reference grants anonymous, reach none.
fn anonymous_local() -> PackedRequest {
    let mut r = Request::over(RequestedLevel::Anonymous, Transport::Ncalrpc);
    r.auth = AuthService::None;
    r.server = ServerLocation::Local;
    PackedRequest::pack(&r)
}

/// An impersonation request over Kerberos with one hop, to `cifs/a`.
fn kerberos_one_hop() -> OwnedRequest {
    parse_request(r#"{"level":"impersonation","auth":"kerberos","hops":[{"target":"cifs/a"}]}"#)
        .unwrap()
}

/// The fault `host` answers `request` with (a panic if it decides).
fn fault(host: &PolicyHost, request: &OwnedRequest) -> Fault {
    host.worker().decide(request).unwrap_err()
}

#[test]
fn answers_above_the_reference_or_contradicting_themselves_fail_closed() {
    let cases: [(&str, PackedRequest, i64); 5] = [
        (
            "delegation and multi-hop for impersonation over NTLM",
            ntlm_impersonation(),
            packed_decision(Level::Delegation, Reach::MultiHop, &[]),
        ),
        (
            "identification for an anonymous request",
            anonymous_local(),
            packed_decision(Level::Identification, Reach::None, &[]),
        ),
        (
            "identification with reach network",
            ntlm_impersonation(),
            packed_decision(Level::Identification, Reach::Network, &[]),
        ),
        (
            "a reason that leaves nothing usable, with identification",
            ntlm_impersonation(),
            packed_decision(
                Level::Identification,
                Reach::None,
                &[Reason::UnauthenticatedCall],
            ),
        ),
        (
            "impersonation with reach multi-hop without step 9a",
            ntlm_impersonation(),
            packed_decision(Level::Impersonation, Reach::MultiHop, &[]),
        ),
    ];
    for version in [1, 2] {
        for (what, request, bad) in cases {
            let host = host(version, bad, "", "{}");
            let mut worker = host.worker();
            assert_eq!(
                worker.decide_packed(request),
                Verdict::Fault(Fault::ExceedsReference),
                "v{version}: {what}"
            );
            // In a batch too, each answer checked on its own.
            let batch = worker.decide_batch(&[request, request]);
            assert_eq!(
                batch,
                [Verdict::Fault(Fault::ExceedsReference); 2],
                "v{version}: {what}"
            );
            // Counted under its own kind.
            let index = Fault::ALL
                .iter()
                .position(|f| *f == Fault::ExceedsReference)
                .unwrap();
            assert_eq!(
                host.stats().faults[index].load(std::sync::atomic::Ordering::Relaxed),
                3
            );
        }
    }
}

#[test]
fn a_stricter_answer_passes() {
    let stricter = packed_decision(Level::Identification, Reach::None, &[]);
    for version in [1, 2] {
        let host = host(version, stricter, "", "{}");
        let mut worker = host.worker();
        let Verdict::Decided(d, own) = worker.decide_packed(ntlm_impersonation()) else {
            panic!("v{version}: a stricter answer was refused")
        };
        assert_eq!((d.raw(), own), (stricter, 0));
    }
}

#[test]
fn a_record_granting_a_hop_the_reference_denies_fails_closed() {
    // Effective identification, yet hop 1 "arrives as the client by a forwarded TGT".
    let decision = packed_decision(Level::Identification, Reach::None, &[]);
    let forwarded_tgt = onbehalf_core::HopReason::ForwardedTgt.wire_index();
    let record = record_bytes(decision, &[forwarded_tgt]);
    let host = host(2, decision, &record, "{}");
    let request = kerberos_one_hop();
    assert_eq!(fault(&host, &request), Fault::ExceedsReference);
    // The same record, denying the hop instead, is a restriction and passes.
    let no_credentials = onbehalf_core::HopReason::NoCredentials.wire_index();
    let host = self::host(
        2,
        decision,
        &record_bytes(decision, &[no_credentials]),
        "{}",
    );
    let answer = host.worker().decide(&request).unwrap();
    assert_eq!(answer.decision().effective, Level::Identification);
    // A hop byte that names no reason, or an own reason the module never declared, is malformed.
    let host = self::host(2, decision, &record_bytes(decision, &[0x7f]), "{}");
    assert_eq!(fault(&host, &request), Fault::MalformedAnswer);
    let host = self::host(2, decision, &record_bytes(decision, &[0x80]), "{}");
    assert_eq!(fault(&host, &request), Fault::MalformedAnswer);
}

#[test]
fn a_v1_json_answer_saying_more_than_the_reference_fails_closed() {
    // The JSON entry says delegation where the reference says impersonation (and `decide`
    // would say identification).
    let json = r#"{"effective":"delegation","reach":"multi-hop","reasons":[],"hops":[{"target":"cifs/a","allowed":true,"as":"client","reason":"hop-forwarded-tgt"}]}"#;
    let identification = packed_decision(Level::Identification, Reach::None, &[]);
    let host = host(1, identification, "", json);
    let request = kerberos_one_hop();
    assert_eq!(fault(&host, &request), Fault::ExceedsReference);
}

#[test]
fn own_reason_bits_beyond_the_catalog_are_malformed() {
    // A v2 module with no catalog setting own-reason bit 0 (bit 32 of the decision).
    let request = ntlm_impersonation();
    let answer = onbehalf_testkit::hostile::native(request).raw() | 1 << 32;
    let host = host(2, answer, "", "{}");
    assert_eq!(
        host.worker().decide_packed(request),
        Verdict::Fault(Fault::MalformedAnswer)
    );
}

#[test]
fn a_v1_module_is_not_asked_about_requests_across_domains() {
    let answer = packed_decision(Level::Identification, Reach::None, &[]);
    let host = host(1, answer, "", "{}");
    let mut worker = host.worker();
    let across =
        parse_request(r#"{"level":"impersonation","server_realm":"same-forest"}"#).unwrap();
    assert_eq!(
        worker.decide_packed(PackedRequest::pack(&across)),
        Verdict::Fault(Fault::Unsupported)
    );
    let hop_across = parse_request(
        r#"{"level":"impersonation","hops":[{"target":"cifs/a","realm":"other-forest"}]}"#,
    )
    .unwrap();
    let fault = worker.decide(&hop_across).unwrap_err();
    assert_eq!(fault, Fault::Unsupported);
    assert_eq!(fault.reason(), onbehalf_host::policy::POLICY_ABI_TOO_OLD);
    // One domain: asked and answered.
    assert!(matches!(
        worker.decide_packed(ntlm_impersonation()),
        Verdict::Decided(..)
    ));
}

/// An impersonation request over Kerberos from a local server (ncalrpc): the reference grants
/// impersonation, reach network, with `local-server-one-network-hop`.
fn local_kerberos_impersonation() -> PackedRequest {
    let mut r = Request::over(RequestedLevel::Impersonation, Transport::Ncalrpc);
    r.auth = AuthService::Kerberos;
    PackedRequest::pack(&r)
}

#[test]
fn reasons_claiming_a_grant_the_answer_does_not_give_fail_closed() {
    let request = local_kerberos_impersonation();
    let reference = onbehalf_testkit::hostile::native(request).unpack();
    assert!(reference.reasons.contains(Reason::LocalServerOneNetworkHop));
    // Stricter, but still saying the identity goes one network hop.
    let claims = packed_decision(
        Level::Identification,
        Reach::None,
        &[Reason::LocalServerOneNetworkHop],
    );
    let honest = packed_decision(Level::Identification, Reach::None, &[]);
    for version in [1, 2] {
        let host = host(version, claims, "", "{}");
        assert_eq!(
            host.worker().decide_packed(request),
            Verdict::Fault(Fault::ExceedsReference),
            "v{version}"
        );
        let host = self::host(version, honest, "", "{}");
        assert!(matches!(
            host.worker().decide_packed(request),
            Verdict::Decided(..)
        ));
    }
    // Issue 30's record: anonymous, no reach, yet "server-side constrained delegation with
    // protocol transition" and "one network hop"; the hop denied.
    let request = parse_request(
        r#"{"level":"impersonation","auth":"kerberos","hops":[{"target":"MSSQLSvc/db1.contoso.com:1433"}]}"#,
    )
    .unwrap();
    let grants = [
        Reason::ServerSideConstrainedDelegation,
        Reason::ProtocolTransitionUsed,
        Reason::LocalServerOneNetworkHop,
    ];
    let denied = onbehalf_core::HopReason::NoImpersonation.wire_index();
    for reason in grants {
        let decision = packed_decision(Level::Anonymous, Reach::None, &[reason]);
        let host = host(2, decision, &record_bytes(decision, &[denied]), "{}");
        assert_eq!(fault(&host, &request), Fault::ExceedsReference, "{reason}");
    }
    let decision = packed_decision(Level::Anonymous, Reach::None, &[]);
    let host = host(2, decision, &record_bytes(decision, &[denied]), "{}");
    assert_eq!(
        host.worker().decide(&request).unwrap().decision().effective,
        Level::Anonymous
    );
}
