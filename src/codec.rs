//! The two wire encodings of the Mesos v1 HTTP APIs and the exact `Content-Type` strings
//! that name them (Mesos compares them by exact string equality).

use prost::{Message, Name};

mod accept;
#[cfg(test)]
mod fuzz_tests;
pub(crate) mod offers;
pub(crate) mod view;

/// `Content-Type` / `Accept` value for JSON bodies.
pub const JSON: &str = "application/json";
/// `Content-Type` / `Accept` value for protobuf bodies.
pub const PROTOBUF: &str = "application/x-protobuf";

/// A wire encoding of the Mesos v1 HTTP APIs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// `application/x-protobuf`: compact and fast; the default.
    #[default]
    Protobuf,
    /// `application/json`: Mesos-style JSON (see [`crate::json`]).
    Json,
}

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Invalid protobuf.
    #[error("invalid protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Invalid or unsuitable JSON.
    #[error(transparent)]
    Json(#[from] crate::json::JsonError),
}

impl Encoding {
    /// The exact `Content-Type` string for this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        }
    }

    /// The encoding named by an exact `Content-Type` string, as Mesos matches it:
    /// `application/json; charset=utf-8` is *not* JSON.
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        match value {
            PROTOBUF => Some(Encoding::Protobuf),
            JSON => Some(Encoding::Json),
            _ => None,
        }
    }

    /// The response encoding Mesos picks from an `Accept` header: a missing header or one
    /// that allows JSON (checked first) means JSON, else protobuf if allowed, else `None`
    /// (406).
    pub fn from_accept(accept: Option<&str>) -> Option<Encoding> {
        let Some(accept) = accept else {
            return Some(Encoding::Json);
        };
        let allows = |wanted: &str| {
            accept.split(',').any(|part| {
                let media = part.split(';').next().unwrap_or("").trim();
                media == wanted || media == "*/*" || media == "application/*"
            })
        };
        if accept.trim().is_empty() || allows(JSON) {
            Some(Encoding::Json)
        } else if allows(PROTOBUF) {
            Some(Encoding::Protobuf)
        } else {
            None
        }
    }

    /// Encodes `message`.
    pub fn encode<T: Message + Name>(self, message: &T) -> Vec<u8> {
        match self {
            Encoding::Protobuf => message.encode_to_vec(),
            // Encoding our own well-formed message cannot fail; fall back to protobuf bytes
            // would be wrong on a JSON connection, so an empty object is the last resort.
            Encoding::Json => crate::json::encode(message).unwrap_or_else(|_| b"{}".to_vec()),
        }
    }

    /// Encodes a scheduler call; like [`Encoding::encode`] but faster for ACCEPTs with
    /// many tasks (each `TaskInfo`'s length is computed once; JSON is written from those
    /// protobuf bytes).
    pub fn encode_call(self, call: &crate::proto::scheduler::Call) -> Vec<u8> {
        let protobuf = accept::encode(call).unwrap_or_else(|| call.encode_to_vec());
        // As in `encode`: our own well-formed call always converts; `{}` is the last resort.
        self.transcode_call(protobuf)
            .unwrap_or_else(|_| b"{}".to_vec())
    }

    /// A scheduler call given as protobuf bytes, in this encoding, without decoding it
    /// into a `Call` (the matcher builds its ACCEPTs as protobuf bytes).
    pub fn transcode_call(self, protobuf: Vec<u8>) -> Result<Vec<u8>, CodecError> {
        match self {
            Encoding::Protobuf => Ok(protobuf),
            Encoding::Json => {
                Ok(crate::json::encode_protobuf::<crate::proto::scheduler::Call>(&protobuf)?)
            }
        }
    }

    /// Decodes a `T` from `bytes`.
    pub fn decode<T: Message + Name + Default>(self, bytes: &[u8]) -> Result<T, CodecError> {
        match self {
            Encoding::Protobuf => Ok(T::decode(bytes)?),
            Encoding::Json => Ok(crate::json::decode(bytes)?),
        }
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "protobuf" | "proto" | PROTOBUF => Ok(Encoding::Protobuf),
            "json" | JSON => Ok(Encoding::Json),
            other => Err(format!(
                "unknown encoding {other:?} (expected protobuf or json)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_exact() {
        assert_eq!(
            Encoding::from_content_type("application/json"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            None
        );
        assert_eq!(
            Encoding::from_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(Encoding::from_accept(None), Some(Encoding::Json));
        assert_eq!(Encoding::from_accept(Some("*/*")), Some(Encoding::Json));
        assert_eq!(
            Encoding::from_accept(Some("application/x-protobuf")),
            Some(Encoding::Protobuf)
        );
        assert_eq!(Encoding::from_accept(Some("text/html")), None);
    }
}
