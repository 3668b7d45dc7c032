//! pinspider on the unseen-layout site, served by the demo site: the boards it lists only
//! as plain links are found and crawled, `robots.txt` keeps one out, names come out clean;
//! first one boards task, then a whole crawl through the crawler actor.

use super::DemoSite;
use crate::cli::{Cli, Settings};
use crate::fetch::{FetchConfig, Fetcher, NetGuard};
use crate::model::{Board, FetchSettings, Record, TaskKind, TaskPayload};
use clap::Parser;

fn fetcher(site: &DemoSite, respect_robots: bool) -> Fetcher {
    Fetcher::new(FetchConfig {
        rate_per_sec: 0.0,
        respect_robots,
        guard: NetGuard {
            allow_addrs: vec![site.addr],
            ..Default::default()
        },
        ..Default::default()
    })
}

fn boards_task(site: &DemoSite, user: &str) -> TaskPayload {
    TaskPayload {
        task: format!("boards.0.{user}"),
        kind: TaskKind::Boards,
        url: site.user_url(user),
        fetch: FetchSettings::default(),
    }
}

fn boards(records: &[Record]) -> Vec<&Board> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Board(b) => Some(b),
            Record::Profile(_) => None,
        })
        .collect()
}

/// (path, title, pin count) of each board.
fn summary(boards: &[&Board]) -> Vec<(String, String, u64)> {
    boards
        .iter()
        .map(|b| {
            let path = url::Url::parse(&b.url).unwrap().path().to_string();
            let title = b.title.clone().unwrap_or_default();
            let pins = b
                .pin_count
                .as_ref()
                .and_then(|c| c.value)
                .unwrap_or(u64::MAX);
            (path, title, pins)
        })
        .collect()
}

fn expect(rows: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    rows.iter()
        .map(|(p, t, n)| (p.to_string(), t.to_string(), *n))
        .collect()
}

#[actix_rt::test]
async fn boards_task_on_an_unseen_layout_finds_and_crawls_its_boards() {
    let site = DemoSite::start().unwrap();
    let f = fetcher(&site, true);
    let r = crate::work::run(&boards_task(&site, "marisol"), &f).await;
    assert_eq!(r.error, None, "{r:?}");
    let got = boards(&r.records);
    assert!(got.iter().all(|b| b.error.is_none()), "{got:?}");
    assert!(got.iter().all(|b| b.owner.as_deref() == Some("marisol")));
    assert_eq!(
        summary(&got),
        expect(&[
            ("/marisol/recetas-caseras/", "Recetas caseras", 48),
            ("/marisol/viajes/", "Viajes por Asia", 1203),
            ("/marisol/jardin-vertical/", "Jardín vertical", 0),
        ])
    );
    assert_eq!(r.discovered, vec![site.user_url("gartenfreund")]);

    let r = crate::work::run(&boards_task(&site, "gartenfreund"), &f).await;
    assert_eq!(r.error, None, "{r:?}");
    assert_eq!(
        summary(&boards(&r.records)),
        expect(&[
            ("/gartenfreund/hochbeete/", "Hochbeete", 64),
            ("/gartenfreund/kraeuter/", "Kräuter & Tee", 448),
        ])
    );
    site.stop().await;
}

#[actix_rt::test]
async fn robots_txt_is_what_keeps_the_excluded_board_out() {
    let site = DemoSite::start().unwrap();
    let r = crate::work::run(&boards_task(&site, "marisol"), &fetcher(&site, false)).await;
    let paths: Vec<String> = summary(&boards(&r.records))
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert_eq!(paths[3], "/marisol/private-stash/");
    site.stop().await;
}

#[actix_rt::test]
async fn max_boards_counts_only_boards_visited() {
    let site = DemoSite::start().unwrap();
    let mut task = boards_task(&site, "marisol");
    task.fetch.max_boards = 2;
    let r = crate::work::run(&task, &fetcher(&site, true)).await;
    assert_eq!(boards(&r.records).len(), 2);
    site.stop().await;
}

#[actix_rt::test]
async fn crawl_of_the_unseen_site_follows_and_reads_everything() {
    let site = DemoSite::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let cli = Cli::try_parse_from([
        "pinspider",
        "--in-process",
        "--follow",
        "--rate",
        "1000",
        "--output",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let mut settings = Settings::load(&cli).unwrap();
    settings.urls = vec![site.user_url("marisol")];
    settings.allow_private_network = true;
    let s = crate::crawl_with(&settings).await.unwrap();
    assert_eq!(s.exit_code(), 0, "{s}");
    assert_eq!(s.users, crate::fixtures::UNSEEN_USERS.len());
    assert_eq!(s.boards, 5, "{s}");
    let recs: Vec<Record> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(recs.iter().all(|r| r.error().is_none()), "{recs:?}");
    let mut names: Vec<String> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Profile(p) => p.name.clone(),
            Record::Board(_) => None,
        })
        .collect();
    names.sort();
    assert_eq!(names, vec!["Klaus Klein", "Marisol Vega"]);
    let mut got = summary(&boards(&recs));
    got.sort();
    assert_eq!(
        got,
        expect(&[
            ("/gartenfreund/hochbeete/", "Hochbeete", 64),
            ("/gartenfreund/kraeuter/", "Kräuter & Tee", 448),
            ("/marisol/jardin-vertical/", "Jardín vertical", 0),
            ("/marisol/recetas-caseras/", "Recetas caseras", 48),
            ("/marisol/viajes/", "Viajes por Asia", 1203),
        ])
    );
    site.stop().await;
}
