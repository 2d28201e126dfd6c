//! The soak's abusive clients, beside the well-behaved ones: one sending the largest legal
//! batch of the heaviest requests nonstop, one asking for answers it never reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use onbehalf_testkit::http::Client;
use onbehalf_testkit::load::{heaviest_batch, never_read};

/// What the abusers saw.
#[derive(Debug, Default)]
pub struct Abuse {
    /// Heavy batches answered 200 with one answer per request.
    pub heavy_answered: u64,
    /// Heavy batches refused `503 server-busy` (the lane's queue bound at work).
    pub heavy_busy: u64,
    /// Connections of the non-reading client that the server closed.
    pub readers_cut: u64,
    /// Connections of the non-reading client that the server still held after the hold.
    pub readers_held: u64,
    /// Anything else, for the report.
    pub unexpected: Vec<String>,
}

/// Sends the heaviest batch until `stop`.
pub fn heavy_loop(addr: &str, body_limit: usize, stop: &AtomicBool, abuse: &mut Abuse) {
    let batch = heaviest_batch(body_limit);
    let count = batch.matches(r#"{"level""#).count();
    let mut client = Client::new(addr);
    while !stop.load(Ordering::Relaxed) {
        match client.post_json("/v1/decide", &batch) {
            Ok(r) if r.status == 200 => {
                match serde_json::from_slice::<serde_json::Value>(&r.body) {
                    Ok(serde_json::Value::Array(items)) if items.len() == count => {
                        abuse.heavy_answered += 1;
                    }
                    _ => abuse
                        .unexpected
                        .push("heavy batch: 200 without its answers".into()),
                }
            }
            Ok(r) if r.status == 503 && r.text().contains("server-busy") => abuse.heavy_busy += 1,
            Ok(r) => abuse
                .unexpected
                .push(format!("heavy batch: status {}", r.status)),
            Err(e) => abuse.unexpected.push(format!("heavy batch: {e}")),
        }
    }
}

/// Opens connections that ask and never read, each held `hold` (longer than the server's
/// write deadline), until `stop`.
pub fn non_reader_loop(addr: &str, hold: Duration, stop: &AtomicBool, abuse: &mut Abuse) {
    while !stop.load(Ordering::Relaxed) {
        match never_read(addr, 16, hold) {
            Ok(true) => abuse.readers_cut += 1,
            Ok(false) => abuse.readers_held += 1,
            Err(e) => abuse.unexpected.push(format!("non-reader: {e}")),
        }
    }
}
