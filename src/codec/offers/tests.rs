//! The slim decode against prost: the same offers, resources and errors for the bench's
//! generated offers (plain, roles, fat) with reservations, disks, sets and invalid
//! resources mixed in; hostile bytes are errors or `None`, never panics.

use super::*;
use crate::benchkit::generator::{GeneratorConfig, OfferGenerator, OfferShape};
use crate::proto::resource::{DiskInfo, ReservationInfo, RevocableInfo, SharedInfo, disk_info};
use crate::proto::scheduler::Event;
use crate::proto::{Label, Labels, Resource, ResourceProviderId, value};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message;

/// What prost and [`IncomingOffer::from_offer`] make of `record` (the fields the slim
/// decode skips cleared), or `None` when it is not an OFFERS event prost decodes.
pub(crate) fn by_prost(record: &[u8]) -> Option<Vec<IncomingOffer>> {
    let event = Event::decode(record).ok()?;
    if event.r#type != Some(event::Type::Offers as i32) {
        return None;
    }
    let offers = event.offers?.offers.into_iter().map(|mut o| {
        o.url = None;
        o.domain = None;
        o.unavailability = None;
        IncomingOffer::from_offer(o)
    });
    Some(offers.collect())
}

/// Debug text, so that NaN attributes compare equal to themselves.
pub(crate) fn text(offers: &[IncomingOffer]) -> String {
    format!("{offers:?}")
}

