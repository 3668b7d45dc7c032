//! `https://` masters (issue 13, TLS client side): a CA and a server certificate made in the
//! test (rcgen), a small TLS server that answers every request with 401. With the right CA
//! the handshake succeeds and the framework ends on the master's 401; with the wrong CA (or
//! the web PKI roots) it ends at once with a typed TLS error instead of retrying.

use mesos_actix::proto::FrameworkInfo;
use mesos_actix::scheduler::{Framework, FrameworkError, MesosErrorKind, RuntimeConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

const WAIT: Duration = Duration::from_secs(30);

/// A CA (its PEM) and a certificate for 127.0.0.1 it signed (DER, with its key).
struct Pki {
    ca_pem: String,
    cert: Vec<u8>,
    key: Vec<u8>,
}

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, key).expect("CA certificate")
}

fn pki() -> Pki {
    let ca = ca();
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    Pki {
        ca_pem: ca.pem(),
        cert: cert.der().to_vec(),
        key: key.serialize_der(),
    }
}

/// Serves TLS on a free loopback port; every request is answered 401. Answers the port.
async fn serve_401(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert.clone().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key.clone().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    actix_rt::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            actix_rt::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused our certificate
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "no credentials";
                let answer = format!(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn builder(port: u16) -> mesos_actix::scheduler::FrameworkBuilder {
    Framework::builder(FrameworkInfo::new("tls-test"))
        .config(RuntimeConfig {
            backoff_initial_secs: 0.02,
            backoff_max_secs: 0.1,
            ..RuntimeConfig::default()
        })
        .master(format!("https://127.0.0.1:{port}"))
}

/// The kind of the error that ended the framework.
async fn ending(framework: &Framework) -> MesosErrorKind {
    match framework.wait_subscribed(WAIT).await {
        Err(FrameworkError::Mesos(e)) => {
            match tokio::time::timeout(WAIT, framework.wait_finished()).await {
                Ok(Err(FrameworkError::Mesos(f))) => assert_eq!(f.kind, e.kind),
                other => panic!("wait_finished: {other:?}"),
            }
            e.kind
        }
        other => panic!("expected the framework to end with an error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn right_ca_completes_the_handshake() {
    let pki = pki();
    let port = serve_401(&pki).await;
    let framework = builder(port)
        .tls_ca_pem(pki.ca_pem.clone())
        .start()
        .await
        .expect("starts");
    assert_eq!(ending(&framework).await, MesosErrorKind::Unauthorized);
}

#[actix_rt::test]
async fn ca_file_completes_the_handshake() {
    let pki = pki();
    let port = serve_401(&pki).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, &pki.ca_pem).expect("CA file");
    let framework = builder(port)
        .tls_ca_file(&file)
        .start()
        .await
        .expect("starts");
    assert_eq!(ending(&framework).await, MesosErrorKind::Unauthorized);
}

#[actix_rt::test]
async fn wrong_ca_fails_typed_without_retrying() {
    let pki = pki();
    let port = serve_401(&pki).await;
    let other_ca = ca();
    let framework = builder(port)
        .tls_ca_pem(other_ca.pem())
        .start()
        .await
        .expect("starts");
    assert_eq!(ending(&framework).await, MesosErrorKind::Tls);
}

#[actix_rt::test]
async fn web_pki_roots_refuse_a_private_ca() {
    let pki = pki();
    let port = serve_401(&pki).await;
    let framework = builder(port).start().await.expect("starts");
    assert_eq!(ending(&framework).await, MesosErrorKind::Tls);
}

#[actix_rt::test]
async fn unusable_ca_bundles_fail_start() {
    for ca in [
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        "/no/such/ca.pem",
    ] {
        match builder(1).tls_ca_pem(ca).start().await {
            Err(FrameworkError::Tls(_)) => {}
            Err(other) => panic!("{ca}: wrong error {other:?}"),
            Ok(_) => panic!("{ca}: started"),
        }
    }
}
