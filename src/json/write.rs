//! Protobuf bytes to JSON in one pass over the wire format, driven by the schema: the fields
//! of each message in field-number order, proto field names, enums by name (the number if
//! unknown), 64-bit integers as numbers, bytes as standard base64, `"NaN"` and
//! `"Infinity"` for non-finite floats, maps as objects. The same text prost-reflect wrote
//! from a dynamic message (what [`super`] used before), without building one.

use super::schema::{Field, Kind, Label, Schema};
use prost::encoding::decode_varint;

/// The deepest message nesting written (prost decodes no deeper either).
const MAX_DEPTH: usize = 100;

/// One field's value on the wire.
#[derive(Debug, Clone, Copy)]
struct Span {
    number: u32,
    /// The field's index in its message's schema.
    index: usize,
    wire: u8,
    start: usize,
    end: usize,
}

/// The field at the front of `rest` (key and value), advancing `rest`: its number, wire
/// type and value (a varint's bytes, a fixed value's bytes, a delimited value's content).
pub(super) fn next_field<'b>(rest: &mut &'b [u8]) -> Result<(u32, u8, &'b [u8]), String> {
    let key = decode_varint(rest).map_err(|e| e.to_string())?;
    let number = u32::try_from(key >> 3).map_err(|_| "field number out of range".to_string())?;
    if number == 0 {
        return Err("field number 0".into());
    }
    let wire = (key & 7) as u8;
    let len = match wire {
        0 => {
            let mut probe = *rest;
            decode_varint(&mut probe).map_err(|e| e.to_string())?;
            rest.len() - probe.len()
        }
        1 => 8,
        2 => usize::try_from(decode_varint(rest).map_err(|e| e.to_string())?)
            .map_err(|_| "length out of range".to_string())?,
        5 => 4,
        other => return Err(format!("unsupported wire type {other}")),
    };
    if len > rest.len() {
        return Err("buffer underflow".into());
    }
    let (value, after) = rest.split_at(len);
    *rest = after;
    Ok((number, wire, value))
}

/// Writes JSON for the protobuf bytes of messages.
pub(super) struct Writer<'s> {
    schema: &'s Schema,
    pub out: Vec<u8>,
    /// The fields of the messages being written, innermost last.
    spans: Vec<Span>,
}

impl<'s> Writer<'s> {
    pub fn new(schema: &'s Schema, capacity: usize) -> Self {
        Writer {
            schema,
            out: Vec::with_capacity(capacity),
            spans: Vec::with_capacity(64),
        }
    }

