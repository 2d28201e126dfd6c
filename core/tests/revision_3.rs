//! Revision 3 (domains and forests) keeps every revision-2.1 answer: a request without the
//! new keys (`server_realm`, `forest_trust`, hop `realm` and `forest_trust`) gets exactly the
//! answer revision 2.1 gave it. Checked on a large seeded sample of requests with hops (the
//! hop-free domain is checked whole in `revision_2_1.rs`): the hash of every answer's JSON was
//! computed with the revision-2.1 core.
#![allow(missing_docs, clippy::indexing_slicing)] // test helpers

use onbehalf_core::json::decide_str;

/// How many requests with hops are sampled.
const SAMPLE: usize = 40_000;

/// FNV-1a 64 of the revision-2.1 answers (`decide_str`, one per request, newline-separated).
const REVISION_2_1_SAMPLE_HASH: u64 = 0x559b_7cf3_3bd6_fbcd;

/// SplitMix64: the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn flag(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TARGETS: [&str; 4] = ["cifs/fs1", "CIFS/FS1", "http/web", "mssql/db"];

/// One revision-2.1 request with 1–5 hops, as JSON text.
fn request(rng: &mut Rng) -> String {
    let level = rng.pick(&[
        "default",
        "anonymous",
        "identification",
        "impersonation",
        "delegation",
    ]);
    let transport = rng.pick(&[
        "ncalrpc",
        "ncacn_np",
        "ncacn_ip_tcp",
        "ncacn_http",
        "ncadg_ip_udp",
    ]);
    let server = if transport == "ncalrpc" {
        "local"
    } else {
        rng.pick(&["local", "remote"])
    };
    let auth = rng.pick(&["none", "ntlm", "kerberos", "negotiate", "schannel"]);
    let trust = rng.pick(&["none", "unconstrained", "constrained", "resource_based"]);
    let targets: Vec<String> = (0..rng.next() % 3)
        .map(|_| format!("\"{}\"", rng.pick(&TARGETS[..3])))
        .collect();
    let hops: Vec<String> = (0..1 + rng.next() % 5)
        .map(|_| {
            format!(
                r#"{{"target":"{}","auth":"{}","transport":"{}"}}"#,
                rng.pick(&TARGETS),
                rng.pick(&[
                    "none",
                    "ntlm",
                    "kerberos",
                    "negotiate",
                    "negotiate",
                    "schannel"
                ]),
                rng.pick(&[
                    "ncacn_np",
                    "ncacn_ip_tcp",
                    "ncacn_ip_tcp",
                    "ncacn_http",
                    "ncadg_ip_udp"
                ]),
            )
        })
        .collect();
    format!(
        r#"{{"level":"{level}","transport":"{transport}","server":"{server}","auth":"{auth}","kerberos_available":{},"server_can_impersonate":{},"delegation":{{"client_sensitive":{},"client_protected_user":{},"server_trust":"{trust}","allowed_targets":[{}],"domain_joined":{},"protocol_transition":{},"client_credential_guard":{}}},"hops":[{}]}}"#,
        !rng.flag(15),
        !rng.flag(10),
        rng.flag(15),
        rng.flag(15),
        targets.join(","),
        !rng.flag(10),
        rng.flag(40),
        rng.flag(20),
        hops.join(","),
    )
}

#[test]
fn requests_without_the_new_keys_keep_their_revision_2_1_answers() {
    let mut rng = Rng(0x7265_7633); // "rev3"
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut allowed_hops = 0;
    for _ in 0..SAMPLE {
        let answer = decide_str(&request(&mut rng));
        assert!(!answer.contains("\"error\""), "{answer}");
        allowed_hops += answer.matches("\"allowed\":true").count();
        for b in answer.bytes().chain([b'\n']) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    assert!(
        allowed_hops > SAMPLE / 20,
        "the sample exercises allowed hops ({allowed_hops})"
    );
    assert_eq!(hash, REVISION_2_1_SAMPLE_HASH, "{hash:#x}");
}
