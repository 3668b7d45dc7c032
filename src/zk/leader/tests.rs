use super::*;

/// An input and a test of the error it must give.
type Case = (&'static [u8], fn(&MasterInfoError) -> bool);

/// The data a native 1.11.1 master wrote (facts sheet), id shortened.
const REAL: &str = r#"{"address":{"hostname":"localhost","ip":"127.0.0.1","port":5261},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}],"hostname":"localhost","id":"809e4b07-x","ip":16777343,"pid":"master@127.0.0.1:5261","port":5261,"version":"1.11.1"}"#;

#[test]
fn real_master_info() {
    let leader = parse_master_info("json.info_0000000001", 1, REAL.as_bytes(), "http").unwrap();
    assert_eq!(leader.url.as_str(), "http://127.0.0.1:5261/");
    assert_eq!(leader.id, "809e4b07-x");
    assert_eq!(leader.hostname.as_deref(), Some("localhost"));
    assert_eq!(leader.version.as_deref(), Some("1.11.1"));
    assert_eq!(leader.sequence, 1);
}

#[test]
fn fallbacks_network_order_ip_hostname_default_port() {
    let top = br#"{"id":"a","ip":16777343,"port":5050}"#;
    let leader = parse_master_info("n", 0, top, "https").unwrap();
    assert_eq!(leader.url.as_str(), "https://127.0.0.1:5050/");
    let by_name = br#"{"id":"a","hostname":"m1.example"}"#;
    let leader = parse_master_info("n", 0, by_name, "http").unwrap();
    assert_eq!(leader.url.as_str(), "http://m1.example:5050/");
    let v6 = br#"{"id":"a","address":{"ip":"::1","port":1}}"#;
    assert_eq!(
        parse_master_info("n", 0, v6, "http").unwrap().url.as_str(),
        "http://[::1]:1/"
    );
}

#[test]
fn bad_master_info() {
    let cases: &[Case] = &[
        (b"", |e| matches!(e, MasterInfoError::Json(_))),
        (b"\x08\x01", |e| matches!(e, MasterInfoError::Json(_))),
        (b"[1]", |e| matches!(e, MasterInfoError::Json(_))),
        (br#"{"ip":"x"}"#, |e| matches!(e, MasterInfoError::Json(_))),
        (br#"{"id":"a"}"#, |e| *e == MasterInfoError::NoAddress),
        (br#"{"hostname":""}"#, |e| *e == MasterInfoError::NoAddress),
        (br#"{"hostname":"h","port":0}"#, |e| {
            *e == MasterInfoError::BadPort(0)
        }),
        (br#"{"hostname":"h","port":70000}"#, |e| {
            *e == MasterInfoError::BadPort(70000)
        }),
        (br#"{"hostname":"h","port":-1}"#, |e| {
            *e == MasterInfoError::BadPort(-1)
        }),
        (br#"{"hostname":"h/../x@y"}"#, |e| {
            matches!(e, MasterInfoError::BadHost(_))
        }),
        (br#"{"address":{"ip":"1.2.3.4:9"}}"#, |e| {
            matches!(e, MasterInfoError::BadHost(_))
        }),
    ];
    for (data, expected) in cases {
        match parse_master_info("n", 0, data, "http") {
            Ok(leader) => panic!("{:?} parsed as {leader:?}", String::from_utf8_lossy(data)),
            Err(e) => assert!(
                expected(&e),
                "{:?} gave {e:?}",
                String::from_utf8_lossy(data)
            ),
        }
    }
    let huge = vec![b' '; MAX_MASTER_INFO_BYTES + 1];
    assert!(matches!(
        parse_master_info("n", 0, &huge, "http"),
        Err(MasterInfoError::TooLarge { .. })
    ));
    let long_host = format!(r#"{{"hostname":"{}"}}"#, "é".repeat(300));
    match parse_master_info("n", 0, long_host.as_bytes(), "http") {
        Err(MasterInfoError::BadHost(h)) => assert!(h.len() <= 64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn node_names_and_leader_choice() {
    assert_eq!(master_node_sequence("json.info_0000000007"), Some(7));
    for other in [
        "log_replicas",
        "info_0000000001",
        "json.info_",
        "json.info_12a",
        "json.info_-1",
        "json.info_+1",
        "json.info_99999999999999999999999",
    ] {
        assert_eq!(master_node_sequence(other), None, "{other}");
    }
    let children = [
        "log_replicas",
        "json.info_0000000012",
        "info_0000000001",
        "json.info_0000000010",
        "json.info_0000000011",
    ];
    assert_eq!(leader_node(&children), Some(("json.info_0000000010", 10)));
    assert_eq!(leader_node(&["log_replicas"]), None);
    assert_eq!(leader_node::<&str>(&[]), None);
}
