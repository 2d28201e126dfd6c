//! A minimal blocking HTTP/1.1 client: keep-alive by default, one request in flight per
//! connection, `Content-Length` and chunked bodies. Its own code, not a crate, so tests
//! speak to the server exactly as any client would over a real loopback socket, and the
//! load run measures the server plus a `write` and a `read`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `x-onbehalf-fault` header: the module faulted and the answer failed closed.
    #[must_use]
    pub fn fault(&self) -> Option<&str> {
        self.header("x-onbehalf-fault")
    }

    /// The body as text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// The body is not JSON (a test failure, with the body in the message).
    #[allow(clippy::panic)]
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One keep-alive connection; reconnects after the server closes it.
pub struct Client {
    addr: String,
    source: Option<std::net::IpAddr>,
    timeout: Duration,
    connection: Option<(BufReader<TcpStream>, TcpStream)>,
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Client {
    /// A client of `addr` (`host:port`); connects on first use.
    #[must_use]
    pub fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_owned(),
            source: None,
            timeout: Duration::from_secs(30),
            connection: None,
        }
    }

    /// The same client, connecting from `source` (any of 127.0.0.0/8 on loopback: one
    /// machine plays several client addresses).
    #[must_use]
    pub fn from_source(mut self, source: std::net::IpAddr) -> Client {
        self.source = Some(source);
        self
    }

    fn connection(&mut self) -> io::Result<&mut (BufReader<TcpStream>, TcpStream)> {
        if self.connection.is_none() {
            let stream = match self.source {
                None => TcpStream::connect(&self.addr)?,
                Some(source) => connect_from(&self.addr, source)?,
            };
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(self.timeout))?;
            self.connection = Some((BufReader::new(stream.try_clone()?), stream));
        }
        self.connection
            .as_mut()
            .ok_or_else(|| invalid("no connection".into()))
    }

    /// `POST path` with `body` and extra `headers`.
    ///
    /// # Errors
    /// See [`Client::request`].
    pub fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.request("POST", path, headers, body)
    }

    /// `POST path` with a JSON body.
    ///
    /// # Errors
    /// See [`Client::request`].
    pub fn post_json(&mut self, path: &str, body: &str) -> io::Result<Response> {
        self.post(
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    /// Sends one request and reads the whole answer. The connection is dropped after an
    /// error or a `Connection: close`, and reopened by the next request.
    ///
    /// # Errors
    /// Connection failures and answers that are not HTTP/1.1.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let result = self.connection().and_then(|(reader, writer)| {
            writer.write_all(head.as_bytes())?;
            // The server may answer (413, 415) before reading the whole body.
            let _ = writer.write_all(body);
            read_response(reader)
        });
        let close = result.as_ref().map_or(true, |r| {
            r.header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        });
        if close {
            self.connection = None;
        }
        result
    }
}

/// Reads one response: status line, headers, then a `Content-Length` or chunked body (or,
/// with neither, everything until the server closes).
///
/// # Errors
/// The stream ends early or is not HTTP/1.1.
pub fn read_response(reader: &mut impl BufRead) -> io::Result<Response> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(invalid("the server closed the connection".into()));
    }
    let status = line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("not an HTTP/1.1 status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("the headers were cut off".into()));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v): &(String, String)| v.clone())
    };
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader)?
    } else if let Some(length) = find("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| invalid(format!("content-length {length:?}")))?;
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim(), 16)
            .map_err(|_| invalid(format!("chunk size {line:?}")))?;
        if size == 0 {
            line.clear();
            reader.read_line(&mut line)?; // the empty line after the last chunk
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default())?;
        line.clear();
        reader.read_line(&mut line)?; // CRLF after the chunk
    }
}

/// A connection to `addr` (`host:port`) from the address `source`.
///
/// # Errors
/// The address does not parse, or binding or connecting fails.
pub fn connect_from(addr: &str, source: std::net::IpAddr) -> io::Result<TcpStream> {
    let addr: std::net::SocketAddr = addr.parse().map_err(|e| invalid(format!("{addr}: {e}")))?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.bind(&std::net::SocketAddr::new(source, 0).into())?;
    socket.connect(&addr.into())?;
    Ok(socket.into())
}

/// One request on a fresh connection that the client closes afterwards.
///
/// # Errors
/// See [`Client::request`].
pub fn once(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let mut all = vec![("Connection", "close")];
    all.extend_from_slice(headers);
    Client::new(addr).request(method, path, &all, body)
}

/// [`once`] for tests: any I/O error is a test failure.
///
/// # Panics
/// On a connection or protocol error.
#[allow(clippy::panic)]
pub fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    once(&addr.to_string(), method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// [`request`] of a JSON `POST`.
pub fn post_json(addr: std::net::SocketAddr, path: &str, body: &str) -> Response {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

/// `POST /v1/policy` of `module` with the admin `token` (the reload route's contract:
/// `Authorization: Bearer TOKEN`, `Content-Type: application/wasm`).
///
/// # Panics
/// On a connection or protocol error.
pub fn upload_policy(addr: std::net::SocketAddr, token: &str, module: &[u8]) -> Response {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/wasm"),
    ];
    request(addr, "POST", "/v1/policy", &headers, module)
}

/// The value of the `/metrics` line that starts with `line_start` (a name with its labels).
///
/// # Panics
/// When the server has no such line or its value is not a count.
#[allow(clippy::panic)]
#[must_use]
pub fn metric(addr: std::net::SocketAddr, line_start: &str) -> u64 {
    let text = request(addr, "GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .unwrap_or_else(|| panic!("no metric {line_start}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{line_start}: {e}"))
}

/// Waits until the counter `line_start` of `/metrics` reaches `at_least`.
///
/// What the connection counters promise an operator: a connection is counted when the server
/// has finished with it, which is just *after* its socket is closed (hyper closes the socket,
/// then the connection's task records why). A client that has seen the close can therefore
/// read the counter a moment too early; it is eventually consistent, so the tests poll it
/// with a deadline instead of reading it once.
#[must_use]
pub fn metric_reaches(addr: std::net::SocketAddr, line_start: &str, at_least: u64) -> bool {
    crate::wait::eventually(crate::wait::PATIENCE, || {
        metric(addr, line_start) >= at_least
    })
}

/// A connection to `addr` with a generous read timeout (30 s): it only keeps a broken server
/// from hanging a test; the server's own deadlines are what the tests check.
///
/// # Panics
/// When connecting fails.
#[allow(clippy::expect_used)]
#[must_use]
pub fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("a connection to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    stream
}

/// Reads until the server closes the connection (an end of stream or a reset).
///
/// # Panics
/// When the server does not close it within the read timeout.
#[allow(clippy::panic)]
#[must_use]
pub fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    match std::io::Read::read_to_end(stream, &mut raw) {
        Ok(_) => raw,
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => raw,
        Err(e) => panic!("the server did not close the connection: {e}"),
    }
}
