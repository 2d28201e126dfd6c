//! The hot paths `cargo xtask callgrind` counts instructions of, each a round over the
//! standard mix (see `src/bin/probe.rs`).

use std::hint::black_box;

use onbehalf_core::json::{decide_str, OwnedRequest};
use onbehalf_core::{decide, decide_packed, DecisionTable, PackedRequest};
use onbehalf_host::policy::{Limits, PolicyHost, Verdict, Worker};
use onbehalf_host::server::answer;

use crate::mix::{mix, packed_hop_free};

/// A measured path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Native precomputed table, hop-free requests.
    Table,
    /// Native computed decision of a packed (hop-free) request.
    Packed,
    /// Native decision of a typed request (hops included).
    Typed,
    /// Native JSON text in → JSON text out.
    Json,
    /// Policy module, one hop-free request per typed call.
    ModuleSingle,
    /// Policy module, hop-free requests in one `decide_batch` call.
    ModuleBatch,
    /// Policy module, the whole mix (hops included) in one call.
    ModuleMix,
    /// What a server does per request body: JSON text → module → JSON text.
    Body,
}

impl Path {
    /// Every path, in report order.
    pub const ALL: [Path; 8] = [
        Path::Table,
        Path::Packed,
        Path::Typed,
        Path::Json,
        Path::ModuleSingle,
        Path::ModuleBatch,
        Path::ModuleMix,
        Path::Body,
    ];

    /// The name on the command line and in the baseline.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Path::Table => "native_table",
            Path::Packed => "native_packed",
            Path::Typed => "native_typed",
            Path::Json => "native_json",
            Path::ModuleSingle => "module_single",
            Path::ModuleBatch => "module_batch",
            Path::ModuleMix => "module_mix",
            Path::Body => "server_body",
        }
    }

    /// The path of a name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.name() == name)
    }

    fn uses_module(self) -> bool {
        matches!(
            self,
            Path::ModuleSingle | Path::ModuleBatch | Path::ModuleMix | Path::Body
        )
    }
}

/// The mix in every shape the paths take, and what they run on.
pub struct Probe {
    requests: Vec<OwnedRequest>,
    packed: Vec<PackedRequest>,
    texts: Vec<String>,
    table: Option<DecisionTable>,
    worker: Option<Worker>,
    verdicts: Vec<Verdict>,
    _host: Option<PolicyHost>,
}

impl Probe {
    /// Builds what `path` needs (only that: the table and the engine are slow to build
    /// under Valgrind).
    ///
    /// # Panics
    /// If the embedded default module does not load (a build defect).
    #[must_use]
    #[allow(clippy::expect_used)] // a benchmark tool: no module, no measurement
    pub fn new(path: Path) -> Probe {
        let requests = mix();
        let packed = packed_hop_free(&requests);
        let texts = requests.iter().map(|r| r.to_value().to_json()).collect();
        let host = path
            .uses_module()
            .then(|| PolicyHost::with_default_module(Limits::default()).expect("default module"));
        Probe {
            requests,
            packed,
            texts,
            table: (path == Path::Table).then(DecisionTable::new),
            worker: host.as_ref().map(PolicyHost::worker),
            verdicts: Vec::new(),
            _host: host,
        }
    }

    /// One round of `path` over the mix; returns the number of decisions.
    pub fn round(&mut self, path: Path) -> u64 {
        let n = match (path, self.table.as_ref(), self.worker.as_mut()) {
            (Path::Table, Some(table), _) => {
                for p in &self.packed {
                    black_box(table.decide_raw(black_box(p.raw())));
                }
                self.packed.len()
            }
            (Path::Packed, _, _) => {
                for p in &self.packed {
                    black_box(decide_packed(black_box(*p)).ok());
                }
                self.packed.len()
            }
            (Path::Typed, _, _) => {
                for r in &self.requests {
                    black_box(decide(black_box(r)).ok());
                }
                self.requests.len()
            }
            (Path::Json, _, _) => {
                for t in &self.texts {
                    black_box(decide_str(black_box(t)));
                }
                self.texts.len()
            }
            (Path::ModuleSingle, _, Some(w)) => {
                for p in &self.packed {
                    black_box(w.decide_packed(black_box(*p)));
                }
                self.packed.len()
            }
            (Path::ModuleBatch, _, Some(w)) => {
                w.decide_batch_into(black_box(&self.packed), &mut self.verdicts);
                self.verdicts.len()
            }
            (Path::ModuleMix, _, Some(w)) => {
                let all: Vec<&OwnedRequest> = self.requests.iter().collect();
                black_box(w.decide_many(black_box(&all))).len()
            }
            (Path::Body, _, Some(w)) => {
                for t in &self.texts {
                    black_box(answer(w, black_box(t), 1).body);
                }
                self.texts.len()
            }
            _ => 0,
        };
        n as u64
    }
}
