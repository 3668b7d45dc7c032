//! Highly available local masters against a real ZooKeeper (`tests/zk_support`): three
//! in-process local clusters register in one group as Apache Mesos masters do; exactly one
//! leads, the followers answer the scheduler API and `/state` with 307 to the leader (no
//! scheme, the leader's host name, under `/master`), 503 while no leader is known, and when
//! the leader stops another one takes over and answers reconciliation for the dead leader's
//! tasks as for unknown tasks.

mod local_support;
mod zk_support;

use local_support::{Sched, WAIT, command_task, framework, poll, test_config};
use mesos_actix::Encoding;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{
    FrameworkInfo, TaskState,
    framework_info::capability::Type as Cap,
    scheduler::{Call, call, event},
};
use std::time::Duration;
use zk_support::ZkServer;

fn ha_config(zk: &str) -> LocalClusterConfig {
    LocalClusterConfig {
        zk: Some(zk.to_string()),
        quorum: Some(2),
        zk_session_timeout: Duration::from_secs(2),
        ..test_config(1)
    }
}

/// A client that does not follow redirects.
fn client() -> awc::Client {
    mesos_actix::__internals::client::http_client(Duration::from_secs(30))
}

/// `(status, Location)` of a SUBSCRIBE posted to `url` + `path`.
async fn subscribe_answer(url: &str, path: &str) -> (u16, Option<String>) {
    let call = local_support::subscribe_call(&framework("probe"));
    let response = client()
        .post(format!("{url}{path}"))
        .insert_header(("Content-Type", Encoding::Json.content_type()))
        .insert_header(("Accept", Encoding::Json.content_type()))
        .send_body(Encoding::Json.encode(&call))
        .await
        .expect("SUBSCRIBE answered");
    (response.status().as_u16(), location(&response))
}

/// `(status, Location)` of a GET.
async fn get_answer(url: &str, path: &str) -> (u16, Option<String>) {
    let response = client()
        .get(format!("{url}{path}"))
        .send()
        .await
        .expect("GET answered");
    (response.status().as_u16(), location(&response))
}

fn location<S>(response: &awc::ClientResponse<S>) -> Option<String> {
    response
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string)
}

/// Waits until exactly one of `clusters` leads; returns its index.
async fn one_leader(clusters: &[&LocalCluster]) -> usize {
    poll("exactly one leader", || async {
        let leaders: Vec<usize> = (0..clusters.len())
            .filter(|&i| clusters[i].is_leader())
            .collect();
        (leaders.len() == 1).then(|| leaders[0])
    })
    .await
}

/// Waits until the follower at `url` redirects SUBSCRIBE to `leader_port`.
async fn redirects_to(url: &str, leader_port: u16) {
    let expected = format!("//localhost:{leader_port}/master/api/v1/scheduler");
    poll("follower redirects to the leader", || async {
        let answer = subscribe_answer(url, "/api/v1/scheduler").await;
        (answer == (307, Some(expected.clone()))).then_some(())
    })
    .await
}

fn reconcile(s: &Sched, task: &str, agent: &str) -> Call {
    let mut c = s.call(call::Type::Reconcile);
    c.reconcile = Some(call::Reconcile {
        tasks: vec![call::reconcile::Task {
            task_id: task.into(),
            agent_id: Some(agent.into()),
        }],
    });
    c
}

fn partition_aware(name: &str) -> FrameworkInfo {
    let mut info = framework(name);
    info.add_capability(Cap::PartitionAware);
    info
}

