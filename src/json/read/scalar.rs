//! Scalars on the wire: numbers checked against their field's type, map keys, base64.

use crate::json::schema::Kind;
use prost::encoding::{WireType, encode_key, encode_varint};
use serde::de::Error;
use std::fmt;

/// Writes a map key (field 1 of the entry) from its JSON object key.
pub(super) fn map_key<E: Error>(out: &mut Vec<u8>, kind: Kind, key: &str) -> Result<(), E> {
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
pub(super) enum Num {
    I(i64),
    U(u64),
    F(f64),
}

/// Writes field `number` of a scalar `kind` holding `n` (already range-checked).
pub(super) fn scalar(out: &mut Vec<u8>, number: u32, kind: Kind, n: Num) {
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

/// A JSON number as an integer of type `T`: whole and in range.
pub(super) fn integer<T, E>(n: Num) -> Result<T, E>
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
pub(super) trait Bounded {
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

/// What a kind expects, for "invalid type" errors.
pub(super) fn self_kind(kind: Kind) -> impl serde::de::Expected {
    struct K(Kind);
    impl serde::de::Expected for K {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a value of type {:?}", self.0)
        }
    }
    K(kind)
}

/// Decodes standard or URL-safe base64 (padding optional) onto `out` from `start`.
pub(super) fn base64_decode<E: Error>(v: &str, out: &mut Vec<u8>, start: usize) -> Result<(), E> {
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
