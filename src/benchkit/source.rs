//! [`OfferSource`]: a loopback HTTP/1.1 server speaking `/api/v1/scheduler` (both
//! encodings) and `GET /version`, on its own thread with its own actix system, so it does
//! not share the framework's thread. SUBSCRIBE gets a chunked stream, one chunk per event;
//! every other call is decoded and validated (`crate::server::call`), checked, counted and
//! answered 202.

use super::report::Report;
use super::state::{CallOutcome, Phase, SourceState};
use super::workload::{Pacing, RunConfig};
use crate::proto::FrameworkId;
use crate::proto::scheduler::call;
use crate::server::ApiError;
use crate::server::call::{STREAM_ID, decode_scheduler_call, header_text};
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytes::Bytes;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Why the source could not start or report.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The listener could not be bound.
    #[error("offer source could not bind 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// The source's thread ended early.
    #[error("offer source thread ended")]
    Stopped,
    /// No report within the time given.
    #[error("no report within {0:?}")]
    Timeout(Duration),
}

type Shared = Arc<Mutex<SourceState>>;

fn lock(state: &Shared) -> MutexGuard<'_, SourceState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts offer sources.
#[derive(Debug)]
pub struct OfferSource;

impl OfferSource {
    /// Starts the source for `config` on `127.0.0.1:port` (0: any free port) on a thread of
    /// its own, and returns once it listens.
    pub fn start(config: RunConfig, port: u16) -> Result<SourceHandle, SourceError> {
        let (launched_tx, launched_rx) = mpsc::unbounded_channel();
        let (report_tx, report_rx) = watch::channel(None);
        let state: Shared = Arc::new(Mutex::new(SourceState::new(config, launched_tx, report_tx)));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("offer-source".into())
            .spawn(move || run_thread(thread_state, port, ready_tx))
            .map_err(|_| SourceError::Stopped)?;
        let (addr, system) = ready_rx.recv().map_err(|_| SourceError::Stopped)??;
        Ok(SourceHandle {
            url: format!("http://{addr}"),
            state,
            report_rx,
            launched_rx: Some(launched_rx),
            system,
            thread: Some(thread),
        })
    }
}

type Ready = Result<(std::net::SocketAddr, actix_rt::System), SourceError>;

fn run_thread(state: Shared, port: u16, ready: std::sync::mpsc::Sender<Ready>) {
    let system = actix_rt::System::new();
    let started = system.block_on(async move {
        lock(&state).add_source_thread(super::cpu::current_tid());
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let state = app_state.clone();
            App::new()
                .app_data(web::Data::new(state))
                .app_data(web::PayloadConfig::new(64 << 20))
                .route("/version", web::get().to(version))
                .route("/api/v1/scheduler", web::post().to(scheduler))
                .route("/master/api/v1/scheduler", web::post().to(scheduler))
                .route("/api/v1/scheduler", web::to(HttpResponse::MethodNotAllowed))
        })
        .workers(1)
        // A Mesos master keeps idle call connections open; actix-web's default 5 s would
        // cut a slow peer's keep-alive connection between two calls.
        .keep_alive(Duration::from_secs(3600))
        .disable_signals()
        .on_connect({
            let state = state.clone();
            move |conn: &dyn std::any::Any, ext: &mut actix_web::dev::Extensions| {
                crate::server::tcp::on_connect(conn, ext);
                // The worker thread serves every connection: count its CPU as the source's.
                thread_local! { static SEEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) }; }
                if !SEEN.with(|s| s.replace(true)) {
                    lock(&state).add_source_thread(super::cpu::current_tid());
                }
            }
        })
        .bind(("127.0.0.1", port));
        let server = match server {
            Ok(s) => s,
            Err(source) => {
                let _ = ready.send(Err(SourceError::Bind { port, source }));
                return false;
            }
        };
        let Some(addr) = server.addrs().first().copied() else {
            let _ = ready.send(Err(SourceError::Stopped));
            return false;
        };
        spawn_timers(state.clone());
        actix_rt::spawn(server.run());
        let _ = ready.send(Ok((addr, actix_rt::System::current())));
        true
    });
    // `System::stop` (from the handle) ends `run`, not `block_on`.
    if started {
        let _ = system.run();
    }
}

