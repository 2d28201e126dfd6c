//! The server's log: `tracing` events on standard error, as text lines for a person or, with
//! `--log-format json`, one JSON object per line for a log pipeline (the event's fields at the
//! top level). What is logged: the audit trail (`audit.rs`), policy faults (rate-limited,
//! `faultlog.rs`), reloads, the live directory's state, start and stop.

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `time LEVEL message field=value …`
    #[default]
    Text,
    /// `{"timestamp":…,"level":…,"message":…,"field":value,…}`
    Json,
}

/// Installs the process's log subscriber (once; a second call leaves the first in place).
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false);
    // `try_init` fails only when a subscriber is already installed: keep that one.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}
