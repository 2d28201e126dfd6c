//! Heavy and abusive clients for the server's fairness tests and the soak: the largest
//! legal batch of the heaviest requests, and a client that asks and never reads.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The largest legal `/v1/decide` body of the heaviest requests: 16 hops each, as many as fit
/// in `body_limit` bytes (at most 10,000, the batch limit).
#[must_use]
pub fn heaviest_batch(body_limit: usize) -> String {
    let hops: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"target":"cifs/fs{i}.contoso.com"}}"#))
        .collect();
    let one = format!(
        r#"{{"level":"delegation","auth":"kerberos","delegation":{{"server_trust":"unconstrained"}},"hops":[{}]}}"#,
        hops.join(",")
    );
    let fit = body_limit.saturating_sub(2) / (one.len() + 1);
    format!("[{}]", vec![one; fit.min(10_000)].join(","))
}

/// A `POST /v1/decide` of 10,000 hop-free requests: a 0.25 MB body whose answer is ~0.7 MB.
#[must_use]
pub fn amplifying_request() -> String {
    let one = r#"{"level":"impersonation","transport":"ncacn_ip_tcp"}"#;
    let batch = format!("[{}]", vec![one; 10_000].join(","));
    format!(
        "POST /v1/decide HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{batch}",
        batch.len()
    )
}

/// A client that does not read: sends `pipelined` amplifying requests on one connection,
/// reads nothing for `hold` (longer than the server's write deadline), then drains what the
/// socket has. Returns whether the server had closed the connection (the drain ends in
/// end-of-stream or a reset within a second, rather than answers still flowing).
///
/// # Errors
/// When connecting fails.
pub fn never_read(addr: &str, pipelined: usize, hold: Duration) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut writer = stream.try_clone()?;
    let request = amplifying_request();
    let sender = std::thread::spawn(move || {
        for _ in 0..pipelined {
            // Fails once the server has given up on the connection: that is the point.
            if writer.write_all(request.as_bytes()).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(hold);
    // Only now read, and everything: the end of the stream (or a reset) is the server
    // closing the connection; answers flowing on (or a timeout) is the server holding it.
    let drain_until = std::time::Instant::now() + Duration::from_secs(1);
    let mut sink = vec![0_u8; 1 << 16];
    let closed = loop {
        match stream.read(&mut sink) {
            Ok(0) => break true,
            Ok(_) if std::time::Instant::now() > drain_until => break false,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let _ = sender.join();
    Ok(closed)
}
