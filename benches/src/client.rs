//! A minimal blocking HTTP/1.1 keep-alive client for the load and soak runs: one request
//! in flight per connection, `Content-Length` bodies only (what `onbehalf serve` sends).
//! Its own code, not a crate, so the measured latency is the server's plus a `write` and a
//! `read`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `x-onbehalf-fault` header: the module faulted and the answer failed closed.
    pub fault: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// One keep-alive connection; reconnects after the server closes it.
pub struct Client {
    addr: String,
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
            connection: None,
        }
    }

    fn connection(&mut self) -> io::Result<&mut (BufReader<TcpStream>, TcpStream)> {
        if self.connection.is_none() {
            let stream = TcpStream::connect(&self.addr)?;
            stream.set_nodelay(true)?;
            self.connection = Some((BufReader::new(stream.try_clone()?), stream));
        }
        self.connection
            .as_mut()
            .ok_or_else(|| invalid("no connection".into()))
    }

    /// `POST path` with `body` and extra `headers`; reads the whole answer.
    ///
    /// # Errors
    /// Connection failures and answers that are not HTTP/1.1 with a `Content-Length`.
    pub fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let result = self.exchange(path, headers, body);
        if result.as_ref().map_or(true, |(_, close)| *close) {
            self.connection = None;
        }
        result.map(|(response, _)| response)
    }

    fn exchange(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<(Response, bool)> {
        let addr = self.addr.clone();
        let (reader, writer) = self.connection()?;
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        writer.write_all(head.as_bytes())?;
        writer.write_all(body)?;
        let (mut status, mut length, mut fault, mut close) = (None, 0usize, None, false);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(invalid("the server closed the connection".into()));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(rest) = l.strip_prefix("HTTP/1.1 ") {
                status = rest.get(..3).and_then(|s| s.parse().ok());
            } else if let Some((name, value)) = l.split_once(':') {
                let (name, value) = (name.to_ascii_lowercase(), value.trim());
                match name.as_str() {
                    "content-length" => {
                        length = value
                            .parse()
                            .map_err(|_| invalid(format!("content-length {value:?}")))?;
                    }
                    "x-onbehalf-fault" => fault = Some(value.to_owned()),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let status = status.ok_or_else(|| invalid("no HTTP/1.1 status line".into()))?;
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        Ok((
            Response {
                status,
                fault,
                body,
            },
            close,
        ))
    }
}