fn event_bytes(offers: Vec<Offer>) -> Vec<u8> {
    Event {
        r#type: Some(event::Type::Offers as i32),
        offers: Some(event::Offers { offers }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A change to one generated offer.
#[derive(Debug, Clone)]
enum Change {
    Reservations(usize, u8),
    LegacyReservation(usize),
    Disk(usize),
    Revocable(usize),
    Shared(usize),
    Provider(usize),
    SetResource(Vec<String>),
    Negative(usize),
    EmptyName(usize),
    WrongType(usize, i32),
    BadRange(usize),
    Duplicate(usize),
    Executor(String),
    NoAllocation,
    Attribute(u8, u64),
}

fn change() -> impl Strategy<Value = Change> {
    let i = 0usize..24;
    prop_oneof![
        (i.clone(), 1u8..4).prop_map(|(i, n)| Change::Reservations(i, n)),
        i.clone().prop_map(Change::LegacyReservation),
        i.clone().prop_map(Change::Disk),
        i.clone().prop_map(Change::Revocable),
        i.clone().prop_map(Change::Shared),
        i.clone().prop_map(Change::Provider),
        vec("[a-c]{0,2}", 0..4).prop_map(Change::SetResource),
        i.clone().prop_map(Change::Negative),
        i.clone().prop_map(Change::EmptyName),
        (i.clone(), 0i32..6).prop_map(|(i, t)| Change::WrongType(i, t)),
        i.clone().prop_map(Change::BadRange),
        i.clone().prop_map(Change::Duplicate),
        "[a-z]{1,6}".prop_map(Change::Executor),
        Just(Change::NoAllocation),
        (0u8..5, any::<u64>()).prop_map(|(k, v)| Change::Attribute(k, v)),
    ]
}

#[allow(deprecated)]
fn apply(offer: &mut Offer, change: &Change) {
    let n = offer.resources.len().max(1);
    let mut pick = |i: usize, f: &mut dyn FnMut(&mut Resource)| {
        if let Some(r) = offer.resources.get_mut(i % n) {
            f(r);
        }
    };
    match change {
        Change::Reservations(i, k) => pick(*i, &mut |r| {
            for j in 0..*k {
                r.reservations.push(ReservationInfo {
                    r#type: Some(2),
                    role: Some(format!("role-{j}")),
                    principal: Some("ops".into()),
                    labels: Some(Labels {
                        labels: vec![Label {
                            key: "k".into(),
                            value: Some(format!("v{j}")),
                        }],
                    }),
                });
            }
        }),
        Change::LegacyReservation(i) => pick(*i, &mut |r| {
            r.role = Some("legacy".into());
            r.reservation = Some(ReservationInfo {
                principal: Some("p".into()),
                ..Default::default()
            });
        }),
        Change::Disk(i) => pick(*i, &mut |r| {
            r.disk = Some(DiskInfo {
                persistence: Some(disk_info::Persistence {
                    id: "vol-1".into(),
                    principal: None,
                }),
                ..Default::default()
            })
        }),
        Change::Revocable(i) => pick(*i, &mut |r| r.revocable = Some(RevocableInfo {})),
        Change::Shared(i) => pick(*i, &mut |r| r.shared = Some(SharedInfo {})),
        Change::Provider(i) => pick(*i, &mut |r| {
            r.provider_id = Some(ResourceProviderId { value: "rp".into() })
        }),
        Change::SetResource(items) => {
            let items: Vec<&str> = items.iter().map(String::as_str).collect();
            offer.resources.push(Resource::set("zones", &items));
        }
        Change::Negative(i) => pick(*i, &mut |r| {
            if let Some(s) = &mut r.scalar {
                s.value = -s.value - 1.0;
            }
        }),
        Change::EmptyName(i) => pick(*i, &mut |r| r.name.clear()),
        Change::WrongType(i, t) => pick(*i, &mut |r| r.r#type = *t),
        Change::BadRange(i) => pick(*i, &mut |r| {
            r.r#type = value::Type::Ranges as i32;
            r.ranges = Some(value::Ranges {
                range: vec![value::Range { begin: 9, end: 3 }],
            });
        }),
        Change::Duplicate(i) => {
            if let Some(r) = offer.resources.get(i % n).cloned() {
                offer.resources.push(r);
            }
        }
        Change::Executor(id) => offer.executor_ids.push(ExecutorId::new(id.clone())),
        Change::NoAllocation => offer.allocation_info = None,
        Change::Attribute(kind, v) => {
            let mut a = crate::proto::Attribute {
                name: format!("attr-{kind}"),
                r#type: i32::from(*kind % 4),
                ..Default::default()
            };
            match kind {
                0 => {
                    a.scalar = Some(value::Scalar {
                        value: *v as f64 / 7.0,
                    })
                }
                1 => {
                    a.ranges = Some(value::Ranges {
                        range: vec![
                            value::Range {
                                begin: *v,
                                end: v / 2,
                            },
                            value::Range::default(),
                        ],
                    })
                }
                2 => {
                    a.set = Some(value::Set {
                        item: vec![v.to_string(), String::new()],
                    })
                }
                3 => {
                    a.text = Some(value::Text {
                        value: v.to_string(),
                    })
                }
                _ => {}
            }
            offer.attributes.push(a);
        }
    }
}

fn generator(kind: u8, seed: u64) -> OfferGenerator {
    let config = GeneratorConfig {
        seed,
        agents: 8,
        shape: if kind == 2 {
            OfferShape::Fat
        } else {
            OfferShape::Default
        },
        roles: if kind == 1 {
            vec!["web".into(), "batch".into()]
        } else {
            Vec::new()
        },
        uniform: None,
    };
    OfferGenerator::new(config)
}

/// Property: for generated offers (plain, roles, fat), changed in every way above, the
/// slim decode answers exactly what prost and `from_offer` answer.
#[test]
fn slim_decode_agrees_with_prost_on_generated_offers() {
    let input = (
        0u8..3,
        any::<u64>(),
        vec((0usize..8, vec(change(), 0..5)), 1..5),
    );
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&input, |(kind, seed, offers)| {
            let g = generator(kind, seed);
            let offers: Vec<Offer> = offers
                .iter()
                .enumerate()
                .filter_map(|(seq, (t, changes))| {
                    let mut o = g.offer(*t, seq as u64)?;
                    changes.iter().for_each(|c| apply(&mut o, c));
                    Some(o)
                })
                .collect();
            let record = event_bytes(offers);
            let want = by_prost(&record).ok_or_else(|| TestCaseError::fail("prost refused"))?;
            let got = offers_event(&record)
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .ok_or_else(|| TestCaseError::fail("not an OFFERS event"))?;
            prop_assert_eq!(text(&got), text(&want));
            Ok(())
        })
        .unwrap();
}

/// The generator's own event bytes (what the benchmark's source sends) decode alike.
#[test]
fn generator_events_decode_alike() {
    for kind in 0..3 {
        let g = generator(kind, 7);
        let mut stream = Vec::new();
        let batch: Vec<(usize, u64)> = (0..8).map(|i| (i, 1000 + i as u64)).collect();
        g.encode_offers_event(crate::Encoding::Protobuf, &batch, &mut stream);
        let mut decoder = crate::recordio::Decoder::default();
        decoder.feed(&stream);
        let record = decoder.next_record().unwrap().unwrap();
        let got = offers_event(&record).unwrap().unwrap();
        assert_eq!(got.len(), 8);
        assert_eq!(text(&got), text(&by_prost(&record).unwrap()));
        assert!(
            got.iter()
                .all(|o| o.invalid.is_empty() && !o.pool.is_empty())
        );
    }
}

/// Repeated fields merge as prost merges them: the last name, type and scalar win, and
/// ranges and set items add up.
#[test]
fn repeated_fields_merge_like_prost() {
    use prost::encoding::{WireType, encode_key, encode_varint};
    let mut r = Vec::new();
    let string = |tag: u32, s: &str, out: &mut Vec<u8>| {
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(s.len() as u64, out);
        out.extend_from_slice(s.as_bytes());
    };
    let message = |tag: u32, m: &dyn Fn(&mut Vec<u8>), out: &mut Vec<u8>| {
        let mut inner = Vec::new();
        m(&mut inner);
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(inner.len() as u64, out);
        out.extend_from_slice(&inner);
    };
    string(1, "mem", &mut r);
    string(1, "ports", &mut r);
    encode_key(2, WireType::Varint, &mut r);
    encode_varint(0, &mut r);
    encode_key(2, WireType::Varint, &mut r);
    encode_varint(u64::from(u32::MAX) + 2, &mut r); // truncated to 1 (RANGES), as prost does
    let range = |b: u64, e: u64| {
        move |out: &mut Vec<u8>| {
            message(
                1,
                &|o: &mut Vec<u8>| {
                    encode_key(1, WireType::Varint, o);
                    encode_varint(b, o);
                    encode_key(2, WireType::Varint, o);
                    encode_varint(e, o);
                },
                out,
            )
        }
    };
    message(4, &range(1, 5), &mut r);
    message(4, &range(10, 12), &mut r);
    message(11, &|o: &mut Vec<u8>| string(1, "a", o), &mut r);
    message(11, &|o: &mut Vec<u8>| string(1, "web", o), &mut r);
    let mut offer = Vec::new();
    message(1, &|o: &mut Vec<u8>| string(1, "o-1", o), &mut offer);
    message(3, &|o: &mut Vec<u8>| string(1, "a-1", o), &mut offer);
    message(3, &|o: &mut Vec<u8>| string(1, "a-2", o), &mut offer);
    string(4, "h", &mut offer);
    message(5, &|o: &mut Vec<u8>| o.extend_from_slice(&r), &mut offer);
    let mut record = vec![0x08, 0x02];
    message(
        3,
        &|o: &mut Vec<u8>| message(1, &|p| p.extend_from_slice(&offer), o),
        &mut record,
    );
    let got = offers_event(&record).unwrap().unwrap();
    assert_eq!(text(&got), text(&by_prost(&record).unwrap()));
    let first = got.first().unwrap();
    assert_eq!(first.offer.agent_id.value, "a-2");
    assert_eq!(first.pool.to_string(), "ports:[1-5,10-12]");
    let (meta, _) = first.pool.iter().next().unwrap();
    assert_eq!(
        meta.allocation_info
            .as_ref()
            .and_then(|a| a.role.as_deref()),
        Some("web")
    );
}

/// Other events, and OFFERS events with another payload beside, are left to prost.
#[test]
fn other_events_are_left_to_prost() {
    let heartbeat = Event {
        r#type: Some(event::Type::Heartbeat as i32),
        ..Default::default()
    }
    .encode_to_vec();
    assert_eq!(offers_event(&heartbeat).unwrap().map(|o| o.len()), None);
    assert_eq!(offers_event(&[]).unwrap().map(|o| o.len()), None);
    let without_payload = Event {
        r#type: Some(event::Type::Offers as i32),
        ..Default::default()
    }
    .encode_to_vec();
    assert_eq!(
        offers_event(&without_payload).unwrap().map(|o| o.len()),
        None
    );
    let mut with_error = event_bytes(Vec::new());
    with_error.extend_from_slice(&[0x52, 0x00]); // Event.error (field 10), empty
    assert_eq!(offers_event(&with_error).unwrap().map(|o| o.len()), None);
    let mut wrong_type = event_bytes(vec![Offer::default()]);
    wrong_type[1] = event::Type::Update as u8;
    assert_eq!(offers_event(&wrong_type).unwrap().map(|o| o.len()), None);
}

/// Hostile bytes: cut anywhere, a byte changed anywhere: an error, `None` or offers that
/// prost agrees with (when it decodes them), never a panic.
#[test]
fn hostile_offer_bytes() {
    let g = generator(2, 3);
    let offers = (0..3).filter_map(|i| g.offer(i, i as u64)).collect();
    let record = event_bytes(offers);
    for cut in 0..record.len() {
        check_against_prost(record.get(..cut).unwrap_or_default());
    }
    for at in 0..record.len() {
        for byte in [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x0e] {
            let mut bytes = record.clone();
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
            check_against_prost(&bytes);
        }
    }
    // Truncated, overlong and group-typed fields inside a resource.
    for resource in [
        &[0x0a, 0x05][..],
        &[0x1a, 0x02, 0x09, 0x00],
        &[0x0b],
        &[0x22, 0x01, 0x0a],
    ] {
        let mut offer = vec![0x2a, resource.len() as u8];
        offer.extend_from_slice(resource);
        assert!(read_offer(&offer).is_err(), "{resource:?}");
    }
}

fn check_against_prost(bytes: &[u8]) {
    if let Err(e) = agrees_with_prost(bytes) {
        panic!("{e}");
    }
}

/// The fuzz property: the slim decode never panics, and whenever it answers offers and
/// prost decodes the event, they agree.
pub(crate) fn agrees_with_prost(bytes: &[u8]) -> Result<(), String> {
    if let Ok(Some(got)) = offers_event(bytes)
        && let Some(want) = by_prost(bytes)
        && text(&got) != text(&want)
    {
        return Err(format!(
            "slim decode {} != prost {} for {bytes:?}",
            text(&got),
            text(&want)
        ));
    }
    Ok(())
}

/// The matcher decides alike on the slim decode's offers and on prost's: the same calls
/// (byte for byte) and the same launches, event after event.
#[test]
fn matcher_decides_alike_on_slim_and_prost_offers() {
    use crate::benchkit::workload::{TaskMix, task_spec};
    use crate::proto::TaskId;
    use crate::scheduler::calls::OutCall;
    use crate::scheduler::offer_matcher::{MatcherCore, MatcherSettings};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let g = generator(1, 11);
    let now = Instant::now();
    let mut cores: Vec<MatcherCore> = (0..2)
        .map(|_| {
            let mut core = MatcherCore::new(MatcherSettings {
                offer_hold: Duration::from_secs(5),
                ..MatcherSettings::default()
            });
            let _ = core.subscribed(g.framework_id().clone(), false, now);
            for n in 0..300 {
                let spec = Arc::new(task_spec(TaskMix::Mixed, 5, n));
                let _ = core.place(TaskId::new(format!("task-{n}")), spec, now);
            }
            core
        })
        .collect();
    let calls = |calls: &[OutCall]| -> Vec<Vec<u8>> {
        calls
            .iter()
            .map(|c| match c {
                OutCall::Encoded(e) => e.bytes().to_vec(),
                OutCall::Message(m) => m.encode_to_vec(),
            })
            .collect()
    };
    let mut launched = 0;
    for seq in 0..120u64 {
        let batch: Vec<(usize, u64)> = (0..1 + seq as usize % 3)
            .map(|i| (g.template_for(seq * 3 + i as u64), seq * 3 + i as u64))
            .collect();
        let mut stream = Vec::new();
        g.encode_offers_event(crate::Encoding::Protobuf, &batch, &mut stream);
        let mut decoder = crate::recordio::Decoder::default();
        decoder.feed(&stream);
        let record = decoder.next_record().unwrap().unwrap();
        let at = now + Duration::from_millis(seq * 10);
        let slim = cores[0].intake(offers_event(&record).unwrap().unwrap(), at);
        let full = Event::decode(&record[..]).unwrap().offers.unwrap().offers;
        let prost = cores[1].offers(full, at);
        assert_eq!(calls(&slim.calls), calls(&prost.calls), "event {seq}");
        let ids = |o: &crate::scheduler::offer_matcher::Outcome| {
            o.launched
                .iter()
                .map(|l| l.task_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&slim), ids(&prost), "event {seq}");
        launched += slim.launched.len();
    }
    assert!(launched > 100, "{launched} launched");
}
