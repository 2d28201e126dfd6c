//! `onbehalf serve --ldap`: `/v1/check` from facts younger than the TTL, 503
//! `directory-unavailable` once the directory is gone, and a start with the directory down.

use std::ffi::OsStr;
use std::path::Path;

use onbehalf_samba_lab as samba;
use onbehalf_testkit::http::{once, Response};
use onbehalf_testkit::server::ServerProcess;
use onbehalf_testkit::wait::{eventually, PATIENCE};

use super::{json_lines, named, Live, BIN, SQL};

fn post(addr: &str, body: &str) -> Option<Response> {
    once(
        addr,
        "POST",
        "/v1/check",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .ok()
}

/// `serve --ldap` answers from the directory; once Samba stops and the facts are older than
/// the TTL, 503 `directory-unavailable`; a server started with the directory down still
/// starts and answers 503.
pub fn serve_until_the_directory_goes(lab: samba::Lab, live: &Live) {
    let mut flags = live.flags();
    flags.extend(["--directory-ttl".into(), "1".into()]);
    let args: Vec<&OsStr> = flags.iter().map(OsStr::new).collect();
    let server = ServerProcess::start(Path::new(BIN), &args).unwrap();
    let request = named("svcpt", "alice", SQL);
    let mut answer = None;
    let answered = eventually(PATIENCE, || {
        answer = post(&server.addr, &request)
            .filter(|r| r.status == 200)
            .map(|r| r.json());
        answer.is_some()
    });
    assert!(answered, "no 200 from /v1/check: {:?}", server.log());
    let answer = answer.unwrap();
    let (_, cli, _) = live.run(&["check"], &[], &request);
    let cli = &json_lines(&cli)[0];
    assert_eq!(answer["hops"], cli["hops"]);
    assert_eq!(answer["request"], cli["request"]);
    assert_eq!(answer["hops"][0]["allowed"], true, "{answer}");

    drop(lab);
    let mut last = None;
    let refused = eventually(PATIENCE, || {
        last = post(&server.addr, &request);
        last.as_ref().is_some_and(|r| {
            r.status == 503
                && r.json()["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("cannot connect")
        })
    });
    assert!(refused, "{:?} {:?}", last.map(|r| r.text()), server.log());
    let error = last.unwrap().json();
    assert_eq!(error["error"]["code"], "directory-unavailable", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale"),
        "{error}"
    );
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("directory-unavailable")),
        "{:?}",
        server.log()
    );
    drop(server);

    // Started while the directory is down: up all the same, /v1/check 503 until a read works.
    let server = ServerProcess::start(Path::new(BIN), &args).unwrap();
    let mut last = None;
    let refused = eventually(PATIENCE, || {
        last = post(&server.addr, &request);
        last.as_ref()
            .is_some_and(|r| r.status == 503 && r.text().contains("cannot connect"))
    });
    assert!(refused, "{:?}", last.map(|r| r.text()));
    let error = last.unwrap().json();
    assert_eq!(error["error"]["code"], "directory-unavailable");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not been read yet"),
        "{error}"
    );
    let decided = once(
        &server.addr,
        "POST",
        "/v1/decide",
        &[("Content-Type", "application/json")],
        br#"{"level":"impersonation"}"#,
    )
    .unwrap();
    assert_eq!(decided.status, 200);
}
