//! HTTPS for the local cluster: the rustls server configuration from a PEM certificate chain
//! and key, and the connection hook that sets TCP_NODELAY under the TLS layer.

use super::config::LocalError;
use actix_web::dev::Extensions;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::any::Any;
use std::path::Path;
use std::sync::Arc;

/// Reads `certificate` (a PEM chain, leaf first) and `key` (PEM PKCS#8, PKCS#1 or SEC1) and
/// builds a server configuration on the ring provider (TLS 1.2 and 1.3, no client auth).
pub(crate) fn server_config(
    certificate: &Path,
    key: &Path,
) -> Result<rustls::ServerConfig, LocalError> {
    let tls_error = |path: &Path, reason: String| LocalError::Tls {
        path: path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| tls_error(certificate, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(certificate, e.to_string()))?;
    if chain.is_empty() {
        return Err(tls_error(
            certificate,
            "no PEM certificate in the file".into(),
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_error(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(certificate, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| tls_error(key, format!("certificate and key do not fit: {e}")))
}

/// Sets TCP_NODELAY on an accepted TLS connection (actix-web's `on_connect` hook); plain
/// connections go to [`crate::server::tcp::on_connect`].
pub(crate) fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    match conn.downcast_ref::<Tls>() {
        Some(stream) => {
            let (tcp, _) = stream.get_ref();
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY on an accepted socket");
            }
        }
        None => crate::server::tcp::on_connect(conn, ext),
    }
}
