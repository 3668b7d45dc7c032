//! The protobuf descriptors compiled once into flat tables for the JSON mapping: per message
//! its fields by number and by name (proto and JSON names), per enum its names both ways,
//! and each field's `"name":` prefix ready to write. Built from the crate's descriptor set
//! through `prost-reflect`, which is used only here, at start-up.

use prost_reflect::{DescriptorPool, EnumDescriptor, FieldDescriptor, MessageDescriptor};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// A field's value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Double,
    Float,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Bool,
    String,
    Bytes,
    /// Index into [`Schema::messages`].
    Message(u32),
    /// Index into [`Schema::enums`].
    Enum(u32),
}

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    /// One value (proto2 `optional` or `required`).
    Single,
    /// A list.
    Repeated,
    /// A `map<K, V>`: entries with the key in field 1 and the value in field 2.
    Map { key: Kind, value: Kind },
}

/// One field of a message.
#[derive(Debug)]
pub(super) struct Field {
    pub number: u32,
    pub name: Box<str>,
    /// `"name":`, written before the value.
    pub json_key: Box<[u8]>,
    pub kind: Kind,
    pub label: Label,
    pub required: bool,
    /// The other members of this field's oneof, as bits of field indexes (below 128).
    pub oneof_others: u128,
}

/// One message type.
#[derive(Debug)]
pub(super) struct Msg {
    /// Sorted by number.
    pub fields: Vec<Field>,
    /// JSON names and proto names to indexes in `fields` (a JSON name wins a clash).
    by_key: HashMap<Box<str>, usize, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: keys are short field names, hashed once per key read; SipHash's resistance to
/// chosen collisions buys nothing for a fixed table that input cannot add to.
#[derive(Default)]
pub(super) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl Msg {
    /// The field a JSON key names.
    pub fn field_by_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The index in `fields` of the field with `number`.
    pub fn field_index(&self, number: u32) -> Option<usize> {
        self.fields.binary_search_by_key(&number, |f| f.number).ok()
    }
}

/// One enum type.
#[derive(Debug)]
pub(super) struct Enum {
    by_name: HashMap<Box<str>, i32>,
    /// Numbers (sorted) and their names written as JSON strings (`"NAME"`).
    quoted: Vec<(i32, Box<[u8]>)>,
    /// The default value (the first declared).
    pub default: i32,
}

impl Enum {
    /// The number of a value name.
    pub fn number(&self, name: &str) -> Option<i32> {
        self.by_name.get(name).copied()
    }

