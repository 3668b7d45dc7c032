//! Drives one run: queues the workload's tasks in the framework under test, starts the
//! source, keeps the queue full while it runs (one new task per launched one) and returns
//! the source's report.
//!
//! The framework under test is anything that implements [`Submitter`]; the crate's own
//! `mesos_actix::scheduler::Framework` does.

use super::memory;
use super::report::Report;
use super::source::{SourceError, SourceHandle};
use super::workload::{RunConfig, task_spec};
use crate::scheduler::TaskSpec;
use std::future::Future;
use std::time::Duration;

/// Tasks per submission while the queue is first filled.
const FILL_BATCH: u64 = 64;

/// A framework the benchmark can hand tasks to.
pub trait Submitter {
    /// Queues `specs` in order; answers whether they were all accepted.
    fn submit_tasks(&self, specs: Vec<TaskSpec>) -> impl Future<Output = bool>;
}

impl Submitter for crate::scheduler::Framework {
    async fn submit_tasks(&self, specs: Vec<TaskSpec>) -> bool {
        self.submit_all(specs).await.is_ok()
    }
}

/// Runs `config` against `framework` (already started against `source.url()`), waiting at
/// most `timeout` for the report.
pub async fn drive<F: Submitter>(
    framework: &F,
    source: &mut SourceHandle,
    config: &RunConfig,
    timeout: Duration,
) -> Result<Report, SourceError> {
    let mut next = 0u64;
    let rss_before = memory::resident_bytes();
    // Handed over in batches, as a program that streams its tasks would: the resident
    // growth is then the framework's bookkeeping, not mostly the benchmark's own spec
    // values (built all at once, their freed pages would stay resident).
    let mut left = config.queue as u64;
    while left > 0 {
        let n = left.min(FILL_BATCH);
        submit_batch(framework, config, &mut next, n).await;
        left -= n;
    }
    let rss_per_task = memory::per_task(rss_before, memory::resident_bytes(), config.queue);
    let mut launched = source.take_launched();
    source.start_run();
    let report = async {
        let mut report = source.wait_report(timeout).await?;
        report.rss_bytes_per_queued_task = rss_per_task;
        Ok(report)
    };
    tokio::pin!(report);
    loop {
        let refill = async {
            match launched.as_mut() {
                Some(rx) => {
                    // Every count that piled up while the last batch was submitted: one
                    // batch for all, so the refill never falls behind the launches.
                    let mut n = rx.recv().await?;
                    while let Ok(more) = rx.try_recv() {
                        n += more;
                    }
                    Some(n)
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            report = &mut report => return report,
            n = refill => match n {
                Some(n) if config.refill => {
                    submit_batch(framework, config, &mut next, n).await;
                }
                Some(_) => {}
                None => launched = None,
            },
        }
    }
}

/// Submits the next `n` tasks as one batch, so refilling the queue costs one message and
/// one round trip, not `n`. A refused batch is logged: the run then shows fewer launches.
async fn submit_batch<F: Submitter>(framework: &F, config: &RunConfig, next: &mut u64, n: u64) {
    let seed = config.generator.seed;
    let specs: Vec<_> = (*next..*next + n)
        .map(|i| task_spec(config.task_mix, seed, i))
        .collect();
    *next += n;
    if !framework.submit_tasks(specs).await {
        tracing::error!(tasks = n, "benchmark driver: the framework refused a batch");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::source::OfferSource;
    use crate::benchkit::workload::Workload;
    use crate::codec::Encoding;
    use crate::proto::FrameworkInfo;

    async fn run(config: RunConfig) -> Report {
        let mut source = OfferSource::start(config.clone(), 0).unwrap();
        // Unused offers are declined at once, as in `offer_flood`: the source counts on it.
        let runtime = crate::scheduler::RuntimeConfig {
            offer_hold_secs: 0.001,
            ..Default::default()
        };
        let fw = crate::scheduler::Framework::builder(FrameworkInfo::new("bench-test"))
            .config(runtime)
            .master(source.url())
            .encoding(config.encoding)
            .start()
            .await
            .unwrap();
        fw.wait_subscribed(Duration::from_secs(10)).await.unwrap();
        let report = drive(&fw, &mut source, &config, Duration::from_secs(20))
            .await
            .unwrap();
        assert!(!report.has_violations(), "{report}");
        report
    }

    #[actix_rt::test]
    async fn closed_loop_both_encodings() {
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            let config = RunConfig {
                encoding,
                max_offers: Some(200),
                queue: 100,
                ..Workload::W8.config(true)
            };
            let r = run(config).await;
            assert_eq!(r.offers_answered, 200, "{r}");
            assert_eq!(r.encoding, format!("{encoding:?}").to_lowercase());
            assert!(r.tasks_launched > 0);
            assert_eq!(r.offer_latency.count, 200);
        }
    }

    #[actix_rt::test]
    async fn status_storm_is_acknowledged() {
        let config = RunConfig {
            queue: 60,
            target_tasks: Some(60),
            ..Workload::W5.config(true)
        };
        let r = run(config).await;
        assert_eq!(r.tasks_launched, 60, "{r}");
        assert_eq!(r.acks, 180, "{r}");
        assert_eq!(r.updates_sent, 180);
    }

    #[actix_rt::test]
    async fn drain_reaches_its_target() {
        let mut config = Workload::W3.config(true);
        config.generator.agents = 300;
        config.queue = 300;
        config.target_tasks = Some(300);
        let r = run(config).await;
        assert!(r.tasks_launched >= 300, "{r}");
        assert!(r.time_to_target_s.is_some());
    }

    #[actix_rt::test]
    async fn decline_storm_and_rescinds() {
        let config = RunConfig {
            max_offers: Some(300),
            rescind_rate: 0.05,
            ..Workload::W4.config(true)
        };
        let r = run(config).await;
        assert_eq!(r.tasks_launched, 0);
        assert_eq!(r.offers_answered + r.offers_rescinded, 300, "{r}");
        assert!(r.offers_rescinded > 0);
    }
}
