//! Offer-throughput micro-benchmarks (criterion): decode of an OFFERS event, encode of
//! ACCEPT/DECLINE, RecordIO framing, first-fit matching at queue 1k and 10k, the actor hop,
//! and the in-process ceiling (RecordIO bytes -> decode -> match -> encoded answer).
//!
//! ```sh
//! cargo bench --bench offer_throughput                  # full, a few minutes
//! BENCH_QUICK=1 cargo bench --bench offer_throughput    # CI smoke, short measurements
//! ```
//!
//! `matching/*` and `ceiling/*` use the real matcher's decision core (`MatcherCore`), with
//! unused offers declined at once and launched tasks released at once.
//!
//! TODO: `actor_hop` sends to a trivial actor; add `decode/slim` and `decode/view` if the
//! runtime gets a partial decoder.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mesos_actix::__internals::offer_matcher::{MatcherCore, MatcherSettings};
use mesos_actix::Encoding;
use mesos_actix::benchkit::ceiling::{CeilingConfig, Pipeline, offer_stream};
use mesos_actix::benchkit::generator::{GeneratorConfig, OfferGenerator};
use mesos_actix::benchkit::workload::{TaskMix, task_spec};
use mesos_actix::proto::scheduler::{Call, Event, call};
use mesos_actix::proto::{Filters, Offer, TaskId};
use mesos_actix::recordio;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

const ENCODINGS: [(Encoding, &str); 2] =
    [(Encoding::Protobuf, "protobuf"), (Encoding::Json, "json")];

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn config() -> Criterion {
    let c = Criterion::default().configure_from_args();
    if quick() {
        c.warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30)
    }
}

fn generator() -> OfferGenerator {
    OfferGenerator::new(GeneratorConfig::default())
}

/// The payload (no RecordIO header) of an OFFERS event with `n` offers.
fn offers_payload(g: &OfferGenerator, encoding: Encoding, n: usize) -> Vec<u8> {
    let batch: Vec<(usize, u64)> = (0..n as u64).map(|s| (g.template_for(s), s)).collect();
    let mut framed = Vec::new();
    g.encode_offers_event(encoding, &batch, &mut framed);
    let mut d = recordio::Decoder::default();
    d.feed(&framed);
    d.next_record()
        .ok()
        .flatten()
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

/// The real matcher core with `n` mixed tasks pending, subscribed, no offer hold.
fn queue(n: usize) -> (MatcherCore, u64) {
    let mut core = MatcherCore::new(MatcherSettings {
        offer_hold: Duration::ZERO,
        ..MatcherSettings::default()
    });
    let now = Instant::now();
    let _ = core.subscribed(generator().framework_id().clone(), false, now);
    for i in 0..n as u64 {
        let _ = core.place(
            TaskId::new(format!("task-{i}")),
            Arc::new(task_spec(TaskMix::Mixed, 42, i)),
            now,
        );
    }
    (core, n as u64)
}

fn decode(c: &mut Criterion) {
    let g = generator();
    let mut group = c.benchmark_group("decode");
    for n in [1usize, 100] {
        for (encoding, name) in ENCODINGS {
            let payload = offers_payload(&g, encoding, n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(format!("offers_event_{n}/{name}"), |b| {
                b.iter(|| {
                    encoding
                        .decode::<Event>(black_box(&payload))
                        .map(|e| e.offers.map(|o| o.offers.len()))
                })
            });
        }
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let g = generator();
    let offer: Offer = g.offer(0, 1).unwrap_or_default();
    let fid = g.framework_id().clone();
    let (mut core, _) = queue(8);
    let out = core.offers(vec![offer.clone()], Instant::now());
    let accept = out
        .calls
        .first()
        .and_then(|c| c.to_call())
        .map(|c| c.into_owned())
        .unwrap_or_default();
    let decline = Call {
        framework_id: Some(fid.clone()),
        r#type: Some(call::Type::Decline as i32),
        decline: Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(Filters {
                refuse_seconds: Some(5.0),
            }),
        }),
        ..Default::default()
    };
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));
    for (encoding, name) in ENCODINGS {
        group.bench_function(format!("accept/{name}"), |b| {
            b.iter(|| encoding.encode(black_box(&accept)))
        });
        group.bench_function(format!("decline/{name}"), |b| {
            b.iter(|| encoding.encode(black_box(&decline)))
        });
    }
    group.finish();
}

