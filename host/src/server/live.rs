//! The live directory behind `onbehalf serve --ldap`: facts read over LDAP on a thread of
//! their own, kept for a time to live, and never used past it.
//!
//! A background thread reads the directory at start-up and then every half TTL (so the facts
//! stay fresh while the directory answers), sooner again after a failure. A request is
//! answered from the facts only while they are younger than the TTL; otherwise it gets the
//! `directory-unavailable` error with the last failure: never a decision from stale or missing
//! facts. The read (`ldap3`'s blocking client runs a Tokio runtime of its own) never runs on
//! the server's runtime threads, and a request never waits for it.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use onbehalf_directory::ldap::{self, Options};
use onbehalf_directory::{Directory, Error, ErrorCode};

/// The longest pause between two attempts after a failed read: the facts come back soon after
/// the directory does, whatever the TTL.
const RETRY: Duration = Duration::from_secs(10);

/// A directory read over LDAP, cached for a TTL and refreshed in the background.
#[derive(Debug)]
pub struct LiveDirectory {
    options: Options,
    ttl: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The last facts read and when.
    facts: Option<(Arc<Directory>, Instant)>,
    /// Why the last read failed, if it did.
    failure: Option<Error>,
}

impl LiveDirectory {
    /// Starts reading the directory `options` point at: the first read and every refresh run
    /// on a thread of their own, which ends when the returned value is dropped.
    #[must_use]
    pub fn start(options: Options, ttl: Duration) -> Arc<LiveDirectory> {
        let live = Arc::new(LiveDirectory {
            options,
            ttl,
            state: Mutex::new(State::default()),
        });
        let weak = Arc::downgrade(&live);
        std::thread::spawn(move || refresh_loop(&weak));
        live
    }

    /// The time to live of the facts.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The facts, while they are younger than the TTL.
    ///
    /// # Errors
    /// `directory-unavailable`: not read yet, or stale because the directory cannot be read
    /// (the message says since when and the last failure).
    pub fn fresh(&self) -> Result<Arc<Directory>, Error> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let why = state
            .failure
            .as_ref()
            .map_or_else(|| "the read is in progress".to_owned(), ToString::to_string);
        let message = match &state.facts {
            Some((facts, at)) if at.elapsed() < self.ttl => return Ok(Arc::clone(facts)),
            Some((_, at)) => format!(
                "the directory's facts are stale (read {} s ago, time to live {} s) and cannot be refreshed: {why}",
                at.elapsed().as_secs(),
                self.ttl.as_secs()
            ),
            None => format!("the directory has not been read yet: {why}"),
        };
        Err(Error::new(ErrorCode::DirectoryUnavailable, message))
    }

    /// One read; returns how long to wait before the next.
    fn refresh(&self) -> Duration {
        // The facts are as old as the moment the read began (it takes a while).
        let began = Instant::now();
        // A panic in the reader (or ldap3) must not end the refresh thread silently: it is
        // this read's failure, said like any other.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ldap::read(&self.options)))
                .unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorCode::DirectoryUnavailable,
                        format!(
                            "{}: the directory reader failed unexpectedly (a panic)",
                            self.options.url
                        ),
                    ))
                });
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(directory) => {
                if state.failure.take().is_some() || state.facts.is_none() {
                    tracing::info!(
                        accounts = directory.accounts.len(),
                        url = %self.options.url,
                        "read the directory"
                    );
                }
                state.facts = Some((Arc::new(directory), began));
                self.ttl / 2
            }
            Err(e) => {
                // Said once per new failure, not at every retry.
                if state.failure.as_ref() != Some(&e) {
                    tracing::warn!(
                        ttl_seconds = self.ttl.as_secs(),
                        "{e} (POST /v1/check answers 503 once the facts are older than the TTL)"
                    );
                }
                state.failure = Some(e);
                (self.ttl / 2).min(RETRY)
            }
        }
    }
}

/// Reads, waits, reads again, as long as the directory is still in use.
fn refresh_loop(live: &Weak<LiveDirectory>) {
    loop {
        let Some(pause) = live.upgrade().map(|l| l.refresh()) else {
            return;
        };
        std::thread::sleep(pause);
    }
}
