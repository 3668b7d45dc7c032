use super::*;
use crate::proto::{Attribute, Offer, value};

fn attr_text(name: &str, v: &str) -> Attribute {
    Attribute {
        name: name.into(),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: v.into() }),
        ..Default::default()
    }
}

fn offer() -> Offer {
    Offer {
        hostname: "node-7.example".into(),
        attributes: vec![
            attr_text("rack", "r1"),
            Attribute {
                name: "cores".into(),
                r#type: value::Type::Scalar as i32,
                scalar: Some(value::Scalar { value: 16.0 }),
                ..Default::default()
            },
            Attribute {
                name: "vlans".into(),
                r#type: value::Type::Ranges as i32,
                ranges: Some(value::Ranges {
                    range: vec![
                        value::Range { begin: 5, end: 6 },
                        value::Range { begin: 1, end: 2 },
                    ],
                }),
                ..Default::default()
            },
            Attribute {
                name: "zones".into(),
                r#type: value::Type::Set as i32,
                set: Some(value::Set {
                    item: vec!["b".into(), "a".into()],
                }),
                ..Default::default()
            },
            Attribute {
                name: "broken".into(),
                r#type: value::Type::Text as i32,
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

#[test]
fn equals_on_every_value_type() {
    let o = offer();
    assert!(
        Constraint::equals("hostname", "node-7.example")
            .check(&o, 0)
            .is_ok()
    );
    assert!(Constraint::equals("rack", "r1").check(&o, 0).is_ok());
    let err = Constraint::equals("rack", "r2").check(&o, 0).unwrap_err();
    assert!(err.contains("r1"), "{err}");
    assert!(Constraint::equals("cores", "16").check(&o, 0).is_ok());
    assert!(Constraint::equals("cores", "16.0").check(&o, 0).is_ok());
    assert!(Constraint::equals("cores", "8").check(&o, 0).is_err());
    assert!(
        Constraint::equals("vlans", "[1-2,5-6]")
            .check(&o, 0)
            .is_ok()
    );
    assert!(Constraint::equals("vlans", "[1-2]").check(&o, 0).is_err());
    assert!(Constraint::equals("zones", "{a,b}").check(&o, 0).is_ok());
    assert!(Constraint::equals("zones", "b, a").check(&o, 0).is_ok());
    assert!(Constraint::equals("zones", "a").check(&o, 0).is_err());
    let missing = Constraint::equals("gpu", "yes").check(&o, 0).unwrap_err();
    assert!(missing.contains("missing"), "{missing}");
    // A malformed attribute counts as missing.
    assert!(Constraint::equals("broken", "").check(&o, 0).is_err());
}

#[test]
fn like_and_unlike() {
    let o = offer();
    assert!(
        Constraint::like("hostname", "node-[0-9]+\\..*")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    // Anchored: a partial match is not a match.
    assert!(
        Constraint::like("hostname", "node")
            .unwrap()
            .check(&o, 0)
            .is_err()
    );
    assert!(
        Constraint::like("cores", "1[0-9]")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    assert!(
        Constraint::like("zones", "\\{a,b\\}")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    assert!(
        Constraint::like("vlans", "\\[1-2.*")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    assert!(Constraint::like("gpu", ".*").unwrap().check(&o, 0).is_err());
    assert!(
        Constraint::unlike("rack", "r[12]")
            .unwrap()
            .check(&o, 0)
            .is_err()
    );
    assert!(
        Constraint::unlike("rack", "r3")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    assert!(
        Constraint::unlike("gpu", ".*")
            .unwrap()
            .check(&o, 0)
            .is_ok()
    );
    let err = Constraint::unlike("rack", "r1")
        .unwrap()
        .check(&o, 0)
        .unwrap_err();
    assert!(err.contains("unlike r1"), "{err}");
    assert!(Constraint::like("x", "(").is_err());
}

#[test]
fn per_host_counts() {
    let o = offer();
    assert!(Constraint::UniqueHostname.check(&o, 0).is_ok());
    assert!(Constraint::UniqueHostname.check(&o, 1).is_err());
    assert!(Constraint::MaxPerHost(2).check(&o, 1).is_ok());
    assert!(Constraint::MaxPerHost(2).check(&o, 2).is_err());
    assert!(Constraint::MaxPerHost(0).check(&o, 0).is_err());
    assert!(Constraint::UniqueHostname.counts_per_host());
    assert!(!Constraint::equals("a", "b").counts_per_host());
    let all = [Constraint::equals("rack", "r1"), Constraint::UniqueHostname];
    assert!(check_all(&all, &o, 0).is_ok());
    assert!(check_all(&all, &o, 1).unwrap_err().contains("unique"));
}

#[test]
fn strategies_order_candidates() {
    let c = |index, room, ours_on_host| Candidate {
        index,
        room,
        ours_on_host,
    };
    let early_roomy = c(0, 10.0, 3);
    let late_tight = c(1, 1.0, 0);
    assert!(Strategy::FirstFit.prefers(&early_roomy, &late_tight));
    assert!(Strategy::BinPack.prefers(&late_tight, &early_roomy));
    assert!(Strategy::Spread.prefers(&late_tight, &early_roomy));
    // Ties go to the earlier offer.
    assert!(Strategy::BinPack.prefers(&c(0, 1.0, 0), &c(1, 1.0, 0)));
    assert!(!Strategy::Spread.prefers(&c(1, 1.0, 0), &c(0, 5.0, 0)));
}

#[test]
fn room_after_placement() {
    let pool: Resources = "cpus:4;mem:1024".parse().unwrap();
    let d = Demand::new()
        .scalar("cpus", 1.0)
        .unwrap()
        .scalar("mem", 256.0)
        .unwrap();
    assert_eq!(room_after(&pool, &d), 3.0 + 3.0);
    let small: Resources = "cpus:1;mem:256".parse().unwrap();
    assert_eq!(room_after(&small, &d), 0.0);
}
