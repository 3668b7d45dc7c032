//! An executor process is killed in the middle of a task: the task is retried, the user's
//! result still arrives exactly once, and the summary counts it. Needs the Mesos runtime
//! (the embedded local cluster launches the executors as processes); skipped, with a
//! note, in builds where it is not wired yet.

mod pinspider_support;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pinspider_support::binary;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Site {
    profile_hits: AtomicUsize,
    hung: AtomicBool,
}

const PROFILE: &str = r#"<html><head>
<meta property="og:title" name="og:title" content="Slow User" data-app>
<meta property="pinterestapp:followers" name="pinterestapp:followers" content="1,234" data-app>
<meta property="pinterestapp:pins" name="pinterestapp:pins" content="5" data-app>
</head><body><a class="b" href="/slowuser/first-board/">First board</a>
<script id="__PWS_INITIAL_PROPS__" type="application/json">{"initialReduxState":{"users":{"slowuser":{"username":"slowuser","full_name":"Slow User"}},
"boards":{"1":{"name":"First board","url":"/slowuser/first-board/","pin_count":5,"owner":{"username":"slowuser"}}}}}</script>
</body></html>"#;

const BOARD: &str = r#"<html><head>
<meta property="og:title" name="og:title" content="First board" data-app>
<meta property="pinterestapp:pins" name="pinterestapp:pins" content="5" data-app>
</head><body></body></html>"#;

async fn page(req: HttpRequest, site: web::Data<Site>) -> HttpResponse {
    match req.path() {
        "/slowuser/" => {
            if site.profile_hits.fetch_add(1, Ordering::SeqCst) == 0 {
                // The first request never gets an answer: its executor is killed meanwhile.
                site.hung.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }
            HttpResponse::Ok().content_type("text/html").body(PROFILE)
        }
        "/slowuser/first-board/" => HttpResponse::Ok().content_type("text/html").body(BOARD),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// Every descendant of `root` whose command line is `... executor --kind ...`.
fn executor_descendants(root: u32) -> Vec<i32> {
    let mut parent = HashMap::new();
    let mut cmdlines = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the comm may contain spaces, so split after ')'.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else {
            continue;
        };
        let Some(ppid) = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        parent.insert(pid, ppid);
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        cmdlines.insert(pid, String::from_utf8_lossy(&cmd).replace('\0', " "));
    }
    let is_descendant = |mut pid: i32| {
        for _ in 0..64 {
            match parent.get(&pid) {
                Some(&p) if p == root as i32 => return true,
                Some(&p) if p > 1 => pid = p,
                _ => return false,
            }
        }
        false
    };
    cmdlines
        .iter()
        .filter(|(pid, cmd)| {
            cmd.contains("pinspider") && cmd.contains(" executor --kind ") && is_descendant(**pid)
        })
        .map(|(pid, _)| *pid)
        .collect()
}

#[actix_rt::test]
async fn killed_executor_is_retried_and_the_result_arrives_once() {
    let site = Arc::new(Site::default());
    let data = web::Data::from(site.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(page))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(binary())
        .args([
            &format!("http://{addr}/slowuser/"),
            "--allow-private-network",
            "--rate",
            "100",
        ])
        .current_dir(dir.path())
        .env_remove("MESOS_MASTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Wait (bounded) until an executor is stuck on the profile page, then kill every
    // executor process of this pinspider.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !site.hung.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "no executor fetched the profile");
        assert!(
            child.try_wait().unwrap().is_none(),
            "pinspider exited early"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    let victims = executor_descendants(child.id());
    assert!(
        !victims.is_empty(),
        "no executor process found under pinspider"
    );
    for pid in &victims {
        // SAFETY: plain kill(2) on a pid we just found under our own child.
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pinspider did not finish after the executor was killed");
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let profiles: Vec<_> = lines.iter().filter(|v| v["kind"] == "profile").collect();
    assert_eq!(profiles.len(), 1, "exactly once: {stdout}");
    assert_eq!(profiles[0]["followers"]["value"], 1234);
    assert!(profiles[0].get("error").is_none(), "{stdout}");
    assert_eq!(
        lines.iter().filter(|v| v["kind"] == "board").count(),
        1,
        "{stdout}"
    );
    assert!(
        site.profile_hits.load(Ordering::SeqCst) >= 2,
        "the task was not retried"
    );
    assert!(stderr.contains("1 users (1 ok, 0 failed)"), "{stderr}");
    handle.stop(false).await;
}
