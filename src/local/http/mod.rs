//! The HTTP front of the local cluster (actix-web): the scheduler and executor APIs and the
//! read-only endpoints, all on one port (the agents are `/slave(N)/...` on it, as in a
//! single-process Apache Mesos cluster).

pub mod common;
pub mod endpoints;
pub mod executor_api;
#[cfg(test)]
mod fuzz_tests;
pub(crate) mod leader_guard;
pub mod scheduler_api;

use super::agent::LocalAgent;
use super::master::LocalMaster;
use actix::Addr;
use actix_web::{App, HttpServer, dev::ServerHandle, web};
use common::Credentials;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The master.
    pub master: Addr<LocalMaster>,
    /// The agents, `slave(1)` first.
    pub agents: Vec<Addr<LocalAgent>>,
    /// Scheduler credentials when authentication is on.
    pub credentials: Option<Arc<Credentials>>,
    /// The bound address.
    pub addr: SocketAddr,
    /// Host name for redirects.
    pub hostname: String,
    /// Leader election when the master runs behind ZooKeeper (`None`: standalone, leads).
    pub leadership: Option<Arc<crate::local::leadership::Leadership>>,
}

/// Starts the server on `listener` in the current actix system (HTTPS when `tls` is given);
/// returns its handle.
pub fn serve(
    listener: TcpListener,
    state: AppState,
    max_body: usize,
    tls: Option<rustls::ServerConfig>,
) -> std::io::Result<ServerHandle> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(actix_web::middleware::from_fn(leader_guard::leader_guard))
            .route("/api/v1/scheduler", web::route().to(scheduler_api::handle))
            .route(
                "/master/api/v1/scheduler",
                web::route().to(scheduler_api::handle),
            )
            .route(
                "/api/v1/executor",
                web::route().to(executor_api::handle_plain),
            )
            .route(
                "/{slave}/api/v1/executor",
                web::route().to(executor_api::handle_agent),
            )
            .route("/state", web::get().to(endpoints::state))
            .route("/state.json", web::get().to(endpoints::state))
            .route("/master/state", web::get().to(endpoints::state))
            .route("/frameworks", web::get().to(endpoints::subset))
            .route("/master/frameworks", web::get().to(endpoints::subset))
            .route("/tasks", web::get().to(endpoints::subset))
            .route("/master/tasks", web::get().to(endpoints::subset))
            .route("/slaves", web::get().to(endpoints::subset))
            .route("/master/slaves", web::get().to(endpoints::subset))
            .route("/flags", web::get().to(endpoints::subset))
            .route("/master/flags", web::get().to(endpoints::subset))
            .route("/teardown", web::post().to(endpoints::teardown))
            .route("/master/teardown", web::post().to(endpoints::teardown))
            .route("/health", web::get().to(endpoints::health))
            .route("/master/health", web::get().to(endpoints::health))
            .route("/version", web::get().to(endpoints::version))
            .route("/redirect", web::get().to(endpoints::redirect))
            .route("/master/redirect", web::get().to(endpoints::redirect))
            .route("/", web::get().to(endpoints::index))
            .route("/files/browse", web::get().to(endpoints::files_browse))
            .route("/files/browse.json", web::get().to(endpoints::files_browse))
            .route("/files/read", web::get().to(endpoints::files_read))
            .route("/files/read.json", web::get().to(endpoints::files_read))
            .route("/ui/browse", web::get().to(endpoints::ui_browse))
            .route("/ui/tail", web::get().to(endpoints::ui_tail))
            .route(
                "/metrics/snapshot",
                web::get().to(endpoints::metrics_snapshot),
            )
            .route("/metrics", web::get().to(endpoints::metrics_prometheus))
    })
    .workers(1)
    .on_connect(crate::local::tls::on_connect)
    .disable_signals()
    .shutdown_timeout(1);
    let server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config)?,
        None => server.listen(listener)?,
    }
    .run();
    let handle = server.handle();
    actix_rt::spawn(server);
    Ok(handle)
}
