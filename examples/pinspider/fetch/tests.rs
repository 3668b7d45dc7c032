//! Fetch tests against local actix-web servers on 127.0.0.1:0. The guard is never switched
//! off: only the test server's exact socket address is allowlisted, so redirects to any
//! other loopback port or to 169.254.169.254 exercise the real refusal.

use super::*;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct Hits {
    pages: AtomicUsize,
    robots: AtomicUsize,
    rate_limited: AtomicUsize,
}

const CAP: usize = 64 * 1024;

async fn serve(robots: &'static str) -> (SocketAddr, Arc<Hits>, actix_web::dev::ServerHandle) {
    let hits = Arc::new(Hits::default());
    let data = web::Data::from(hits.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/robots.txt",
                web::get().to(move |h: web::Data<Hits>| async move {
                    h.robots.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::Ok().body(robots)
                }),
            )
            .default_service(web::to(handler))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    (addr, hits, handle)
}

async fn handler(req: HttpRequest, h: web::Data<Hits>) -> HttpResponse {
    h.pages.fetch_add(1, Ordering::SeqCst);
    let path = req.path().to_string();
    let redirect = |to: String| {
        HttpResponse::Found()
            .insert_header(("Location", to))
            .finish()
    };
    if let Some(n) = path.strip_prefix("/r/") {
        let n: usize = n.parse().unwrap_or(0);
        return if n == 0 {
            HttpResponse::Ok().body("<p>end of chain</p>")
        } else {
            redirect(format!("/r/{}", n - 1))
        };
    }
    if let Some(target) = path.strip_prefix("/to/") {
        // "/to/127.0.0.1:1234/x" -> "http://127.0.0.1:1234/x"
        return redirect(format!("http://{target}"));
    }
    match path.as_str() {
        "/ok/" => HttpResponse::Ok()
            .content_type("text/html")
            .body("<meta property=\"og:title\" content=\"OK\">"),
        "/ua" => HttpResponse::Ok().body(
            req.headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        ),
        "/big-declared" => HttpResponse::Ok().body(vec![b'x'; CAP + 1]),
        "/big-streamed" => {
            let chunks = (0..(CAP / 1024 + 2))
                .map(|_| Ok::<_, actix_web::Error>(web::Bytes::from(vec![b'y'; 1024])));
            HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
        }
        "/exactly-cap" => HttpResponse::Ok().body(vec![b'z'; CAP]),
        "/missing/" => HttpResponse::NotFound().body("no such user"),
        "/gone/" => HttpResponse::Gone().finish(),
        "/boom/" => HttpResponse::InternalServerError().finish(),
        "/no-location" => HttpResponse::Found().finish(),
        "/to-private" => redirect("/private/secret".into()),
        "/to-ftp" => redirect("ftp://example.org/".into()),
        "/429-once" => {
            if h.rate_limited.fetch_add(1, Ordering::SeqCst) == 0 {
                HttpResponse::TooManyRequests()
                    .insert_header(("Retry-After", "1"))
                    .finish()
            } else {
                HttpResponse::Ok().body("after the wait")
            }
        }
        "/429-long" => {
            h.rate_limited.fetch_add(1, Ordering::SeqCst);
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", "3600"))
                .finish()
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

fn fetcher_for(addr: SocketAddr) -> Fetcher {
    Fetcher::new(FetchConfig {
        max_body_bytes: CAP,
        rate_per_sec: 0.0,
        max_retry_after: Duration::from_secs(2),
        guard: NetGuard {
            allow_addrs: vec![addr],
            ..Default::default()
        },
        ..Default::default()
    })
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[actix_rt::test]
async fn fetches_a_page_with_our_user_agent() {
    let (addr, hits, srv) = serve("User-agent: *\nDisallow: /private/\n").await;
    let f = fetcher_for(addr);
    let page = f.get(&url(addr, "/ok/")).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("og:title"));
    let ua = f.get(&url(addr, "/ua")).await.unwrap();
    assert_eq!(ua.body, USER_AGENT);
    assert!(ua.body.starts_with("pinspider/"));
    // robots.txt was fetched once for the origin, and cached.
    assert_eq!(hits.robots.load(Ordering::SeqCst), 1);
    srv.stop(false).await;
}

#[actix_rt::test]
async fn byte_cap_declared_streamed_and_exact() {
    let (addr, _hits, srv) = serve("").await;
    let f = fetcher_for(addr);
    let e = f.get(&url(addr, "/big-declared")).await.unwrap_err();
    assert_eq!(e, FetchError::TooLarge(CAP));
    let e = f.get(&url(addr, "/big-streamed")).await.unwrap_err();
    assert_eq!(e, FetchError::TooLarge(CAP));
    assert!(!e.is_transient());
    let page = f.get(&url(addr, "/exactly-cap")).await.unwrap();
    assert_eq!(page.body.len(), CAP);
    srv.stop(false).await;
}

#[actix_rt::test]
async fn redirect_chains_are_bounded() {
    let (addr, _hits, srv) = serve("").await;
    let f = fetcher_for(addr);
    let page = f.get(&url(addr, "/r/5")).await.unwrap();
    assert_eq!(page.url.path(), "/r/0");
    let e = f.get(&url(addr, "/r/6")).await.unwrap_err();
    assert_eq!(e, FetchError::TooManyRedirects(5));
    let e = f.get(&url(addr, "/no-location")).await.unwrap_err();
    assert!(matches!(e, FetchError::BadRedirect(_)), "{e}");
    let e = f.get(&url(addr, "/to-ftp")).await.unwrap_err();
    assert_eq!(e, FetchError::UnsupportedScheme("ftp".into()));
    srv.stop(false).await;
}

#[actix_rt::test]
async fn redirects_to_loopback_and_metadata_are_refused() {
    let (addr, _hits, srv) = serve("").await;
    // A second live server on loopback: not on the allowlist, so never reached.
    let (other, other_hits, other_srv) = serve("").await;
    let f = fetcher_for(addr);
    let e = f
        .get(&url(addr, &format!("/to/{other}/ok/")))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, FetchError::Blocked { addr: a, reason: "loopback", .. } if *a == other),
        "{e}"
    );
    assert_eq!(other_hits.pages.load(Ordering::SeqCst), 0);
    assert_eq!(other_hits.robots.load(Ordering::SeqCst), 0);
    let e = f
        .get(&url(addr, "/to/169.254.169.254/latest/meta-data/"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, FetchError::Blocked { reason, .. } if reason.contains("link-local")),
        "{e}"
    );
    assert!(e.to_string().contains("--allow-private-network"));
    let e = f.get(&url(addr, "/to/[::1]:80/")).await.unwrap_err();
    assert!(matches!(e, FetchError::Blocked { .. }), "{e}");
    // A name is judged by what it resolves to.
    let e = f
        .get(&url(addr, &format!("/to/localhost:{}/ok/", other.port())))
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::Blocked { .. }), "{e}");
    assert_eq!(other_hits.pages.load(Ordering::SeqCst), 0);
    // With the flag, the same redirect is followed.
    let mut cfg = f.config().clone();
    cfg.guard.allow_private_network = true;
    let open = Fetcher::new(cfg);
    let page = open
        .get(&url(addr, &format!("/to/{other}/ok/")))
        .await
        .unwrap();
    assert_eq!(page.url, url(other, "/ok/"));
    assert_eq!(other_hits.pages.load(Ordering::SeqCst), 1);
    srv.stop(false).await;
    other_srv.stop(false).await;
}

