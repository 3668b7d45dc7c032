//! Pipelined calls: HTTP/1.1 POSTs to a plain `http://` master on one keep-alive TCP
//! connection, written back to back without waiting for each answer (one `write` for all
//! the calls queued since the last one) and matched to their answers in order, as HTTP/1.1
//! pipelining allows and libprocess (the Mesos master's HTTP server) supports.
//!
//! One [`CallPipe`] is one connection, opened on its first call and again on the first call
//! after it broke. It writes a batch (the calls queued meanwhile, up to [`MAX_WRITE`] bytes)
//! only once every call written before has its answer, so a request is never still
//! arriving while the master answers an earlier one: actix-web servers (the local cluster,
//! the test kit) close the connection when that happens. When a connection breaks
//! (refused, reset, closed by the master, an answer that cannot be parsed), every call
//! written on it and not yet answered fails with [`CallError::Transport`], exactly as a
//! failed awc request would: the master may have processed it, so it is not resent.
//! Calls queued while no connection can be opened fail with [`CallError::NotSent`].
//! Answers are parsed with `httparse`, capped at [`MAX_HEAD`] bytes of head and
//! [`MAX_BODY`] bytes of body; `Content-Length`, chunked and close-delimited bodies are
//! understood.
//!
//! Each connection queues at most [`MAX_QUEUED_CALLS`] calls not yet written; a call beyond
//! that fails at once with [`CallError::Transport`] (it never left: the master did not see
//! it), so a master that stops answering cannot make the queue grow without bound.

use super::client::{ERROR_BODY_LIMIT, body_text, call_taken};
use crate::scheduler::CallError;
use actix_rt::net::TcpStream;
use bytes::{Buf, Bytes, BytesMut};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, mpsc, oneshot};

/// Cap of an answer's status line and headers.
const MAX_HEAD: usize = 16 * 1024;
/// Cap of an answer's body (error texts; accepted calls have none), as for awc calls.
const MAX_BODY: usize = ERROR_BODY_LIMIT;
/// Most bytes of requests gathered into one write (a single larger call is written whole).
/// Half of the 32 KiB an actix-web server reads at once, so a batch arrives whole.
const MAX_WRITE: usize = 16 * 1024;
/// Most calls queued on one connection and not yet written (see the module docs).
pub(crate) const MAX_QUEUED_CALLS: usize = 16 * 1024;
/// Longest wait for a call connection to open.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One call: its whole request and where its answer goes.
struct Job {
    request: Bytes,
    done: oneshot::Sender<Result<(), CallError>>,
}

/// Calls written on one connection, waiting for their answers in order.
#[derive(Default)]
struct Inflight {
    waiting: RefCell<VecDeque<oneshot::Sender<Result<(), CallError>>>>,
    dead: Cell<bool>,
    /// Signalled when the last waiting call is answered or the connection dies.
    idle: Notify,
}

impl Inflight {
    /// Marks the connection dead and fails every call still waiting on it.
    fn fail_all(&self, why: &str) {
        self.dead.set(true);
        self.idle.notify_one();
        let lost: Vec<_> = self.waiting.borrow_mut().drain(..).collect();
        if !lost.is_empty() {
            tracing::warn!(
                calls = lost.len(),
                reason = why,
                "call connection broke; its unanswered calls fail"
            );
        }
        for done in lost {
            let _ = done.send(Err(CallError::Transport(why.to_string())));
        }
    }

    /// Waits until no call is waiting for its answer (or the connection died).
    async fn drained(&self) {
        while !self.dead.get() && !self.waiting.borrow().is_empty() {
            self.idle.notified().await;
        }
    }
}

/// Where calls go: the master's address and the request head shared by every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PipeTarget {
    /// `host:port` to connect to.
    pub(crate) authority: String,
    /// Request line and headers up to (not including) `Content-Length`.
    pub(crate) head: String,
}

