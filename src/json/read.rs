//! JSON to protobuf bytes in one streaming pass: `serde_json` tokenizes, the schema says what
//! each key is, and the value goes straight into protobuf wire format (which prost then
//! decodes into the generated type). No `serde_json::Value` tree, no dynamic message.
//!
//! The mapping is prost-reflect's (what [`super`] used before): keys by JSON name or proto
//! name, unknown keys ignored, `null` leaves a field unset, numbers or strings for
//! integers and floats (`"NaN"`, `"Infinity"`), enum names or numbers (an unknown name
//! drops the value; on a required field it is an error), standard or URL-safe base64,
//! at most one member per oneof; a key given twice keeps its last value.

use super::MAX_JSON_DEPTH;
use super::schema::{Field, Kind, Label, Schema};
use prost::encoding::{WireType, encode_key, encode_varint};
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::fmt;

mod scalar;
mod skip;

use scalar::{Num, base64_decode, integer, map_key, scalar, self_kind};
pub(super) use skip::max_depth;
use skip::{Depth, Skip};

/// The state of one decoding: the schema, the bytes written so far and the nesting depth.
pub(super) struct Reader<'s> {
    pub schema: &'s Schema,
    pub out: Vec<u8>,
    depth: usize,
}

impl<'s> Reader<'s> {
    pub fn new(schema: &'s Schema, capacity: usize) -> Self {
        Reader {
            schema,
            out: Vec::with_capacity(capacity),
            depth: 0,
        }
    }

    fn enter<E: Error>(&mut self) -> Result<(), E> {
        self.depth += 1;
        if self.depth > MAX_JSON_DEPTH {
            return Err(E::custom("nesting too deep"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Starts a length-delimited value: one byte kept for its length, fixed by [`Self::close`].
    fn open(&mut self, number: u32) -> usize {
        encode_key(number, WireType::LengthDelimited, &mut self.out);
        self.out.push(0);
        self.out.len()
    }

    /// Writes the length of the value started at `start` (moving it when the length
    /// needs more than one byte).
    fn close(&mut self, start: usize) {
        let len = self.out.len() - start;
        if len < 0x80 {
            self.out[start - 1] = len as u8;
            return;
        }
        let mut varint = Vec::with_capacity(10);
        encode_varint(len as u64, &mut varint);
        let extra = varint.len() - 1;
        self.out.resize(self.out.len() + extra, 0);
        self.out.copy_within(start..start + len, start + extra);
        self.out[start - 1..start - 1 + varint.len()].copy_from_slice(&varint);
    }

    /// Removes every earlier value of field `number` from the message written from `start`
    /// (a key given twice keeps its last value, as a JSON object does).
    fn strip(&mut self, start: usize, number: u32) {
        let mut kept = Vec::with_capacity(self.out.len() - start);
        let mut rest = &self.out[start..];
        while !rest.is_empty() {
            let before = rest;
            let Ok((field, _, _)) = super::write::next_field(&mut rest) else {
                return;
            };
            let taken = before.len() - rest.len();
            if field != number {
                kept.extend_from_slice(&before[..taken]);
            }
        }
        self.out.truncate(start);
        self.out.extend_from_slice(&kept);
    }
}

/// Decodes one message of type `msg` (an index into the schema) from a JSON object.
pub(super) struct MessageSeed<'r, 's> {
    pub reader: &'r mut Reader<'s>,
    pub msg: u32,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.reader;
        let schema = reader.schema;
        let msg = schema
            .message(self.msg)
            .ok_or_else(|| A::Error::custom("unknown message type"))?;
        reader.enter()?;
        let start = reader.out.len();
        let (mut seen, mut set) = (0u128, 0u128);
        while let Some(index) = map.next_key_seed(KeySeed(msg))? {
            let Some(index) = index else {
                let mut depth = Depth {
                    now: reader.depth,
                    max: 0,
                };
                map.next_value_seed(Skip {
                    depth: &mut depth,
                    cap: MAX_JSON_DEPTH,
                })?;
                continue;
            };
            let field = &msg.fields[index];
            let bit = if index < 128 { 1u128 << index } else { 0 };
            if bit == 0 || seen & bit != 0 {
                reader.strip(start, field.number);
                set &= !bit;
            }
            seen |= bit;
            let before = reader.out.len();
            map.next_value_seed(FieldSeed {
                reader: &mut *reader,
                field,
            })?;
            if reader.out.len() > before {
                if set & field.oneof_others != 0 {
                    return Err(A::Error::custom(format!(
                        "multiple fields provided for the oneof of '{}'",
                        field.name
                    )));
                }
                set |= bit;
            }
        }
        reader.leave();
        Ok(())
    }
}

/// A key of a message: the index of the field it names, `None` if unknown.
struct KeySeed<'m>(&'m super::schema::Msg);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.field_by_key(key))
    }
}

