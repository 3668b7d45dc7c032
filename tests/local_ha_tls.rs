//! The local cluster serving HTTPS: a CA and a server certificate generated in the test
//! (rcgen), a client trusting that CA reaches `/health` and `/state`; a client trusting
//! another CA is refused; unusable certificate settings are typed errors.

mod local_support;

use local_support::test_config;
use mesos_actix::local::{LocalCluster, LocalClusterConfig, LocalError};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A test CA.
fn test_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("CA key");
    CertifiedIssuer::self_signed(params, key).expect("CA certificate")
}

/// Writes a certificate for `localhost` and `127.0.0.1` signed by `ca`, and its key, to
/// `dir`; returns their paths.
fn server_files(
    ca: &CertifiedIssuer<'static, KeyPair>,
    dir: &Path,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    let key = KeyPair::generate().expect("server key");
    let certificate = params.signed_by(&key, ca).expect("server certificate");
    let cert_path = dir.join("server.pem");
    let key_path = dir.join("server.key");
    std::fs::write(&cert_path, certificate.pem()).expect("write certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (cert_path, key_path)
}

/// An awc client trusting only `ca`.
fn client_trusting(ca: &CertifiedIssuer<'static, KeyPair>) -> awc::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("CA into the root store");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    awc::Client::builder()
        .connector(awc::Connector::new().rustls_0_23(Arc::new(config)))
        .timeout(Duration::from_secs(20))
        .finish()
}

#[actix_rt::test]
async fn serves_https_to_clients_trusting_its_ca_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = test_ca();
    let (certificate, key) = server_files(&ca, dir.path());
    let cluster = LocalCluster::start(LocalClusterConfig {
        tls_certificate: Some(certificate),
        tls_key: Some(key),
        ..test_config(1)
    })
    .await
    .expect("TLS cluster starts");
    let url = cluster.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let localhost = format!("https://localhost:{}", cluster.addr().port());

    let trusting = client_trusting(&ca);
    for base in [&url, &localhost] {
        let response = trusting.get(format!("{base}/health")).send().await;
        assert_eq!(response.expect("health over https").status().as_u16(), 200);
    }
    let mut state = trusting
        .get(format!("{url}/state"))
        .send()
        .await
        .expect("state over https");
    assert_eq!(state.status().as_u16(), 200);
    let json: serde_json::Value = state.json().limit(1 << 24).await.expect("state JSON");
    assert_eq!(json["activated_slaves"], 1);

    let other = test_ca();
    let refused = client_trusting(&other)
        .get(format!("{url}/health"))
        .send()
        .await;
    assert!(refused.is_err(), "a client trusting another CA connected");
    // Plain HTTP to the TLS port is no answer either.
    let plain = local_support::client()
        .get(format!("http://{}/health", cluster.addr()))
        .send()
        .await;
    assert!(plain.map(|r| r.status().as_u16() != 200).unwrap_or(true));
    cluster.stop().await;
}

#[actix_rt::test]
async fn unusable_tls_settings_are_typed_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key) = server_files(&test_ca(), dir.path());
    let only_cert = LocalCluster::start(LocalClusterConfig {
        tls_certificate: Some(certificate.clone()),
        ..test_config(1)
    })
    .await;
    assert!(matches!(only_cert, Err(LocalError::Config(_))));
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let bad_cert = LocalCluster::start(LocalClusterConfig {
        tls_certificate: Some(garbage.clone()),
        tls_key: Some(key.clone()),
        ..test_config(1)
    })
    .await;
    assert!(matches!(bad_cert, Err(LocalError::Tls { path, .. }) if path == garbage));
    let missing_key = dir.path().join("missing.key");
    let no_key = LocalCluster::start(LocalClusterConfig {
        tls_certificate: Some(certificate),
        tls_key: Some(missing_key.clone()),
        ..test_config(1)
    })
    .await;
    assert!(matches!(no_key, Err(LocalError::Tls { path, .. }) if path == missing_key));
}