impl PipeTarget {
    /// The target of calls to `url` (must be `http://`; `None` otherwise or when it does not
    /// parse) with the given content type, stream id and `Authorization` value.
    pub(crate) fn new(
        url: &str,
        content_type: &str,
        stream_id: &str,
        authorization: Option<&str>,
    ) -> Option<Self> {
        let url = url::Url::parse(url).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        // `host_str` keeps the brackets of an IPv6 address, as both uses need.
        let authority = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let clean = |s: &str| !s.bytes().any(|b| b == b'\r' || b == b'\n');
        if !clean(stream_id) || !authorization.is_none_or(clean) || !clean(content_type) {
            return None;
        }
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n\
             Accept: {content_type}\r\nMesos-Stream-Id: {stream_id}\r\n"
        );
        if let Some(auth) = authorization {
            head.push_str(&format!("Authorization: {auth}\r\n"));
        }
        Some(PipeTarget { authority, head })
    }

    /// The whole request of a call with `body`.
    fn request(&self, body: &[u8]) -> Bytes {
        let mut r = BytesMut::with_capacity(self.head.len() + 32 + body.len());
        r.extend_from_slice(self.head.as_bytes());
        r.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        r.extend_from_slice(body);
        r.freeze()
    }
}

/// A pipelined call connection (see the module docs). Cheap to clone; the connection lives
/// as long as a clone does.
#[derive(Clone)]
pub(crate) struct CallPipe {
    target: Rc<PipeTarget>,
    jobs: mpsc::UnboundedSender<Job>,
    /// Calls queued and not yet taken by the writer (bounded by [`MAX_QUEUED_CALLS`]).
    queued: Rc<Cell<usize>>,
}

/// The writer's end of the call queue: taking a call counts it out.
struct JobQueue {
    rx: mpsc::UnboundedReceiver<Job>,
    queued: Rc<Cell<usize>>,
}

impl JobQueue {
    async fn recv(&mut self) -> Option<Job> {
        let job = self.rx.recv().await;
        self.taken(job)
    }

    fn try_recv(&mut self) -> Option<Job> {
        let job = self.rx.try_recv().ok();
        self.taken(job)
    }

    fn taken(&self, job: Option<Job>) -> Option<Job> {
        if job.is_some() {
            self.queued.set(self.queued.get().saturating_sub(1));
        }
        job
    }
}

impl std::fmt::Debug for CallPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallPipe")
            .field("authority", &self.target.authority)
            .finish()
    }
}

impl CallPipe {
    /// A pipe to `target`; must be called within an actix (tokio) runtime.
    pub(crate) fn new(target: PipeTarget) -> Self {
        let (jobs, rx) = mpsc::unbounded_channel();
        let target = Rc::new(target);
        let queued = Rc::new(Cell::new(0));
        let rx = JobQueue {
            rx,
            queued: queued.clone(),
        };
        actix_rt::spawn(write_loop(target.clone(), rx));
        CallPipe {
            target,
            jobs,
            queued,
        }
    }

    /// Sends one call; resolves with its answer (202 or 200: `Ok`).
    pub(crate) fn call(
        &self,
        body: &[u8],
    ) -> impl std::future::Future<Output = Result<(), CallError>> + use<> {
        let (done, answer) = oneshot::channel();
        let full = self.queued.get() >= MAX_QUEUED_CALLS;
        let queued = !full
            && self
                .jobs
                .send(Job {
                    request: self.target.request(body),
                    done,
                })
                .is_ok();
        if queued {
            self.queued.set(self.queued.get() + 1);
        }
        let refused = full.then(|| self.target.authority.clone());
        async move {
            if let Some(authority) = refused {
                return Err(CallError::NotSent(format!(
                    "call not sent: {MAX_QUEUED_CALLS} calls already wait for {authority}"
                )));
            }
            if !queued {
                return Err(CallError::NotSent("call connection stopped".into()));
            }
            answer
                .await
                .unwrap_or_else(|_| Err(CallError::Transport("call connection stopped".into())))
        }
    }
}

/// The call pipes of the current subscription: up to `call_connections` of them, used in
/// turn, replaced when the subscription is.
#[derive(Debug, Default)]
pub(crate) struct CallPipes {
    /// URL and stream id of the subscription the pipes belong to.
    session: Option<(String, String)>,
    target: Option<PipeTarget>,
    pipes: Vec<CallPipe>,
    next: usize,
}

