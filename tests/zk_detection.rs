//! `zk://` master detection and leader registration against a real ZooKeeper server
//! (Debian's package; `tests/zk_support`). Master nodes are written as Apache Mesos masters
//! write them; a master's death is its session's end.

mod zk_support;

use mesos_actix::__internals::zk::{
    LeaderDetector, MasterInfoError, Registration, Role, ZkError, ZkOptions, ZkStatus, ZkUrl,
};
use std::time::Duration;
use zk_support::{FakeMesosMaster, ZkServer, master_info_json, wait_for};
use zookeeper_client as zk;

/// Short timings so that failures and retries show up quickly.
fn options() -> ZkOptions {
    ZkOptions {
        session_timeout: Duration::from_secs(2),
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        ..ZkOptions::default()
    }
}

fn detector(url: &str) -> LeaderDetector {
    LeaderDetector::spawn(ZkUrl::parse(url).expect("zk url"), options())
}

fn leader_port(leader: &Option<mesos_actix::__internals::zk::Leader>) -> Option<u16> {
    leader.as_ref().and_then(|l| l.url.port())
}

#[actix_rt::test]
async fn leader_is_lowest_json_info_node_and_changes_are_followed() {
    let server = ZkServer::start().await;
    let admin = server.client().await;
    let all = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    admin.mkdir("/mesos", &all).await.unwrap();
    // Nodes that are not masters: the replicated log's, an old protobuf label, junk.
    admin
        .create("/mesos/log_replicas", b"x", &all)
        .await
        .unwrap();
    admin
        .create("/mesos/info_0000000000", b"\x08\x01", &all)
        .await
        .unwrap();
    admin
        .create("/mesos/json.info_x", b"{}", &all)
        .await
        .unwrap();
    let first = FakeMesosMaster::register(&server, "/mesos", 5261).await;
    let second = FakeMesosMaster::register(&server, "/mesos", 5262).await;

    let detector = detector(&server.url("/mesos"));
    let mut leader = detector.leader();
    let found = wait_for(&mut leader, "first leader", |l| l.is_some()).await;
    let found = found.unwrap();
    assert_eq!(found.url.as_str(), "http://127.0.0.1:5261/");
    assert_eq!(found.node, first.node);
    assert_eq!(found.id, "master-5261");
    assert_eq!(found.version.as_deref(), Some("1.11.1"));
    assert_eq!(*detector.status().borrow(), ZkStatus::Watching);

    // A third master queues behind; the leader stays.
    let third = FakeMesosMaster::register(&server, "/mesos", 5263).await;
    // The leader dies: its session ends and its node goes; the next in line leads.
    drop(first);
    let next = wait_for(&mut leader, "second leader", |l| {
        leader_port(l) == Some(5262)
    })
    .await;
    assert_eq!(next.unwrap().node, second.node);
    drop(second);
    wait_for(&mut leader, "third leader", |l| {
        leader_port(l) == Some(5263)
    })
    .await;
    drop(third);
    wait_for(&mut leader, "no leader", Option::is_none).await;
    assert_eq!(*detector.status().borrow(), ZkStatus::Watching);
}

