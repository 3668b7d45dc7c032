//! The harness's own limit: the same offer source as the run, answered by a minimal client
//! with no framework runtime. It reads each offer's id straight out of the event bytes and
//! writes a canned DECLINE for it, on plain blocking sockets on one thread of its own. The
//! offers/s it reaches is the most this source, on this machine, lets any framework answer;
//! end-to-end figures are quoted as a fraction of it (`BENCHMARKS.md`).
//!
//! Calls go out on one keep-alive connection, one DECLINE per offer, written in batches of
//! at most [`MAX_WRITE`] bytes; each batch waits for the answers of the one before, as the
//! runtime's pipelined calls do (actix-web servers close a connection when a request is
//! still arriving while they answer an earlier one).

use super::report::Report;
use super::source::{OfferSource, SourceError};
use super::workload::RunConfig;
use crate::codec::Encoding;
use crate::proto::scheduler::{Call, call};
use crate::proto::{FrameworkId, FrameworkInfo};
use crate::recordio::Decoder;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub mod wire;

use wire::{CannedDecline, Dechunker, offer_ids};

/// Most bytes of DECLINE requests written at once (half of what an actix-web server reads
/// at once, so a batch arrives whole).
pub const MAX_WRITE: usize = 16 * 1024;
/// Cap of one HTTP answer head.
const MAX_HEAD: usize = 16 * 1024;
/// How long a socket read may block before the client gives up.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the limit could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The offer source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The client's connection failed.
    #[error("minimal client: {0}")]
    Io(#[from] std::io::Error),
    /// The source answered something the client does not understand.
    #[error("minimal client: {0}")]
    Protocol(String),
}

/// The harness limit of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitResult {
    /// The source's report of the minimal client's run.
    pub report: Report,
    /// Offers the client declined.
    pub declined: u64,
}

/// Runs `config`'s offer stream (same pacing, window, shapes and encoding) for `duration`
/// against the minimal client and returns the source's report. Launch and task targets are
/// dropped: the client declines everything.
pub async fn measure(
    config: &RunConfig,
    duration: Duration,
    timeout: Duration,
) -> Result<LimitResult, LimitError> {
    let config = RunConfig {
        duration: Some(duration),
        max_offers: None,
        target_tasks: None,
        refill: false,
        update_fraction: 0.0,
        auto_start: true,
        ..config.clone()
    };
    let source = OfferSource::start(config.clone(), 0)?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], source.port()));
    let framework_id = source.framework_id();
    let encoding = config.encoding;
    let client = std::thread::Builder::new()
        .name("limit-client".into())
        .spawn(move || run_client(addr, encoding, &framework_id))?;
    let report = source.wait_report(timeout).await;
    // Closing the source ends the client's stream, and so the client.
    source.stop();
    let declined = match client.join() {
        Ok(Ok(n)) => n,
        Ok(Err(e)) if report.is_err() => return Err(e),
        Ok(Err(_)) => 0,
        Err(_) => return Err(LimitError::Protocol("client thread panicked".into())),
    };
    Ok(LimitResult {
        report: report?,
        declined,
    })
}

fn connect(addr: std::net::SocketAddr) -> Result<TcpStream, LimitError> {
    let socket = TcpStream::connect(addr)?;
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(READ_TIMEOUT))?;
    Ok(socket)
}

/// The head of a POST to the scheduler API.
fn request_head(encoding: Encoding, stream_id: Option<&str>, len: usize, out: &mut Vec<u8>) {
    let ct = encoding.content_type();
    out.extend_from_slice(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ");
    out.extend_from_slice(ct.as_bytes());
    out.extend_from_slice(b"\r\nAccept: ");
    out.extend_from_slice(ct.as_bytes());
    if let Some(id) = stream_id {
        out.extend_from_slice(b"\r\nMesos-Stream-Id: ");
        out.extend_from_slice(id.as_bytes());
    }
    out.extend_from_slice(b"\r\nContent-Length: ");
    super::generator::write_decimal(len as u64, out);
    out.extend_from_slice(b"\r\n\r\n");
}

/// One parsed answer head: its length, status, and the values the client needs.
struct Head {
    len: usize,
    status: u16,
    content_length: usize,
    stream_id: Option<String>,
    close: bool,
}

/// Parses an answer head at the front of `buf` (`None`: incomplete).
fn parse_head(buf: &[u8]) -> Result<Option<Head>, LimitError> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(LimitError::Protocol("answer head too long".into()));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(LimitError::Protocol(format!("bad answer head: {e}"))),
    };
    let mut head = Head {
        len,
        status: response.code.unwrap_or(0),
        content_length: 0,
        stream_id: None,
        close: false,
    };
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            head.content_length = value.parse().unwrap_or(0);
        } else if h.name.eq_ignore_ascii_case("mesos-stream-id") {
            head.stream_id = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        }
    }
    Ok(Some(head))
}

