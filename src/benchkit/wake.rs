//! The machine's thread wake-up floor: two threads pass one byte back and forth over a pair
//! of Unix sockets, each sleeping in a blocking read until the other wakes it. The median
//! round trip is the least any offer -> answer latency that crosses threads twice can be
//! (the W8 figures are quoted beside it).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// Round-trip times of the ping-pong, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WakeRtt {
    /// Round trips measured.
    pub round_trips: usize,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
}

/// Measures `round_trips` round trips (at least 1) after a short warm-up.
pub fn measure(round_trips: usize) -> std::io::Result<WakeRtt> {
    let round_trips = round_trips.max(1);
    let warmup = (round_trips / 10).min(1000);
    let (mut here, mut there) = UnixStream::pair()?;
    let echo = std::thread::Builder::new().name("wake-echo".into()).spawn(
        move || -> std::io::Result<()> {
            let mut byte = [0u8; 1];
            loop {
                if there.read(&mut byte)? == 0 {
                    return Ok(());
                }
                there.write_all(&byte)?;
            }
        },
    )?;
    let mut samples = Vec::with_capacity(round_trips);
    let mut byte = [0u8; 1];
    for i in 0..warmup + round_trips {
        let start = Instant::now();
        here.write_all(&[1])?;
        here.read_exact(&mut byte)?;
        if i >= warmup {
            samples.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    drop(here);
    let _ = echo.join();
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples.get(i).copied().unwrap_or(0.0)
    };
    Ok(WakeRtt {
        round_trips,
        p50_us: at(0.5),
        p99_us: at(0.99),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ping_pong_measures_positive_round_trips() {
        let rtt = super::measure(50).unwrap();
        assert_eq!(rtt.round_trips, 50);
        assert!(rtt.p50_us > 0.0 && rtt.p99_us >= rtt.p50_us, "{rtt:?}");
    }
}
