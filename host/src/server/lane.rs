//! The decision lane: the server's CPU-heavy work — bodies over [`INLINE_BODY`] bytes (large
//! arrays, requests with many hops) and `/v1/explain` with its fix search — runs on a few
//! threads of its own instead of the async runtime's.
//!
//! Why: a 1 MiB array of requests with 16 hops each costs a few hundred milliseconds of CPU.
//! Decided on the async threads, two such clients held both of them and every other client
//! waited behind their batches (a light client's p99 went up ×286–×1,365). Here:
//!
//! - the lane has one thread fewer than the machine has cores (at least one), so the async
//!   threads always have a core to accept, read and answer small requests, which they still
//!   decide in place (microseconds: a table lookup and a few module calls);
//! - jobs wait in one queue per client address and are taken from the clients in turn, so a
//!   client with many big batches delays another client by at most one of its jobs;
//! - the queue is bounded, in all and per client: a job over either bound is refused at once
//!   (`503 server-busy`, `retry-after`) instead of piling up memory and latency.
//!
//! invariant: a client address is in `order` exactly when its queue holds a job.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Bodies up to this size are decided on the async thread that read them: their work is
/// bounded by their size to well under a millisecond.
pub const INLINE_BODY: usize = 16 * 1024;

type Job = Box<dyn FnOnce() + Send>;

/// Why a job was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds as many jobs as it accepts.
    Full,
    /// This client already has as many jobs waiting as one client may.
    ClientFull,
    /// The job ended without an answer (it panicked; the lane thread survives).
    Lost,
}

/// Sizes of the lane.
#[derive(Debug, Clone, Copy)]
pub struct LaneLimits {
    /// Threads that run jobs.
    pub threads: usize,
    /// Jobs waiting, from all clients together.
    pub max_queued: usize,
    /// Jobs waiting from one client address.
    pub max_queued_per_client: usize,
}

impl Default for LaneLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        LaneLimits {
            threads: cores.saturating_sub(1).max(1),
            max_queued: 256,
            max_queued_per_client: 8,
        }
    }
}

#[derive(Default)]
struct Queue {
    clients: HashMap<IpAddr, VecDeque<Job>>,
    order: VecDeque<IpAddr>,
    queued: usize,
}

impl Queue {
    /// Queues `job` at the end of `client`'s queue, unless a bound of `limits` is reached.
    fn push(&mut self, client: IpAddr, job: Job, limits: &LaneLimits) -> Result<(), Refused> {
        let waiting = self.clients.get(&client).map_or(0, VecDeque::len);
        if self.queued >= limits.max_queued {
            return Err(Refused::Full);
        }
        if waiting >= limits.max_queued_per_client {
            return Err(Refused::ClientFull);
        }
        if waiting == 0 {
            self.order.push_back(client);
        }
        self.clients.entry(client).or_default().push_back(job);
        self.queued += 1;
        Ok(())
    }

    /// The next job, from the client whose turn it is.
    fn next(&mut self) -> Option<Job> {
        let client = self.order.pop_front()?;
        let jobs = self.clients.get_mut(&client)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            self.clients.remove(&client);
        } else {
            self.order.push_back(client);
        }
        self.queued -= usize::from(job.is_some());
        job
    }
}

/// Counters of the lane (shown on `/metrics`).
#[derive(Debug, Default)]
pub struct LaneStats {
    /// Jobs run to their end.
    pub done: AtomicU64,
    /// Jobs refused because the queue was full (in all or for their client).
    pub refused: AtomicU64,
    /// Nanoseconds the lane's threads spent running jobs.
    pub busy_nanos: AtomicU64,
    /// Jobs running now.
    pub running: AtomicU64,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    limits: LaneLimits,
    stats: LaneStats,
}

/// The decision lane; see the module documentation.
pub struct Lane {
    shared: Arc<Shared>,
}

