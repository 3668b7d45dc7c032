//! A framework over TLS to a local cluster serving a certificate from a test CA (rcgen):
//! trusting that CA (`tls_ca_pem`) its tasks run to FINISHED; trusting another CA it ends
//! with `MesosErrorKind::Tls`.

mod local_support;

use local_support::test_config;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{
    Framework, FrameworkBuilder, FrameworkError, MesosErrorKind, RuntimeConfig, TaskSpec,
};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::time::{Duration, Instant};

/// Bound on each wait.
const WAIT: Duration = Duration::from_secs(60);

/// A test CA.
fn test_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("CA key");
    CertifiedIssuer::self_signed(params, key).expect("CA certificate")
}

/// A local cluster serving HTTPS with a certificate for 127.0.0.1 signed by `ca`.
async fn tls_cluster(
    ca: &CertifiedIssuer<'static, KeyPair>,
    dir: &std::path::Path,
) -> LocalCluster {
    let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    let key = KeyPair::generate().expect("server key");
    let certificate = params.signed_by(&key, ca).expect("server certificate");
    let cert_path = dir.join("server.pem");
    let key_path = dir.join("server.key");
    std::fs::write(&cert_path, certificate.pem()).expect("write certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    LocalCluster::start(LocalClusterConfig {
        tls_certificate: Some(cert_path),
        tls_key: Some(key_path),
        ..test_config(1)
    })
    .await
    .expect("TLS cluster starts")
}

/// A framework on `url` with short reconnection backoff.
fn builder(url: &str) -> FrameworkBuilder {
    Framework::builder(FrameworkInfo::new("tls-framework"))
        .config(RuntimeConfig {
            backoff_initial_secs: 0.02,
            backoff_max_secs: 0.1,
            ..RuntimeConfig::default()
        })
        .master(url)
}

#[actix_rt::test]
async fn tasks_finish_over_tls_with_the_servers_ca() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = test_ca();
    let cluster = tls_cluster(&ca, dir.path()).await;
    let url = cluster.url();
    assert!(url.starts_with("https://"), "{url}");
    let framework = builder(&url)
        .tls_ca_pem(ca.pem())
        .start()
        .await
        .expect("starts");
    let specs = (0..3)
        .map(|n| {
            TaskSpec::new(format!("tls-{n}"))
                .cpus(0.1)
                .mem(16.0)
                .command("true")
        })
        .collect();
    framework.submit_all(specs).await.expect("submit");
    let deadline = Instant::now() + WAIT;
    loop {
        let tasks = framework.tasks().await.expect("tasks");
        if tasks.len() == 3 && tasks.iter().all(|t| t.is_final) {
            assert!(
                tasks.iter().all(|t| t.state == TaskState::TaskFinished),
                "{tasks:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "tasks not final: {tasks:?}");
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.stop().await;
}

#[actix_rt::test]
async fn a_wrong_ca_ends_the_framework_with_a_tls_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = tls_cluster(&test_ca(), dir.path()).await;
    let framework = builder(&cluster.url())
        .tls_ca_pem(test_ca().pem())
        .start()
        .await
        .expect("starts");
    match framework.wait_subscribed(WAIT).await {
        Err(FrameworkError::Mesos(e)) => assert_eq!(e.kind, MesosErrorKind::Tls),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    cluster.stop().await;
}
