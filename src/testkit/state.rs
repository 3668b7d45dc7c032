//! The state a [`FakeMaster`](super::FakeMaster) shares between its HTTP workers and the
//! test: the open event stream, the script of SUBSCRIBE answers, and the recorded calls.

use super::{RecordedCall, Response};
use crate::proto::scheduler::{Event, event};
use crate::proto::{FrameworkId, MasterInfo};
use crate::server::stream::EventSender;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;

/// Most bytes the open stream may hold for a subscriber that does not read; past it the
/// subscriber is disconnected.
pub(super) const STREAM_LIMIT: usize = 16 << 20;

/// The event stream of the current subscription.
pub(super) struct OpenStream {
    /// Its `Mesos-Stream-Id`.
    pub(super) id: String,
    /// Chunks for the response body (in the encoding the subscriber accepted); dropping it
    /// ends the stream.
    pub(super) tx: EventSender,
}

impl OpenStream {
    /// Sends already framed bytes; `false` if the subscriber is gone.
    pub(super) fn push(&self, bytes: Bytes) -> bool {
        self.tx.push(bytes)
    }

    /// Encodes `events` in the stream's encoding as RecordIO, in one chunk.
    pub(super) fn frame<'a>(&self, events: impl IntoIterator<Item = &'a Event>) -> Bytes {
        self.tx.frame(events)
    }
}

/// Everything behind the lock.
pub(super) struct Inner {
    pub(super) heartbeat_interval: Duration,
    pub(super) stalled: bool,
    pub(super) framework_id: Option<FrameworkId>,
    /// Expected `Authorization` header, when authentication is on.
    pub(super) authorization: Option<String>,
    pub(super) script: VecDeque<Response>,
    pub(super) stream: Option<OpenStream>,
    pub(super) calls: Vec<RecordedCall>,
    pub(super) master_info: MasterInfo,
}

/// The shared state.
pub(super) struct State {
    inner: Mutex<Inner>,
    /// Signalled on every recorded request.
    pub(super) recorded: Notify,
    /// Signalled when the heartbeat interval or the stall flag changes.
    pub(super) heartbeat_changed: Notify,
    /// `true` while answers to calls (not SUBSCRIBE) are held back.
    pub(super) calls_held: tokio::sync::watch::Sender<bool>,
    closed: AtomicBool,
}

impl State {
    pub(super) fn new(master_info: MasterInfo) -> Self {
        State {
            inner: Mutex::new(Inner {
                heartbeat_interval: Duration::from_secs(15),
                stalled: false,
                framework_id: None,
                authorization: None,
                script: VecDeque::new(),
                stream: None,
                calls: Vec::new(),
                master_info,
            }),
            recorded: Notify::new(),
            heartbeat_changed: Notify::new(),
            calls_held: tokio::sync::watch::Sender::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// The lock (a panicking test thread cannot make it unusable).
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one request and wakes the waiters.
    pub(super) fn record(&self, call: RecordedCall) {
        self.lock().calls.push(call);
        self.recorded.notify_waiters();
    }

    /// Marks the fake as shut down and ends its stream.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.calls_held.send_replace(false);
        self.lock().stream = None;
        self.heartbeat_changed.notify_waiters();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Sends one HEARTBEAT on the open stream unless stalled.
    pub(super) fn heartbeat(&self) {
        let inner = self.lock();
        if inner.stalled {
            return;
        }
        if let Some(stream) = &inner.stream {
            let event = Event {
                r#type: Some(event::Type::Heartbeat as i32),
                ..Default::default()
            };
            stream.push(stream.frame([&event]));
        }
    }
}

/// Waits for the periodic heartbeats of `state`'s stream until the fake is closed.
pub(super) async fn heartbeats(state: std::sync::Arc<State>) {
    while !state.is_closed() {
        let interval = state.lock().heartbeat_interval;
        let changed = state.heartbeat_changed.notified();
        tokio::select! {
            _ = actix_rt::time::sleep(interval) => state.heartbeat(),
            _ = changed => {}
        }
    }
}
