//! Three `mesos-local --zk` processes behind a real ZooKeeper (`tests/zk_support`): one
//! leads, the others redirect `/state` to it; the leader is killed (SIGKILL: its ZooKeeper
//! session expires rather than closes) and one of the others takes over.

mod zk_support;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zk_support::ZkServer;

/// Bound on each wait (the dead leader's session has to expire first).
const WAIT: Duration = Duration::from_secs(60);

/// A `mesos-local` child, killed when dropped.
struct Master {
    child: Child,
    url: String,
    port: u16,
}

impl Master {
    fn start(zk: &str) -> Master {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mesos-local"))
            .args([
                "--port",
                "0",
                "--agents",
                "1",
                "--resources",
                "cpus:1;mem:256",
            ])
            .args(["--zk", zk, "--quorum", "2", "--zk-session-timeout", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mesos-local");
        let stdout = child.stdout.take().expect("stdout piped");
        let line = std::io::BufReader::new(stdout)
            .lines()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let url = line
            .strip_prefix("mesos-local listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL");
        Master { child, url, port }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `(status, Location)` of `GET url/state`; `None` when the master does not answer.
async fn state_answer(url: &str) -> Option<(u16, Option<String>)> {
    let client = mesos_actix::__internals::client::http_client(Duration::from_secs(10));
    let response = client.get(format!("{url}/state")).send().await.ok()?;
    let location = response
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    Some((response.status().as_u16(), location))
}

/// Waits until exactly one of `masters` serves `/state` and all others redirect it there;
/// returns the leader's index.
async fn settled_leader(masters: &[&Master]) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut answers = Vec::new();
        for master in masters {
            answers.push(state_answer(&master.url).await);
        }
        let leaders: Vec<usize> = (0..masters.len())
            .filter(|&i| matches!(answers[i], Some((200, _))))
            .collect();
        if let [leader] = leaders[..] {
            let expected = format!("//localhost:{}/master/state", masters[leader].port);
            let followers_redirect = (0..masters.len())
                .filter(|&i| i != leader)
                .all(|i| answers[i] == Some((307, Some(expected.clone()))));
            if followers_redirect {
                return leader;
            }
        }
        assert!(Instant::now() < deadline, "no settled leader: {answers:?}");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn three_mesos_local_processes_elect_and_replace_a_killed_leader() {
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let mut masters: Vec<Master> = (0..3).map(|_| Master::start(&group)).collect();
    let leader = settled_leader(&masters.iter().collect::<Vec<_>>()).await;
    let old_port = masters[leader].port;
    masters[leader].kill();
    masters.remove(leader);
    let new_leader = settled_leader(&masters.iter().collect::<Vec<_>>()).await;
    assert_ne!(masters[new_leader].port, old_port);
}