fn spawn_timers(state: Shared) {
    let (pacing, heartbeat) = {
        let s = lock(&state);
        (s.config().pacing, s.config().heartbeat)
    };
    let st = state.clone();
    actix_rt::spawn(async move {
        let mut every = actix_rt::time::interval(Duration::from_millis(20));
        loop {
            every.tick().await;
            lock(&st).tick(Instant::now());
        }
    });
    let st = state.clone();
    actix_rt::spawn(async move {
        let mut every = actix_rt::time::interval(heartbeat.max(Duration::from_millis(10)));
        every.tick().await;
        loop {
            every.tick().await;
            lock(&st).heartbeat();
        }
    });
    if let Pacing::AllocationCycle { interval } = pacing {
        actix_rt::spawn(async move {
            let mut every = actix_rt::time::interval(interval.max(Duration::from_millis(1)));
            loop {
                every.tick().await;
                let mut s = lock(&state);
                if let Phase::Running(_) = s.phase() {
                    s.allocation_cycle(Instant::now());
                }
            }
        });
    }
}

async fn version() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"version":"1.11.0","build_user":"mesos-actix-bench"}"#)
}

fn bad(state: &Shared, e: ApiError) -> HttpResponse {
    lock(state).bad_call(format!("{}: {}", e.status, e.message));
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status)
        .content_type("text/plain")
        .body(e.message)
}

async fn scheduler(req: HttpRequest, body: Bytes, state: web::Data<Shared>) -> HttpResponse {
    let now = Instant::now();
    let state: &Shared = &state;
    let (encoding, call) = match decode_scheduler_call(req.headers(), &body) {
        Ok(decoded) => decoded,
        Err(e) => return bad(state, e),
    };
    if call.r#type() == call::Type::Subscribe {
        let (stream_id, body) = lock(state).subscribe(encoding);
        return HttpResponse::Ok()
            .content_type(encoding.content_type())
            .insert_header((STREAM_ID, stream_id))
            .streaming(body.into_body());
    }
    let mut s = lock(state);
    let framework_ok = call.framework_id.as_ref() == Some(s.generator().framework_id());
    let stream_ok =
        s.stream_id().is_some() && header_text(req.headers(), STREAM_ID) == s.stream_id();
    if !framework_ok || !stream_ok {
        let why = if framework_ok {
            "The stream ID is missing or does not match the current subscription"
        } else {
            "Expecting 'framework_id' to match the subscribed framework"
        };
        s.bad_call(why.to_string());
        return HttpResponse::BadRequest().body(why);
    }
    match s.on_call(&call, now) {
        CallOutcome::Accepted => HttpResponse::Accepted().finish(),
        CallOutcome::BadRequest(why) => HttpResponse::BadRequest().body(why),
    }
}

/// A running offer source.
#[derive(Debug)]
pub struct SourceHandle {
    url: String,
    state: Shared,
    report_rx: watch::Receiver<Option<Report>>,
    launched_rx: Option<mpsc::UnboundedReceiver<u64>>,
    system: actix_rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SourceHandle {
    /// The master URL to give the framework (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// The framework id the source hands out.
    pub fn framework_id(&self) -> FrameworkId {
        lock(&self.state).generator().framework_id().clone()
    }

    /// Starts offering (now if a framework is subscribed, else as soon as one is).
    pub fn start_run(&self) {
        lock(&self.state).start();
    }

    /// Whether a framework is subscribed.
    pub fn is_subscribed(&self) -> bool {
        lock(&self.state).stream_id().is_some()
    }

    /// The counts of tasks launched, one message per ACCEPT: what a driver uses to keep
    /// the framework's queue full. Available once.
    pub fn take_launched(&mut self) -> Option<mpsc::UnboundedReceiver<u64>> {
        self.launched_rx.take()
    }

    /// Waits for the run's report.
    pub async fn wait_report(&self, timeout: Duration) -> Result<Report, SourceError> {
        let mut rx = self.report_rx.clone();
        let wait = async {
            loop {
                if let Some(report) = rx.borrow_and_update().clone() {
                    return Ok(report);
                }
                if rx.changed().await.is_err() {
                    return Err(SourceError::Stopped);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| SourceError::Timeout(timeout))?
    }

    /// Stops the server and its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.system.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::workload::Workload;
    use crate::server::tcp::probe::nodelay_of_accepted;

    #[test]
    fn accepted_sockets_have_nodelay() {
        let source = OfferSource::start(Workload::W2.config(true), 0).expect("source starts");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], source.port()));
        assert_eq!(nodelay_of_accepted(addr, "/version"), Some(true));
        source.stop();
    }
}