impl CallPipes {
    /// The pipe for the next call to `url` in the subscription `stream_id`, or `None` when
    /// calls cannot be pipelined (an `https://` master). A new subscription (another URL or
    /// stream id) replaces the pipes.
    pub(crate) fn pick(
        &mut self,
        url: &str,
        stream_id: &str,
        content_type: &str,
        authorization: Option<&str>,
        connections: usize,
    ) -> Option<CallPipe> {
        let same = self
            .session
            .as_ref()
            .is_some_and(|(u, s)| u == url && s == stream_id);
        if !same {
            self.clear();
            self.session = Some((url.to_string(), stream_id.to_string()));
            self.target = PipeTarget::new(url, content_type, stream_id, authorization);
        }
        let target = self.target.as_ref()?;
        let index = self.next % connections.max(1);
        self.next = self.next.wrapping_add(1);
        if let Some(pipe) = self.pipes.get(index) {
            return Some(pipe.clone());
        }
        let pipe = CallPipe::new(target.clone());
        self.pipes.push(pipe.clone());
        Some(pipe)
    }

    /// Drops the pipes (their connections close once their calls are written).
    pub(crate) fn clear(&mut self) {
        *self = CallPipes::default();
    }
}

/// Writes queued calls, (re)connecting when needed, until every `CallPipe` is dropped.
async fn write_loop(target: Rc<PipeTarget>, mut rx: JobQueue) {
    let mut conn: Option<(OwnedWriteHalf, Rc<Inflight>)> = None;
    let mut batch = BytesMut::new();
    // A call that did not fit the last batch: it starts the next one.
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match rx.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        if conn
            .as_ref()
            .is_none_or(|(_, inflight)| inflight.dead.get())
        {
            conn = match connect(&target.authority).await {
                Ok(c) => Some(c),
                Err(e) => {
                    let why = format!("cannot connect to {}: {e}", target.authority);
                    let _ = first.done.send(Err(CallError::NotSent(why.clone())));
                    while let Some(job) = rx.try_recv() {
                        let _ = job.done.send(Err(CallError::NotSent(why.clone())));
                    }
                    continue;
                }
            };
        }
        let Some((writer, inflight)) = conn.as_mut() else {
            continue;
        };
        batch.clear();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            if job.done.is_closed() {
                // Its caller gave up (timed out) before it was written: skip it.
            } else if !batch.is_empty() && batch.len() + job.request.len() > MAX_WRITE {
                carried = Some(job);
                break;
            } else {
                batch.extend_from_slice(&job.request);
                inflight.waiting.borrow_mut().push_back(job.done);
            }
            next = rx.try_recv();
        }
        if batch.is_empty() {
            continue;
        }
        if let Err(e) = writer.write_all(&batch).await {
            inflight.fail_all(&format!("write to {} failed: {e}", target.authority));
            conn = None;
            continue;
        }
        // The next batch waits for this one's answers (see the module docs).
        let inflight = inflight.clone();
        inflight.drained().await;
    }
}

async fn connect(authority: &str) -> std::io::Result<(OwnedWriteHalf, Rc<Inflight>)> {
    let stream = actix_rt::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(authority))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let (reader, writer) = stream.into_split();
    let inflight = Rc::new(Inflight::default());
    actix_rt::spawn(read_loop(reader, inflight.clone()));
    Ok((writer, inflight))
}

/// Reads answers and completes the calls in order, until the connection ends.
async fn read_loop(mut reader: OwnedReadHalf, inflight: Rc<Inflight>) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut eof = false;
    loop {
        match parse_answer(&mut buf, eof) {
            Ok(Some(answer)) => {
                let done = inflight.waiting.borrow_mut().pop_front();
                let Some(done) = done else {
                    inflight.fail_all("the master answered a call that was not sent");
                    return;
                };
                let _ = done.send(answer.result());
                if answer.close {
                    inflight.fail_all("the master closed the call connection");
                    return;
                }
                if inflight.waiting.borrow().is_empty() {
                    inflight.idle.notify_one();
                }
                continue;
            }
            Ok(None) if eof => {
                inflight.fail_all("the master closed the call connection");
                return;
            }
            Ok(None) => {}
            Err(e) => {
                inflight.fail_all(&format!("unreadable answer to a call: {e}"));
                return;
            }
        }
        if inflight.dead.get() {
            return;
        }
        buf.reserve(8 * 1024);
        match reader.read_buf(&mut buf).await {
            Ok(0) => eof = true,
            Ok(_) => {}
            Err(e) => {
                inflight.fail_all(&format!("call connection failed: {e}"));
                return;
            }
        }
    }
}

