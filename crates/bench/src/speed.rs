//! A fixed piece of CPU work, timed: how fast the machine is at the moment. This machine's speed drifts (whole runs
//! where every figure, `help` included, doubled), and the reference shows when a run was made in such a spell.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::stats::percentile;

/// The median of five timings of the reference work (about 10 ms on a quiet machine here).
pub fn reference() -> Duration {
    let timings: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            black_box(work(black_box(10_000_000)));
            started.elapsed()
        })
        .collect();
    percentile(&timings, 50.0)
}

/// Integer hashing over a buffer larger than the first-level caches: arithmetic and memory, like the bot's work.
fn work(rounds: u64) -> u64 {
    let mut table = vec![0u64; 64 * 1024];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..rounds {
        hash = (hash ^ round).wrapping_mul(0x0100_0000_01b3);
        let slot = (hash as usize) % table.len();
        table[slot] = table[slot].wrapping_add(hash);
    }
    table.iter().fold(hash, |acc, v| acc ^ v)
}
