//! Client-side HTTP plumbing shared by the scheduler and executor runtimes: an `awc`
//! client configured for Mesos (no automatic redirects, explicit timeouts, TLS through
//! rustls) and the adapter that turns a streaming response body into RecordIO records.

use crate::recordio::{Decoder, RecordIoError};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::time::Duration;

/// An `awc` client for talking to Mesos: redirects are *not* followed (the caller handles
/// 307 itself, because the new leader must become the target of every later call), and
/// `timeout` bounds the wait for response headers.
pub fn http_client(timeout: Duration) -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(timeout)
        .connector(awc::Connector::new().timeout(timeout.min(Duration::from_secs(10))))
        .finish()
}

/// An [`http_client`] whose `https://` connections trust `tls` (see [`tls_config`]) instead
/// of awc's built-in web PKI roots.
pub fn http_client_with_tls(
    timeout: Duration,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> awc::Client {
    let Some(tls) = tls else {
        return http_client(timeout);
    };
    awc::Client::builder()
        .disable_redirects()
        .timeout(timeout)
        .connector(
            awc::Connector::new()
                .timeout(timeout.min(Duration::from_secs(10)))
                .rustls_0_23(tls),
        )
        .finish()
}

/// Why a CA bundle could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsConfigError {
    /// The CA file could not be read.
    #[error("cannot read CA bundle {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The bundle holds no usable certificate.
    #[error("CA bundle holds no usable PEM certificate{0}")]
    NoCertificate(String),
}

/// Largest CA bundle file read, in bytes.
const MAX_CA_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;

/// A rustls client configuration trusting the certificates of `ca`: a PEM string (when it
/// contains `-----BEGIN`) or the path of a PEM file. `None` trusts the web PKI roots
/// (Mozilla's, as compiled into `webpki-roots`). HTTP/1.1 only (the event stream is a
/// chunked HTTP/1.1 response).
pub fn tls_config(
    ca: Option<&str>,
) -> Result<std::sync::Arc<rustls::ClientConfig>, TlsConfigError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    use std::io::Read as _;
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(ca) => {
            let pem = if ca.contains("-----BEGIN") {
                ca.as_bytes().to_vec()
            } else {
                let read_error = |e: std::io::Error| TlsConfigError::Read {
                    path: ca.to_string(),
                    reason: e.to_string(),
                };
                let mut bytes = Vec::new();
                std::fs::File::open(ca)
                    .map_err(read_error)?
                    .take(MAX_CA_BUNDLE_BYTES)
                    .read_to_end(&mut bytes)
                    .map_err(read_error)?;
                bytes
            };
            let mut last_error = String::new();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                match cert.map(|c| roots.add(c)) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => last_error = format!(" ({e})"),
                    Err(e) => last_error = format!(" ({e})"),
                }
            }
            if roots.is_empty() {
                return Err(TlsConfigError::NoCertificate(last_error));
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::NoCertificate(format!(" ({e})")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

/// Whether a connection error text says the server's certificate was refused (a
/// configuration problem that retrying cannot fix).
pub(crate) fn is_certificate_error(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    error.contains("invalid peer certificate")
        || error.contains("unknownissuer")
        || error.contains("certificate verify failed")
}

/// Cap on the error body read from a refused call.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Longest error text kept in an error message.
const ERROR_TEXT_CHARS: usize = 1024;

/// Whether a call's answer status means the master took the call (200 or 202).
pub(crate) fn call_taken(status: u16) -> bool {
    status == 200 || status == 202
}

/// An error body as text, cut at [`ERROR_TEXT_CHARS`] characters.
pub(crate) fn body_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(ERROR_TEXT_CHARS)
        .collect()
}

/// What can go wrong while reading an event stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// The bytes are not valid RecordIO.
    #[error(transparent)]
    Framing(#[from] RecordIoError),
    /// The connection failed while reading.
    #[error("stream read failed: {0}")]
    Transport(String),
}

/// Turns a streaming body (chunks in any sizes) into a stream of complete RecordIO records.
/// The stream ends after the first error; a body that ends inside a record yields
/// [`RecordIoError::Truncated`].
pub fn records<S, E>(body: S, max_record: usize) -> impl Stream<Item = Result<Bytes, StreamError>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    struct State<S> {
        body: S,
        decoder: Decoder,
        done: bool,
    }
    let state = State {
        body,
        decoder: Decoder::new(max_record),
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            match st.decoder.next_record() {
                Ok(Some(record)) => return Some((Ok(record), st)),
                Ok(None) => {}
                Err(e) => {
                    st.done = true;
                    return Some((Err(e.into()), st));
                }
            }
            match st.body.next().await {
                Some(Ok(chunk)) => st.decoder.feed(&chunk),
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(StreamError::Transport(e.to_string())), st));
                }
                None => {
                    st.done = true;
                    return match st.decoder.finish() {
                        Ok(()) => None,
                        Err(e) => Some((Err(e.into()), st)),
                    };
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn chunks(parts: &[&[u8]]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::copy_from_slice(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[actix_rt::test]
    async fn records_across_chunks() {
        let out: Vec<_> = records(chunks(&[b"3\nab", b"c2\nde", b""]), 1024)
            .collect()
            .await;
        assert_eq!(
            out,
            vec![
                Ok(Bytes::from_static(b"abc")),
                Ok(Bytes::from_static(b"de"))
            ]
        );
    }

    #[actix_rt::test]
    async fn truncated_and_garbage() {
        let out: Vec<_> = records(chunks(&[b"5\nab"]), 1024).collect().await;
        assert_eq!(
            out,
            vec![Err(StreamError::Framing(RecordIoError::Truncated(2)))]
        );
        let out: Vec<_> = records(chunks(&[b"2\nokx\n"]), 1024).collect().await;
        assert_eq!(out.len(), 2);
        assert!(out[1].is_err());
    }

    #[actix_rt::test]
    async fn transport_error_ends_stream() {
        let body = stream::iter(vec![
            Ok(Bytes::from_static(b"1\na")),
            Err("reset".to_string()),
        ]);
        let out: Vec<_> = records(body, 1024).collect().await;
        assert_eq!(
            out,
            vec![
                Ok(Bytes::from_static(b"a")),
                Err(StreamError::Transport("reset".into()))
            ]
        );
    }
}
