//! Servers for tests: in this process on a background runtime, or the `onbehalf` binary as
//! a child process (whose address is read from its banner).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use onbehalf_host::policy::{Limits, PolicyHost};
use onbehalf_host::server::{serve, AppState, ServerConfig};

/// Starts a server on a free loopback port in a background runtime (two worker threads).
///
/// # Panics
/// When the runtime or the listener cannot be created (a broken test machine).
#[allow(clippy::expect_used)]
#[must_use]
pub fn start(host: PolicyHost, config: ServerConfig) -> (SocketAddr, Arc<AppState>) {
    let state = AppState::new(host, config);
    let (tx, rx) = std::sync::mpsc::channel();
    let served = Arc::clone(&state);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let _ = tx.send(listener.local_addr().expect("a bound address"));
            let _ = serve(listener, served, std::future::pending()).await;
        });
    });
    (rx.recv().expect("the server's address"), state)
}

/// [`start`] with the embedded default module.
///
/// # Panics
/// When the embedded module does not load.
#[allow(clippy::expect_used)]
#[must_use]
pub fn start_default(config: ServerConfig) -> (SocketAddr, Arc<AppState>) {
    let host = PolicyHost::with_default_module(Limits::default()).expect("the default module");
    start(host, config)
}

/// `onbehalf serve` as a child process, killed when dropped. Its standard output after the
/// banner is drained, and the last lines of its standard error are kept for failure reports.
pub struct ServerProcess {
    child: Child,
    /// Its `host:port`.
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// How many lines of the server's standard error are kept.
const LOG_LINES: usize = 20;

impl ServerProcess {
    /// Runs `binary serve --addr 127.0.0.1:0 ARGS…` and waits for its banner.
    ///
    /// # Errors
    /// The binary does not start, or its first line is not the banner.
    pub fn start(
        binary: &std::path::Path,
        args: &[&std::ffi::OsStr],
    ) -> Result<ServerProcess, String> {
        let mut child = Command::new(binary)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut banner = String::new();
        stdout.read_line(&mut banner).map_err(|e| e.to_string())?;
        // Keep both pipes drained so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        if l.len() >= LOG_LINES {
                            l.remove(0);
                        }
                        l.push(line);
                    }
                }
            });
        }
        match onbehalf_host::banner::address(banner.trim_end()) {
            Some(addr) => Ok(ServerProcess {
                addr: addr.to_owned(),
                child,
                log,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("unexpected server banner {banner:?}"))
            }
        }
    }

    /// The process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS of the server, in KiB.
    #[must_use]
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Sends `signal` (a name `kill` knows: `TERM`, `INT`) and waits, at most `patience`, for
    /// the process to exit.
    ///
    /// # Errors
    /// `kill` fails, or the process is still running after `patience`.
    pub fn stop(
        &mut self,
        signal: &str,
        patience: std::time::Duration,
    ) -> Result<std::process::ExitStatus, String> {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.id().to_string()])
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        if !sent.success() {
            return Err(format!("kill -{signal} failed: {sent}"));
        }
        let deadline = std::time::Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("still running {patience:?} after SIG{signal}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The last lines the server wrote to its standard error.
    #[must_use]
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
