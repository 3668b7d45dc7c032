//! The bytes of the minimal client: canned DECLINE calls, offer ids read straight out of an
//! OFFERS event, and an incremental reader for the chunked transfer encoding of the event
//! stream. No message is decoded or built by prost on the hot path.

use crate::codec::Encoding;
use crate::proto::FrameworkId;
use crate::proto::scheduler::{Call, call};
use prost::Message;
use prost::encoding::{decode_varint, encode_varint, encoded_len_varint};

/// Longest offer id the client accepts (longer ones are skipped, not answered).
pub const MAX_ID: usize = 256;

/// Builds DECLINE calls for one framework: the call's fixed part is encoded once, each offer
/// id is appended to a copy of it.
#[derive(Debug, Clone)]
pub struct CannedDecline {
    encoding: Encoding,
    /// Protobuf: `Call { framework_id, type: DECLINE }`. JSON: everything up to the id.
    head: Vec<u8>,
}

/// JSON of a DECLINE after the offer id.
const JSON_TAIL: &[u8] = br#""}]}}"#;

impl CannedDecline {
    /// The canned DECLINE of `framework_id` in `encoding`.
    pub fn new(encoding: Encoding, framework_id: &FrameworkId) -> Self {
        let head = match encoding {
            Encoding::Protobuf => Call {
                framework_id: Some(framework_id.clone()),
                r#type: Some(call::Type::Decline as i32),
                ..Default::default()
            }
            .encode_to_vec(),
            Encoding::Json => {
                let mut head = br#"{"framework_id":{"value":"#.to_vec();
                let quoted = serde_json::to_vec(&framework_id.value).unwrap_or_default();
                head.extend_from_slice(&quoted);
                head.extend_from_slice(br#"},"type":"DECLINE","decline":{"offer_ids":[{"value":""#);
                head
            }
        };
        CannedDecline { encoding, head }
    }

    /// Appends the body of a DECLINE of offer `id` to `out`. For JSON, `id` is the text
    /// between the quotes of the event (already escaped).
    pub fn body_into(&self, id: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head);
        match self.encoding {
            Encoding::Protobuf => {
                // Call.decline (5) { offer_ids (1) { value (1): id } }
                let id_msg = 1 + encoded_len_varint(id.len() as u64) + id.len();
                let decline = 1 + encoded_len_varint(id_msg as u64) + id_msg;
                out.push(0x2a);
                encode_varint(decline as u64, out);
                out.push(0x0a);
                encode_varint(id_msg as u64, out);
                out.push(0x0a);
                encode_varint(id.len() as u64, out);
                out.extend_from_slice(id);
            }
            Encoding::Json => {
                out.extend_from_slice(id);
                out.extend_from_slice(JSON_TAIL);
            }
        }
    }

    /// The length of [`body_into`](Self::body_into)'s output for an id of `id_len` bytes.
    pub fn body_len(&self, id_len: usize) -> usize {
        self.head.len()
            + match self.encoding {
                Encoding::Protobuf => {
                    let id_msg = 1 + encoded_len_varint(id_len as u64) + id_len;
                    let decline = 1 + encoded_len_varint(id_msg as u64) + id_msg;
                    1 + encoded_len_varint(decline as u64) + decline
                }
                Encoding::Json => id_len + JSON_TAIL.len(),
            }
    }
}

/// One field of a protobuf message: its number and, for length-delimited fields, its bytes.
struct Field<'a> {
    number: u64,
    bytes: Option<&'a [u8]>,
}

/// The fields of a protobuf message, stopping at the first malformed one.
fn fields(mut buf: &[u8]) -> impl Iterator<Item = Field<'_>> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        let key = decode_varint(&mut buf).ok()?;
        let number = key >> 3;
        let skip = match key & 7 {
            0 => {
                decode_varint(&mut buf).ok()?;
                return Some(Field {
                    number,
                    bytes: None,
                });
            }
            1 => 8,
            5 => 4,
            2 => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                let bytes = buf.get(..len)?;
                buf = buf.get(len..)?;
                return Some(Field {
                    number,
                    bytes: Some(bytes),
                });
            }
            _ => return None,
        };
        buf = buf.get(skip..)?;
        Some(Field {
            number,
            bytes: None,
        })
    })
}