#[actix_rt::test]
async fn missing_group_and_unusable_master_info() {
    let server = ZkServer::start().await;
    // The group does not exist yet: no leader, and that is not a failure.
    let detector = detector(&server.url("/later/mesos"));
    let mut status = detector.status();
    let mut leader = detector.leader();
    wait_for(&mut status, "watching the missing group", |s| {
        *s == ZkStatus::Watching
    })
    .await;
    assert!(leader.borrow().is_none());

    // A leader whose node holds no MasterInfo JSON: no leader, typed error.
    let bad = FakeMesosMaster::register_data(
        server.client().await,
        "/later/mesos",
        b"not json",
        zk::Acls::anyone_all(),
    )
    .await;
    let good = FakeMesosMaster::register(&server, "/later/mesos", 5300).await;
    let failing = wait_for(&mut status, "bad MasterInfo reported", |s| {
        matches!(
            s,
            ZkStatus::Failing {
                error: ZkError::LeaderInfo { .. },
                ..
            }
        )
    })
    .await;
    match failing {
        ZkStatus::Failing {
            error: ZkError::LeaderInfo { node, error },
            ..
        } => {
            assert_eq!(node, bad.node);
            assert!(matches!(error, MasterInfoError::Json(_)), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(leader.borrow().is_none());

    // Once it is gone the next master leads and the status recovers.
    drop(bad);
    let found = wait_for(&mut leader, "good leader", |l| leader_port(l) == Some(5300)).await;
    assert_eq!(found.unwrap().node, good.node);
    wait_for(&mut status, "healthy again", |s| *s == ZkStatus::Watching).await;
}

#[actix_rt::test]
async fn digest_credentials() {
    let server = ZkServer::start().await;
    // The group and the master's node are readable by the digest user only.
    static CREATOR_ALL: [zk::Acl; 1] = [zk::Acl::new_const(zk::Permission::ALL, "auth", "")];
    let master_client = server.client_with(Some("mesos:s3cret")).await;
    let data = master_info_json(5400);
    let master = FakeMesosMaster::register_data(
        master_client,
        "/secure",
        data.as_bytes(),
        zk::Acls::new(&CREATOR_ALL),
    )
    .await;

    let with = detector(&server.url_with("mesos", "s3cret", "/secure"));
    let mut leader = with.leader();
    let found = wait_for(&mut leader, "leader with credentials", |l| l.is_some()).await;
    assert_eq!(found.unwrap().node, master.node);

    for url in [
        server.url("/secure"),
        server.url_with("mesos", "wrong", "/secure"),
    ] {
        let refused = detector(&url);
        let mut status = refused.status();
        wait_for(&mut status, "refusal reported", |s| {
            matches!(
                s,
                ZkStatus::Failing {
                    error: ZkError::NoAuth { .. },
                    ..
                }
            )
        })
        .await;
        assert!(refused.leader().borrow().is_none(), "{url}");
    }
}

#[actix_rt::test]
async fn zookeeper_down_keeps_the_leader_and_detection_resumes() {
    let mut server = ZkServer::start().await;
    let first = FakeMesosMaster::register(&server, "/mesos", 5501).await;
    let first_path = first.path.clone();
    let detector = detector(&server.url("/mesos"));
    let mut leader = detector.leader();
    let mut status = detector.status();
    wait_for(&mut leader, "leader", |l| leader_port(l) == Some(5501)).await;

    server.stop();
    let failing = wait_for(&mut status, "outage reported", |s| {
        matches!(s, ZkStatus::Failing { .. })
    })
    .await;
    assert!(
        matches!(
            failing,
            ZkStatus::Failing {
                error: ZkError::Disconnected | ZkError::Unreachable { .. },
                ..
            }
        ),
        "{failing:?}"
    );
    // The session is given up after its timeout; reconnecting fails (retried with backoff)
    // while the last leader stays published.
    wait_for(&mut status, "unreachable reported", |s| {
        matches!(s, ZkStatus::Failing { error: ZkError::Unreachable { .. }, failures } if *failures >= 2)
    })
    .await;
    assert_eq!(leader_port(&leader.borrow()), Some(5501));

    server.restart().await;
    wait_for(&mut status, "detection resumed", |s| {
        *s == ZkStatus::Watching
    })
    .await;
    // Detection follows changes made after the outage: the old leader goes (its session
    // may or may not have survived the restart) and a new master leads.
    let second = FakeMesosMaster::register(&server, "/mesos", 5502).await;
    drop(first);
    let admin = server.client().await;
    match admin.delete(&first_path, None).await {
        Ok(()) | Err(zk::Error::NoNode) => {}
        Err(e) => panic!("delete {first_path}: {e}"),
    }
    let found = wait_for(&mut leader, "new leader after the outage", |l| {
        leader_port(l) == Some(5502)
    })
    .await;
    assert_eq!(found.unwrap().node, second.node);
}

#[actix_rt::test]
async fn registration_elects_the_first_and_fails_over() {
    let server = ZkServer::start().await;
    let url = ZkUrl::parse(&server.url("/mesos")).unwrap();
    let one = Registration::spawn(url.clone(), master_info_json(5601).into_bytes(), options());
    let mut role_one = one.role();
    wait_for(&mut role_one, "first leads", |r| {
        matches!(r, Role::Leader { .. })
    })
    .await;
    assert!(one.is_leader());

    let two = Registration::spawn(url.clone(), master_info_json(5602).into_bytes(), options());
    let mut role_two = two.role();
    let follower = wait_for(&mut role_two, "second follows", |r| {
        matches!(r, Role::Follower { .. })
    })
    .await;
    assert!(!two.is_leader());

    // A detector (a framework) sees the registered leader, like a native master's.
    let detector = LeaderDetector::spawn(url, options());
    let mut leader = detector.leader();
    let found = wait_for(&mut leader, "registered leader", |l| l.is_some()).await;
    let found = found.unwrap();
    assert_eq!(found.url.as_str(), "http://127.0.0.1:5601/");
    match (&follower, &*role_one.borrow()) {
        (Role::Follower { leader, .. }, Role::Leader { node }) => {
            assert_eq!(leader, node);
            assert_eq!(&found.node, node);
        }
        other => panic!("{other:?}"),
    }

    // The leader goes away (its session closes): the second takes over.
    drop(one);
    wait_for(&mut role_two, "second leads", |r| {
        matches!(r, Role::Leader { .. })
    })
    .await;
    assert!(two.is_leader());
    wait_for(&mut leader, "detector follows", |l| {
        leader_port(l) == Some(5602)
    })
    .await;
}

#[actix_rt::test]
async fn registration_survives_a_zookeeper_outage_by_registering_again() {
    let mut server = ZkServer::start().await;
    let url = ZkUrl::parse(&server.url("/mesos")).unwrap();
    let member = Registration::spawn(url, master_info_json(5701).into_bytes(), options());
    let mut role = member.role();
    let mut status = member.status();
    let Role::Leader { node: first } =
        wait_for(&mut role, "leads", |r| matches!(r, Role::Leader { .. })).await
    else {
        unreachable!()
    };

    // Without ZooKeeper for longer than the session timeout, leadership is given up.
    server.stop();
    wait_for(&mut status, "outage reported", |s| {
        matches!(
            s,
            ZkStatus::Failing {
                error: ZkError::Disconnected,
                ..
            }
        )
    })
    .await;
    wait_for(&mut role, "leadership given up", |r| {
        *r == Role::Registering
    })
    .await;
    assert!(!member.is_leader());

    // ZooKeeper returns: registered again (a new node) and leading again.
    server.restart().await;
    let again = wait_for(
        &mut role,
        "leads again",
        |r| matches!(r, Role::Leader { node } if *node != first),
    )
    .await;
    wait_for(&mut status, "healthy again", |s| *s == ZkStatus::Watching).await;
    let Role::Leader { node } = again else {
        unreachable!()
    };
    let admin = server.client().await;
    let children = admin.list_children("/mesos").await.unwrap();
    assert!(children.contains(&node), "{children:?}");
}
