//! The in-process ceiling: RecordIO bytes -> decode -> match -> encoded answer, on one core,
//! with no network. Every end-to-end figure is also given as a fraction of this one,
//! measured in the same run.
//!
//! The match step is the real matcher's decision core ([`MatcherCore`]), with unused
//! offers declined at once (no hold), launched tasks released at once (the tracker's part).
//! The task specs are the application's: like the end-to-end driver makes them outside the
//! framework, the pipeline builds them once (a ring of [`SPEC_RING`] at most, reused) and
//! only queues tasks with them while measuring.

use super::generator::{GeneratorConfig, OfferGenerator};
use super::workload::{TaskMix, task_spec};
use crate::codec::Encoding;
use crate::codec::offers::offers_event;
use crate::proto::scheduler::{Event, event};
use crate::proto::{FrameworkId, TaskId};
use crate::recordio::Decoder;
use crate::scheduler::TaskSpec;
use crate::scheduler::calls::OutCall;
use crate::scheduler::events::IncomingOffer;
use crate::scheduler::offer_matcher::{MatcherCore, MatcherSettings, Place, Queued};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most distinct task specs the pipeline builds up front (task `n` uses spec
/// `n % ring`).
pub const SPEC_RING: usize = 16_384;

/// What the ceiling measures.
#[derive(Debug, Clone, PartialEq)]
pub struct CeilingConfig {
    /// Pending tasks, kept constant (each placed task is replaced).
    pub queue: usize,
    /// Wire encoding of events and answers.
    pub encoding: Encoding,
    /// Offers and tasks seed.
    pub generator: GeneratorConfig,
    /// Task sizes.
    pub task_mix: TaskMix,
    /// Offers per OFFERS event.
    pub offers_per_event: usize,
    /// Events in the pre-built stream (replayed as often as needed).
    pub events: usize,
    /// How long to measure.
    pub duration: Duration,
}

impl Default for CeilingConfig {
    /// W2's shape: queue 1k, one offer per event, protobuf.
    fn default() -> Self {
        CeilingConfig {
            queue: 1000,
            encoding: Encoding::Protobuf,
            generator: GeneratorConfig::default(),
            task_mix: TaskMix::Mixed,
            offers_per_event: 1,
            events: 4096,
            duration: Duration::from_secs(3),
        }
    }
}

/// The ceiling's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CeilingResult {
    /// Offers processed.
    pub offers: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Offers per second.
    pub offers_per_sec: f64,
    /// Tasks launched (placed on the offers).
    pub tasks: u64,
    /// Tasks launched per second.
    pub tasks_per_sec: f64,
    /// Answer bytes produced (keeps the work observable).
    pub answer_bytes: u64,
}

/// The pipeline state: a RecordIO decoder, the matcher with its queue, the answer buffer.
#[derive(Debug)]
pub struct Pipeline {
    decoder: Decoder,
    core: MatcherCore,
    encoding: Encoding,
    /// The application's task specs, built once.
    specs: Vec<Arc<TaskSpec>>,
    next_task: u64,
    target_queue: usize,
    /// Answer bytes produced so far.
    pub answer_bytes: u64,
    /// Tasks launched so far.
    pub tasks_launched: u64,
}

impl Pipeline {
    /// A pipeline with its queue filled.
    pub fn new(config: &CeilingConfig, framework_id: FrameworkId) -> Self {
        let mut core = MatcherCore::new(MatcherSettings {
            offer_hold: Duration::ZERO,
            ..MatcherSettings::default()
        });
        let _ = core.subscribed(framework_id, false, Instant::now());
        let ring = config.queue.clamp(1, SPEC_RING) as u64;
        let specs = (0..ring)
            .map(|n| Arc::new(task_spec(config.task_mix, config.generator.seed, n)))
            .collect();
        let mut p = Pipeline {
            decoder: Decoder::default(),
            core,
            encoding: config.encoding,
            specs,
            next_task: 0,
            target_queue: config.queue,
            answer_bytes: 0,
            tasks_launched: 0,
        };
        p.refill();
        p
    }

    fn refill(&mut self) {
        let missing = self.target_queue.saturating_sub(self.core.pending());
        if missing == 0 || self.specs.is_empty() {
            return;
        }
        let first = self.next_task;
        self.next_task += missing as u64;
        let ring = self.specs.len() as u64;
        let specs = &self.specs;
        let tasks = (first..first + missing as u64).filter_map(|n| {
            let spec = specs.get((n % ring) as usize)?;
            // The name is a new string per task, as the tracker makes it for each submit.
            Some(Queued::from(Place {
                task_id: TaskId::new(format!("task-{n}")),
                spec: spec.clone(),
            }))
        });
        let _ = self.core.place_all(tasks, Instant::now());
    }