/// The first length-delimited field `number` of `msg`.
fn field(msg: &[u8], number: u64) -> Option<&[u8]> {
    fields(msg)
        .filter(|f| f.number == number)
        .find_map(|f| f.bytes)
}

/// Calls `each` with the id of every offer in one event (a RecordIO record): protobuf
/// `Event.offers (3) . offers (1) . id (1) . value (1)`, or in JSON the text of every
/// `"id":{"value":"…"}` (the offer's own id: agent, framework and task ids have other keys).
/// Events of other types have none.
pub fn offer_ids(encoding: Encoding, event: &[u8], mut each: impl FnMut(&[u8])) {
    match encoding {
        Encoding::Protobuf => {
            let Some(offers) = field(event, 3) else {
                return;
            };
            for offer in fields(offers).filter(|f| f.number == 1) {
                let id = offer
                    .bytes
                    .and_then(|o| field(o, 1))
                    .and_then(|id| field(id, 1));
                if let Some(id) = id.filter(|id| id.len() <= MAX_ID) {
                    each(id);
                }
            }
        }
        Encoding::Json => {
            const KEY: &[u8] = br#""id":{"value":""#;
            let mut rest = event;
            while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
                rest = rest.get(at + KEY.len()..).unwrap_or_default();
                let Some(end) = rest.iter().position(|&b| b == b'"') else {
                    return;
                };
                let id = rest.get(..end).unwrap_or_default();
                if id.len() <= MAX_ID {
                    each(id);
                }
                rest = rest.get(end..).unwrap_or_default();
            }
        }
    }
}

/// Where a chunked body is between two reads.
#[derive(Debug, Clone, PartialEq)]
enum ChunkState {
    /// Reading a chunk-size line (the bytes so far).
    Size(Vec<u8>),
    /// Inside a chunk's data, this many bytes to go.
    Data(usize),
    /// After a chunk's data, this many bytes of its CRLF to go.
    Crlf(u8),
    /// The last chunk was read.
    End,
}

/// Longest chunk-size line accepted.
const MAX_SIZE_LINE: usize = 1024;

/// Decodes the chunked transfer encoding incrementally.
#[derive(Debug, Clone, PartialEq)]
pub struct Dechunker {
    state: ChunkState,
}

impl Default for Dechunker {
    fn default() -> Self {
        Dechunker {
            state: ChunkState::Size(Vec::new()),
        }
    }
}