/// Subscribes; answers the stream socket, its stream id, and the body bytes read with the
/// head.
fn subscribe(
    addr: std::net::SocketAddr,
    encoding: Encoding,
) -> Result<(TcpStream, String, Vec<u8>), LimitError> {
    let mut stream = connect(addr)?;
    let body = encoding.encode(&Call {
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: FrameworkInfo::new("harness-limit"),
            ..Default::default()
        }),
        ..Default::default()
    });
    let mut request = Vec::new();
    request_head(encoding, None, body.len(), &mut request);
    request.extend_from_slice(&body);
    stream.write_all(&request)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(LimitError::Protocol("stream closed before its head".into()));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(head) = parse_head(&buf)? {
            let Some(id) = head.stream_id.filter(|_| head.status == 200) else {
                return Err(LimitError::Protocol(format!(
                    "SUBSCRIBE answered {}",
                    head.status
                )));
            };
            return Ok((stream, id, buf.split_off(head.len)));
        }
    }
}

/// The call connection: writes batches of DECLINEs and waits for their answers.
struct Caller {
    socket: TcpStream,
    canned: CannedDecline,
    encoding: Encoding,
    stream_id: String,
    out: Vec<u8>,
    answers: Vec<u8>,
}

impl Caller {
    /// Declines `ids` (concatenated, `lens` long each), batch by batch.
    fn decline_all(&mut self, ids: &[u8], lens: &[usize]) -> Result<(), LimitError> {
        let mut at = 0;
        let mut batch = 0;
        for &len in lens {
            let id = ids.get(at..at + len).unwrap_or_default();
            at += len;
            let body_len = self.canned.body_len(len);
            request_head(
                self.encoding,
                Some(&self.stream_id),
                body_len,
                &mut self.out,
            );
            self.canned.body_into(id, &mut self.out);
            batch += 1;
            if self.out.len() >= MAX_WRITE - 512 {
                self.flush(batch)?;
                batch = 0;
            }
        }
        self.flush(batch)
    }

    /// Writes the batch and reads `count` answers.
    fn flush(&mut self, count: usize) -> Result<(), LimitError> {
        if count == 0 {
            return Ok(());
        }
        self.socket.write_all(&self.out)?;
        self.out.clear();
        let mut got = 0;
        let mut chunk = [0u8; 8192];
        while got < count {
            match parse_head(&self.answers)? {
                Some(head) if self.answers.len() >= head.len + head.content_length => {
                    if head.status != 202 || head.close {
                        return Err(LimitError::Protocol(format!(
                            "DECLINE answered {} (close: {})",
                            head.status, head.close
                        )));
                    }
                    self.answers.drain(..head.len + head.content_length);
                    got += 1;
                    continue;
                }
                _ => {}
            }
            let n = self.socket.read(&mut chunk)?;
            if n == 0 {
                return Err(LimitError::Protocol("call connection closed".into()));
            }
            self.answers
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        Ok(())
    }
}

/// The minimal client: subscribes, then declines every offer until the stream ends.
/// Answers the number of offers declined.
fn run_client(
    addr: std::net::SocketAddr,
    encoding: Encoding,
    framework_id: &FrameworkId,
) -> Result<u64, LimitError> {
    let (mut stream, stream_id, first) = subscribe(addr, encoding)?;
    let mut caller = Caller {
        socket: connect(addr)?,
        canned: CannedDecline::new(encoding, framework_id),
        encoding,
        stream_id,
        out: Vec::with_capacity(MAX_WRITE),
        answers: Vec::new(),
    };
    let mut dechunk = Dechunker::default();
    let mut records = Decoder::default();
    let mut ids = Vec::new();
    let mut lens = Vec::new();
    let mut declined = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = first;
    loop {
        let done = dechunk
            .feed(&input, |data| records.feed(data))
            .map_err(LimitError::Protocol)?;
        while let Some(event) = records
            .next_record()
            .map_err(|e| LimitError::Protocol(e.to_string()))?
        {
            offer_ids(encoding, &event, |id| {
                ids.extend_from_slice(id);
                lens.push(id.len());
            });
        }
        if !lens.is_empty() {
            caller.decline_all(&ids, &lens)?;
            declined += lens.len() as u64;
            ids.clear();
            lens.clear();
        }
        if done {
            return Ok(declined);
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(declined),
            Ok(n) => n,
            // The source stopped: the run is over.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(declined),
            Err(e) => return Err(e.into()),
        };
        input.clear();
        input.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::workload::Workload;

    #[actix_rt::test]
    async fn minimal_client_declines_every_offer_in_both_encodings() {
        for (encoding, window) in [(Encoding::Protobuf, 64), (Encoding::Json, 1)] {
            let config = RunConfig {
                encoding,
                ..Workload::W2.config(true).with_window(window)
            };
            let limit = measure(&config, Duration::from_millis(300), Duration::from_secs(30))
                .await
                .expect("limit measured");
            let r = &limit.report;
            assert!(!r.has_violations(), "{r}");
            assert!(r.offers_answered > 0, "{r}");
            assert_eq!(r.offers_answered, r.offers_sent, "{r}");
            assert!(limit.declined >= r.offers_answered, "{r}");
            assert_eq!(r.tasks_launched, 0);
            assert!(r.offers_per_sec > 0.0);
        }
    }
}
