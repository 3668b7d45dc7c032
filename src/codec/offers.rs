//! The slim decode of a protobuf OFFERS event for the built-in matcher: each offer's
//! resources go from the event's bytes straight into a [`Resources`] pool, and of the
//! rest only what the matcher reads is built (ids, hostname, attributes, executor ids,
//! allocation info; `url`, `domain` and `unavailability` are skipped unread).
//!
//! For the fields it reads, the answer is prost's decode of the same bytes followed by
//! [`IncomingOffer::from_offer`]. Anything unusual (another payload beside the offers,
//! bytes prost might read differently, too many offers) is not an OFFERS event for this
//! decode: the caller decodes the event with prost, which decides.

use super::view::{self, ViewError, merge_id};
use crate::proto::scheduler::event;
use crate::proto::{Attribute, ExecutorId, Offer, value};
use crate::resources::Resources;
use crate::scheduler::events::IncomingOffer;

/// Most offers one event may carry for the slim decode (more: decoded by prost).
pub(crate) const MAX_OFFERS: usize = 100_000;

// Field numbers (scheduler.proto, mesos.proto).
const EVENT_TYPE: u32 = 1;
const EVENT_OFFERS: u32 = 3;
const OFFERS_OFFERS: u32 = 1;
const OFFERS_INVERSE: u32 = 2;
const OFFER_ID: u32 = 1;
const OFFER_FRAMEWORK_ID: u32 = 2;
const OFFER_AGENT_ID: u32 = 3;
const OFFER_HOSTNAME: u32 = 4;
const OFFER_RESOURCES: u32 = 5;
const OFFER_EXECUTOR_IDS: u32 = 6;
const OFFER_ATTRIBUTES: u32 = 7;
const OFFER_URL: u32 = 8;
const OFFER_UNAVAILABILITY: u32 = 9;
const OFFER_ALLOCATION_INFO: u32 = 10;
const OFFER_DOMAIN: u32 = 11;
const ATTRIBUTE_NAME: u32 = 1;
const ATTRIBUTE_TYPE: u32 = 2;
const ATTRIBUTE_SCALAR: u32 = 3;
const ATTRIBUTE_RANGES: u32 = 4;
const ATTRIBUTE_TEXT: u32 = 5;
const ATTRIBUTE_SET: u32 = 6;

/// The offers of `record` when it is a protobuf `scheduler::Event` of type OFFERS with
/// only its type and offers set; `Ok(None)` for any other event. An error when the bytes
/// are not read as prost would read them (decode the event with prost then).
pub(crate) fn offers_event(record: &[u8]) -> Result<Option<Vec<IncomingOffer>>, ViewError> {
    let mut kind = None;
    let mut offers = None;
    for field in view::fields(record) {
        let (n, v) = field?;
        match n {
            EVENT_TYPE => kind = Some(v.varint(n)? as i32),
            EVENT_OFFERS => {
                if kind.is_some_and(|k| k != event::Type::Offers as i32) {
                    return Ok(None);
                }
                read_offers(v.bytes(n)?, offers.get_or_insert_with(Vec::new))?;
            }
            _ => return Ok(None),
        }
    }
    Ok(offers.filter(|_| kind == Some(event::Type::Offers as i32)))
}

/// Appends the offers of one `Event.Offers` message.
fn read_offers(bytes: &[u8], out: &mut Vec<IncomingOffer>) -> Result<(), ViewError> {
    for field in view::fields(bytes) {
        let (n, v) = field?;
        match n {
            OFFERS_OFFERS => {
                if out.len() >= MAX_OFFERS {
                    return Err(ViewError::TooMany {
                        what: "offers in one event",
                        max: MAX_OFFERS,
                    });
                }
                out.push(read_offer(v.bytes(n)?)?);
            }
            // Inverse offers are not the matcher's.
            OFFERS_INVERSE => {
                v.bytes(n)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// One `Offer`, its resources built into the pool.
pub(crate) fn read_offer(bytes: &[u8]) -> Result<IncomingOffer, ViewError> {
    let mut offer = Offer::default();
    let mut pool = Resources::new();
    let mut invalid = Vec::new();
    for field in view::fields(bytes) {
        let (n, v) = field?;
        match n {
            OFFER_ID => merge_id(v.bytes(n)?, &mut offer.id.value)?,
            OFFER_FRAMEWORK_ID => merge_id(v.bytes(n)?, &mut offer.framework_id.value)?,
            OFFER_AGENT_ID => merge_id(v.bytes(n)?, &mut offer.agent_id.value)?,
            OFFER_HOSTNAME => {
                offer.hostname.clear();
                offer.hostname.push_str(v.str(n)?);
            }
            OFFER_RESOURCES => {
                if let Err(e) = pool.push_encoded(v.bytes(n)?)? {
                    invalid.push(e);
                }
            }
            OFFER_EXECUTOR_IDS => {
                let mut id = ExecutorId::default();
                merge_id(v.bytes(n)?, &mut id.value)?;
                offer.executor_ids.push(id);
            }
            OFFER_ATTRIBUTES => offer.attributes.push(read_attribute(v.bytes(n)?)?),
            OFFER_ALLOCATION_INFO => {
                view::merge_allocation(v.bytes(n)?, &mut offer.allocation_info)?
            }
            OFFER_URL | OFFER_UNAVAILABILITY | OFFER_DOMAIN => {
                v.bytes(n)?;
            }
            _ => {}
        }
    }
    Ok(IncomingOffer {
        offer,
        pool,
        invalid,
    })
}

/// One `Attribute`, merged as prost merges repeated fields.
fn read_attribute(bytes: &[u8]) -> Result<Attribute, ViewError> {
    let mut a = Attribute::default();
    for field in view::fields(bytes) {
        let (n, v) = field?;
        match n {
            ATTRIBUTE_NAME => {
                a.name.clear();
                a.name.push_str(v.str(n)?);
            }
            ATTRIBUTE_TYPE => a.r#type = v.varint(n)? as i32,
            ATTRIBUTE_SCALAR => {
                let scalar = a.scalar.get_or_insert_with(Default::default);
                view::merge_scalar(v.bytes(n)?, &mut scalar.value)?;
            }
            ATTRIBUTE_RANGES => {
                let ranges = a.ranges.get_or_insert_with(Default::default);
                view::each_range(v.bytes(n)?, |begin, end| {
                    ranges.range.push(value::Range { begin, end })
                })?;
            }
            ATTRIBUTE_TEXT => {
                let text = a.text.get_or_insert_with(Default::default);
                if let Some(s) = view::last_str(v.bytes(n)?, 1)? {
                    text.value.clear();
                    text.value.push_str(s);
                }
            }
            ATTRIBUTE_SET => {
                let set = a.set.get_or_insert_with(Default::default);
                view::each_item(v.bytes(n)?, |item| set.item.push(item.to_owned()))?;
            }
            _ => {}
        }
    }
    Ok(a)
}

#[cfg(test)]
pub(super) mod tests;
