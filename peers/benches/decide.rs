//! The hot decision path, side by side with the peers, all over the same request mix
//! (`onbehalf_benches::mix`). Per-decision times: single-call benches report time per call;
//! batch benches report per-batch time with `Throughput::Elements(1024)`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use onbehalf_benches::mix::{mix, MIX_SIZE};
use onbehalf_benches::packed;
use onbehalf_core::json::{decide_str, OwnedRequest};
use onbehalf_core::{decide, decide_packed, DecisionTable, PackedRequest};
use onbehalf_host::policy::{Limits, PolicyHost};
use onbehalf_host::server::answer;
use onbehalf_peers::{CedarPeer, RegoPeer};

const MASK: usize = MIX_SIZE - 1;

/// Benches `f` on the inputs in turn, one a call (`inputs` holds the whole mix).
fn cycle<T, R>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    inputs: &[T],
    mut f: impl FnMut(&T) -> R,
) {
    assert_eq!(inputs.len(), MIX_SIZE);
    let mut i = 0;
    g.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) & MASK;
            f(black_box(&inputs[i]))
        })
    });
}

fn native(c: &mut Criterion) {
    let requests = mix();
    let packed: Vec<PackedRequest> = requests.iter().map(packed).collect();
    let mut g = c.benchmark_group("native");
    let table = DecisionTable::new();
    cycle(&mut g, "table_decide_raw", &packed, |p| {
        table.decide_raw(p.raw())
    });
    cycle(&mut g, "decide_packed", &packed, |p| decide_packed(*p));
    cycle(&mut g, "decide_full", &requests, |r| {
        decide(r).map(|d| d.effective)
    });
    let texts: Vec<String> = requests.iter().map(|r| r.to_value().to_string()).collect();
    cycle(&mut g, "json_in_json_out", &texts, |t| decide_str(t));
    g.throughput(Throughput::Elements(MIX_SIZE as u64));
    let mut out = vec![0i64; MIX_SIZE];
    g.bench_function("table_batch_1024", |b| {
        b.iter(|| {
            for (o, p) in out.iter_mut().zip(&packed) {
                *o = table.decide_raw(black_box(p.raw()));
            }
            black_box(&out);
        })
    });
    g.bench_function("decide_packed_batch_1024", |b| {
        b.iter(|| {
            for (o, p) in out.iter_mut().zip(&packed) {
                *o = decide_packed(black_box(*p)).map(|d| d.raw()).unwrap_or(-1);
            }
            black_box(&out);
        })
    });
    g.finish();
}

fn module(c: &mut Criterion) {
    let requests = mix();
    let packed: Vec<PackedRequest> = requests.iter().map(packed).collect();
    let with_hops: Vec<&OwnedRequest> = requests.iter().filter(|r| !r.hops().is_empty()).collect();
    let host = PolicyHost::with_default_module(Limits::default()).unwrap();
    let mut worker = host.worker();
    let mut g = c.benchmark_group("module");
    cycle(&mut g, "decide", &packed, |p| worker.decide_packed(*p));
    let mut i = 0;
    g.bench_function("decide_with_hops", |b| {
        b.iter(|| {
            i = (i + 1) % with_hops.len();
            worker.decide(black_box(with_hops[i])).is_ok()
        })
    });
    cycle(&mut g, "decide_mix_single", &requests, |r| {
        worker.decide(r).is_ok()
    });
    let texts: Vec<String> = requests.iter().map(|r| r.to_value().to_json()).collect();
    cycle(&mut g, "json_body_to_json_body", &texts, |t| {
        answer(&mut worker, t, 1).body
    });
    g.throughput(Throughput::Elements(MIX_SIZE as u64));
    let mut verdicts = Vec::with_capacity(MIX_SIZE);
    g.bench_function("decide_batch_1024", |b| {
        b.iter(|| worker.decide_batch_into(black_box(&packed), &mut verdicts))
    });
    let all: Vec<&OwnedRequest> = requests.iter().collect();
    g.bench_function("decide_mix_batch_1024", |b| {
        b.iter(|| worker.decide_many(black_box(&all)))
    });
    g.finish();
    assert_eq!(host.stats().total_faults(), 0);
}

fn peers(c: &mut Criterion) {
    let requests = mix();
    let mut g = c.benchmark_group("peers");
    let cedar = CedarPeer::new().unwrap();
    let cedar_inputs: Vec<_> = requests
        .iter()
        .map(|r| CedarPeer::prepare(r).unwrap())
        .collect();
    cycle(&mut g, "cedar_policy", &cedar_inputs, |input| {
        cedar.decide(input)
    });
    let mut rego = RegoPeer::new().unwrap();
    let rego_inputs: Vec<_> = requests
        .iter()
        .map(|r| RegoPeer::prepare(r).unwrap())
        .collect();
    cycle(&mut g, "regorus", &rego_inputs, |input| {
        rego.decide(input).unwrap()
    });
    g.finish();
}

criterion_group!(benches, native, module, peers);
criterion_main!(benches);
