//! Tests of the offer generator: determinism, sizes, hand-assembled events.
use super::*;
use crate::proto::scheduler::Event;
use crate::recordio::Decoder;

fn decode_events(encoding: Encoding, bytes: &[u8]) -> Vec<Event> {
    let mut d = Decoder::default();
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        out.push(encoding.decode::<Event>(&r).unwrap());
    }
    d.finish().unwrap();
    out
}

#[test]
fn same_seed_same_offers() {
    let a = OfferGenerator::new(GeneratorConfig::default());
    let b = OfferGenerator::new(GeneratorConfig::default());
    let c = OfferGenerator::new(GeneratorConfig {
        seed: 43,
        ..Default::default()
    });
    let mut ea = Vec::new();
    let mut eb = Vec::new();
    let mut ec = Vec::new();
    let batch = [(0, 1), (5, 2), (999, 3)];
    a.encode_offers_event(Encoding::Protobuf, &batch, &mut ea);
    b.encode_offers_event(Encoding::Protobuf, &batch, &mut eb);
    c.encode_offers_event(Encoding::Protobuf, &batch, &mut ec);
    assert_eq!(ea, eb);
    assert_ne!(ea, ec);
}

#[test]
fn sizes() {
    let g = OfferGenerator::new(GeneratorConfig::default());
    let avg = |g: &OfferGenerator| {
        g.templates()
            .iter()
            .map(|t| t.encoded_len(Encoding::Protobuf))
            .sum::<usize>()
            / g.templates().len()
    };
    let small = avg(&g);
    assert!((400..=480).contains(&small), "default offer is {small} B");
    eprintln!("default offer {small} B");
    let fat = OfferGenerator::new(GeneratorConfig {
        shape: OfferShape::Fat,
        agents: 50,
        ..Default::default()
    });
    let fat = avg(&fat);
    assert!((1800..=2300).contains(&fat), "fat offer is {fat} B");
}

#[test]
fn hand_assembled_events_decode_to_the_offers() {
    let g = OfferGenerator::new(GeneratorConfig {
        agents: 10,
        roles: vec!["a".into(), "b".into()],
        ..Default::default()
    });
    let batch = [(3, 123_456_789_012u64), (9, 7), (0, 0)];
    for encoding in [Encoding::Protobuf, Encoding::Json] {
        let mut out = Vec::new();
        g.encode_offers_event(encoding, &batch, &mut out);
        g.encode_offers_event(encoding, &batch[..1], &mut out);
        let events = decode_events(encoding, &out);
        assert_eq!(events.len(), 2);
        let offers = &events[0].offers.as_ref().unwrap().offers;
        let want: Vec<Offer> = batch.iter().map(|&(t, s)| g.offer(t, s).unwrap()).collect();
        assert_eq!(offers, &want, "{encoding:?}");
        assert_eq!(g.parse_offer_id(&offers[0].id.value), Some(123_456_789_012));
        assert_eq!(
            offers[1].allocation_info,
            offers[1].resources[0].allocation_info
        );
    }
}

#[test]
fn offer_ids_round_trip() {
    let g = OfferGenerator::new(GeneratorConfig::default());
    assert_eq!(g.parse_offer_id(&g.offer_id(42).value), Some(42));
    assert_eq!(g.parse_offer_id("garbage"), None);
    assert_eq!(g.parse_offer_id(&format!("{}x", g.offer_id(1).value)), None);
}

#[test]
fn uniform_agents() {
    let g = OfferGenerator::new(GeneratorConfig {
        agents: 3,
        uniform: Some((8.0, 32768.0)),
        ..Default::default()
    });
    for t in g.templates() {
        assert_eq!(t.resources.scalar("cpus"), 8.0);
        assert_eq!(t.resources.scalar("mem"), 32768.0);
        assert_eq!(t.resources.ranges("ports").len(), 1);
    }
}