    /// `"NAME"` for a known number.
    pub fn quoted_name(&self, number: i32) -> Option<&[u8]> {
        self.quoted
            .binary_search_by_key(&number, |(n, _)| *n)
            .ok()
            .and_then(|i| self.quoted.get(i))
            .map(|(_, q)| &**q)
    }
}

/// All message and enum types of the crate's protos.
#[derive(Debug, Default)]
pub(super) struct Schema {
    pub messages: Vec<Msg>,
    pub enums: Vec<Enum>,
    by_name: HashMap<String, u32>,
}

impl Schema {
    /// The schema of the crate's own descriptor set (built on first use).
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
                .map(|pool| Schema::build(&pool))
                .unwrap_or_default()
        })
    }

    /// The index of the message type with `full_name`.
    pub fn message_index(&self, full_name: &str) -> Option<u32> {
        self.by_name.get(full_name).copied()
    }

    /// The message at `index`.
    pub fn message(&self, index: u32) -> Option<&Msg> {
        self.messages.get(index as usize)
    }

    /// The enum at `index`.
    pub fn enumeration(&self, index: u32) -> Option<&Enum> {
        self.enums.get(index as usize)
    }

    fn build(pool: &DescriptorPool) -> Schema {
        let messages: Vec<MessageDescriptor> = pool.all_messages().collect();
        let enums: Vec<EnumDescriptor> = pool.all_enums().collect();
        let by_name: HashMap<String, u32> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.full_name().to_string(), i as u32))
            .collect();
        let enum_index: HashMap<String, u32> = enums
            .iter()
            .enumerate()
            .map(|(i, e)| (e.full_name().to_string(), i as u32))
            .collect();
        let kind_of = |kind: prost_reflect::Kind| -> Kind {
            use prost_reflect::Kind as K;
            match kind {
                K::Double => Kind::Double,
                K::Float => Kind::Float,
                K::Int32 => Kind::Int32,
                K::Int64 => Kind::Int64,
                K::Uint32 => Kind::Uint32,
                K::Uint64 => Kind::Uint64,
                K::Sint32 => Kind::Sint32,
                K::Sint64 => Kind::Sint64,
                K::Fixed32 => Kind::Fixed32,
                K::Fixed64 => Kind::Fixed64,
                K::Sfixed32 => Kind::Sfixed32,
                K::Sfixed64 => Kind::Sfixed64,
                K::Bool => Kind::Bool,
                K::String => Kind::String,
                K::Bytes => Kind::Bytes,
                K::Message(m) => Kind::Message(by_name.get(m.full_name()).copied().unwrap_or(0)),
                K::Enum(e) => Kind::Enum(enum_index.get(e.full_name()).copied().unwrap_or(0)),
            }
        };
        let field_of = |f: &FieldDescriptor, index_of: &HashMap<u32, usize>| -> Field {
            let label = match f.kind() {
                prost_reflect::Kind::Message(entry) if f.is_map() => Label::Map {
                    key: kind_of(entry.map_entry_key_field().kind()),
                    value: kind_of(entry.map_entry_value_field().kind()),
                },
                _ if f.is_list() => Label::Repeated,
                _ => Label::Single,
            };
            let oneof_others = f.containing_oneof().map_or(0, |oneof| {
                oneof
                    .fields()
                    .filter(|other| other.number() != f.number())
                    .filter_map(|other| index_of.get(&other.number()))
                    .filter(|i| **i < 128)
                    .fold(0u128, |mask, i| mask | (1u128 << i))
            });
            let mut json_key = serde_json::to_vec(f.name()).unwrap_or_default();
            json_key.push(b':');
            Field {
                number: f.number(),
                name: f.name().into(),
                json_key: json_key.into(),
                kind: kind_of(f.kind()),
                label,
                required: f.cardinality() == prost_reflect::Cardinality::Required,
                oneof_others,
            }
        };
        let messages = messages
            .iter()
            .map(|m| {
                let mut descs: Vec<FieldDescriptor> = m.fields().collect();
                descs.sort_by_key(FieldDescriptor::number);
                let index_of: HashMap<u32, usize> = descs
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.number(), i))
                    .collect();
                let mut by_key = HashMap::default();
                for (i, f) in descs.iter().enumerate() {
                    by_key.insert(f.name().into(), i);
                }
                for (i, f) in descs.iter().enumerate() {
                    by_key.insert(f.json_name().into(), i);
                }
                Msg {
                    fields: descs.iter().map(|f| field_of(f, &index_of)).collect(),
                    by_key,
                }
            })
            .collect();
        let enums = enums
            .iter()
            .map(|e| {
                let mut quoted: Vec<(i32, Box<[u8]>)> = e
                    .values()
                    .filter_map(|v| {
                        // The name `get_value` gives (the first of aliases).
                        let canonical = e.get_value(v.number())?;
                        (canonical.name() == v.name()).then(|| {
                            let q = serde_json::to_vec(v.name()).unwrap_or_default();
                            (v.number(), q.into_boxed_slice())
                        })
                    })
                    .collect();
                quoted.sort_by_key(|(n, _)| *n);
                quoted.dedup_by_key(|(n, _)| *n);
                Enum {
                    by_name: e.values().map(|v| (v.name().into(), v.number())).collect(),
                    quoted,
                    default: e.default_value().number(),
                }
            })
            .collect();
        Schema {
            messages,
            enums,
            by_name,
        }
    }
}
