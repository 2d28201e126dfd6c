//! HTTP abuse against `onbehalf serve` on loopback: slow clients, idle connections, the
//! connection cap, full-size batches and reload races. Each case checks the documented
//! status and error body, and that other clients are served meanwhile.
#![allow(missing_docs)]

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use onbehalf_host::connections::OPERATOR_RESERVE;
use onbehalf_host::server::ServerConfig;
use onbehalf_testkit::http::{connect, metric, metric_reaches, read_until_closed};
use onbehalf_testkit::http::{once, post_json, request, upload_policy};
use onbehalf_testkit::server::start_default;
use onbehalf_testkit::wait::{eventually, PATIENCE};

const TOKEN: &str = "0123456789abcdef-test-token";
use onbehalf_host::policy::STRICT_EXAMPLE_MODULE as STRICT_MODULE;

/// Short client deadlines, so the tests do not wait long for the server to give up.
fn impatient() -> ServerConfig {
    ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    }
}

fn healthy(addr: SocketAddr) -> bool {
    request(addr, "GET", "/healthz", &[], b"").status == 200
}

/// A server with [`impatient`] deadlines, and a connection to it on which the head of a
/// `POST /v1/decide` is sent whose body, `len` bytes, the caller sends.
fn decide_head_sent(len: usize) -> std::io::Result<(SocketAddr, TcpStream)> {
    let (addr, _) = start_default(impatient());
    let mut stream = connect(addr);
    write!(
        stream,
        "POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
    )?;
    Ok((addr, stream))
}

const HEADER_TIMEOUTS: &str = "onbehalf_connections_total{outcome=\"header-timeout\"}";

#[test]
fn a_client_trickling_its_headers_is_cut_off_while_others_are_served() {
    let (addr, _) = start_default(impatient());
    let mut slow = connect(addr);
    let head = b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    let mut cut_off = false;
    for byte in head.iter().cycle().take(200) {
        if slow.write_all(&[*byte]).is_err() {
            cut_off = true;
            break;
        }
        // Others are served while the slow client holds its connection.
        assert!(healthy(addr));
        std::thread::sleep(Duration::from_millis(20));
    }
    // Either a write already failed, or the server has closed the connection by now.
    if !cut_off {
        assert!(read_until_closed(&mut slow).is_empty());
    }
    assert!(metric_reaches(addr, HEADER_TIMEOUTS, 1));
}