/// The value of one field: `null` (unset), one value, a list or a map.
struct FieldSeed<'r, 's, 'f> {
    reader: &'r mut Reader<'s>,
    field: &'f Field,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field value")
    }
    fn visit_none<E: Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let field = self.field;
        match field.label {
            Label::Single => ValueSeed {
                reader: self.reader,
                number: field.number,
                kind: field.kind,
                required: field.required.then_some(&*field.name),
            }
            .deserialize(d),
            Label::Repeated => d.deserialize_any(ListSeed {
                reader: self.reader,
                number: field.number,
                kind: field.kind,
            }),
            Label::Map { key, value } => d.deserialize_any(MapSeed {
                reader: self.reader,
                number: field.number,
                key,
                value,
            }),
        }
    }
}

/// The elements of a repeated field.
struct ListSeed<'r, 's> {
    reader: &'r mut Reader<'s>,
    number: u32,
    kind: Kind,
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.reader.enter()?;
        while seq
            .next_element_seed(ValueSeed {
                reader: &mut *self.reader,
                number: self.number,
                kind: self.kind,
                required: None,
            })?
            .is_some()
        {}
        self.reader.leave();
        Ok(())
    }
}

/// The entries of a map field, each written as a message with the key in field 1 and the
/// value in field 2.
struct MapSeed<'r, 's> {
    reader: &'r mut Reader<'s>,
    number: u32,
    key: Kind,
    value: Kind,
}

impl<'de> Visitor<'de> for MapSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reader = self.reader;
        reader.enter()?;
        while let Some(key) = map.next_key::<String>()? {
            let entry_start = reader.out.len();
            let start = reader.open(self.number);
            map_key::<A::Error>(&mut reader.out, self.key, &key)?;
            let before = reader.out.len();
            map.next_value_seed(ValueSeed {
                reader: &mut *reader,
                number: 2,
                kind: self.value,
                required: None,
            })?;
            if reader.out.len() == before {
                // An unknown enum name: the entry is dropped.
                reader.out.truncate(entry_start);
            } else {
                reader.close(start);
            }
        }
        reader.leave();
        Ok(())
    }
}

/// One value of `kind`, written as field `number`. `required` names a required field
/// (an unknown enum name there is an error, elsewhere it drops the value).
struct ValueSeed<'r, 's, 'n> {
    reader: &'r mut Reader<'s>,
    number: u32,
    kind: Kind,
    required: Option<&'n str>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.kind {
            Kind::Message(msg) => {
                let start = self.reader.open(self.number);
                MessageSeed {
                    reader: &mut *self.reader,
                    msg,
                }
                .deserialize(d)?;
                self.reader.close(start);
                Ok(())
            }
            Kind::String => d.deserialize_string(self),
            Kind::Bytes => d.deserialize_str(self),
            _ => d.deserialize_any(self),
        }
    }
}

