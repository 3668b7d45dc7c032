//! The HTTP side of [`MasterConnection`](super::MasterConnection): one SUBSCRIBE attempt
//! (following redirects by hand) and one call.

use super::endpoint::resolve_location;
use super::{CallError, Session};
use crate::codec::Encoding;
use crate::scheduler::events::MesosErrorKind;
use crate::transport::client::{ERROR_BODY_LIMIT, StreamError, body_text, call_taken, records};
use awc::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use base64::Engine as _;
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

/// The header carrying the subscription's stream id.
pub(super) const STREAM_ID_HEADER: &str = "Mesos-Stream-Id";

/// Redirect hops followed in one SUBSCRIBE attempt.
pub(super) const MAX_REDIRECTS: usize = 5;

/// Bound on reading an error body or a call's (empty) body.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A subscription's decoded RecordIO records.
pub(super) type RecordStream = Pin<Box<dyn Stream<Item = Result<Bytes, StreamError>>>>;

/// What every request carries: the encoding's headers and the credentials.
#[derive(Debug)]
pub(super) struct Wire {
    /// Request and response encoding.
    pub(super) encoding: Encoding,
    /// `Basic ...` value of the `Authorization` header, when credentials are set.
    pub(super) authorization: Option<String>,
    /// Cap of one record on the event stream.
    pub(super) max_record_bytes: usize,
}