#[actix_rt::test]
async fn one_of_three_leads_followers_redirect_and_a_new_leader_takes_over() {
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let mut clusters = Vec::new();
    for _ in 0..3 {
        let cluster = LocalCluster::start(ha_config(&group))
            .await
            .expect("local master starts");
        clusters.push(Some(cluster));
    }
    let all: Vec<&LocalCluster> = clusters.iter().flatten().collect();
    let leader = one_leader(&all).await;
    let leader_url = all[leader].url();
    let leader_port = all[leader].addr().port();
    for (i, follower) in all.iter().enumerate().filter(|(i, _)| *i != leader) {
        redirects_to(&follower.url(), leader_port).await;
        assert_eq!(
            subscribe_answer(&follower.url(), "/master/api/v1/scheduler").await,
            (
                307,
                Some(format!("//localhost:{leader_port}/master/api/v1/scheduler"))
            ),
            "follower {i}"
        );
        assert_eq!(
            get_answer(&follower.url(), "/state").await,
            (307, Some(format!("//localhost:{leader_port}/master/state")))
        );
        // Agents, health and the web page are every master's own.
        assert_eq!(get_answer(&follower.url(), "/health").await.0, 200);
    }
    assert_eq!(get_answer(&leader_url, "/master/state").await.0, 200);

    // The leader serves /master/api/v1/scheduler; a task runs on its agent.
    let mut s = Sched::subscribe(
        &format!("{leader_url}/master"),
        Encoding::Json,
        framework("ha"),
    )
    .await;
    let offers = s.offers().await;
    let agent = offers[0].agent_id.value.clone();
    s.launch(&offers[0], vec![command_task("t1", &offers[0], "sleep 60")])
        .await;
    s.until_state("t1", TaskState::TaskRunning).await;
    drop(s);

    // The leader dies with its agents and tasks; another master takes over.
    let dead = clusters
        .iter_mut()
        .flatten()
        .position(|c| c.url() == leader_url)
        .expect("the leader is one of them");
    let old = clusters[dead].take().expect("leader still running");
    old.stop().await;
    let rest: Vec<&LocalCluster> = clusters.iter().flatten().collect();
    let new_leader = one_leader(&rest).await;
    let new_url = rest[new_leader].url();
    let new_port = rest[new_leader].addr().port();
    assert_ne!(new_url, leader_url);
    let follower = rest[1 - new_leader];
    redirects_to(&follower.url(), new_port).await;

    // The new leader does not know the dead leader's task: TASK_LOST, or TASK_UNKNOWN for a
    // partition-aware framework.
    for (info, expected) in [
        (framework("plain"), TaskState::TaskLost),
        (partition_aware("aware"), TaskState::TaskUnknown),
    ] {
        let mut s = Sched::subscribe(&new_url, Encoding::Json, info).await;
        assert_eq!(s.post(&reconcile(&s, "t1", &agent)).await.0, 202);
        let update = s
            .wait_for("reconciliation of t1", |e| {
                e.r#type() == event::Type::Update
                    && e.update
                        .as_ref()
                        .is_some_and(|u| u.status.task_id.value == "t1")
            })
            .await;
        let status = update.update.expect("an update").status;
        assert_eq!(status.state(), expected, "{status:?}");
    }
    for cluster in clusters.into_iter().flatten() {
        cluster.stop().await;
    }
}

#[actix_rt::test]
async fn no_leader_known_is_503_until_zookeeper_answers() {
    let mut zk = ZkServer::start().await;
    zk.stop();
    let cluster = LocalCluster::start(ha_config(&zk.url("/mesos")))
        .await
        .expect("local master starts without ZooKeeper");
    assert!(!cluster.is_leader());
    let url = cluster.url();
    assert_eq!(
        subscribe_answer(&url, "/api/v1/scheduler").await,
        (503, None)
    );
    assert_eq!(get_answer(&url, "/state").await, (503, None));
    assert_eq!(get_answer(&url, "/health").await.0, 200);
    zk.restart().await;
    poll("the only master leads once ZooKeeper is back", || async {
        cluster.is_leader().then_some(())
    })
    .await;
    let answer = tokio::time::timeout(WAIT, get_answer(&url, "/state")).await;
    assert_eq!(answer.expect("state answered").0, 200);
    let s = Sched::subscribe(&url, Encoding::Json, framework("after")).await;
    drop(s);
    cluster.stop().await;
}