/// One parsed answer.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    /// HTTP status.
    status: u16,
    /// The body (error text), capped.
    body: Bytes,
    /// The master will close the connection after it.
    close: bool,
}

impl Answer {
    fn result(&self) -> Result<(), CallError> {
        if call_taken(self.status) {
            return Ok(());
        }
        Err(CallError::Rejected {
            status: self.status,
            body: body_text(&self.body),
        })
    }
}

/// Takes one complete answer off the front of `buf`: `Ok(None)` if more bytes are needed
/// (`eof`: none will come, which completes a close-delimited body), an error for an answer
/// that is malformed or over a cap. Interim (1xx) answers are skipped.
fn parse_answer(buf: &mut BytesMut, eof: bool) -> Result<Option<Answer>, String> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(format!("answer head over {MAX_HEAD} bytes"));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(format!("bad answer head: {e}")),
        };
        let status = response.code.unwrap_or(0);
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut close = response.version == Some(0);
        for h in response.headers.iter() {
            let value = std::str::from_utf8(h.value).unwrap_or("").trim();
            if h.name.eq_ignore_ascii_case("content-length") {
                let n: usize = value
                    .parse()
                    .map_err(|_| format!("bad Content-Length {value:?}"))?;
                if length.is_some_and(|l| l != n) {
                    return Err("conflicting Content-Length headers".into());
                }
                length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().ends_with("chunked");
            } else if h.name.eq_ignore_ascii_case("connection") {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    close = true;
                } else if v.contains("keep-alive") {
                    close = false;
                }
            }
        }
        if (100..200).contains(&status) {
            buf.advance(head_len);
            continue;
        }
        let rest = buf.get(head_len..).unwrap_or_default();
        let bodyless = status == 204 || status == 304;
        let (body, used) = if bodyless {
            (Bytes::new(), 0)
        } else if chunked {
            match dechunk(rest)? {
                Some(v) => v,
                None => return Ok(None),
            }
        } else if let Some(n) = length {
            if n > MAX_BODY {
                return Err(format!("answer body of {n} bytes is over {MAX_BODY}"));
            }
            match rest.get(..n) {
                Some(b) => (Bytes::copy_from_slice(b), n),
                None => return Ok(None),
            }
        } else {
            // Delimited by the end of the connection.
            if rest.len() > MAX_BODY {
                return Err(format!("answer body over {MAX_BODY} bytes"));
            }
            if !eof {
                return Ok(None);
            }
            close = true;
            (Bytes::copy_from_slice(rest), rest.len())
        };
        buf.advance(head_len + used);
        return Ok(Some(Answer {
            status,
            body,
            close,
        }));
    }
}

/// Decodes a chunked body from the front of `bytes`: the body and the bytes it used, or
/// `None` if incomplete. Trailers are skipped; the body is capped at [`MAX_BODY`].
fn dechunk(bytes: &[u8]) -> Result<Option<(Bytes, usize)>, String> {
    let mut body = BytesMut::new();
    let mut at = 0usize;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            if rest.len() > 1024 {
                return Err("chunk size line too long".into());
            }
            return Ok(None);
        };
        let line = std::str::from_utf8(rest.get(..eol).unwrap_or_default())
            .map_err(|_| "chunk size is not text".to_string())?;
        let hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {hex:?}"))?;
        at += eol + 2;
        if size == 0 {
            // Trailers, up to an empty line.
            loop {
                let rest = bytes.get(at..).unwrap_or_default();
                let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
                    if rest.len() > MAX_HEAD {
                        return Err("trailers too long".into());
                    }
                    return Ok(None);
                };
                at += eol + 2;
                if eol == 0 {
                    return Ok(Some((body.freeze(), at)));
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(format!("chunked answer body over {MAX_BODY} bytes"));
        }
        let Some(data) = bytes.get(at..at + size) else {
            return Ok(None);
        };
        if bytes.len() < at + size + 2 {
            return Ok(None);
        }
        if bytes.get(at + size..at + size + 2) != Some(b"\r\n".as_slice()) {
            return Err("chunk not followed by CRLF".into());
        }
        body.extend_from_slice(data);
        at += size + 2;
    }
}

#[cfg(test)]
#[path = "pipe_tests.rs"]
mod tests;
