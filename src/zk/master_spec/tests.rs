use super::*;

fn urls(spec: &MasterSpec) -> Vec<String> {
    match spec {
        MasterSpec::Urls(urls) => urls.iter().map(|u| u.as_str().to_string()).collect(),
        MasterSpec::Zk(zk) => panic!("expected URLs, got {zk}"),
    }
}

#[test]
fn plain_lists_keep_parse_master_list_behaviour() {
    // The same input as config.rs's `master_list` test; `Url` adds the root path.
    let spec = MasterSpec::parse(" http://a:5050, b:5050 ,,").unwrap();
    assert_eq!(urls(&spec), ["http://a:5050/", "http://b:5050/"]);
    assert_eq!(
        urls(&MasterSpec::parse("https://m1:5050,m2").unwrap()),
        ["https://m1:5050/", "http://m2/"]
    );
    assert_eq!(
        urls(&MasterSpec::parse("[::1]:5050").unwrap()),
        ["http://[::1]:5050/"]
    );
    assert_eq!(
        urls(&MasterSpec::parse("HTTP://m:1/master").unwrap()),
        ["http://m:1/master"]
    );
}

#[test]
fn zk_strings() {
    match MasterSpec::parse(" zk://u:p@z1:2181,z2:2181/mesos ").unwrap() {
        MasterSpec::Zk(zk) => {
            assert_eq!(zk.path(), "/mesos");
            assert_eq!(zk.servers().len(), 2);
            assert_eq!(zk.credentials().map(|c| c.user()), Some("u"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        MasterSpec::parse("zk://"),
        Err(MasterSpecError::Zk(ZkUrlError::NoServers))
    ));
    assert_eq!(
        MasterSpec::parse("m1:5050,zk://z/mesos"),
        Err(MasterSpecError::ZkInList)
    );
}

#[test]
fn file_masters() {
    let dir = tempfile::tempdir().unwrap();
    let zk = dir.path().join("zk");
    std::fs::write(&zk, "zk://z1:2181/mesos\n").unwrap();
    let spec = MasterSpec::parse(&format!("file://{}", zk.display())).unwrap();
    assert!(matches!(spec, MasterSpec::Zk(ref z) if z.path() == "/mesos"));
    let nested = dir.path().join("nested");
    std::fs::write(&nested, format!("file://{}", zk.display())).unwrap();
    assert!(matches!(
        MasterSpec::parse(&format!("file://{}", nested.display())),
        Err(MasterSpecError::UnsupportedScheme(_))
    ));
    let big = dir.path().join("big");
    std::fs::write(&big, "m:1,".repeat(4000)).unwrap();
    assert!(matches!(
        MasterSpec::parse(&format!("file://{}", big.display())),
        Err(MasterSpecError::File { .. })
    ));
    assert!(matches!(
        MasterSpec::parse("file:///no/such/file"),
        Err(MasterSpecError::File { .. })
    ));
}

#[test]
fn refusals() {
    assert_eq!(MasterSpec::parse(""), Err(MasterSpecError::Empty));
    assert_eq!(MasterSpec::parse(" , ,"), Err(MasterSpecError::Empty));
    assert!(matches!(
        MasterSpec::parse("ftp://m:1"),
        Err(MasterSpecError::UnsupportedScheme(s)) if s == "ftp"
    ));
    for bad in [
        "http://",
        "http://:5050",
        "m:notaport",
        "m:99999",
        "http://u:p@m:1",
        "m:1/?q=1",
        "a b:1",
    ] {
        assert!(
            matches!(
                MasterSpec::parse(bad),
                Err(MasterSpecError::BadMaster { .. })
            ),
            "{bad:?} gave {:?}",
            MasterSpec::parse(bad)
        );
    }
    let long = "m".repeat(MAX_MASTER_SPEC_LEN + 1);
    assert!(matches!(
        MasterSpec::parse(&long),
        Err(MasterSpecError::TooLong { .. })
    ));
    let many = vec!["m:1"; MAX_MASTERS + 1].join(",");
    assert!(matches!(
        MasterSpec::parse(&many),
        Err(MasterSpecError::TooMany { .. })
    ));
    let wide = format!("{}:x", "é".repeat(100));
    match MasterSpec::parse(&wide) {
        Err(MasterSpecError::BadMaster { master, .. }) => assert!(master.len() <= 64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_host_labels_are_refused() {
    for bad in ["https://..:1", "http://a..b:5050", ".m1:5050"] {
        assert!(
            matches!(
                MasterSpec::parse(bad),
                Err(MasterSpecError::BadMaster { .. })
            ),
            "{bad}"
        );
    }
    assert!(MasterSpec::parse("http://m1.example.:5050").is_ok());
}