impl ValueSeed<'_, '_, '_> {
    fn number<E: Error>(self, n: Num) -> Result<(), E> {
        let n = match self.kind {
            Kind::Double => n,
            Kind::Float => match n {
                // JSON numbers are never NaN.
                Num::F(f) if !(f64::from(f32::MIN)..=f64::from(f32::MAX)).contains(&f) => {
                    return Err(E::custom("float value out of range"));
                }
                n => n,
            },
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Num::I(integer::<i32, E>(n)?.into()),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Num::I(integer::<i64, E>(n)?),
            Kind::Uint32 | Kind::Fixed32 => Num::U(integer::<u32, E>(n)?.into()),
            Kind::Uint64 | Kind::Fixed64 => Num::U(integer::<u64, E>(n)?),
            Kind::Enum(_) => match n {
                Num::F(_) => {
                    return Err(E::custom("invalid type: floating point, expected an enum"));
                }
                n => Num::I(integer::<i32, E>(n)?.into()),
            },
            Kind::Bool => return Err(E::custom("invalid type: number, expected a boolean")),
            Kind::String | Kind::Bytes | Kind::Message(_) => {
                return Err(E::custom("invalid type: number, expected a string"));
            }
        };
        scalar(&mut self.reader.out, self.number, self.kind, n);
        Ok(())
    }
}

impl Visitor<'_> for ValueSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of type {:?}", self.kind)
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<(), E> {
        if self.kind != Kind::Bool {
            return Err(E::invalid_type(serde::de::Unexpected::Bool(v), &self));
        }
        scalar(
            &mut self.reader.out,
            self.number,
            Kind::Bool,
            Num::U(u64::from(v)),
        );
        Ok(())
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<(), E> {
        self.number(Num::I(v))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<(), E> {
        self.number(Num::U(v))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<(), E> {
        self.number(Num::F(v))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
        let reader = self.reader;
        let out = &mut reader.out;
        let n = match self.kind {
            Kind::String => {
                encode_key(self.number, WireType::LengthDelimited, out);
                encode_varint(v.len() as u64, out);
                out.extend_from_slice(v.as_bytes());
                return Ok(());
            }
            Kind::Bytes => {
                let start = reader.open(self.number);
                base64_decode(v, &mut reader.out, start)?;
                reader.close(start);
                return Ok(());
            }
            Kind::Enum(e) => {
                let number = reader.schema.enumeration(e).and_then(|e| e.number(v));
                match (number, self.required) {
                    (Some(n), _) => Num::I(n.into()),
                    (None, None) => return Ok(()),
                    (None, Some(field)) => {
                        return Err(E::custom(format!(
                            "unknown value {v:?} for required enum field {field}"
                        )));
                    }
                }
            }
            Kind::Double | Kind::Float => {
                let f = match v.parse::<f64>() {
                    Ok(f) => f,
                    Err(_) if v == "Infinity" => f64::INFINITY,
                    Err(_) if v == "-Infinity" => f64::NEG_INFINITY,
                    Err(_) if v == "NaN" => f64::NAN,
                    Err(e) => return Err(E::custom(e)),
                };
                if self.kind == Kind::Float {
                    // Parsed as f32 directly, as prost-reflect does (no double rounding).
                    let f = match v.parse::<f32>() {
                        Ok(f) => f,
                        Err(_) => f as f32,
                    };
                    encode_key(self.number, WireType::ThirtyTwoBit, out);
                    out.extend_from_slice(&f.to_le_bytes());
                    return Ok(());
                }
                Num::F(f)
            }
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                Num::I(v.parse::<i32>().map_err(E::custom)?.into())
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                Num::I(v.parse::<i64>().map_err(E::custom)?)
            }
            Kind::Uint32 | Kind::Fixed32 => Num::U(v.parse::<u32>().map_err(E::custom)?.into()),
            Kind::Uint64 | Kind::Fixed64 => Num::U(v.parse::<u64>().map_err(E::custom)?),
            Kind::Bool | Kind::Message(_) => {
                return Err(E::invalid_type(
                    serde::de::Unexpected::Str(v),
                    &self_kind(self.kind),
                ));
            }
        };
        scalar(out, self.number, self.kind, n);
        Ok(())
    }
}
