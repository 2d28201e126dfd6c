//! Bodies for hyper's own error answers. When hyper cannot parse a request (a malformed
//! request line or header: `400`; a target too long: `414`; a header block over the buffer:
//! `431`) it answers by itself, before any handler runs, with an empty body. Every 4xx/5xx of
//! this server promises the JSON error object, so [`FilledErrors`] completes those answers on
//! their way out.
//!
//! How one is recognised: it is the only error head this server writes with
//! `content-length: 0`, because every error answer of the handlers (and of the `track`
//! middleware, which fills axum's own) carries the JSON body. The status is read from the
//! head itself, and reported through a shared cell for `/metrics`.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};
use onbehalf_core::json::error_object;
use onbehalf_core::HttpError;

/// Connection I/O that completes hyper's bare error answers; see the module docs.
pub struct FilledErrors<T> {
    inner: T,
    /// The completed answer still to be written, and how many bytes of hyper's write it
    /// stands for (reported as written once it is out).
    pending: Option<(Vec<u8>, usize, usize)>,
    /// The status of the bare answer completed on this connection (0: none).
    status: Arc<AtomicU16>,
}

impl<T> FilledErrors<T> {
    /// Wraps `inner`; `status` receives the status of a completed bare answer.
    pub fn new(inner: T, status: Arc<AtomicU16>) -> FilledErrors<T> {
        FilledErrors {
            inner,
            pending: None,
            status,
        }
    }
}

/// The completed answer for `head`, when it is a bare error head of hyper's.
fn completed(head: &[u8]) -> Option<(Vec<u8>, u16)> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    let head_end = text.find("\r\n\r\n")?;
    // The whole head, nothing after it, and no body announced.
    if status < 400 || head_end + 4 != text.len() {
        return None;
    }
    let lines: Vec<&str> = text[..head_end].split("\r\n").collect();
    if !lines
        .iter()
        .any(|l| l.eq_ignore_ascii_case("content-length: 0"))
    {
        return None;
    }
    let code = HttpError::for_status(status).unwrap_or(HttpError::BadRequest);
    let body = error_object(code.name(), code.describe().into()).to_json();
    let mut out = String::with_capacity(text.len() + body.len() + 64);
    for line in lines {
        if line.eq_ignore_ascii_case("content-length: 0") {
            out.push_str(&format!("content-length: {}\r\n", body.len()));
            out.push_str("content-type: application/json\r\n");
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some((out.into_bytes(), status))
}

impl<T: Read + Unpin> Read for FilledErrors<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> FilledErrors<T> {
    /// Writes the pending completed answer; `Ready` with the byte count of hyper's write it
    /// replaced once all of it is out.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((bytes, written, stands_for)) = self.pending.as_mut() {
            let Some(rest) = bytes.get(*written..).filter(|r| !r.is_empty()) else {
                let n = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(n));
            };
            match Pin::new(&mut self.inner).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(0))
    }
}

impl<T: Write + Unpin> Write for FilledErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            if let Some((bytes, status)) = completed(buf) {
                this.status.store(status, Ordering::Relaxed);
                this.pending = Some((bytes, 0, buf.len()));
            } else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
        }
        this.drain(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut parts = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None, None) = (parts.next(), parts.next(), this.pending.as_ref()) {
            if completed(only).is_some() {
                return Pin::new(this).poll_write(cx, only);
            }
        }
        if this.pending.is_some() {
            return this.drain(cx);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::completed;

    #[test]
    fn a_bare_error_head_gets_the_json_body() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let (bytes, status) = completed(head).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert_eq!(status, 431);
        assert!(text.ends_with(r#""code":"headers-too-large","message":"The request's header block is larger than the server accepts (431)."}}"#), "{text}");
        assert!(
            text.contains("content-type: application/json\r\n"),
            "{text}"
        );
    }

    #[test]
    fn answers_with_bodies_and_successes_pass_unchanged() {
        assert!(completed(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(completed(b"HTTP/1.1 404 Not Found\r\ncontent-length: 12\r\n\r\n").is_none());
        assert!(completed(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}").is_none());
        assert!(completed(b"{\"not\":\"a head\"}").is_none());
    }
}