impl Dechunker {
    /// Feeds bytes of the body; `data` gets every piece of chunk data. `Ok(true)` once the
    /// last chunk was seen; an error for a malformed body.
    pub fn feed(&mut self, mut input: &[u8], mut data: impl FnMut(&[u8])) -> Result<bool, String> {
        while !input.is_empty() {
            match &mut self.state {
                ChunkState::End => return Ok(true),
                ChunkState::Size(line) => {
                    let Some(nl) = input.iter().position(|&b| b == b'\n') else {
                        line.extend_from_slice(input);
                        if line.len() > MAX_SIZE_LINE {
                            return Err("chunk size line too long".into());
                        }
                        return Ok(false);
                    };
                    line.extend_from_slice(input.get(..nl).unwrap_or_default());
                    input = input.get(nl + 1..).unwrap_or_default();
                    let text = std::str::from_utf8(line).map_err(|_| "chunk size not text")?;
                    let hex = text.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(hex, 16)
                        .map_err(|_| format!("bad chunk size {hex:?}"))?;
                    self.state = if size == 0 {
                        ChunkState::End
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    let n = (*left).min(input.len());
                    data(input.get(..n).unwrap_or_default());
                    input = input.get(n..).unwrap_or_default();
                    *left -= n;
                    if *left == 0 {
                        self.state = ChunkState::Crlf(2);
                    }
                }
                ChunkState::Crlf(left) => {
                    let want: &[u8] = if *left == 2 { b"\r\n" } else { b"\n" };
                    let n = (*left as usize).min(input.len());
                    if input.get(..n) != want.get(..n) {
                        return Err("chunk not followed by CRLF".into());
                    }
                    input = input.get(n..).unwrap_or_default();
                    *left -= n as u8;
                    if *left == 0 {
                        self.state = ChunkState::Size(Vec::new());
                    }
                }
            }
        }
        Ok(self.state == ChunkState::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::generator::{GeneratorConfig, OfferGenerator};

    fn decline_of(encoding: Encoding, id: &[u8]) -> Call {
        let fid = FrameworkId::new("fw-1");
        let canned = CannedDecline::new(encoding, &fid);
        let mut body = Vec::new();
        canned.body_into(id, &mut body);
        assert_eq!(body.len(), canned.body_len(id.len()));
        encoding.decode::<Call>(&body).expect("a valid call")
    }

    #[test]
    fn canned_decline_decodes_as_a_decline_of_the_offer() {
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            for id in ["o-000000000042", &"x".repeat(200)] {
                let call = decline_of(encoding, id.as_bytes());
                assert_eq!(call.r#type(), call::Type::Decline, "{encoding:?}");
                assert_eq!(call.framework_id, Some(FrameworkId::new("fw-1")));
                let decline = call.decline.expect("decline set");
                let ids: Vec<_> = decline.offer_ids.iter().map(|o| o.value.as_str()).collect();
                assert_eq!(ids, [id], "{encoding:?}");
                assert_eq!(call.accept, None);
            }
        }
        // The protobuf bytes are exactly prost's.
        let fid = FrameworkId::new("fw-1");
        let mut ours = Vec::new();
        CannedDecline::new(Encoding::Protobuf, &fid).body_into(b"abc", &mut ours);
        let prost_built = Call {
            framework_id: Some(fid),
            r#type: Some(call::Type::Decline as i32),
            decline: Some(call::Decline {
                offer_ids: vec![crate::proto::OfferId::new("abc")],
                filters: None,
            }),
            ..Default::default()
        };
        assert_eq!(ours, prost_built.encode_to_vec());
    }

    #[test]
    fn offer_ids_come_out_of_the_source_events() {
        for fat in [false, true] {
            let mut config = GeneratorConfig::default();
            if fat {
                config.shape = crate::benchkit::generator::OfferShape::Fat;
            }
            let generator = OfferGenerator::new(config);
            for encoding in [Encoding::Protobuf, Encoding::Json] {
                let mut framed = Vec::new();
                generator.encode_offers_event(encoding, &[(0, 7), (1, 8), (2, 9)], &mut framed);
                let mut decoder = crate::recordio::Decoder::default();
                decoder.feed(&framed);
                let event = decoder.next_record().unwrap().expect("one record");
                let mut ids = Vec::new();
                offer_ids(encoding, &event, |id| {
                    ids.push(String::from_utf8(id.to_vec()).unwrap())
                });
                let want: Vec<_> = [7, 8, 9]
                    .map(|s| generator.offer_id(s).value)
                    .into_iter()
                    .collect();
                assert_eq!(ids, want, "{encoding:?} fat={fat}");
            }
        }
    }

    #[test]
    fn other_events_and_garbage_have_no_offer_ids() {
        for bytes in [&b""[..], b"\x08\x01", b"\xff\xff\xff", b"\x1a\x05\x0a\x10"] {
            offer_ids(Encoding::Protobuf, bytes, |id| panic!("found {id:?}"));
        }
        let rescind = br#"{"type":"RESCIND","rescind":{"offer_id":{"value":"o-1"}}}"#;
        offer_ids(Encoding::Json, rescind, |id| panic!("found {id:?}"));
    }

    #[test]
    fn dechunker_reassembles_across_any_split() {
        let body = b"5\r\nhello\r\n3;ext=1\r\n, w\r\n4\r\norld\r\n0\r\n\r\n";
        for split in 0..body.len() {
            let mut d = Dechunker::default();
            let mut out = Vec::new();
            let (a, b) = body.split_at(split);
            let first = d.feed(a, |x| out.extend_from_slice(x)).unwrap();
            let done = d.feed(b, |x| out.extend_from_slice(x)).unwrap();
            assert!(done || first, "split {split}");
            assert_eq!(out, b"hello, world", "split {split}");
        }
        let mut d = Dechunker::default();
        assert!(d.feed(b"zz\r\n", |_| {}).is_err());
        let mut d = Dechunker::default();
        assert!(d.feed(b"2\r\nabXY", |_| {}).is_err());
        let mut d = Dechunker::default();
        assert!(d.feed(&[b'1'; 2000], |_| {}).is_err());
    }
}
