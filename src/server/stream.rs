//! A bounded event stream: the body of one SUBSCRIBE response. Events are RecordIO-framed in
//! the subscriber's encoding and queued for the HTTP layer; a subscriber that stops reading
//! is disconnected once more than the stream's byte bound is queued (the queue is dropped,
//! the body ends and the closed signal fires) instead of being buffered forever.

use crate::codec::Encoding;
use bytes::Bytes;
use futures_util::Stream;
use prost::{Message, Name};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, oneshot};

/// Where a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Chunks flow.
    Open,
    /// Every sender is gone: the body ends once the queue is drained.
    Finished,
    /// The reader fell more than the bound behind, or the body was dropped: nothing more is
    /// queued or delivered.
    Closed,
}

#[derive(Debug)]
struct Queue {
    chunks: VecDeque<Bytes>,
    bytes: usize,
    phase: Phase,
    /// Dropped (firing the [`ClosedSignal`]) when the stream closes.
    closed_tx: Option<oneshot::Sender<()>>,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
    limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the stream for good: drops what is queued and fires the closed signal.
    fn close(&self) {
        let mut q = self.lock();
        q.phase = Phase::Closed;
        q.chunks.clear();
        q.bytes = 0;
        q.closed_tx = None;
        drop(q);
        self.wake.notify_one();
    }
}

/// Ends the stream (after its queue drains) when the last [`EventSender`] clone is dropped.
#[derive(Debug)]
struct SenderGuard(Arc<Shared>);

impl Drop for SenderGuard {
    fn drop(&mut self) {
        let mut q = self.0.lock();
        if q.phase == Phase::Open {
            q.phase = Phase::Finished;
        }
        drop(q);
        self.0.wake.notify_one();
    }
}

/// The sending half of one event stream. Clones share the stream; the body ends when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct EventSender {
    guard: Arc<SenderGuard>,
    /// The encoding the subscriber asked for with `Accept`.
    pub encoding: Encoding,
}

/// The receiving half, handed to the HTTP layer as the response body. Dropping it (client
/// gone) closes the stream.
#[derive(Debug)]
pub struct EventStream {
    shared: Arc<Shared>,
}

/// Resolves when the stream has closed: its body was dropped or its reader fell too far
/// behind.
pub type ClosedSignal = oneshot::Receiver<()>;

/// A new stream in `encoding` that holds at most `limit` queued bytes: the sender, the body,
/// and the signal that the stream closed.
pub fn event_stream(encoding: Encoding, limit: usize) -> (EventSender, EventStream, ClosedSignal) {
    let (closed_tx, closed) = oneshot::channel();
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            chunks: VecDeque::new(),
            bytes: 0,
            phase: Phase::Open,
            closed_tx: Some(closed_tx),
        }),
        wake: Notify::new(),
        limit,
    });
    let sender = EventSender {
        guard: Arc::new(SenderGuard(shared.clone())),
        encoding,
    };
    (sender, EventStream { shared }, closed)
}

impl EventSender {
    /// Queues already framed bytes as one chunk. Returns false when the stream is closed,
    /// including when this chunk would put more than the bound in the queue (which closes
    /// it).
    pub fn push(&self, chunk: Bytes) -> bool {
        let shared = &self.guard.0;
        let mut q = shared.lock();
        if q.phase != Phase::Open {
            return false;
        }
        if q.bytes.saturating_add(chunk.len()) > shared.limit {
            drop(q);
            tracing::warn!(
                limit = shared.limit,
                "event stream: the subscriber fell behind by more than the bound; disconnecting it"
            );
            shared.close();
            return false;
        }
        q.bytes += chunk.len();
        q.chunks.push_back(chunk);
        drop(q);
        shared.wake.notify_one();
        true
    }

    /// Encodes `events` in the stream's encoding as RecordIO records, in one chunk.
    pub fn frame<'a, T: Message + Name + 'a>(
        &self,
        events: impl IntoIterator<Item = &'a T>,
    ) -> Bytes {
        let mut out = Vec::new();
        for event in events {
            crate::recordio::encode_into(&self.encoding.encode(event), &mut out);
        }
        Bytes::from(out)
    }

    /// Encodes, frames and queues one event (see [`push`](Self::push)).
    pub fn send<T: Message + Name>(&self, event: &T) -> bool {
        self.push(self.frame([event]))
    }

    /// Whether the stream is closed (body dropped or reader too far behind).
    #[cfg(test)]
    pub fn is_closed(&self) -> bool {
        self.guard.0.lock().phase == Phase::Closed
    }
}

impl EventStream {
    /// The next chunk; `None` once the stream has ended or closed.
    async fn next_chunk(&self) -> Option<Bytes> {
        loop {
            {
                let mut q = self.shared.lock();
                if let Some(chunk) = q.chunks.pop_front() {
                    q.bytes -= chunk.len();
                    return Some(chunk);
                }
                if q.phase != Phase::Open {
                    return None;
                }
            }
            // One reader: a wake-up that came before this wait is kept as a permit.
            self.shared.wake.notified().await;
        }
    }

    /// The body as a byte stream for actix-web.
    pub fn into_body(self) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static {
        futures_util::stream::unfold(self, |s| async move {
            let chunk = s.next_chunk().await?;
            Some((Ok(chunk), s))
        })
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.shared.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn chunk(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[actix_rt::test]
    async fn delivers_in_order_and_ends_with_the_last_sender() {
        let (tx, rx, _closed) = event_stream(Encoding::Json, 100);
        let tx2 = tx.clone();
        assert!(tx.push(chunk(1)));
        assert!(tx2.push(chunk(2)));
        drop(tx);
        drop(tx2);
        let got: Vec<usize> = rx
            .into_body()
            .map(|c| c.map(|b| b.len()).unwrap_or(0))
            .collect()
            .await;
        assert_eq!(got, vec![1, 2]);
    }

    #[actix_rt::test]
    async fn a_reader_that_falls_behind_is_disconnected() {
        let (tx, rx, closed) = event_stream(Encoding::Json, 10);
        assert!(tx.push(chunk(6)));
        assert!(!tx.push(chunk(6)), "the bound is exceeded");
        assert!(tx.is_closed());
        assert!(!tx.push(chunk(1)), "nothing more is queued");
        assert!(closed.await.is_err(), "the closed signal fired");
        let mut body = Box::pin(rx.into_body());
        assert!(body.next().await.is_none(), "the queue was dropped");
    }

    #[actix_rt::test]
    async fn reading_frees_room() {
        let (tx, rx, _closed) = event_stream(Encoding::Json, 10);
        let mut body = Box::pin(rx.into_body());
        for _ in 0..5 {
            assert!(tx.push(chunk(8)));
            assert_eq!(
                body.next().await.and_then(Result::ok).map(|b| b.len()),
                Some(8)
            );
        }
    }

    #[actix_rt::test]
    async fn dropping_the_body_closes_the_stream() {
        let (tx, rx, closed) = event_stream(Encoding::Json, 10);
        drop(rx);
        assert!(closed.await.is_err());
        assert!(tx.is_closed());
        assert!(!tx.push(chunk(1)));
    }
}
