//! Fuzz targets of the RecordIO decoder (see `crate::fuzzing`).

use super::*;
use crate::fuzzing::run;
use proptest::collection::vec;
use proptest::prelude::*;

/// Feeds `stream` in chunks cut at `cuts` and drains after every chunk, checking the
/// decoder's invariants; returns the records and the first error.
fn decode_in_chunks(
    cap: usize,
    stream: &[u8],
    cuts: &[usize],
) -> Result<(Vec<Vec<u8>>, Option<RecordIoError>), TestCaseError> {
    let mut d = Decoder::new(cap);
    let mut records = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(stream.len());
    points.sort_unstable();
    let mut at = 0;
    for p in points {
        d.feed(&stream[at..p]);
        at = p;
        loop {
            match d.next_record() {
                Ok(Some(r)) => {
                    prop_assert!(!r.is_empty() && r.len() <= cap, "record of {}", r.len());
                    records.push(r.to_vec());
                }
                Ok(None) => {
                    // Nothing buffered beyond a header or one record under the cap.
                    prop_assert!(d.buf.len() <= cap.max(MAX_HEADER_DIGITS));
                    break;
                }
                Err(e) => {
                    // The error sticks, and the decoder holds nothing any more.
                    d.feed(b"1\nx");
                    prop_assert_eq!(d.next_record(), Err(e.clone()));
                    prop_assert_eq!(d.finish(), Err(e.clone()));
                    prop_assert!(d.buf.is_empty());
                    return Ok((records, Some(e)));
                }
            }
        }
    }
    Ok((records, d.finish().err()))
}

/// Raw bytes, cut anywhere: never a panic, never a record over the cap, bounded buffering.
#[test]
fn fuzz_recordio_raw_bytes() {
    let input = (
        1usize..512,
        prop_oneof![
            vec(any::<u8>(), 0..512),
            // Mostly digits and newlines: headers, near-headers and short payloads.
            vec(prop_oneof![Just(b'\n'), b'0'..=b'9', any::<u8>()], 0..256),
        ],
        vec(any::<usize>(), 0..8),
    );
    run("recordio_raw_bytes", input, |(cap, stream, cuts)| {
        let (records, _) = decode_in_chunks(cap, &stream, &cuts)?;
        let consumed: usize = records.iter().map(|r| r.len() + 2).sum();
        prop_assert!(consumed <= stream.len());
        Ok(())
    });
}

/// Framed records, cut anywhere, come back exactly; a corrupted stream gives a prefix of
/// them, then an error or a truncation.
#[test]
fn fuzz_recordio_round_trip() {
    let input = (
        vec(vec(any::<u8>(), 1..300), 0..12),
        vec(any::<usize>(), 0..12),
        any::<Option<(usize, u8)>>(),
    );
    run("recordio_round_trip", input, |(records, cuts, corrupt)| {
        let mut stream = Vec::new();
        for r in &records {
            encode_into(r, &mut stream);
        }
        let (got, err) = decode_in_chunks(300, &stream, &cuts)?;
        prop_assert_eq!(&got, &records);
        prop_assert_eq!(err, None);
        if let Some((at, byte)) = corrupt.filter(|_| !stream.is_empty()) {
            let at = at % stream.len();
            stream[at] = byte;
            let (got, _) = decode_in_chunks(300, &stream, &cuts)?;
            // Records wholly before the corrupted byte are unchanged.
            let mut end = 0;
            for (i, r) in records.iter().enumerate() {
                end += r.len().to_string().len() + 1 + r.len();
                if end <= at {
                    prop_assert_eq!(got.get(i), Some(r));
                }
            }
        }
        Ok(())
    });
}