impl Lane {
    /// A lane with `limits.threads` threads (at least one), running until the process ends.
    #[must_use]
    pub fn new(limits: LaneLimits) -> Lane {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            limits,
            stats: LaneStats::default(),
        });
        for i in 0..limits.threads.max(1) {
            let shared = Arc::clone(&shared);
            // A thread that cannot be started leaves the lane with fewer (the first one
            // failing would leave none: jobs then wait until refused by the queue bound,
            // and the failure is reported once here).
            if let Err(e) = std::thread::Builder::new()
                .name(format!("onbehalf-lane-{i}"))
                .spawn(move || run(&shared))
            {
                tracing::error!(thread = i, "cannot start a decision thread: {e}");
            }
        }
        Lane { shared }
    }

    /// The lane's counters.
    #[must_use]
    pub fn stats(&self) -> &LaneStats {
        &self.shared.stats
    }

    /// Jobs waiting now.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queued
    }

    /// Runs `job` on the lane in `client`'s turn and returns its result.
    ///
    /// # Errors
    /// [`Refused`] when the queue is full (in all or for `client`), or the job panicked.
    pub async fn run<R: Send + 'static>(
        &self,
        client: IpAddr,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Refused> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The receiver may be gone (the client hung up): nothing to do then.
            let _ = tx.send(job());
        });
        // The queue's lock is held for the push alone (a temporary guard).
        let pushed = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(client, job, &self.shared.limits);
        if let Err(r) = pushed {
            self.shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(r);
        }
        self.shared.ready.notify_one();
        rx.await.map_err(|_| Refused::Lost)
    }
}

/// A lane thread: runs jobs in their clients' turns, forever.
fn run(shared: &Shared) {
    loop {
        let job = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(job) = queue.next() {
                    break job;
                }
                queue = shared
                    .ready
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let started = std::time::Instant::now();
        shared.stats.running.fetch_add(1, Ordering::Relaxed);
        // A panicking job loses its answer (its caller gets `Refused::Lost`), not the thread.
        let _ = catch_unwind(AssertUnwindSafe(job));
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        shared.stats.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        shared.stats.done.fetch_add(1, Ordering::Relaxed);
        shared.stats.running.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::{Job, LaneLimits, Queue, Refused};
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::{Arc, Mutex, PoisonError};

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    fn limits(max_queued: usize, max_queued_per_client: usize) -> LaneLimits {
        LaneLimits {
            threads: 1,
            max_queued,
            max_queued_per_client,
        }
    }

    #[test]
    fn clients_take_turns() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let mut queue = Queue::default();
        // Client A queues three jobs before B queues one: B's runs second, not fourth.
        for (client, name) in [(A, "a1"), (A, "a2"), (A, "a3"), (B, "b1")] {
            let ran = Arc::clone(&ran);
            let job: Job = Box::new(move || {
                ran.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(name)
            });
            assert_eq!(queue.push(client, job, &limits(8, 8)), Ok(()));
        }
        while let Some(job) = queue.next() {
            job();
        }
        let ran = ran.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(ran, ["a1", "b1", "a2", "a3"]);
        assert_eq!(queue.queued, 0);
        assert!(queue.order.is_empty() && queue.clients.is_empty());
    }

    #[test]
    fn the_queue_is_bounded_in_all_and_per_client() {
        let mut queue = Queue::default();
        let limits = limits(3, 2);
        let job = || -> Job { Box::new(|| ()) };
        assert_eq!(queue.push(A, job(), &limits), Ok(()));
        assert_eq!(queue.push(A, job(), &limits), Ok(()));
        assert_eq!(queue.push(A, job(), &limits), Err(Refused::ClientFull));
        assert_eq!(queue.push(B, job(), &limits), Ok(()));
        assert_eq!(queue.push(B, job(), &limits), Err(Refused::Full));
        assert!(queue.next().is_some());
        assert_eq!(queue.push(B, job(), &limits), Ok(()));
        assert_eq!(queue.queued, 3);
    }
}
