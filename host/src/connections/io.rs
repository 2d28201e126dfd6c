//! A connection's I/O as the server wraps it, for two things hyper does not do:
//!
//! - **a write deadline.** hyper has read deadlines but none for writing, so a client that
//!   sends requests and never reads the answers would hold its connection, and the answer
//!   buffered for it, for as long as it liked. When a write (or flush) cannot make progress
//!   because the client's receive window is full, a timer starts; it is cleared only when a
//!   flush completes, that is when everything written so far has reached the kernel. If the
//!   timer fires first, the write fails with `TimedOut`, hyper drops the connection and the
//!   answer's buffer with it, and [`Flags::expired`] tells the accept loop why (a flag, not the
//!   error's text);
//! - **bodies for hyper's own error answers** (`bare.rs`): such a head is written completed
//!   instead, and its status is kept in [`Flags::unparsed`] for `/metrics`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use tokio::time::Sleep;

use super::bare::completed;

/// What the accept loop learns from a connection's I/O once it is over.
#[derive(Debug, Default)]
pub struct Flags {
    /// The write deadline ended the connection.
    pub expired: AtomicBool,
    /// The status of a bare answer of hyper's that was completed (0: none).
    pub unparsed: AtomicU16,
}

/// The wrapped I/O; see the module docs.
pub struct ConnectionIo<T> {
    inner: T,
    timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    /// A completed answer being written: its bytes, how many are out, and how many bytes of
    /// hyper's write it stands for (reported as written once all of it is out).
    pending: Option<(Vec<u8>, usize, usize)>,
    flags: Arc<Flags>,
}

impl<T> ConnectionIo<T> {
    /// Wraps `inner` with a write deadline of `timeout`; `flags` receives what happened.
    pub fn new(inner: T, timeout: Duration, flags: Arc<Flags>) -> ConnectionIo<T> {
        ConnectionIo {
            inner,
            timeout,
            timer: None,
            pending: None,
            flags,
        }
    }

    /// Passes a ready result through; on `Pending`, starts the timer (once) and fails the
    /// write when it has run out.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if polled.is_ready() {
            return polled;
        }
        let timeout = self.timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.flags.expired.store(true, Ordering::Relaxed);
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read its answer in time",
        )))
    }
}

impl<T: Write + Unpin> ConnectionIo<T> {
    /// Writes the pending completed answer; `Ready` with the byte count of hyper's write it
    /// replaced once all of it is out.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Some((bytes, written, stands_for)) = self.pending.as_ref() else {
                return Poll::Ready(Ok(0));
            };
            let Some(rest) = bytes.get(*written..).filter(|r| !r.is_empty()) else {
                let n = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(n));
            };
            let polled = Pin::new(&mut self.inner).poll_write(cx, rest);
            match self.watch(cx, polled) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    if let Some((_, written, _)) = self.pending.as_mut() {
                        *written += n;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T: Read + Unpin> Read for ConnectionIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for ConnectionIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            let Some((bytes, status)) = completed(buf) else {
                let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
                return this.watch(cx, polled);
            };
            this.flags.unparsed.store(status, Ordering::Relaxed);
            this.pending = Some((bytes, 0, buf.len()));
        }
        this.drain(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A bare error head arrives alone; anything else is passed on as it is.
        let mut parts = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (parts.next(), parts.next()) {
            if this.pending.is_some() || completed(only).is_some() {
                return Pin::new(this).poll_write(cx, only);
            }
        }
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        if polled.is_ready() {
            // Everything written so far is with the kernel: the client is keeping up.
            this.timer = None;
        }
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}
