use super::*;

/// An input and a test of the error it must give.
type Case = (&'static str, fn(&ZkUrlError) -> bool);

fn server(host: &str, port: u16) -> ZkServer {
    ZkServer {
        host: host.into(),
        port,
    }
}

#[test]
fn servers_path_and_default_port() {
    let url = ZkUrl::parse("zk://zk1:2181,zk2:2182,zk3/mesos").unwrap();
    assert_eq!(
        url.servers(),
        &[
            server("zk1", 2181),
            server("zk2", 2182),
            server("zk3", 2181)
        ]
    );
    assert_eq!(url.path(), "/mesos");
    assert_eq!(url.credentials(), None);
    assert_eq!(url.connect_string(), "zk1:2181,zk2:2182,zk3:2181");
    assert_eq!(
        url.child_path("json.info_0000000001"),
        "/mesos/json.info_0000000001"
    );
}

#[test]
fn no_path_is_root_and_trailing_slash_is_dropped() {
    let root = ZkUrl::parse("zk://127.0.0.1:2181").unwrap();
    assert_eq!(root.path(), "/");
    assert_eq!(root.child_path("x"), "/x");
    assert_eq!(ZkUrl::parse("zk://h:1/").unwrap().path(), "/");
    assert_eq!(ZkUrl::parse("zk://h:1/a/b/").unwrap().path(), "/a/b");
}

#[test]
fn credentials_are_digest_and_hidden() {
    let url = ZkUrl::parse("zk://mesos:s3cr:et@zk1:2181/mesos").unwrap();
    let credentials = url.credentials().unwrap();
    assert_eq!(credentials.user(), "mesos");
    assert_eq!(credentials.digest_auth(), b"mesos:s3cr:et".to_vec());
    let shown = format!("{url} {url:?}");
    assert!(!shown.contains("s3cr"), "{shown}");
    assert_eq!(url.to_string(), "zk://mesos:***@zk1:2181/mesos");
    // An '@' in the password: the last '@' of the authority ends the credentials.
    let at = ZkUrl::parse("zk://u:p@ss@zk1/m").unwrap();
    assert_eq!(at.credentials().unwrap().digest_auth(), b"u:p@ss".to_vec());
}

#[test]
fn ipv6_servers() {
    let url = ZkUrl::parse("zk://[::1]:2181,[fe80::1]/mesos").unwrap();
    assert_eq!(
        url.servers(),
        &[server("::1", 2181), server("fe80::1", 2181)]
    );
    assert_eq!(url.connect_string(), "[::1]:2181,[fe80::1]:2181");
}

#[test]
fn scheme_is_case_insensitive_and_input_trimmed() {
    let url: ZkUrl = "  ZK://h:1/m ".parse().unwrap();
    assert_eq!(url.path(), "/m");
}

#[test]
fn refusals() {
    let cases: &[Case] = &[
        ("http://h:1/m", |e| *e == ZkUrlError::NotZk),
        ("zk:/h:1/m", |e| *e == ZkUrlError::NotZk),
        ("", |e| *e == ZkUrlError::NotZk),
        ("zk://", |e| *e == ZkUrlError::NoServers),
        ("zk:///mesos", |e| *e == ZkUrlError::NoServers),
        ("zk://,,/mesos", |e| *e == ZkUrlError::NoServers),
        ("zk://u:p@/mesos", |e| *e == ZkUrlError::NoServers),
        ("zk://h:0/m", |e| matches!(e, ZkUrlError::BadServer { .. })),
        ("zk://h:65536/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://h:x/m", |e| matches!(e, ZkUrlError::BadServer { .. })),
        ("zk://h:/m", |e| matches!(e, ZkUrlError::BadServer { .. })),
        ("zk://:2181/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://[::1/m", |e| matches!(e, ZkUrlError::BadServer { .. })),
        ("zk://[nope]:1/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://[::1]x/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://h%41:1/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://a:1:2/m", |e| {
            matches!(e, ZkUrlError::BadServer { .. })
        }),
        ("zk://h:1/m\nx", |e| *e == ZkUrlError::ControlCharacter),
        ("zk://h:1/a\u{0}b", |e| *e == ZkUrlError::ControlCharacter),
        ("zk://h :1/m", |e| *e == ZkUrlError::ControlCharacter),
        ("zk://nouser@h/m", |e| {
            matches!(e, ZkUrlError::BadCredentials(_))
        }),
        ("zk://:p@h/m", |e| {
            matches!(e, ZkUrlError::BadCredentials(_))
        }),
        ("zk://h/a//b", |e| matches!(e, ZkUrlError::BadPath(_))),
        ("zk://h/a/../b", |e| matches!(e, ZkUrlError::BadPath(_))),
        ("zk://h/zookeeper/quota", |e| {
            matches!(e, ZkUrlError::BadPath(_))
        }),
        ("zk://h/m?x=1", |e| matches!(e, ZkUrlError::BadPath(_))),
    ];
    for (input, expected) in cases {
        match ZkUrl::parse(input) {
            Ok(url) => panic!("{input:?} parsed as {url:?}"),
            Err(e) => assert!(expected(&e), "{input:?} gave {e:?}"),
        }
    }
}

#[test]
fn hostile_sizes_are_capped() {
    let long = format!("zk://h/{}", "a".repeat(MAX_ZK_URL_LEN));
    assert!(matches!(
        ZkUrl::parse(&long),
        Err(ZkUrlError::TooLong {
            max: MAX_ZK_URL_LEN,
            ..
        })
    ));
    let many = format!("zk://{}/m", vec!["h:1"; MAX_ZK_SERVERS + 1].join(","));
    assert!(matches!(
        ZkUrl::parse(&many),
        Err(ZkUrlError::TooManyServers { .. })
    ));
    let host = format!("zk://{}:1/m", "h".repeat(300));
    match ZkUrl::parse(&host) {
        Err(ZkUrlError::BadServer { server, .. }) => assert!(server.len() <= 64),
        other => panic!("{other:?}"),
    }
    let path = format!("zk://h/{}", "p/".repeat(600));
    assert!(matches!(ZkUrl::parse(&path), Err(ZkUrlError::BadPath(_))));
    // A multi-byte character at the quote boundary does not panic.
    let wide = format!("zk://{}:1/m", "é".repeat(100));
    assert!(matches!(
        ZkUrl::parse(&wide),
        Err(ZkUrlError::BadServer { .. })
    ));
    let scheme_only = "zé";
    assert_eq!(ZkUrl::parse(scheme_only), Err(ZkUrlError::NotZk));
}
