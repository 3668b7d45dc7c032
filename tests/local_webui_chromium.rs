//! The web page renders in headless Chromium with the frameworks and tasks of a running
//! cluster: the rendered DOM is checked and a screenshot is taken (kept as
//! `local-ui-screenshot.png` in the target directory).
//!
//! Needs a Chromium (`CHROMIUM=/path`, or one on `PATH`). When none is found and the test
//! runs as root with `apt-get`, it installs Debian's `chromium` itself, so `cargo test` works
//! on a fresh machine. Otherwise it fails, unless `MESOS_ACTIX_SKIP_CHROMIUM=1` says to skip.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::TaskState;

fn chromium() -> Option<String> {
    find_chromium().or_else(|| {
        install_chromium();
        find_chromium()
    })
}

/// `apt-get install chromium`, when we are root and apt-get exists; its output goes to the
/// test's stderr.
fn install_chromium() {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !root || !std::path::Path::new("/usr/bin/apt-get").exists() {
        return;
    }
    eprintln!("no chromium found: installing Debian's chromium with apt-get");
    let script =
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium";
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", script])
        .status();
    eprintln!("apt-get install chromium: {status:?}");
}

fn find_chromium() -> Option<String> {
    if let Ok(c) = std::env::var("CHROMIUM") {
        return Some(c);
    }
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .into_iter()
    .find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    })
}

async fn headless(chrome: &str, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(std::time::Duration::from_secs(60), out)
        .await
        .expect("chromium timed out")
        .expect("cannot run chromium")
}

#[actix_rt::test]
async fn web_page_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        if std::env::var("MESOS_ACTIX_SKIP_CHROMIUM").as_deref() == Ok("1") {
            eprintln!("skipped: no chromium and MESOS_ACTIX_SKIP_CHROMIUM=1");
            return;
        }
        panic!(
            "no chromium found and it could not be installed: apt-get install chromium, set CHROMIUM=/path, or MESOS_ACTIX_SKIP_CHROMIUM=1"
        );
    };
    let cluster = start(2).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("ui-framework")).await;
    let offers = s.offers().await;
    s.launch(
        &offers[0],
        vec![
            command_task("ui-running-task", &offers[0], "sleep 30"),
            command_task("ui-finished-task", &offers[0], "true"),
        ],
    )
    .await;
    s.until_state("ui-running-task", TaskState::TaskRunning)
        .await;
    s.until_state("ui-finished-task", TaskState::TaskFinished)
        .await;

    let url = format!("{}/", cluster.url());
    let dom = headless(&chrome, &["--dump-dom", &url]).await;
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    for needle in [
        "ui-framework",
        "ui-running-task",
        "ui-finished-task",
        "TASK_RUNNING",
        "TASK_FINISHED",
        "slave(1)@",
        "slave(2)@",
    ] {
        assert!(html.contains(needle), "{needle} not rendered:\n{html}");
    }

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("ui.png");
    let shot = headless(
        &chrome,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,900",
            &url,
        ],
    )
    .await;
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("no screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        bytes.len() > 10_000,
        "screenshot suspiciously small: {} bytes",
        bytes.len()
    );
    let keep = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("local-ui-screenshot.png");
    let keep = std::env::var("CARGO_TARGET_DIR")
        .map(|d| std::path::PathBuf::from(d).join("local-ui-screenshot.png"))
        .unwrap_or(keep);
    let _ = std::fs::write(&keep, &bytes);
    cluster.stop().await;
}

/// The `href` of the `a.{class}` link in the row of `task` in the table `#{table}`.
fn task_link(html: &str, table: &str, task: &str, class: &str) -> Option<String> {
    use kuchiki::traits::TendrilSink;
    let doc = kuchiki::parse_html().one(html);
    let rows = doc.select(&format!("#{table} tr")).ok()?;
    for row in rows {
        if !row.text_contents().contains(task) {
            continue;
        }
        let link = row.as_node().select_first(&format!("a.{class}")).ok()?;
        return link.attributes.borrow().get("href").map(str::to_string);
    }
    None
}

#[actix_rt::test]
async fn a_failed_tasks_stderr_is_one_click_from_the_page_in_chromium() {
    let Some(chrome) = chromium() else {
        if std::env::var("MESOS_ACTIX_SKIP_CHROMIUM").as_deref() == Ok("1") {
            eprintln!("skipped: no chromium and MESOS_ACTIX_SKIP_CHROMIUM=1");
            return;
        }
        panic!("no chromium found and it could not be installed");
    };
    const UNIQUE: &str = "chromium-stderr-7d2a41";
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("ui-failing")).await;
    let offers = s.offers().await;
    let script = format!("echo {UNIQUE} >&2; exit 1");
    s.launch(
        &offers[0],
        vec![command_task("ui-failing-task", &offers[0], &script)],
    )
    .await;
    s.until_state("ui-failing-task", TaskState::TaskFailed)
        .await;

    // The page, as Chromium renders it: the failed task among the completed ones (the
    // acknowledgement moves it there) with its final state and message.
    let page = poll("the failed task among the completed tasks", || {
        let chrome = chrome.clone();
        let url = format!("{}/", cluster.url());
        async move {
            let dom = headless(&chrome, &["--dump-dom", &url]).await;
            let html = String::from_utf8_lossy(&dom.stdout).into_owned();
            task_link(&html, "completed", "ui-failing-task", "stderr").map(|l| (html, l))
        }
    })
    .await;
    let (html, stderr_href) = page;
    assert!(html.contains("TASK_FAILED"), "{html}");
    assert!(html.contains("Command exited with status 1"), "{html}");

    // One click: the stderr link shows the text.
    let url = format!("{}{stderr_href}", cluster.url());
    let dom = headless(&chrome, &["--dump-dom", &url]).await;
    let tail = String::from_utf8_lossy(&dom.stdout);
    assert!(tail.contains(UNIQUE), "stderr not shown at {url}:\n{tail}");

    // The files API refuses a path outside the sandboxes, in the browser too.
    for path in ["/etc/passwd", "%2Fetc%2F..%2Fetc%2Fpasswd"] {
        let url = format!("{}/files/read?path={path}&offset=0", cluster.url());
        let dom = headless(&chrome, &["--dump-dom", &url]).await;
        let text = String::from_utf8_lossy(&dom.stdout);
        assert!(!text.contains("root:"), "{url} leaked:\n{text}");
        let (code, _) = {
            let mut r = client().get(&url).send().await.unwrap();
            (r.status().as_u16(), r.body().await.unwrap())
        };
        assert!(code == 404 || code == 400, "{url}: {code}");
    }
    cluster.stop().await;
}
