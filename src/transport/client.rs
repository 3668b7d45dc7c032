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
