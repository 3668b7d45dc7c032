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
                map.next_value_seed(Ignore(&mut reader.depth))?;
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

/// Any JSON value, checked and skipped, its nesting counted against the cap.
struct Ignore<'d>(&'d mut usize);

impl<'de> DeserializeSeed<'de> for Ignore<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Ignore<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        *self.0 += 1;
        if *self.0 > MAX_JSON_DEPTH {
            return Err(A::Error::custom("nesting too deep"));
        }
        while seq.next_element_seed(Ignore(&mut *self.0))?.is_some() {}
        *self.0 -= 1;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        *self.0 += 1;
        if *self.0 > MAX_JSON_DEPTH {
            return Err(A::Error::custom("nesting too deep"));
        }
        while map.next_key_seed(Ignore(&mut *self.0))?.is_some() {
            map.next_value_seed(Ignore(&mut *self.0))?;
        }
        *self.0 -= 1;
        Ok(())
    }
}

/// The deepest nesting of a JSON document (checking its syntax on the way), for telling
/// apart why a decoding failed.
pub(super) fn max_depth(bytes: &[u8]) -> Result<usize, serde_json::Error> {
    struct Depth {
        now: usize,
        max: usize,
    }
    struct Seed<'d>(&'d mut Depth);
    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            self.0.now += 1;
            self.0.max = self.0.max.max(self.0.now);
            while seq.next_element_seed(Seed(&mut *self.0))?.is_some() {}
            self.0.now -= 1;
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            self.0.now += 1;
            self.0.max = self.0.max.max(self.0.now);
            while map.next_key_seed(Seed(&mut *self.0))?.is_some() {
                map.next_value_seed(Seed(&mut *self.0))?;
            }
            self.0.now -= 1;
            Ok(())
        }
    }
    let mut depth = Depth { now: 0, max: 0 };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Seed(&mut depth).deserialize(&mut de)?;
    de.end()?;
    Ok(depth.max)
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

/// Writes a map key (field 1 of the entry) from its JSON object key.
fn map_key<E: Error>(out: &mut Vec<u8>, kind: Kind, key: &str) -> Result<(), E> {
    fn parsed<T: std::str::FromStr, E: Error>(key: &str) -> Result<T, E>
    where
        T::Err: fmt::Display,
    {
        key.parse().map_err(E::custom)
    }
    match kind {
        Kind::String => {
            encode_key(1, WireType::LengthDelimited, out);
            encode_varint(key.len() as u64, out);
            out.extend_from_slice(key.as_bytes());
        }
        Kind::Bool => scalar(
            out,
            1,
            Kind::Bool,
            Num::U(u64::from(parsed::<bool, E>(key)?)),
        ),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            scalar(out, 1, kind, Num::I(i64::from(parsed::<i32, E>(key)?)))
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            scalar(out, 1, kind, Num::I(parsed::<i64, E>(key)?))
        }
        Kind::Uint32 | Kind::Fixed32 => {
            scalar(out, 1, kind, Num::U(u64::from(parsed::<u32, E>(key)?)))
        }
        Kind::Uint64 | Kind::Fixed64 => scalar(out, 1, kind, Num::U(parsed::<u64, E>(key)?)),
        _ => return Err(E::custom("invalid type for a map key")),
    }
    Ok(())
}

/// A number read for a field, before its wire encoding.
#[derive(Clone, Copy)]
enum Num {
    I(i64),
    U(u64),
    F(f64),
}

/// Writes field `number` of a scalar `kind` holding `n` (already range-checked).
fn scalar(out: &mut Vec<u8>, number: u32, kind: Kind, n: Num) {
    let (i, u) = match n {
        Num::I(i) => (i, i as u64),
        Num::U(u) => (u as i64, u),
        Num::F(f) => (f as i64, f as u64),
    };
    match kind {
        Kind::Double => {
            let f = match n {
                Num::F(f) => f,
                Num::I(i) => i as f64,
                Num::U(u) => u as f64,
            };
            encode_key(number, WireType::SixtyFourBit, out);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Kind::Float => {
            let f = match n {
                Num::F(f) => f as f32,
                Num::I(i) => i as f32,
                Num::U(u) => u as f32,
            };
            encode_key(number, WireType::ThirtyTwoBit, out);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Kind::Int32 | Kind::Int64 | Kind::Enum(_) => {
            encode_key(number, WireType::Varint, out);
            encode_varint(i as u64, out);
        }
        Kind::Uint32 | Kind::Uint64 | Kind::Bool => {
            encode_key(number, WireType::Varint, out);
            encode_varint(u, out);
        }
        Kind::Sint32 | Kind::Sint64 => {
            encode_key(number, WireType::Varint, out);
            encode_varint(((i << 1) ^ (i >> 63)) as u64, out);
        }
        Kind::Fixed32 | Kind::Sfixed32 => {
            encode_key(number, WireType::ThirtyTwoBit, out);
            out.extend_from_slice(&(u as u32).to_le_bytes());
        }
        Kind::Fixed64 | Kind::Sfixed64 => {
            encode_key(number, WireType::SixtyFourBit, out);
            out.extend_from_slice(&u.to_le_bytes());
        }
        Kind::String | Kind::Bytes | Kind::Message(_) => {}
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

/// A JSON number as an integer of type `T`: whole and in range.
fn integer<T, E>(n: Num) -> Result<T, E>
where
    T: TryFrom<i64> + TryFrom<u64> + Bounded,
    <T as TryFrom<i64>>::Error: fmt::Display,
    <T as TryFrom<u64>>::Error: fmt::Display,
    E: Error,
{
    match n {
        Num::I(i) => T::try_from(i).map_err(E::custom),
        Num::U(u) => T::try_from(u).map_err(E::custom),
        Num::F(f) => {
            if f.fract() != 0.0 {
                return Err(E::custom("expected integer value"));
            }
            if !(T::MIN_F64..=T::MAX_F64).contains(&f) {
                return Err(E::custom("float value out of range"));
            }
            Ok(T::from_f64(f))
        }
    }
}

/// The bounds of an integer type as `f64`, and the saturating conversion from `f64`.
trait Bounded {
    const MIN_F64: f64;
    const MAX_F64: f64;
    fn from_f64(f: f64) -> Self;
}

macro_rules! bounded {
    ($($t:ty),*) => {$(
        impl Bounded for $t {
            const MIN_F64: f64 = <$t>::MIN as f64;
            const MAX_F64: f64 = <$t>::MAX as f64;
            fn from_f64(f: f64) -> Self {
                f as $t
            }
        }
    )*};
}
bounded!(i32, i64, u32, u64);

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

/// What a kind expects, for "invalid type" errors.
fn self_kind(kind: Kind) -> impl serde::de::Expected {
    struct K(Kind);
    impl serde::de::Expected for K {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a value of type {:?}", self.0)
        }
    }
    K(kind)
}

/// Decodes standard or URL-safe base64 (padding optional) onto `out` from `start`.
fn base64_decode<E: Error>(v: &str, out: &mut Vec<u8>, start: usize) -> Result<(), E> {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{DecodeError, Engine};
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
    match STANDARD.decode_vec(v, out) {
        Ok(()) => Ok(()),
        Err(DecodeError::InvalidByte(_, b'-' | b'_')) => {
            out.truncate(start);
            URL_SAFE
                .decode_vec(v, out)
                .map_err(|e| E::custom(format!("invalid base64: {e}")))
        }
        Err(e) => Err(E::custom(format!("invalid base64: {e}"))),
    }
}
