//! A wrong master is visible to code (issue 10, item 3): malformed strings fail `start()`
//! with a typed error; unreachable masters are reported to `on_disconnected` on every
//! attempt and named by `wait_subscribed`'s timeout; permanent refusals (401, an unusable
//! URL) end the framework with a typed error; `master_url()` names the master in use.

use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::scheduler::{
    Disconnected, Framework, FrameworkError, MesosErrorKind, RuntimeConfig, ShutdownMode,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// Records every `Disconnected` the runtime reports.
#[derive(Clone, Default)]
struct Disconnects(Arc<Mutex<Vec<Disconnected>>>);

impl Actor for Disconnects {
    type Context = Context<Self>;
}

impl Handler<Disconnected> for Disconnects {
    type Result = ();
    fn handle(&mut self, msg: Disconnected, _: &mut Context<Self>) {
        self.0.lock().unwrap().push(msg);
    }
}

impl Disconnects {
    /// Polls until at least `n` reports arrived (bounded by [`WAIT`]).
    async fn wait_for(&self, n: usize) -> Vec<Disconnected> {
        let deadline = Instant::now() + WAIT;
        loop {
            let seen = self.0.lock().unwrap().clone();
            if seen.len() >= n || Instant::now() > deadline {
                return seen;
            }
            actix_rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Short backoff so that several attempts happen quickly.
fn fast() -> RuntimeConfig {
    RuntimeConfig {
        backoff_initial_secs: 0.02,
        backoff_max_secs: 0.1,
        ..RuntimeConfig::default()
    }
}

async fn start(master: &str, disconnects: &Disconnects) -> Result<Framework, FrameworkError> {
    Framework::builder(FrameworkInfo::new("wrong-master"))
        .config(fast())
        .master(master)
        .on_disconnected(disconnects.clone().start().recipient())
        .start()
        .await
}

/// An unreachable master: every attempt is reported with its cause, the timeout names the
/// last error, and `master_url()` is the normalised URL.
async fn unreachable_is_reported(master: &str, expected_url: &str, cause: &str) {
    let disconnects = Disconnects::default();
    let framework = start(master, &disconnects).await.expect("starts");
    assert_eq!(framework.master_url(), expected_url);
    let seen = disconnects.wait_for(3).await;
    assert!(seen.len() >= 3, "{master}: only {seen:?}");
    for report in &seen {
        assert!(report.will_retry, "{report:?}");
        assert!(
            report.reason.to_lowercase().contains(cause),
            "{master}: {report:?} should mention {cause:?}"
        );
    }
    match framework.wait_subscribed(Duration::from_millis(300)).await {
        Err(FrameworkError::SubscribeTimeout {
            last_error: Some(error),
            ..
        }) => assert!(error.to_lowercase().contains(cause), "{error}"),
        other => panic!("{master}: expected a timeout with the last error, got {other:?}"),
    }
    framework.shutdown(ShutdownMode::Failover).await;
}

#[actix_rt::test]
async fn refused_connection_with_scheme_is_reported_on_every_attempt() {
    unreachable_is_reported("http://127.0.0.1:1", "http://127.0.0.1:1", "127.0.0.1:1").await;
}

#[actix_rt::test]
async fn refused_connection_without_scheme_is_reported_on_every_attempt() {
    unreachable_is_reported("127.0.0.1:1", "http://127.0.0.1:1", "127.0.0.1:1").await;
}

#[actix_rt::test]
async fn unresolvable_host_is_reported_on_every_attempt() {
    unreachable_is_reported(
        "http://no-such-master.invalid:5050",
        "http://no-such-master.invalid:5050",
        "no-such-master.invalid",
    )
    .await;
}

#[actix_rt::test]
async fn malformed_masters_fail_start_with_a_typed_error() {
    for bad in [
        "not a url",
        "ftp://m1:5050",
        "http://",
        "zk://",
        "https://..:1",
        "http://a..b:5050",
    ] {
        let disconnects = Disconnects::default();
        match start(bad, &disconnects).await {
            Err(FrameworkError::Master(_)) => {}
            Err(other) => panic!("{bad:?}: wrong error {other:?}"),
            Ok(_) => panic!("{bad:?}: started"),
        }
    }
}

#[actix_rt::test]
async fn unauthorized_without_credentials_ends_the_framework() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("credentials.json");
    std::fs::write(
        &file,
        r#"{"credentials":[{"principal":"principal","secret":"secret"}]}"#,
    )
    .expect("credentials file");
    let cluster = LocalCluster::start(LocalClusterConfig {
        credentials: Some(file),
        ..LocalClusterConfig::default()
    })
    .await
    .expect("cluster");
    let disconnects = Disconnects::default();
    let framework = start(&cluster.url(), &disconnects).await.expect("starts");
    match framework.wait_subscribed(WAIT).await {
        Err(FrameworkError::Mesos(e)) => assert_eq!(e.kind, MesosErrorKind::Unauthorized),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    match tokio::time::timeout(WAIT, framework.wait_finished()).await {
        Ok(Err(FrameworkError::Mesos(e))) => assert_eq!(e.kind, MesosErrorKind::Unauthorized),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    let seen = disconnects.wait_for(1).await;
    assert!(seen.iter().any(|d| !d.will_retry), "{seen:?}");
    cluster.stop().await;
}

#[actix_rt::test]
async fn master_url_is_the_master_subscribed_to() {
    let cluster = LocalCluster::start(LocalClusterConfig::default())
        .await
        .expect("cluster");
    let disconnects = Disconnects::default();
    // A dead candidate first: the framework moves on to the live one and says so.
    let framework = Framework::builder(FrameworkInfo::new("wrong-master"))
        .config(fast())
        .masters(vec!["http://127.0.0.1:1".into(), cluster.url()])
        .on_disconnected(disconnects.clone().start().recipient())
        .start()
        .await
        .expect("starts");
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    assert_eq!(framework.master_url(), cluster.url());
    let seen = disconnects.wait_for(1).await;
    assert!(
        seen.iter().any(|d| d.reason.contains("127.0.0.1:1")),
        "{seen:?}"
    );
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}
