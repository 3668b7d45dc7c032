//! Resources built straight from the protobuf bytes of offered `Resource` messages: the
//! amount is read from the value fields in place (no `Value.Range` or `Value.Set`
//! messages are built and dropped), and only the identity fields become the entry's
//! `Resource`. The result is what [`Resources::from_proto_lossy`] makes of prost's decode
//! of the same bytes, invalid entries and their errors included.

use super::{Amount, Entry, ResourceError, Resources, text};
use crate::codec::view::{self, ViewError};
use crate::proto::Resource;
use prost::Message;

// Resource field numbers (mesos.proto).
const NAME: u32 = 1;
const TYPE: u32 = 2;
const SCALAR: u32 = 3;
const RANGES: u32 = 4;
const SET: u32 = 5;
const ROLE: u32 = 6;
const DISK: u32 = 7;
const RESERVATION: u32 = 8;
const REVOCABLE: u32 = 9;
const SHARED: u32 = 10;
const ALLOCATION_INFO: u32 = 11;
const PROVIDER_ID: u32 = 12;
const RESERVATIONS: u32 = 13;

impl Resources {
    /// Adds the `Resource` encoded in `bytes`, merged into its identity's entry.
    ///
    /// The outer error: the bytes are not a `Resource` as prost reads it (the caller
    /// falls back to prost). The inner one: the resource is invalid and was skipped, as
    /// [`Resources::from_proto_lossy`] skips it.
    pub(crate) fn push_encoded(
        &mut self,
        bytes: &[u8],
    ) -> Result<Result<(), ResourceError>, ViewError> {
        Ok(decode_entry(bytes)?.and_then(|entry| self.add_entry(entry)))
    }
}

/// The value fields of one `Resource`, as prost would merge them.
#[derive(Default)]
struct ValueFields<'a> {
    scalar: Option<f64>,
    /// At most `MAX_RANGES + 1` pairs are kept: one more is enough to be refused.
    ranges: Option<Vec<(u64, u64)>>,
    set: Option<Vec<&'a str>>,
}

#[allow(deprecated)] // the legacy `role` is part of the identity
fn decode_entry(bytes: &[u8]) -> Result<Result<Entry, ResourceError>, ViewError> {
    let mut meta = Resource::default();
    let mut values = ValueFields::default();
    for field in view::fields(bytes) {
        let (n, v) = field?;
        match n {
            NAME => {
                meta.name.clear();
                meta.name.push_str(v.str(n)?);
            }
            // prost reads an enum as an int32 (a varint truncated to 32 bits).
            TYPE => meta.r#type = v.varint(n)? as i32,
            SCALAR => view::merge_scalar(v.bytes(n)?, values.scalar.get_or_insert(0.0))?,
            RANGES => {
                let pairs = values.ranges.get_or_insert_with(Vec::new);
                view::each_range(v.bytes(n)?, |begin, end| {
                    // One more than the limit is enough to be refused.
                    if pairs.len() <= text::MAX_RANGES {
                        pairs.push((begin, end));
                    }
                })?;
            }
            SET => {
                let items = values.set.get_or_insert_with(Vec::new);
                view::each_item(v.bytes(n)?, |item| items.push(item))?;
            }
            ROLE => meta.role = Some(v.str(n)?.to_owned()),
            DISK => merge(&mut meta.disk, v.bytes(n)?)?,
            RESERVATION => merge(&mut meta.reservation, v.bytes(n)?)?,
            REVOCABLE => merge(&mut meta.revocable, v.bytes(n)?)?,
            SHARED => merge(&mut meta.shared, v.bytes(n)?)?,
            ALLOCATION_INFO => view::merge_allocation(v.bytes(n)?, &mut meta.allocation_info)?,
            PROVIDER_ID => merge(&mut meta.provider_id, v.bytes(n)?)?,
            RESERVATIONS => meta.reservations.push(Message::decode(v.bytes(n)?)?),
            _ => {} // unknown fields: skipped, as prost skips them
        }
    }
    if meta.name.is_empty() {
        return Ok(Err(ResourceError::Invalid {
            name: String::new(),
            message: "empty name".into(),
        }));
    }
    let amount = Amount::from_parts(
        &meta.name,
        meta.r#type,
        values.scalar,
        values.ranges.map(Vec::into_iter),
        values.set.map(|items| items.into_iter().map(str::to_owned)),
    );
    Ok(amount.map(|amount| Entry::new(meta, amount)))
}

/// Merges a nested message into an optional field, as prost does for a repeated
/// occurrence.
fn merge<M: Message + Default>(field: &mut Option<M>, bytes: &[u8]) -> Result<(), ViewError> {
    field.get_or_insert_with(M::default).merge(bytes)?;
    Ok(())
}
