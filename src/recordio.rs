//! RecordIO, the framing of Mesos' streaming responses: each record is its length in ASCII
//! decimal digits, a `\n`, then exactly that many bytes (no trailing newline).
//!
//! [`Decoder`] is incremental: feed it chunks as they arrive (a record may span chunks and
//! a chunk may hold several records) and take complete records out. It rejects a header
//! that is not all digits, is longer than 20 digits, or announces a record over its cap,
//! *before* allocating room for the record.

use bytes::{Buf, Bytes, BytesMut};

/// Default cap on one record: 64 MiB.
pub const DEFAULT_MAX_RECORD: usize = 64 * 1024 * 1024;

/// The longest length header accepted (digits of `u64::MAX`).
const MAX_HEADER_DIGITS: usize = 20;

/// Why a RecordIO stream cannot be decoded further. The stream is unusable afterwards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIoError {
    /// A byte other than an ASCII digit before the `\n` of a length header.
    #[error("invalid RecordIO length header: byte 0x{0:02x} is not a digit")]
    NonDigit(u8),
    /// A length header with no digits (a bare `\n`).
    #[error("invalid RecordIO length header: empty")]
    EmptyHeader,
    /// A length header longer than 20 digits.
    #[error("invalid RecordIO length header: more than {MAX_HEADER_DIGITS} digits")]
    HeaderTooLong,
    /// A record announced as longer than the cap.
    #[error("RecordIO record of {len} bytes exceeds the {max}-byte cap")]
    TooLarge {
        /// Announced length.
        len: u64,
        /// The decoder's cap.
        max: usize,
    },
    /// A zero-length record (Mesos never sends one).
    #[error("RecordIO record of length 0")]
    Empty,
    /// The stream ended in the middle of a record.
    #[error("RecordIO stream ended inside a record ({0} bytes pending)")]
    Truncated(usize),
}

/// Incremental RecordIO decoder.
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    max_record: usize,
    /// Length of the record whose header has been read, if any.
    pending: Option<usize>,
    failed: Option<RecordIoError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECORD)
    }
}

impl Decoder {
    /// A decoder that refuses records longer than `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            max_record,
            pending: None,
            failed: None,
        }
    }

    /// Appends a chunk of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(chunk);
        }
    }

    /// The next complete record, `Ok(None)` if more bytes are needed, or the error that
    /// made the stream undecodable (returned again on every later call).
    pub fn next_record(&mut self) -> Result<Option<Bytes>, RecordIoError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.try_next() {
            Err(err) => {
                self.failed = Some(err.clone());
                self.buf.clear();
                Err(err)
            }
            ok => ok,
        }
    }

    fn try_next(&mut self) -> Result<Option<Bytes>, RecordIoError> {
        let len = match self.pending {
            Some(len) => len,
            None => match self.parse_header()? {
                Some(len) => len,
                None => return Ok(None),
            },
        };
        if self.buf.len() < len {
            self.pending = Some(len);
            self.buf.reserve(len - self.buf.len());
            return Ok(None);
        }
        self.pending = None;
        Ok(Some(self.buf.split_to(len).freeze()))
    }

    fn parse_header(&mut self) -> Result<Option<usize>, RecordIoError> {
        let Some(newline) = self
            .buf
            .iter()
            .take(MAX_HEADER_DIGITS + 1)
            .position(|&b| b == b'\n')
        else {
            let head = &self.buf[..self.buf.len().min(MAX_HEADER_DIGITS)];
            if let Some(&bad) = head.iter().find(|b| !b.is_ascii_digit()) {
                return Err(RecordIoError::NonDigit(bad));
            }
            if self.buf.len() > MAX_HEADER_DIGITS {
                return Err(RecordIoError::HeaderTooLong);
            }
            return Ok(None);
        };
        if newline == 0 {
            return Err(RecordIoError::EmptyHeader);
        }
        let mut len: u64 = 0;
        for &b in &self.buf[..newline] {
            if !b.is_ascii_digit() {
                return Err(RecordIoError::NonDigit(b));
            }
            len = len
                .checked_mul(10)
                .and_then(|l| l.checked_add(u64::from(b - b'0')))
                .ok_or(RecordIoError::HeaderTooLong)?;
        }
        if len == 0 {
            return Err(RecordIoError::Empty);
        }
        if len > self.max_record as u64 {
            return Err(RecordIoError::TooLarge {
                len,
                max: self.max_record,
            });
        }
        self.buf.advance(newline + 1);
        Ok(Some(len as usize))
    }

    /// Call at end of stream: an error if a record was left incomplete.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.pending.is_some() || !self.buf.is_empty() {
            return Err(RecordIoError::Truncated(self.buf.len()));
        }
        Ok(())
    }
}

/// Frames one record: `<len>\n<payload>`.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 21);
    encode_into(payload, &mut out);
    out
}

/// Appends one framed record to `out`.
pub fn encode_into(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(d: &mut Decoder) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(r) = d.next_record().unwrap() {
            out.push(r.to_vec());
        }
        out
    }

    #[test]
    fn several_records_in_one_chunk_without_trailing_newline() {
        let mut d = Decoder::default();
        d.feed(b"5\nhello3\nabc1\nx");
        assert_eq!(
            drain(&mut d),
            vec![b"hello".to_vec(), b"abc".to_vec(), b"x".to_vec()]
        );
        d.finish().unwrap();
    }

    #[test]
    fn records_split_at_every_byte() {
        let stream = [encode(b"{\"type\":\"HEARTBEAT\"}"), encode(&[7u8; 300])].concat();
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for b in &stream {
            d.feed(std::slice::from_ref(b));
            got.extend(drain(&mut d));
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].len(), 300);
        d.finish().unwrap();
    }

    #[test]
    fn hostile_headers() {
        for (input, want) in [
            (&b"12a\n"[..], RecordIoError::NonDigit(b'a')),
            (b"\nabc", RecordIoError::EmptyHeader),
            (b"0\n", RecordIoError::Empty),
            (b"-1\n", RecordIoError::NonDigit(b'-')),
            (b"123456789012345678901234\n", RecordIoError::HeaderTooLong),
            (b"99999999999999999999\n", RecordIoError::HeaderTooLong),
        ] {
            let mut d = Decoder::new(1024);
            d.feed(input);
            assert_eq!(d.next_record(), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn over_cap_is_refused_before_allocation() {
        let mut d = Decoder::new(1024);
        d.feed(b"1025\n");
        assert_eq!(
            d.next_record(),
            Err(RecordIoError::TooLarge {
                len: 1025,
                max: 1024
            })
        );
        // The error sticks.
        d.feed(b"1\nx");
        assert!(d.next_record().is_err());
        let mut d = Decoder::new(DEFAULT_MAX_RECORD);
        d.feed(b"18446744073709551615\n");
        assert!(matches!(
            d.next_record(),
            Err(RecordIoError::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_stream_is_reported() {
        let mut d = Decoder::default();
        d.feed(b"10\nabc");
        assert_eq!(d.next_record(), Ok(None));
        assert_eq!(d.finish(), Err(RecordIoError::Truncated(3)));
        let mut d = Decoder::default();
        d.feed(b"12");
        assert_eq!(d.next_record(), Ok(None));
        assert!(d.finish().is_err());
    }

    #[test]
    fn long_garbage_without_newline_fails_fast() {
        let mut d = Decoder::default();
        d.feed(&[b'7'; 25]);
        assert_eq!(d.next_record(), Err(RecordIoError::HeaderTooLong));
    }
}
