//! Three `mesos-local --zk` processes behind a real ZooKeeper (`tests/zk_support`): one
//! leads, the others redirect `/state` to it; the leader is killed (SIGKILL: its ZooKeeper
//! session expires rather than closes) and one of the others takes over.

mod zk_support;

use std::time::Duration;
use zk_support::{LocalMasterProcess as Master, ZkServer, wait};

/// Bound on each wait (the dead leader's session has to expire first).
const WAIT: Duration = Duration::from_secs(60);

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
    wait::until("a settled leader", WAIT, || async {
        let mut answers = Vec::new();
        for master in masters {
            answers.push(state_answer(&master.url).await);
        }
        let leaders: Vec<usize> = (0..masters.len())
            .filter(|&i| matches!(answers[i], Some((200, _))))
            .collect();
        let [leader] = leaders[..] else {
            return None;
        };
        let expected = format!("//localhost:{}/master/state", masters[leader].port);
        (0..masters.len())
            .filter(|&i| i != leader)
            .all(|i| answers[i] == Some((307, Some(expected.clone()))))
            .then_some(leader)
    })
    .await
}

#[actix_rt::test]
async fn three_mesos_local_processes_elect_and_replace_a_killed_leader() {
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let mut masters: Vec<Master> = (0..3)
        .map(|_| Master::start(&group, "cpus:1;mem:256"))
        .collect();
    let leader = settled_leader(&masters.iter().collect::<Vec<_>>()).await;
    let old_port = masters[leader].port;
    masters[leader].kill();
    masters.remove(leader);
    let new_leader = settled_leader(&masters.iter().collect::<Vec<_>>()).await;
    assert_ne!(masters[new_leader].port, old_port);
}