impl Wire {
    /// Builds the shared request settings.
    pub(super) fn new(
        encoding: Encoding,
        credentials: Option<&(String, String)>,
        max_record_bytes: usize,
    ) -> Self {
        let authorization = credentials.map(|(principal, secret)| {
            let raw = format!("{principal}:{secret}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        });
        Wire {
            encoding,
            authorization,
            max_record_bytes,
        }
    }

    fn post(&self, client: &awc::Client, url: &str) -> awc::ClientRequest {
        let content_type = self.encoding.content_type();
        let request = client
            .post(url)
            .insert_header((CONTENT_TYPE, content_type))
            .insert_header((ACCEPT, content_type));
        match &self.authorization {
            Some(value) => request.insert_header((AUTHORIZATION, value.as_str())),
            None => request,
        }
    }
}

/// How one SUBSCRIBE attempt ended.
pub(super) enum Attempt {
    /// `200`: the event stream is open.
    Stream {
        /// The URL that answered (after redirects).
        url: String,
        /// Its `Mesos-Stream-Id`.
        stream_id: String,
        /// The encoding of the events.
        encoding: Encoding,
        /// The records of the body.
        records: RecordStream,
    },
    /// The master could not be reached (connection refused, timeout, bad URL).
    Unreachable {
        /// The URL tried.
        url: String,
        /// What failed.
        error: String,
    },
    /// The master answered with something worth retrying later (503, 5xx, odd redirect).
    Retry {
        /// What happened.
        reason: String,
    },
    /// The master refused the subscription for good (401, 403, other 4xx).
    Fatal {
        /// The error kind reported to the user.
        kind: MesosErrorKind,
        /// The status and the master's text.
        message: String,
    },
}

/// Sends SUBSCRIBE to `url`, following up to [`MAX_REDIRECTS`] redirects by hand.
pub(super) async fn subscribe(
    client: awc::Client,
    mut url: String,
    body: Bytes,
    wire: Rc<Wire>,
) -> Attempt {
    for _ in 0..=MAX_REDIRECTS {
        let mut response = match wire.post(&client, &url).send_body(body.clone()).await {
            Ok(response) => response,
            Err(awc::error::SendRequestError::Url(error)) => {
                return Attempt::Fatal {
                    kind: MesosErrorKind::InvalidMaster,
                    message: format!("unusable master URL {url}: {error}"),
                };
            }
            Err(error) => {
                return Attempt::Unreachable {
                    url,
                    error: error.to_string(),
                };
            }
        };
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        match status {
            200 => {
                let Some(stream_id) = header(STREAM_ID_HEADER).filter(|s| !s.is_empty()) else {
                    return Attempt::Retry {
                        reason: format!("{url} answered 200 without a {STREAM_ID_HEADER}"),
                    };
                };
                let encoding = header(CONTENT_TYPE.as_str())
                    .and_then(|ct| Encoding::from_content_type(&ct))
                    .unwrap_or(wire.encoding);
                return Attempt::Stream {
                    url,
                    stream_id,
                    encoding,
                    records: Box::pin(records(response, wire.max_record_bytes)),
                };
            }
            301 | 302 | 303 | 307 | 308 => {
                let location = header(LOCATION.as_str());
                match location.as_deref().and_then(|l| resolve_location(&url, l)) {
                    Some(next) => {
                        tracing::info!(from = %url, to = %next, "master redirected SUBSCRIBE");
                        url = next;
                        continue;
                    }
                    None => {
                        return Attempt::Retry {
                            reason: format!(
                                "{url} answered {status} with unusable Location {location:?}"
                            ),
                        };
                    }
                }
            }
            _ => {}
        }
        let text = error_text(&mut response).await;
        let message = format!("{url} answered {status} to SUBSCRIBE: {text}");
        return match status {
            401 => Attempt::Fatal {
                kind: MesosErrorKind::Unauthorized,
                message,
            },
            403 => Attempt::Fatal {
                kind: MesosErrorKind::Forbidden,
                message,
            },
            // 404: the master process is not up yet (the C++ library retries it too).
            404 | 408 | 429 => Attempt::Retry { reason: message },
            400..=499 => Attempt::Fatal {
                kind: MesosErrorKind::SubscribeRejected,
                message,
            },
            _ => Attempt::Retry { reason: message },
        };
    }
    Attempt::Retry {
        reason: format!("more than {MAX_REDIRECTS} redirects, last to {url}"),
    }
}

/// Sends one call on the subscription `session`; 200 and 202 are success.
pub(super) async fn call(
    client: awc::Client,
    session: Rc<Session>,
    body: Bytes,
    wire: Rc<Wire>,
) -> Result<(), CallError> {
    let mut response = wire
        .post(&client, &session.url)
        .insert_header((STREAM_ID_HEADER, session.stream_id.as_str()))
        .send_body(body)
        .await
        .map_err(|e| match e {
            // Nothing was written: the connection could not be opened.
            awc::error::SendRequestError::Connect(e) => CallError::NotSent(e.to_string()),
            e => CallError::Transport(e.to_string()),
        })?;
    let status = response.status().as_u16();
    if call_taken(status) {
        // Read the (empty) body so the keep-alive connection can be reused.
        let _ = actix_rt::time::timeout(BODY_READ_TIMEOUT, response.body().limit(ERROR_BODY_LIMIT))
            .await;
        Ok(())
    } else {
        Err(CallError::Rejected {
            status,
            body: error_text(&mut response).await,
        })
    }
}

/// The text of an error response, bounded in size and time.
async fn error_text<S>(response: &mut awc::ClientResponse<S>) -> String
where
    S: Stream<Item = Result<Bytes, awc::error::PayloadError>> + Unpin,
{
    match actix_rt::time::timeout(BODY_READ_TIMEOUT, response.body().limit(ERROR_BODY_LIMIT)).await
    {
        Ok(Ok(bytes)) => body_text(&bytes),
        Ok(Err(e)) => format!("<unreadable body: {e}>"),
        Err(_) => "<body not received in time>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_header() {
        let wire = Wire::new(
            Encoding::Json,
            Some(&("principal".to_string(), "secret".to_string())),
            1024,
        );
        assert_eq!(
            wire.authorization.as_deref(),
            Some("Basic cHJpbmNpcGFsOnNlY3JldA==")
        );
        assert!(Wire::new(Encoding::Json, None, 1).authorization.is_none());
    }
}
