//! Fuzz targets of the resource text syntax and properties of the resource algebra (see
//! `crate::fuzzing`).

use super::*;
use crate::fuzzing::run;
use proptest::collection::vec;
use proptest::prelude::*;

/// Resource text in the grammar (and near it): names, optional roles, scalars, ranges, sets.
fn resource_text() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("cpus"),
        Just("mem"),
        Just("ports"),
        Just("zones"),
        Just("gpus")
    ];
    let role = prop_oneof![
        3 => Just(String::new()),
        1 => Just("(*)".to_string()),
        1 => Just("(web)".to_string()),
        1 => "\\([a-z/.*]{0,4}\\)",
    ];
    let value = prop_oneof![
        (0u64..100_000, 0u32..1000).prop_map(|(i, f)| format!("{i}.{f:03}")),
        (0u64..100).prop_map(|i| i.to_string()),
        // At and near the largest scalar.
        prop_oneof![
            Just("1000000000000"),
            Just("999999999999.999"),
            Just("999999999998"),
            Just("1000000000000000"),
            Just("0.0005")
        ]
        .prop_map(str::to_string),
        vec((0u64..200, 0u64..20), 0..5).prop_map(|rs| {
            let parts: Vec<String> = rs.iter().map(|(b, n)| format!("{b}-{}", b + n)).collect();
            format!("[{}]", parts.join(","))
        }),
        vec("[a-c]{1,2}", 0..4).prop_map(|items| format!("{{{}}}", items.join(","))),
        "[0-9.\\[\\]{},\\- ]{0,12}",
    ];
    vec((name, role, value), 0..6).prop_map(|items| {
        items
            .iter()
            .map(|(n, r, v)| format!("{n}{r}:{v}"))
            .collect::<Vec<_>>()
            .join(";")
    })
}

/// Any text: parsed or refused with an error, never a panic; what parses prints as text
/// that parses to the same resources.
#[test]
fn fuzz_resource_text() {
    let input = prop_oneof![
        resource_text(),
        any::<String>(),
        "[a-z():;\\[\\]{}0-9.,\\-*]{0,64}"
    ];
    run("resource_text", input, |text| {
        if let Ok(parsed) = parse(&text) {
            let printed = parsed.to_string();
            let again = parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("{printed:?} does not parse: {e}")))?;
            prop_assert_eq!(&again, &parsed, "printed as {:?}", printed);
            let proto = Resources::from_proto(parsed.to_proto())
                .map_err(|e| TestCaseError::fail(format!("proto round trip: {e}")))?;
            prop_assert_eq!(&proto, &parsed);
        }
        Ok(())
    });
}

fn assert_normalized(r: &Ranges) -> Result<(), TestCaseError> {
    for &(b, e) in r.pairs() {
        prop_assert!(b <= e, "{r}: reversed range");
    }
    for w in r.pairs().windows(2) {
        prop_assert!(
            w[0].1 < w[1].0 && w[1].0 - w[0].1 > 1,
            "{r}: overlap or adjacency"
        );
    }
    Ok(())
}

fn pairs() -> impl Strategy<Value = Vec<(u64, u64)>> {
    let edge = prop_oneof![0u64..64, Just(u64::MAX), Just(u64::MAX - 1), Just(0)];
    vec((edge.clone(), edge), 0..8)
        .prop_map(|v| v.into_iter().map(|(a, b)| (a.min(b), a.max(b))).collect())
}

/// Ranges never overlap after normalisation, union/remove/take keep them normal, and
/// `contains` agrees with membership and with removal.
#[test]
fn fuzz_ranges_algebra() {
    let input = (pairs(), pairs(), 0u64..80, vec(0u64..70, 0..8));
    run("ranges_algebra", input, |(a, b, n, probes)| {
        let a = Ranges::new(a).ok_or_else(|| TestCaseError::fail("valid pairs refused"))?;
        let b = Ranges::new(b).ok_or_else(|| TestCaseError::fail("valid pairs refused"))?;
        assert_normalized(&a)?;
        let union = a.union(&b);
        assert_normalized(&union)?;
        prop_assert!(union.contains(&a) && union.contains(&b));
        let mut diff = a.clone();
        diff.remove(&b);
        assert_normalized(&diff)?;
        for &v in probes.iter().chain([0, u64::MAX].iter()) {
            prop_assert_eq!(
                union.contains_value(v),
                a.contains_value(v) || b.contains_value(v)
            );
            prop_assert_eq!(
                diff.contains_value(v),
                a.contains_value(v) && !b.contains_value(v)
            );
        }
        // Removing what is contained, then adding it back, is the identity.
        if a.contains(&b) {
            prop_assert_eq!(diff.union(&b), a.clone());
        }
        prop_assert_eq!(a.contains(&b), {
            let mut c = b.clone();
            c.remove(&a);
            c.is_empty()
        });
        let mut rest = a.clone();
        match rest.take_lowest(n) {
            Some(taken) => {
                assert_normalized(&taken)?;
                assert_normalized(&rest)?;
                prop_assert_eq!(taken.count(), n);
                prop_assert_eq!(taken.union(&rest), a.clone());
            }
            None => {
                prop_assert!(a.count() < n);
                prop_assert_eq!(rest, a);
            }
        }
        Ok(())
    });
}