    /// Writes the message of type `msg` held in `bytes`.
    pub fn message(&mut self, msg: u32, bytes: &[u8], depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("message nests too deep".into());
        }
        let schema = self.schema;
        let desc = schema.message(msg).ok_or("unknown message type")?;
        let base = self.spans.len();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (number, wire, value) = next_field(&mut rest)?;
            if let Some(index) = desc.field_index(number) {
                let start = value.as_ptr() as usize - bytes.as_ptr() as usize;
                self.spans.push(Span {
                    number,
                    index,
                    wire,
                    start,
                    end: start + value.len(),
                });
            }
        }
        if !self.spans[base..].is_sorted_by_key(|s| s.number) {
            self.spans[base..].sort_by_key(|s| s.number);
        }
        self.out.push(b'{');
        let mut first = true;
        let mut i = base;
        let end = self.spans.len();
        while i < end {
            let number = self.spans[i].number;
            let mut j = i + 1;
            while j < end && self.spans[j].number == number {
                j += 1;
            }
            let field = &desc.fields[self.spans[i].index];
            let result = self.field(field, bytes, i, j, &mut first, depth);
            if let Err(e) = result {
                self.spans.truncate(base);
                return Err(e);
            }
            i = j;
        }
        self.spans.truncate(base);
        self.out.push(b'}');
        Ok(())
    }

    /// Writes `field`, whose values are `spans[from..to]` of `bytes`.
    fn field(
        &mut self,
        field: &Field,
        bytes: &[u8],
        from: usize,
        to: usize,
        first: &mut bool,
        depth: usize,
    ) -> Result<(), String> {
        match field.label {
            Label::Single => {
                self.key(field, first);
                let last = self.spans[to - 1];
                if let (Kind::Message(msg), true) = (field.kind, to - from > 1) {
                    // A message given more than once is their merge: their bytes joined.
                    let mut joined = Vec::new();
                    for s in &self.spans[from..to] {
                        check_wire(field.kind, s.wire)?;
                        joined.extend_from_slice(&bytes[s.start..s.end]);
                    }
                    return self.message(msg, &joined, depth + 1);
                }
                self.value(field.kind, last.wire, &bytes[last.start..last.end], depth)
            }
            Label::Repeated => {
                let packed = packable(field.kind);
                if packed
                    && self.spans[from..to]
                        .iter()
                        .all(|s| s.wire == 2 && s.start == s.end)
                {
                    // Only empty packed runs: an empty list, not written.
                    return Ok(());
                }
                self.key(field, first);
                self.out.push(b'[');
                let mut first_item = true;
                for k in from..to {
                    let s = self.spans[k];
                    let value = &bytes[s.start..s.end];
                    if packed && s.wire == 2 {
                        let mut rest = value;
                        let wire = wire_of(field.kind);
                        while !rest.is_empty() {
                            let len = match wire {
                                0 => {
                                    let before = rest.len();
                                    let mut probe = rest;
                                    decode_varint(&mut probe).map_err(|e| e.to_string())?;
                                    before - probe.len()
                                }
                                1 => 8,
                                _ => 4,
                            };
                            let item = rest.get(..len).ok_or("truncated packed field")?;
                            rest = &rest[len..];
                            self.comma(&mut first_item);
                            self.value(field.kind, wire, item, depth)?;
                        }
                    } else {
                        self.comma(&mut first_item);
                        self.value(field.kind, s.wire, value, depth)?;
                    }
                }
                self.out.push(b']');
                Ok(())
            }
            Label::Map { key, value } => {
                self.key(field, first);
                self.out.push(b'{');
                let mut first_item = true;
                for k in from..to {
                    let s = self.spans[k];
                    if s.wire != 2 {
                        return Err("map entry is not length-delimited".into());
                    }
                    self.comma(&mut first_item);
                    self.map_entry(key, value, &bytes[s.start..s.end], depth)?;
                }
                self.out.push(b'}');
                Ok(())
            }
        }
    }

    /// Writes one map entry `"key":value` from the entry's bytes (missing parts default).
    fn map_entry(
        &mut self,
        key_kind: Kind,
        value_kind: Kind,
        entry: &[u8],
        depth: usize,
    ) -> Result<(), String> {
        let (mut key, mut value) = (None, None);
        let mut rest = entry;
        while !rest.is_empty() {
            let (number, wire, v) = next_field(&mut rest)?;
            match number {
                1 => key = Some((wire, v)),
                2 => value = Some((wire, v)),
                _ => {}
            }
        }
        match key {
            Some((wire, bytes)) if key_kind == Kind::String => {
                check_wire(key_kind, wire)?;
                self.string(bytes)?;
            }
            Some((wire, bytes)) => {
                self.out.push(b'"');
                self.value(key_kind, wire, bytes, depth)?;
                self.out.push(b'"');
            }
            None => match key_kind {
                Kind::String => self.out.extend_from_slice(b"\"\""),
                Kind::Bool => self.out.extend_from_slice(b"\"false\""),
                _ => self.out.extend_from_slice(b"\"0\""),
            },
        }
        self.out.push(b':');
        match value {
            Some((wire, bytes)) => self.value(value_kind, wire, bytes, depth),
            None => self.default_value(value_kind),
        }
    }

    /// The default value of `kind` (a map entry without its value).
    fn default_value(&mut self, kind: Kind) -> Result<(), String> {
        match kind {
            Kind::Message(_) => self.out.extend_from_slice(b"{}"),
            Kind::String | Kind::Bytes => self.out.extend_from_slice(b"\"\""),
            Kind::Bool => self.out.extend_from_slice(b"false"),
            Kind::Double | Kind::Float => self.out.extend_from_slice(b"0.0"),
            Kind::Enum(e) => {
                let number = self.schema.enumeration(e).map_or(0, |e| e.default);
                self.enum_value(e, number);
            }
            _ => self.out.push(b'0'),
        }
        Ok(())
    }

    fn comma(&mut self, first: &mut bool) {
        if !std::mem::take(first) {
            self.out.push(b',');
        }
    }

    fn key(&mut self, field: &Field, first: &mut bool) {
        self.comma(first);
        self.out.extend_from_slice(&field.json_key);
    }

    /// Writes one value of `kind` held in `bytes` (wire type `wire`).
    fn value(&mut self, kind: Kind, wire: u8, bytes: &[u8], depth: usize) -> Result<(), String> {
        check_wire(kind, wire)?;
        let varint = || {
            let mut b = bytes;
            decode_varint(&mut b).map_err(|e| e.to_string())
        };
        let fixed64 = || {
            <[u8; 8]>::try_from(bytes)
                .map(u64::from_le_bytes)
                .map_err(|_| "truncated fixed64".to_string())
        };
        let fixed32 = || {
            <[u8; 4]>::try_from(bytes)
                .map(u32::from_le_bytes)
                .map_err(|_| "truncated fixed32".to_string())
        };
        let out = &mut self.out;
        match kind {
            Kind::Message(msg) => return self.message(msg, bytes, depth + 1),
            Kind::String => return self.string(bytes),
            Kind::Bytes => {
                use base64::Engine;
                let engine = base64::engine::general_purpose::STANDARD;
                let len = base64::encoded_len(bytes.len(), true).ok_or("bytes too long")?;
                out.push(b'"');
                let at = out.len();
                out.resize(at + len, 0);
                engine
                    .encode_slice(bytes, &mut out[at..])
                    .map_err(|e| e.to_string())?;
                out.push(b'"');
            }
            Kind::Enum(e) => {
                let number = varint()? as i32;
                self.enum_value(e, number);
            }
            Kind::Bool => out.extend_from_slice(if varint()? != 0 { b"true" } else { b"false" }),
            Kind::Int32 => number(out, varint()? as i32),
            Kind::Int64 => number(out, varint()? as i64),
            Kind::Uint32 => number(out, varint()? as u32),
            Kind::Uint64 => number(out, varint()?),
            Kind::Sint32 => {
                let n = varint()? as u32;
                number(out, ((n >> 1) as i32) ^ -((n & 1) as i32));
            }
            Kind::Sint64 => {
                let n = varint()?;
                number(out, ((n >> 1) as i64) ^ -((n & 1) as i64));
            }
            Kind::Fixed32 => number(out, fixed32()?),
            Kind::Sfixed32 => number(out, fixed32()? as i32),
            Kind::Fixed64 => number(out, fixed64()?),
            Kind::Sfixed64 => number(out, fixed64()? as i64),
            Kind::Double => float(out, f64::from_bits(fixed64()?), number),
            Kind::Float => {
                let f = f32::from_bits(fixed32()?);
                float(out, f64::from(f), |out, _| number(out, f));
            }
        }
        Ok(())
    }

    fn enum_value(&mut self, e: u32, number: i32) {
        match self
            .schema
            .enumeration(e)
            .and_then(|e| e.quoted_name(number))
        {
            Some(quoted) => self.out.extend_from_slice(quoted),
            None => self::number(&mut self.out, number),
        }
    }

    /// A UTF-8 string, quoted and escaped the way serde_json writes it.
    fn string(&mut self, bytes: &[u8]) -> Result<(), String> {
        let s = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        if bytes
            .iter()
            .all(|b| *b >= 0x20 && *b != b'"' && *b != b'\\')
        {
            // Nothing to escape (the common case).
            self.out.reserve(bytes.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(bytes);
            self.out.push(b'"');
            return Ok(());
        }
        serde_json::to_writer(&mut self.out, s).map_err(|e| e.to_string())
    }
}