    /// Feeds stream bytes; decodes, matches and encodes the answer of every complete
    /// event. Answers the number of offers processed.
    pub fn process(&mut self, bytes: &[u8]) -> u64 {
        self.decoder.feed(bytes);
        let mut offers = 0;
        while let Ok(Some(record)) = self.decoder.next_record() {
            // As the connection does: protobuf OFFERS events by the slim decode, the rest
            // (JSON, or bytes the slim decode leaves to prost) by a full decode.
            let slim = match self.encoding {
                Encoding::Protobuf => offers_event(&record).ok().flatten(),
                Encoding::Json => None,
            };
            let batch = match slim {
                Some(batch) => batch,
                None => {
                    let Ok(event) = self.encoding.decode::<Event>(&record) else {
                        continue;
                    };
                    if event.r#type != Some(event::Type::Offers as i32) {
                        continue;
                    }
                    let Some(batch) = event.offers else {
                        continue;
                    };
                    batch
                        .offers
                        .into_iter()
                        .map(IncomingOffer::from_offer)
                        .collect()
                }
            };
            offers += batch.len() as u64;
            let now = Instant::now();
            let out = self.core.intake(batch, now);
            for call in &out.calls {
                let len = match (call, self.encoding) {
                    (OutCall::Encoded(e), Encoding::Protobuf) => e.bytes().len(),
                    (OutCall::Message(c), _) => self.encoding.encode_call(c).len(),
                    (OutCall::Encoded(e), Encoding::Json) => self
                        .encoding
                        .transcode_call(e.bytes().to_vec())
                        .map_or(0, |json| json.len()),
                };
                self.answer_bytes += len as u64;
            }
            self.tasks_launched += out.launched.len() as u64;
            for launched in &out.launched {
                let _ = self.core.released(&launched.task_id, now);
            }
            self.refill();
        }
        offers
    }
}

/// The RecordIO bytes of `config.events` OFFERS events.
pub fn offer_stream(config: &CeilingConfig, generator: &OfferGenerator) -> Vec<u8> {
    let mut out = Vec::new();
    let mut seq = 0u64;
    let per = config.offers_per_event.max(1);
    for _ in 0..config.events.max(1) {
        let batch: Vec<(usize, u64)> = (0..per)
            .map(|_| {
                seq += 1;
                (generator.template_for(seq), seq)
            })
            .collect();
        generator.encode_offers_event(config.encoding, &batch, &mut out);
    }
    out
}

/// Measures the ceiling on the calling thread.
pub fn measure(config: &CeilingConfig) -> CeilingResult {
    let generator = OfferGenerator::new(config.generator.clone());
    let stream = offer_stream(config, &generator);
    let mut pipeline = Pipeline::new(config, generator.framework_id().clone());
    let start = Instant::now();
    let mut offers = 0;
    // Feed in 64 KiB chunks, like a socket would.
    'outer: loop {
        for chunk in stream.chunks(64 * 1024) {
            offers += pipeline.process(chunk);
            if start.elapsed() >= config.duration {
                break 'outer;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let rate = |n: u64| super::report::rate(n, seconds);
    CeilingResult {
        offers,
        seconds,
        offers_per_sec: rate(offers),
        tasks: pipeline.tasks_launched,
        tasks_per_sec: rate(pipeline.tasks_launched),
        answer_bytes: pipeline.answer_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_answers_every_offer() {
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            let config = CeilingConfig {
                encoding,
                queue: 50,
                events: 20,
                offers_per_event: 3,
                duration: Duration::from_millis(1),
                ..Default::default()
            };
            let generator = OfferGenerator::new(config.generator.clone());
            let stream = offer_stream(&config, &generator);
            let mut p = Pipeline::new(&config, generator.framework_id().clone());
            // Byte by byte: records span chunks.
            let offers: u64 = stream.chunks(7).map(|c| p.process(c)).sum();
            assert_eq!(offers, 60);
            assert!(p.answer_bytes > 0);
            assert!(p.tasks_launched > 0);
            assert_eq!(p.core.pending(), 50);
            let r = measure(&config);
            assert!(r.offers >= 60);
        }
    }
}
