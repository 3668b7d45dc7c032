//! `--demo`: serves the bundled fixture site ([`crate::fixtures`]) with actix-web on
//! `127.0.0.1:0`. Profile and board paths without a trailing slash are redirected (301)
//! to the slashed form, as Pinterest does; unknown paths are 404.

use crate::fixtures;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use std::net::SocketAddr;

/// A running demo site.
pub struct DemoSite {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl DemoSite {
    /// Starts the site on a free loopback port, on the current actix system.
    pub fn start() -> std::io::Result<DemoSite> {
        let server = HttpServer::new(|| App::new().default_service(web::to(serve)))
            .workers(1)
            .disable_signals()
            .tcp_nodelay(true)
            .bind(("127.0.0.1", 0))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("demo site bound no address"))?;
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Ok(DemoSite { addr, handle })
    }

    /// The base URL, `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The profile URL of `user`.
    pub fn user_url(&self, user: &str) -> String {
        format!("http://{}/{user}/", self.addr)
    }

    /// Stops the site.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if path == "/robots.txt" {
        return HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(fixtures::ROBOTS_TXT);
    }
    if let Some(html) = fixtures::page(path) {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html);
    }
    let slashed = format!("{path}/");
    if fixtures::page(&slashed).is_some() {
        return HttpResponse::MovedPermanently()
            .insert_header(("Location", slashed))
            .finish();
    }
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body("<!DOCTYPE html><title>Not found</title><p>Sorry! We couldn't find that page.</p>")
}

#[cfg(test)]
mod unseen_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{FetchConfig, Fetcher, NetGuard};
    use crate::model::{FetchSettings, Record, TaskKind, TaskPayload};

    fn fetcher(site: &DemoSite) -> Fetcher {
        Fetcher::new(FetchConfig {
            rate_per_sec: 0.0,
            guard: NetGuard {
                allow_addrs: vec![site.addr],
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn payload(site: &DemoSite, kind: TaskKind, user: &str) -> TaskPayload {
        TaskPayload {
            task: format!("{}.0.{user}", kind.as_str()),
            kind,
            url: site.user_url(user),
            fetch: FetchSettings::default(),
        }
    }

    #[actix_rt::test]
    async fn profile_and_boards_tasks_on_the_demo_site() {
        let site = DemoSite::start().unwrap();
        let f = fetcher(&site);
        let r = crate::work::run(&payload(&site, TaskKind::Profile, "techcrunch"), &f).await;
        assert_eq!(r.error, None);
        assert_eq!(r.records.len(), 1);
        let Record::Profile(p) = &r.records[0] else {
            panic!("not a profile: {r:?}")
        };
        assert_eq!(p.followers.as_ref().unwrap().value, Some(56312));
        assert_eq!(r.discovered, vec![site.user_url("lindarden")]);

        let r = crate::work::run(&payload(&site, TaskKind::Boards, "techcrunch"), &f).await;
        assert_eq!(r.error, None);
        let titles: Vec<_> = r
            .records
            .iter()
            .map(|rec| match rec {
                Record::Board(b) => {
                    assert_eq!(b.error, None, "{b:?}");
                    assert_eq!(b.owner.as_deref(), Some("techcrunch"));
                    b.title.clone().unwrap()
                }
                other => panic!("not a board: {other:?}"),
            })
            .collect();
        assert_eq!(titles, vec!["Gadgets", "Startups", "TC Events"]);
        let users: Vec<_> = r
            .discovered
            .iter()
            .map(|u| u.rsplit('/').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(users, vec!["lindarden", "cindybcindyb", "nsfdf"]);
        site.stop().await;
    }

    #[actix_rt::test]
    async fn redirects_404_and_unparseable_pages() {
        let site = DemoSite::start().unwrap();
        let f = fetcher(&site);
        // No trailing slash: one 301 hop.
        let mut p = payload(&site, TaskKind::Profile, "nsfdf");
        p.url = p.url.trim_end_matches('/').to_string();
        let r = crate::work::run(&p, &f).await;
        assert_eq!(r.error, None);
        // 404: an error result with an error record, not retried.
        let r = crate::work::run(&payload(&site, TaskKind::Profile, "ghost"), &f).await;
        assert!(r.error.as_deref().unwrap().contains("404"), "{r:?}");
        assert!(!r.transient);
        assert!(r.records[0].error().is_some());
        let r = crate::work::run(&payload(&site, TaskKind::Boards, "ghost"), &f).await;
        assert!(r.error.is_some());
        assert!(matches!(&r.records[0], Record::Board(b) if b.error.is_some()));
        // Invalid embedded JSON: an error result.
        let r = crate::work::run(&payload(&site, TaskKind::Profile, "broken"), &f).await;
        assert!(
            r.error.as_deref().unwrap().contains("invalid JSON"),
            "{r:?}"
        );
        // Garbage task data.
        let r = crate::work::run_bytes(b"\xff not json", &f, TaskKind::Boards).await;
        assert!(r.error.is_some());
        site.stop().await;
    }

    #[actix_rt::test]
    async fn demo_site_is_refused_without_the_allowlist() {
        let site = DemoSite::start().unwrap();
        let f = Fetcher::new(FetchConfig::default());
        let r = crate::work::run(&payload(&site, TaskKind::Profile, "techcrunch"), &f).await;
        assert!(r.error.as_deref().unwrap().contains("refused"), "{r:?}");
        site.stop().await;
    }
}
