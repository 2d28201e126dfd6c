//! onbehalf's host side around [`onbehalf_core`]: the wasmtime policy-module host
//! ([`policy`]), and the HTTP server ([`server`], its accept loop in [`connections`]) with
//! its [`metrics`]. The `onbehalf` CLI is this crate's binary. Where each part lives is under
//! "Layout" below.
//!
//! # Embedding the policy in a Rust server
//!
//! The API a server needs is [`policy`]: a [`PolicyHost`](policy::PolicyHost) loads and
//! validates a module (the embedded default, a file, bytes), a [`Worker`](policy::Worker)
//! asks it (one per thread, or a [`WorkerPool`](policy::WorkerPool) shared by many), every
//! answer is checked against the reference engine and a fault is answered fail-closed, a
//! reload swaps the module between calls, and [`Stats`](policy::Stats) counts. Requests come
//! from the core ([`onbehalf_core::json::parse_request`], or built as typed values); answers
//! go back as typed decisions or straight into JSON ([`onbehalf_core::json::write_decision`]).
//!
//! ```
//! use std::sync::atomic::Ordering;
//! use onbehalf_core::json::{parse_request, write_decision};
//! use onbehalf_core::{Level, Reach};
//! use onbehalf_host::policy::{Limits, PolicyHost, STRICT_EXAMPLE_MODULE};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Load: the embedded default module (the reference engine itself), under the default limits.
//! let host = PolicyHost::with_default_module(Limits::default())?;
//! let mut worker = host.worker();
//!
//! // Decide one: validated by the core, decided by the module, checked against the reference.
//! let request = parse_request(
//!     r#"{"level":"delegation","auth":"kerberos","delegation":{"server_trust":"unconstrained"},
//!         "hops":[{"target":"cifs/fs1.contoso.com"}]}"#,
//! )?;
//! let answer = worker.decide(&request)?; // Err: the module faulted (answer fail-closed)
//! assert_eq!(answer.decision().effective, Level::Delegation);
//! assert_eq!(answer.decision().reach, Reach::MultiHop);
//! let mut json = String::new();
//! write_decision(&answer.decision(), &mut json);
//! assert!(json.starts_with(r#"{"effective":"delegation","reach":"multi-hop""#));
//!
//! // Decide many in one go: the hop-free ones in one `decide_batch` call, the others in one
//! // `decide_records` call; one answer per request, in order.
//! let hop_free = parse_request(r#"{"level":"identification"}"#)?;
//! let answers = worker.decide_many(&[&hop_free, &request]);
//! assert_eq!(answers.len(), 2);
//! assert_eq!(answers[0].as_ref().map(|a| a.decision().effective), Ok(Level::Identification));
//!
//! // Reload: another module replaces the default between calls (a refused one leaves it).
//! let info = host.reload(STRICT_EXAMPLE_MODULE, "the strict example policy")?;
//! assert_eq!(info.generation, 2);
//! let stricter = worker.decide(&request)?;
//! assert_eq!(stricter.generation, 2);
//! assert!(stricter.decision().reach <= answer.decision().reach);
//!
//! // The counters (a worker adds its decisions when flushed, or every 64).
//! worker.flush();
//! assert_eq!(host.stats().decisions.load(Ordering::Relaxed), 4);
//! assert_eq!(host.stats().reloads.load(Ordering::Relaxed), 1);
//! assert_eq!(host.stats().total_faults(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! A minimal HTTP service that asks the policy, with axum: [`server::answer`] turns a body
//! (one request or an array) into the answer body, exactly as `onbehalf serve` answers
//! `POST /v1/decide`.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{extract::State, http::StatusCode, routing::post, Router};
//! use onbehalf_host::policy::{Limits, PolicyHost, WorkerPool};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! async fn decide(State(pool): State<Arc<WorkerPool>>, body: String) -> (StatusCode, String) {
//!     // Microseconds of CPU for a small body; run big batches on a blocking pool instead.
//!     let answer = pool.with(|worker| onbehalf_host::server::answer(worker, &body, 1000));
//!     let status = if answer.ok { StatusCode::OK } else { StatusCode::BAD_REQUEST };
//!     (status, answer.body)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = Arc::new(WorkerPool::new(PolicyHost::with_default_module(Limits::default())?));
//! let app = Router::new().route("/decide", post(decide)).with_state(pool);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let address = listener.local_addr()?;
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! // A client: the double hop over NTLM arrives as ANONYMOUS LOGON.
//! let body = r#"{"level":"impersonation","auth":"ntlm","hops":[{"target":"MSSQLSvc/db1"}]}"#;
//! let mut stream = tokio::net::TcpStream::connect(address).await?;
//! let head = format!(
//!     "POST /decide HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
//!     body.len()
//! );
//! stream.write_all(format!("{head}{body}").as_bytes()).await?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response).await?;
//! assert!(response.starts_with("HTTP/1.1 200"));
//! assert!(response.contains(r#""as":"anonymous","reason":"hop-no-credentials""#));
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`policy`], the policy host: `load.rs` validates a module at load (named `LoadError`s,
//!   the wasm feature set); `store.rs` holds the memory cap and the fuel account; `worker/` is
//!   one store + instance per worker, made from a shared `InstancePre` (`route.rs` picks a
//!   request's path, `packed.rs` makes the hop-free calls and checks them against the
//!   reference table — an equal answer is accepted without unpacking — `hops.rs` the records
//!   and the v1 JSON entry); `calls.rs` binds the exports by the ABI crate's `names` and runs
//!   each export's memory protocol; `answer.rs` checks an answer through
//!   `onbehalf_abi::check` and keeps it compact; `fault.rs` classifies a failed call by trap
//!   code and the memory flag; `faultlog.rs` logs once per module and fault kind, then a
//!   summary at most once a minute. A reload bumps an atomic generation, and each worker
//!   re-instantiates before its next call (never in the middle of one array). Hop-free
//!   requests go packed to the module's `decide` (an array's to one `decide_batch`), the
//!   others as records to one `decide_records`; an ABI v1 module gets canonical JSON through
//!   `explain`, and is not asked at all about a request across domains.
//! - [`server`], `onbehalf serve` on axum: `mod.rs` state, config and routes; `decide.rs`
//!   `/v1/decide` and `/v1/explain` (where each body is decided); `answer.rs` a body's text →
//!   its answer text through the core's tree-free reader and writer (what the benches
//!   measure); `lane.rs` the decision lane; `track.rs` the middleware every response passes
//!   (error bodies, counting); `audit.rs` the audit events; `admin.rs` health, metrics and
//!   the token-guarded reload; `body.rs` content type, size and deadline; `files.rs` the
//!   page's static files; `check.rs` `/v1/check` (named accounts); `live.rs` the live
//!   directory of `serve --ldap`, read on its own thread at start and every half TTL (facts
//!   older than `--directory-ttl` never decide: `503 directory-unavailable`).
//! - [`connections`], the accept loop (hyper-util), given the routers: connection caps in all
//!   and per address, the operator reserve (`/healthz` and `/metrics` only), the header
//!   deadline and buffer bound; `io.rs` the write deadline and, with `bare.rs`, bodies for
//!   hyper's own 400/414/431; half-close; graceful shutdown.
//! - [`metrics`] (OpenMetrics through `prometheus-client`; the policy host's and the lane's
//!   counters are read at scrape), `log` (the `tracing` subscriber,
//!   `--log-format text|json`), `banner` (the serving banner and its parser).
//! - The CLI, `main.rs`: `decide` (JSON Lines, optionally `--module`), `explain` (the core's
//!   `Explanation`, rendered), `serve`, `table` (columns from the field table), `bench` (a
//!   module on the standard mix beside the default module and the native core, with fuel);
//!   `module_args.rs` (`--module`, `--max-module-bytes`) is shared by `decide`, `serve` and
//!   `bench`; `directory_args.rs` renders the directory crate's answers for `check`, `audit`,
//!   `directory export` and `fix --bloodhound`/`--facts`.
//! - `build.rs` builds the default module and the strict example for wasm32 (own target
//!   directory, clean environment), so both are embedded.
//! - `tests/`: `policy_host.rs` (hostile modules, reloads, wasm features), `ceiling.rs` (every
//!   way an answer can exceed the reference), `abi_fixture.rs` (the WAT module written from
//!   the docs, the v1 reference module of 143c4a9, the v2 default on requests with hops),
//!   `abi_docs.rs` (the docs' generated tables), `abuse.rs` and `attack.rs` (HTTP abuse),
//!   `memory_bounds.rs` (the RSS bound, alone in its process), `server.rs`, `cli.rs`.
#![forbid(unsafe_code)]

pub mod banner;
pub mod connections;
pub mod log;
pub mod metrics;
pub mod policy;
pub mod server;
