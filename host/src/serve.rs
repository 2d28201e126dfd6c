//! `onbehalf serve`: options, start-up, optional file watch, graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use onbehalf_host::banner;
use onbehalf_host::log::LogFormat;
use onbehalf_host::policy::PolicyHost;
use onbehalf_host::server::{serve, AppState, LiveDirectory, ServerConfig};

/// Options of `onbehalf serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    module: crate::module_args::ModuleArgs,
    /// Reload the module when its file changes (needs --module).
    #[arg(long, requires = "module")]
    watch: bool,
    /// File holding the admin token that enables `POST /v1/policy` (or set ONBEHALF_ADMIN_TOKEN).
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// The directory `POST /v1/check` fills named requests from.
    #[command(flatten)]
    directory: crate::directory_args::DirectoryArgs,
    /// With --ldap: seconds the directory's facts are used for. They are re-read in the
    /// background every half of it; when they cannot be, `POST /v1/check` answers 503
    /// `directory-unavailable` once they are older.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "ldap",
          value_parser = clap::value_parser!(u64).range(1..))]
    directory_ttl: u64,
    /// Directory of the web explainer's static files, served at `/`.
    #[arg(long, value_name = "DIR")]
    web: Option<PathBuf>,
    /// Largest request body on the decision routes, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    body_limit: usize,
    /// Most HTTP connections open at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Most HTTP connections open at once from one client address; more are treated like
    /// connections over --max-connections.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_client: u32,
    /// How log lines (audit trail, faults, reloads, start and stop) are written to standard
    /// error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Milliseconds a client has to send a request's headers (and, separately, its body),
    /// and to read an answer once writing it stalls; idle keep-alive connections are closed
    /// after the same time.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    client_timeout_ms: u64,
}

fn admin_token(args: &ServeArgs) -> Result<Option<String>, String> {
    let token = match &args.admin_token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read admin token file {}: {e}", path.display()))?
                .trim()
                .to_owned(),
        ),
        None => std::env::var("ONBEHALF_ADMIN_TOKEN").ok(),
    };
    match token {
        Some(t) if t.len() < 16 => Err("the admin token must be at least 16 characters".into()),
        other => Ok(other),
    }
}

/// Polls the module file and reloads it when its size or modification time changes.
fn watch(host: PolicyHost, path: PathBuf) {
    let stamp = |p: &PathBuf| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let mut last = stamp(&path);
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = stamp(&path);
        if now != last && now.is_some() {
            last = now;
            match host.reload_file(&path) {
                Ok(info) => tracing::info!(
                    source = %info.source,
                    generation = info.generation,
                    "reloaded the policy module"
                ),
                Err(e) => tracing::warn!(
                    reason = e.name(),
                    "reload refused (policy-rejected), keeping the current policy: {e}"
                ),
            }
        }
    });
}

/// Completes on SIGTERM (what service managers send) or Ctrl-C (SIGINT): the server then
/// stops accepting, lets in-flight requests finish within the shutdown grace and exits 0.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            // Without a SIGTERM handler the default action (exit) stays: wait for Ctrl-C only.
            Err(_) => std::future::pending().await,
        }
    };
    let which = tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        () = terminate => "SIGTERM",
    };
    tracing::info!(
        signal = which,
        grace_seconds = onbehalf_host::connections::SHUTDOWN_GRACE.as_secs(),
        "stopping: not accepting connections; in-flight requests may finish"
    );
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> std::io::Result<ExitCode> {
    onbehalf_host::log::init(args.log_format);
    let fail = |message: String| {
        eprintln!("onbehalf serve: {message}");
        Ok(ExitCode::from(2))
    };
    let token = match admin_token(&args) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let host = match args.module.host() {
        Ok(h) => h,
        Err(e) => return fail(format!("policy-rejected ({}): {e}", e.name())),
    };
    // A file is read once, now; the live directory on a thread of its own, so the server
    // starts (and answers 503 on /v1/check) even while it cannot be read.
    let live = match args.directory.ldap.options("serve") {
        Ok(options) => {
            options.map(|o| LiveDirectory::start(o, Duration::from_secs(args.directory_ttl)))
        }
        Err(e) => return Ok(crate::directory_args::fail("serve", &e)),
    };
    let directory = match live {
        Some(_) => None,
        None => match args.directory.load("serve") {
            Ok(d) => d.map(std::sync::Arc::new),
            Err(code) => return Ok(code),
        },
    };
    if let (true, Some(path)) = (args.watch, args.module.module.clone()) {
        watch(host.clone(), path);
    }
    let config = ServerConfig {
        body_limit: args.body_limit,
        admin_token: token,
        web_dir: args.web.clone(),
        max_connections: args.max_connections as usize,
        max_connections_per_client: args.max_connections_per_client as usize,
        header_read_timeout: Duration::from_millis(args.client_timeout_ms),
        body_read_timeout: Duration::from_millis(args.client_timeout_ms),
        write_timeout: Duration::from_millis(args.client_timeout_ms),
        directory,
        live_directory: live,
        ..ServerConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let info = host.info();
        let addr = listener.local_addr()?.to_string();
        let upload = config.admin_token.is_some();
        println!(
            "{}",
            banner::serving(&addr, &info.source, info.generation, upload)
        );
        let state = AppState::new(host, config);
        serve(listener, state, stop_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
