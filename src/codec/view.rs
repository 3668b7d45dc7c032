//! A reader of protobuf wire format over borrowed bytes: the fields of one message, in
//! order, with their values as slices of the input (nothing is copied or allocated).
//!
//! It reads what prost reads (varints of at most 10 bytes, keys with a field number of 1
//! or more and wire types 0, 1, 2 and 5) and answers a [`ViewError`] for anything else,
//! groups included: its users then fall back to a full prost decode, which decides.

/// Why bytes could not be read as protobuf fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The bytes end inside a key, a varint, a fixed-width value or a length-delimited
    /// value.
    #[error("protobuf bytes end inside a field")]
    Truncated,
    /// A varint longer than 10 bytes, or a key above `u32::MAX`.
    #[error("protobuf varint or key out of range")]
    Varint,
    /// Field number 0.
    #[error("protobuf field number 0")]
    FieldZero,
    /// A wire type the reader does not read (groups, 6, 7), or one a known field does not
    /// have.
    #[error("protobuf wire type {wire_type} for field {field}")]
    WireType {
        /// The field number.
        field: u32,
        /// The wire type found.
        wire_type: u8,
    },
    /// A string field that is not UTF-8.
    #[error("protobuf string field {field} is not UTF-8")]
    Utf8 {
        /// The field number.
        field: u32,
    },
    /// More of something than the reader accepts.
    #[error("too many {what} (limit {max})")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A nested message handed to prost did not decode.
    #[error("nested message: {0}")]
    Nested(#[from] prost::DecodeError),
}

/// The value of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (`double`, `fixed64`, ...), as its little-endian bits.
    Fixed64(u64),
    /// Wire type 2 (strings, bytes, nested messages, packed fields).
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

impl<'a> Value<'a> {
    /// The bytes of a length-delimited field; an error naming `field` for another type.
    #[inline]
    pub fn bytes(self, field: u32) -> Result<&'a [u8], ViewError> {
        match self {
            Value::Bytes(b) => Ok(b),
            other => Err(wrong_type(field, other)),
        }
    }

    /// A string field.
    #[inline]
    pub fn str(self, field: u32) -> Result<&'a str, ViewError> {
        std::str::from_utf8(self.bytes(field)?).map_err(|_| ViewError::Utf8 { field })
    }

    /// A varint field.
    #[inline]
    pub fn varint(self, field: u32) -> Result<u64, ViewError> {
        match self {
            Value::Varint(v) => Ok(v),
            other => Err(wrong_type(field, other)),
        }
    }

    /// A `double` field.
    #[inline]
    pub fn double(self, field: u32) -> Result<f64, ViewError> {
        match self {
            Value::Fixed64(bits) => Ok(f64::from_bits(bits)),
            other => Err(wrong_type(field, other)),
        }
    }

    fn wire_type(self) -> u8 {
        match self {
            Value::Varint(_) => 0,
            Value::Fixed64(_) => 1,
            Value::Bytes(_) => 2,
            Value::Fixed32(_) => 5,
        }
    }
}

fn wrong_type(field: u32, value: Value<'_>) -> ViewError {
    ViewError::WireType {
        field,
        wire_type: value.wire_type(),
    }
}

/// The fields of one message, in wire order. After an error it yields nothing more.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

/// The fields of the message encoded in `bytes`.
pub fn fields(bytes: &[u8]) -> Fields<'_> {
    Fields { rest: bytes }
}

impl<'a> Fields<'a> {
    #[inline(always)]
    fn next_field(&mut self) -> Result<(u32, Value<'a>), ViewError> {
        let key = varint(&mut self.rest)?;
        let field = u32::try_from(key >> 3).map_err(|_| ViewError::Varint)?;
        if field == 0 {
            return Err(ViewError::FieldZero);
        }
        let value = match key & 7 {
            0 => Value::Varint(varint(&mut self.rest)?),
            1 => Value::Fixed64(u64::from_le_bytes(take_array(&mut self.rest)?)),
            2 => {
                let len =
                    usize::try_from(varint(&mut self.rest)?).map_err(|_| ViewError::Truncated)?;
                if len > self.rest.len() {
                    return Err(ViewError::Truncated);
                }
                let (value, rest) = self.rest.split_at(len);
                self.rest = rest;
                Value::Bytes(value)
            }
            5 => Value::Fixed32(u32::from_le_bytes(take_array(&mut self.rest)?)),
            other => {
                return Err(ViewError::WireType {
                    field,
                    wire_type: other as u8,
                });
            }
        };
        Ok((field, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), ViewError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.next_field();
        if item.is_err() {
            self.rest = &[];
        }
        Some(item)
    }
}

/// Reads one varint (at most 10 bytes, as prost).
#[inline(always)]
fn varint(buf: &mut &[u8]) -> Result<u64, ViewError> {
    match buf.split_first() {
        Some((&byte, rest)) if byte < 0x80 => {
            *buf = rest;
            Ok(u64::from(byte))
        }
        _ => varint_long(buf),
    }
}

/// [`varint`] of two bytes or more.
#[cold]
fn varint_long(buf: &mut &[u8]) -> Result<u64, ViewError> {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            // The tenth byte may only carry the top bit of a u64.
            if i == 9 && byte > 1 {
                return Err(ViewError::Varint);
            }
            *buf = buf.get(i + 1..).unwrap_or_default();
            return Ok(value);
        }
    }
    Err(if buf.len() >= 10 {
        ViewError::Varint
    } else {
        ViewError::Truncated
    })
}

