//! The server under soak: `onbehalf serve` as a child process with an admin token.

use std::ffi::OsStr;

use onbehalf_testkit::http::{Client, Response};
use onbehalf_testkit::server::ServerProcess;

/// The server's client deadline: short, so that the soak sees clients that do not read their
/// answers cut off several times.
pub const CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

pub struct Server {
    process: ServerProcess,
    pub addr: String,
    token: String,
}

impl Server {
    pub fn start(binary: &std::path::Path, dir: &std::path::Path) -> Result<Server, String> {
        let token = format!(
            "soak-token-{:016x}",
            u64::from(std::process::id()) * 0x9E37_79B9
        );
        let token_file = dir.join("admin-token");
        std::fs::write(&token_file, &token).map_err(|e| e.to_string())?;
        let timeout = CLIENT_TIMEOUT.as_millis().to_string();
        let process = ServerProcess::start(
            binary,
            &[
                OsStr::new("--admin-token-file"),
                token_file.as_os_str(),
                OsStr::new("--client-timeout-ms"),
                OsStr::new(&timeout),
            ],
        )?;
        Ok(Server {
            addr: process.addr.clone(),
            process,
            token,
        })
    }

    pub fn reload(&self, client: &mut Client, module: &[u8]) -> std::io::Result<Response> {
        let bearer = format!("Bearer {}", self.token);
        client.post(
            "/v1/policy",
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/wasm"),
            ],
            module,
        )
    }

    pub fn rss_kib(&self) -> Option<u64> {
        self.process.rss_kib()
    }

    pub fn print_log(&self) {
        for line in self.process.log() {
            eprintln!("server: {line}");
        }
    }
}