/// A number the way serde_json writes it.
fn number<T: serde::Serialize>(out: &mut Vec<u8>, n: T) {
    // Writing a number into a Vec cannot fail.
    let _ = serde_json::to_writer(out, &n);
}

/// A float: finite ones by `write`, the others as prost-reflect names them.
fn float(out: &mut Vec<u8>, f: f64, write: impl FnOnce(&mut Vec<u8>, f64)) {
    if f.is_finite() {
        write(out, f);
    } else if f.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if f > 0.0 {
        out.extend_from_slice(b"\"Infinity\"");
    } else {
        out.extend_from_slice(b"\"-Infinity\"");
    }
}

/// Whether a repeated field of `kind` may be packed.
fn packable(kind: Kind) -> bool {
    !matches!(kind, Kind::String | Kind::Bytes | Kind::Message(_))
}

/// The wire type of one value of `kind`.
fn wire_of(kind: Kind) -> u8 {
    match kind {
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => 1,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::String | Kind::Bytes | Kind::Message(_) => 2,
        _ => 0,
    }
}

fn check_wire(kind: Kind, wire: u8) -> Result<(), String> {
    if wire_of(kind) == wire {
        Ok(())
    } else {
        Err(format!("wire type {wire} does not fit {kind:?}"))
    }
}