#[inline]
fn take_array<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], ViewError> {
    let (head, rest) = buf.split_first_chunk::<N>().ok_or(ViewError::Truncated)?;
    *buf = rest;
    Ok(*head)
}

/// The last value of the string field `number` in the message `bytes` (prost keeps the
/// last), after checking the whole message reads.
pub fn last_str(bytes: &[u8], number: u32) -> Result<Option<&str>, ViewError> {
    let mut last = None;
    for field in fields(bytes) {
        let (n, v) = field?;
        if n == number {
            last = Some(v.str(n)?);
        }
    }
    Ok(last)
}

/// Merges a message whose only field is `string value = 1` (`OfferID`, `AgentID`, ...)
/// into `value`, as prost merges a repeated occurrence (the last value wins).
pub fn merge_id(bytes: &[u8], value: &mut String) -> Result<(), ViewError> {
    if let Some(s) = last_str(bytes, 1)? {
        value.clear();
        value.push_str(s);
    }
    Ok(())
}

/// Merges a `Value.Scalar` message into `value`.
pub fn merge_scalar(bytes: &[u8], value: &mut f64) -> Result<(), ViewError> {
    for field in fields(bytes) {
        let (n, v) = field?;
        if n == 1 {
            *value = v.double(n)?;
        }
    }
    Ok(())
}

/// Calls `each` with the `(begin, end)` of every range of a `Value.Ranges` message.
pub fn each_range(bytes: &[u8], mut each: impl FnMut(u64, u64)) -> Result<(), ViewError> {
    for field in fields(bytes) {
        let (n, v) = field?;
        if n != 1 {
            continue;
        }
        let (mut begin, mut end) = (0, 0);
        for field in fields(v.bytes(n)?) {
            match field? {
                (1, v) => begin = v.varint(1)?,
                (2, v) => end = v.varint(2)?,
                _ => {}
            }
        }
        each(begin, end);
    }
    Ok(())
}

/// Calls `each` with every item of a `Value.Set` message.
pub fn each_item<'a>(bytes: &'a [u8], mut each: impl FnMut(&'a str)) -> Result<(), ViewError> {
    for field in fields(bytes) {
        let (n, v) = field?;
        if n == 1 {
            each(v.str(n)?);
        }
    }
    Ok(())
}

/// Merges a `Resource.AllocationInfo` message into `info`.
pub fn merge_allocation(
    bytes: &[u8],
    info: &mut Option<crate::proto::resource::AllocationInfo>,
) -> Result<(), ViewError> {
    let info = info.get_or_insert_with(Default::default);
    if let Some(role) = last_str(bytes, 1)? {
        info.role = Some(role.to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn reads_what_prost_writes() {
        let r = crate::proto::value::Range {
            begin: 300,
            end: u64::MAX,
        };
        let bytes = r.encode_to_vec();
        let got: Vec<_> = fields(&bytes).collect();
        assert_eq!(
            got,
            vec![
                Ok((1, Value::Varint(300))),
                Ok((2, Value::Varint(u64::MAX)))
            ]
        );
        let s = crate::proto::value::Scalar { value: 2.5 };
        let bytes = s.encode_to_vec();
        let (n, v) = fields(&bytes).next().unwrap().unwrap();
        assert_eq!((n, v.double(n)), (1, Ok(2.5)));
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics() {
        let cases: &[(&[u8], ViewError)] = &[
            (&[0x08], ViewError::Truncated),
            (&[0x08, 0x80], ViewError::Truncated),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
                ],
                ViewError::Varint,
            ),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                ViewError::Varint,
            ),
            (&[0x00, 0x01], ViewError::FieldZero),
            (
                &[0x0b],
                ViewError::WireType {
                    field: 1,
                    wire_type: 3,
                },
            ),
            (
                &[0x0e],
                ViewError::WireType {
                    field: 1,
                    wire_type: 6,
                },
            ),
            (&[0x0a, 0x05, 0x61], ViewError::Truncated),
            (
                &[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                ViewError::Truncated,
            ),
            (&[0x09, 0x01, 0x02], ViewError::Truncated),
            (&[0x0d, 0x01], ViewError::Truncated),
            // A key above u32::MAX.
            (&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], ViewError::Varint),
        ];
        for (bytes, want) in cases {
            let mut it = fields(bytes);
            assert_eq!(it.next(), Some(Err(want.clone())), "{bytes:?}");
            assert_eq!(it.next(), None, "stops after an error: {bytes:?}");
            // prost refuses every one of them too.
            assert!(
                crate::proto::value::Range::decode(*bytes).is_err(),
                "{bytes:?}"
            );
        }
        let mut id = String::new();
        assert_eq!(
            merge_id(&[0x0a, 0x01, 0xff], &mut id),
            Err(ViewError::Utf8 { field: 1 })
        );
        assert_eq!(
            merge_id(&[0x08, 0x01], &mut id),
            Err(ViewError::WireType {
                field: 1,
                wire_type: 0
            })
        );
    }
}