/// Two resource collections and a demand, from text in the grammar.
fn algebra_input() -> impl Strategy<Value = (String, String, (u32, u32, u64, usize))> {
    (
        resource_text(),
        resource_text(),
        (0u32..5000, 0u32..5000, 0u64..30, 0usize..3),
    )
}

fn mutual_contains(a: &Resources, b: &Resources) -> bool {
    a.contains(b) && b.contains(a)
}

/// add/subtract are inverse (where defined: scalars, and ranges and sets disjoint from
/// what they are added to), `contains` agrees with `subtract`, and what a demand takes
/// out of a pool (launched) is contained in it (offered) and adds back to it.
#[test]
fn fuzz_resource_algebra() {
    run(
        "resource_algebra",
        algebra_input(),
        |(a, b, (cpus, mem, ports, zones))| {
            let (Ok(a), Ok(b)) = (parse(&a), parse(&b)) else {
                return Ok(());
            };
            let mut sum = a.clone();
            if sum.add(&b).is_ok() {
                prop_assert!(sum.contains(&a) && sum.contains(&b));
                let mut back = sum.clone();
                back.subtract(&b)
                    .map_err(|e| TestCaseError::fail(format!("a + b - b: {e}")))?;
                // Ranges and sets add as unions: `a + b - b` is `a` less the values it shares
                // with `b` (exactly `a` when they share none); scalars come back exactly.
                let mut shared_values = Resources::new();
                for (meta, amount) in b.iter().filter(|(_, x)| !matches!(x, Amount::Scalar(_))) {
                    shared_values
                        .push(with_amount(meta, amount))
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
                let mut expected = a.clone();
                expected.subtract_present(&shared_values);
                prop_assert!(
                    mutual_contains(&back, &expected),
                    "a + b - b = {} != {}",
                    back,
                    expected
                );
            }
            let mut diff = a.clone();
            prop_assert_eq!(a.contains(&b), diff.subtract(&b).is_ok());
            if a.contains(&b) {
                prop_assert!(a.contains(&diff));
                let mut again = diff.clone();
                again
                    .add(&b)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(
                    mutual_contains(&again, &a),
                    "a - b + b = {} != {}",
                    again,
                    a
                );
            } else {
                prop_assert_eq!(&diff, &a, "a failed subtraction changed a");
            }
            let demand = Demand::new()
                .scalar("cpus", f64::from(cpus) / 1000.0)
                .and_then(|d| d.scalar("mem", f64::from(mem) / 10.0))
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .ranges("ports", ports)
                .set("zones", zones);
            let mut pool = a.clone();
            let fits = pool.fits(&demand);
            match pool.take(&demand) {
                Ok(launched) => {
                    prop_assert!(fits);
                    let launched = Resources::from_proto(launched)
                        .map_err(|e| TestCaseError::fail(format!("launched: {e}")))?;
                    prop_assert!(
                        a.contains(&launched),
                        "launched {} not in offered {}",
                        launched,
                        a
                    );
                    let taken = Demand::from_resources(&launched.to_proto())
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(&taken, &demand);
                    let mut whole = pool.clone();
                    whole
                        .add(&launched)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(
                        mutual_contains(&whole, &a),
                        "left + launched = {} != {}",
                        whole,
                        a
                    );
                }
                Err(_) => {
                    prop_assert!(!fits);
                    prop_assert_eq!(&pool, &a, "a failed take changed the pool");
                }
            }
            Ok(())
        },
    );
}