#[actix_rt::test]
async fn robots_disallow_all_is_honoured() {
    let (addr, hits, srv) = serve("User-agent: *\nDisallow: /\n").await;
    let f = fetcher_for(addr);
    let e = f.get(&url(addr, "/ok/")).await.unwrap_err();
    assert_eq!(
        e,
        FetchError::RobotsDisallowed(url(addr, "/ok/").to_string())
    );
    assert!(!e.is_transient());
    assert_eq!(hits.pages.load(Ordering::SeqCst), 0);
    srv.stop(false).await;
}

#[actix_rt::test]
async fn robots_is_rechecked_on_every_redirect_hop() {
    let (addr, hits, srv) = serve("User-agent: *\nDisallow: /private/\n").await;
    let f = fetcher_for(addr);
    let e = f.get(&url(addr, "/to-private")).await.unwrap_err();
    assert!(
        matches!(e, FetchError::RobotsDisallowed(ref u) if u.ends_with("/private/secret")),
        "{e}"
    );
    assert_eq!(hits.pages.load(Ordering::SeqCst), 1); // only /to-private itself
    srv.stop(false).await;
}

#[actix_rt::test]
async fn not_found_and_server_errors() {
    let (addr, _hits, srv) = serve("").await;
    let f = fetcher_for(addr);
    let e = f.get(&url(addr, "/missing/")).await.unwrap_err();
    assert!(matches!(e, FetchError::NotFound { status: 404, .. }), "{e}");
    assert!(!e.is_transient());
    let e = f.get(&url(addr, "/gone/")).await.unwrap_err();
    assert!(matches!(e, FetchError::NotFound { status: 410, .. }), "{e}");
    let e = f.get(&url(addr, "/boom/")).await.unwrap_err();
    assert_eq!(e, FetchError::Status(500));
    assert!(e.is_transient());
    srv.stop(false).await;
}

#[actix_rt::test]
async fn retry_after_is_respected_and_bounded() {
    let (addr, hits, srv) = serve("").await;
    let f = fetcher_for(addr);
    let started = Instant::now();
    let page = f.get(&url(addr, "/429-once")).await.unwrap();
    assert_eq!(page.body, "after the wait");
    assert_eq!(hits.rate_limited.load(Ordering::SeqCst), 2);
    // The second request was not sent before the server's Retry-After (a lower bound).
    assert!(started.elapsed() >= Duration::from_secs(1));
    hits.rate_limited.store(0, Ordering::SeqCst);
    // 3600 s is over the bound: reported at once, not waited.
    let e = f.get(&url(addr, "/429-long")).await.unwrap_err();
    assert_eq!(
        e,
        FetchError::RateLimited {
            retry_after: Some(3600)
        }
    );
    assert!(e.is_transient());
    assert_eq!(hits.rate_limited.load(Ordering::SeqCst), 1);
    srv.stop(false).await;
}

#[actix_rt::test]
async fn unreachable_robots_is_a_transient_error() {
    // Nothing listens on the allowlisted address: robots.txt cannot be fetched, so the
    // page is not fetched either, and the error says to try again later.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let f = fetcher_for(addr);
    let e = f.get(&url(addr, "/ok/")).await.unwrap_err();
    assert!(matches!(e, FetchError::Connect(_)), "{e}");
    assert!(e.is_transient());
}

#[test]
fn retry_after_header_forms() {
    let mut h = HeaderMap::new();
    assert_eq!(retry_after(&h), None);
    h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
    assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
    h.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry_after(&h), Some(Duration::ZERO));
    h.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static("soon"),
    );
    assert_eq!(retry_after(&h), None);
}
