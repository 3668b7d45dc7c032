//! Fuzz target of the slim OFFERS decode (see `crate::fuzzing`): raw bytes, and generated
//! OFFERS events (plain, roles, fat) cut short or with bytes replaced. The property: no
//! panic, and whenever the slim decode answers offers and prost decodes the same bytes,
//! both answer the same offers.

use super::offers::tests::agrees_with_prost;
use crate::benchkit::generator::{GeneratorConfig, OfferGenerator, OfferShape};
use crate::fuzzing::run;
use crate::proto::scheduler::{Event, event};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use prost::Message;

/// The protobuf bytes of an OFFERS event of `n` generated offers.
fn generated(kind: u8, seed: u64, n: usize) -> Vec<u8> {
    let g = OfferGenerator::new(GeneratorConfig {
        seed,
        agents: 4,
        shape: if kind == 2 {
            OfferShape::Fat
        } else {
            OfferShape::Default
        },
        roles: if kind == 1 {
            vec!["web".into()]
        } else {
            Vec::new()
        },
        uniform: None,
    });
    let offers = (0..n).filter_map(|i| g.offer(i % 4, i as u64)).collect();
    Event {
        r#type: Some(event::Type::Offers as i32),
        offers: Some(event::Offers { offers }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn fuzz_offer_view() {
    let corrupted = (
        0u8..3,
        any::<u64>(),
        1usize..4,
        vec((any::<usize>(), any::<u8>()), 0..4),
        any::<usize>(),
    )
        .prop_map(|(kind, seed, n, edits, cut)| {
            let mut bytes = generated(kind, seed, n);
            for (at, byte) in edits {
                let len = bytes.len().max(1);
                if let Some(b) = bytes.get_mut(at % len) {
                    *b = byte;
                }
            }
            if cut % 4 == 0 {
                bytes.truncate(cut / 4 % (bytes.len() + 1));
            }
            bytes
        });
    let input = prop_oneof![vec(any::<u8>(), 0..256), corrupted];
    run("offer_view", input, |bytes| {
        agrees_with_prost(&bytes).map_err(TestCaseError::fail)
    });
}