fn framing(c: &mut Criterion) {
    let g = generator();
    let payload = offers_payload(&g, Encoding::Protobuf, 1);
    let mut stream = Vec::new();
    for _ in 0..100 {
        recordio::encode_into(&payload, &mut stream);
    }
    let mut group = c.benchmark_group("recordio");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode_into", |b| {
        let mut out = Vec::with_capacity(payload.len() + 8);
        b.iter(|| {
            out.clear();
            recordio::encode_into(black_box(&payload), &mut out);
            out.len()
        })
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("decode_100_in_4k_chunks", |b| {
        b.iter(|| {
            let mut d = recordio::Decoder::default();
            let mut n = 0;
            for chunk in black_box(&stream).chunks(4096) {
                d.feed(chunk);
                while let Ok(Some(r)) = d.next_record() {
                    n += r.len();
                }
            }
            n
        })
    });
    group.finish();
}

/// Matching with the real `MatcherCore`: one offer against a queue of `q`, launched tasks
/// released and replaced afterwards (the offer's clone is made outside the timing).
fn matching(c: &mut Criterion) {
    let g = generator();
    let offers: Vec<Offer> = (0..256u64)
        .filter_map(|s| g.offer(g.template_for(s), s))
        .collect();
    let mut group = c.benchmark_group("matching");
    group.throughput(Throughput::Elements(1));
    for q in [1000usize, 10_000] {
        let (mut core, mut next) = queue(q);
        let mut i = 0usize;
        group.bench_function(format!("first_fit_q{q}"), |b| {
            b.iter_batched(
                || {
                    i += 1;
                    vec![offers[i % offers.len()].clone()]
                },
                |batch| {
                    let now = Instant::now();
                    let out = core.offers(black_box(batch), now);
                    for l in &out.launched {
                        let _ = core.released(&l.task_id, now);
                        let spec = Arc::new(task_spec(TaskMix::Mixed, 42, next));
                        let _ = core.place(TaskId::new(format!("task-{next}")), spec, now);
                        next += 1;
                    }
                    out.calls.len()
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// The in-process ceiling (real `MatcherCore`).
fn ceiling(c: &mut Criterion) {
    let mut group = c.benchmark_group("ceiling");
    for (encoding, name) in ENCODINGS {
        for q in [1000usize, 10_000] {
            let config = CeilingConfig {
                queue: q,
                encoding,
                events: 256,
                ..CeilingConfig::default()
            };
            let g = OfferGenerator::new(config.generator.clone());
            let stream = offer_stream(&config, &g);
            let mut pipeline = Pipeline::new(&config, g.framework_id().clone());
            group.throughput(Throughput::Elements(config.events as u64));
            group.bench_function(format!("q{q}/{name}"), |b| {
                b.iter(|| pipeline.process(black_box(&stream)))
            });
        }
    }
    group.finish();
}

mod hop {
    use actix::prelude::*;

    /// A message carrying a small payload, like an `Offers` of one offer id.
    #[derive(Message)]
    #[rtype(result = "u64")]
    pub struct Ping(pub u64);

    /// A trivial actor (TODO(lead): the real `OfferMatcher`).
    pub struct Sink(pub u64);

    impl Actor for Sink {
        type Context = Context<Self>;
    }

    impl Handler<Ping> for Sink {
        type Result = u64;
        fn handle(&mut self, msg: Ping, _: &mut Context<Self>) -> u64 {
            self.0 = self.0.wrapping_add(msg.0);
            self.0
        }
    }
}

fn actor_hop(c: &mut Criterion) {
    use actix::Actor;
    let system = actix::System::new();
    let addr = system.block_on(async { hop::Sink(0).start() });
    let mut group = c.benchmark_group("actor_hop");
    group.throughput(Throughput::Elements(1));
    group.bench_function("send_await_same_thread", |b| {
        b.iter_custom(|iters| {
            system.block_on(async {
                let start = std::time::Instant::now();
                for i in 0..iters {
                    let _ = black_box(addr.send(hop::Ping(i)).await);
                }
                start.elapsed()
            })
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("do_send_batch_1000", |b| {
        b.iter_batched(
            || (),
            |()| {
                system.block_on(async {
                    for i in 0..999 {
                        addr.do_send(hop::Ping(i));
                    }
                    addr.send(hop::Ping(0)).await.ok()
                })
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, encode, framing, matching, ceiling, actor_hop
}
criterion_main!(benches);