#[test]
fn a_client_trickling_its_body_gets_408_request_timeout() {
    let body = br#"{"level":"delegation"}"#;
    let (addr, mut slow) = decide_head_sent(body.len()).unwrap();
    for byte in body {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let raw = String::from_utf8(read_until_closed(&mut slow)).unwrap();
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    assert!(raw.contains(r#""code":"request-timeout""#), "{raw}");
    assert!(
        raw.to_ascii_lowercase().contains("connection: close"),
        "{raw}"
    );
    assert!(healthy(addr));
}

#[test]
fn idle_connections_are_closed_and_the_connection_cap_answers_503() {
    let (addr, state) = start_default(ServerConfig {
        max_connections: 16,
        // Long enough that all 16 idle connections are still open when the 17th arrives,
        // even on a loaded machine (the test's connects take milliseconds); short enough
        // to keep the test quick.
        header_read_timeout: Duration::from_secs(3),
        ..impatient()
    });
    // Fill every slot, and the operator reserve beyond them, with connections that never
    // send a byte.
    let all = 16 + OPERATOR_RESERVE;
    let mut idle: Vec<TcpStream> = (0..all).map(|_| connect(addr)).collect();
    // Wait until the server has accepted all of them (accepting is asynchronous).
    assert!(
        eventually(PATIENCE, || state.metrics().connections.open()
            == all as u64),
        "the server never held {all} connections open at once"
    );
    // One more: a 503 with a JSON error body, then closed.
    let mut extra = connect(addr);
    let raw = String::from_utf8(read_until_closed(&mut extra)).unwrap();
    assert!(raw.starts_with("HTTP/1.1 503"), "{raw}");
    assert!(raw.contains(r#""code":"too-many-connections""#), "{raw}");
    assert!(raw.to_ascii_lowercase().contains("retry-after: 1"), "{raw}");
    // The idle ones are closed by the header deadline, without a response …
    for stream in &mut idle {
        assert!(read_until_closed(stream).is_empty());
    }
    // … which frees the slots: ordinary clients are served again. A slot is given back
    // when the server has finished with the connection, just after the close the client
    // saw, so the first request may still meet a full house; it must be served soon.
    assert!(
        eventually(PATIENCE, || {
            let json = [("Content-Type", "application/json")];
            let body = br#"{"level":"delegation"}"#;
            once(&addr.to_string(), "POST", "/v1/decide", &json, body)
                .is_ok_and(|r| r.status == 200)
        }),
        "the closed connections never gave their slots back"
    );
    // Each idle connection is counted as a header timeout; the last one as refused (counted
    // before its 503 is written, so one read suffices).
    assert!(metric_reaches(addr, HEADER_TIMEOUTS, all as u64));
    assert!(metric(addr, "onbehalf_connections_total{outcome=\"refused\"}") >= 1);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_deadline() {
    let body = br#"{"level":"impersonation"}"#;
    let (_, mut stream) = decide_head_sent(body.len()).unwrap();
    stream.write_all(body).unwrap();
    // The answer arrives on a kept-alive connection, which the server then closes when no
    // next request comes.
    let raw = String::from_utf8(read_until_closed(&mut stream)).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains(r#""effective":"impersonation""#), "{raw}");
}

#[test]
fn a_batch_of_exactly_10000_is_answered_and_10001_is_refused() {
    let (addr, _) = start_default(ServerConfig::default());
    let levels = [
        "anonymous",
        "identify",
        "impersonate",
        "delegate",
        "default",
    ];
    let batch: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"level":"{}"}}"#, levels[i % levels.len()]))
        .collect();
    let reply = post_json(addr, "/v1/decide", &format!("[{}]", batch.join(",")));
    assert_eq!(reply.status, 200);
    let answers = reply.json();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 10_000);
    for (i, answer) in answers.iter().enumerate() {
        let single = post_json(addr, "/v1/decide", &batch[i]).json();
        if i < levels.len() {
            assert_eq!(*answer, single);
        } else {
            assert_eq!(*answer, answers[i % levels.len()]);
        }
    }
    let over = format!("[{},{}]", batch.join(","), batch[0]);
    let reply = post_json(addr, "/v1/decide", &over);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "invalid-request");
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("10001 requests"));
}

#[test]
fn reload_races_never_give_a_wrong_or_faulted_answer() {
    let (addr, state) = start_default(ServerConfig {
        admin_token: Some(TOKEN.into()),
        ..ServerConfig::default()
    });
    let default_module = onbehalf_host::policy::DEFAULT_MODULE;
    // The two policies disagree here: unconstrained delegation is what the strict policy
    // refuses.
    let asked = r#"{"level":"delegation","delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/a"},{"target":"cifs/b"}]}"#;
    let answer_of = |module: &[u8]| {
        assert_eq!(upload_policy(addr, TOKEN, module).status, 200);
        post_json(addr, "/v1/decide", asked).json()
    };
    let strict = answer_of(STRICT_MODULE);
    let reference = answer_of(default_module);
    assert_ne!(strict, reference);
    let uploads = 3 * 12;
    std::thread::scope(|s| {
        // Three uploaders race each other: good, refused and good modules.
        for t in 0..3 {
            s.spawn(move || {
                for i in 0..12 {
                    let (module, status): (&[u8], u16) = match (t + i) % 3 {
                        0 => (STRICT_MODULE, 200),
                        1 => (b"\0asm garbage", 422),
                        _ => (default_module, 200),
                    };
                    let reply = upload_policy(addr, TOKEN, module);
                    assert_eq!(reply.status, status, "{}", reply.text());
                }
            });
        }
        // Deciders: every answer is one of the two policies' answers, never a fault.
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..150 {
                    let reply = post_json(addr, "/v1/decide", asked);
                    assert_eq!(reply.status, 200);
                    assert!(reply.fault().is_none());
                    let answer = reply.json();
                    assert!(answer == strict || answer == reference, "{answer}");
                }
            });
        }
    });
    // Two set-up uploads and two good ones of every three raced uploads.
    let generation = state.host().info().generation;
    assert_eq!(generation, 1 + 2 + uploads * 2 / 3);
    assert_eq!(state.host().stats().total_faults(), 0);
}
