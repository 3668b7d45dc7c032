//! Black-box: the `pinspider` binary on the unseen-layout fixture site (profiles whose
//! boards appear only as plain links in markup no extractor knows), crawled through the
//! embedded cluster's executors. The site is the example's fixture files
//! (`examples/pinspider/fixtures/<user>.html`, `<user>_<board>.html`, `robots.txt`),
//! served here on loopback because the binary's `--demo` site starts from `techcrunch`.

#![cfg(feature = "local")]

mod pinspider_support;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use pinspider_support::run;
use std::net::SocketAddr;
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/pinspider/fixtures")
}

/// The fixture file for a request path: `/u/` -> `u.html`, `/u/b/` -> `u_b.html`.
fn fixture_file(path: &str) -> Option<PathBuf> {
    if path == "/robots.txt" {
        return Some(fixture_dir().join("robots.txt"));
    }
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    let segs: Vec<&str> = inner.split('/').collect();
    let ok = |s: &&str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    (segs.len() <= 2 && segs.iter().all(ok))
        .then(|| fixture_dir().join(format!("{}.html", segs.join("_"))))
}

async fn serve(req: HttpRequest) -> HttpResponse {
    let file = fixture_file(req.path()).and_then(|f| std::fs::read_to_string(f).ok());
    match file {
        Some(body) if req.path() == "/robots.txt" => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(body),
        Some(body) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
        None => HttpResponse::NotFound().body("not found"),
    }
}

/// Serves the fixture files on its own thread; stopped when dropped.
struct Site {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Site {
    fn start() -> Site {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let server = HttpServer::new(|| App::new().default_service(web::to(serve)))
                    .workers(1)
                    .disable_signals()
                    .tcp_nodelay(true)
                    .bind(("127.0.0.1", 0))
                    .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                let _ = server.await;
            });
        });
        let (addr, handle) = rx.recv().unwrap();
        Site {
            addr,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        // Stopping resolves the server future, which ends the thread's system.
        let stop = self.handle.stop(false);
        actix_rt::System::new().block_on(stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn fixture_paths_map_to_files_only() {
    assert!(fixture_file("/marisol/").unwrap().ends_with("marisol.html"));
    assert!(
        fixture_file("/marisol/viajes/")
            .unwrap()
            .ends_with("marisol_viajes.html")
    );
    for bad in ["/../Cargo.toml/", "/a/b/c/", "/marisol", "//", "/mod.rs/"] {
        assert_eq!(fixture_file(bad), None, "{bad}");
    }
}

#[test]
fn binary_finds_and_crawls_boards_of_an_unseen_layout() {
    let site = Site::start();
    let seed = format!("http://{}/marisol/", site.addr);
    let out = run(
        &[
            &seed,
            "--follow",
            "--allow-private-network",
            "--rate",
            "1000",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().all(|v| v.get("error").is_none()), "{stdout}");
    let mut names: Vec<&str> = lines
        .iter()
        .filter(|v| v["kind"] == "profile")
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Klaus Klein", "Marisol Vega"]);
    let mut boards: Vec<(String, &str, u64)> = lines
        .iter()
        .filter(|v| v["kind"] == "board")
        .map(|v| {
            let url = url::Url::parse(v["url"].as_str().unwrap()).unwrap();
            (
                url.path().to_string(),
                v["title"].as_str().unwrap(),
                v["pin_count"]["value"].as_u64().unwrap(),
            )
        })
        .collect();
    boards.sort();
    assert_eq!(
        boards,
        [
            ("/gartenfreund/hochbeete/".to_string(), "Hochbeete", 64),
            ("/gartenfreund/kraeuter/".to_string(), "Kräuter & Tee", 448),
            (
                "/marisol/jardin-vertical/".to_string(),
                "Jardín vertical",
                0
            ),
            (
                "/marisol/recetas-caseras/".to_string(),
                "Recetas caseras",
                48
            ),
            ("/marisol/viajes/".to_string(), "Viajes por Asia", 1203),
        ]
    );
    // robots.txt keeps /marisol/private-stash/ out.
    assert!(!stdout.contains("private-stash"), "{stdout}");
    assert!(stderr.contains("2 users (2 ok, 0 failed)"), "{stderr}");
    assert!(stderr.contains("5 boards"), "{stderr}");
    drop(site);
}
