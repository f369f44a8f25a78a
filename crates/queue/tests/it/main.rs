//! Integration tests of the queue: one test binary, so the crash test can re-run it as the child process.

mod crash;
mod damaged;
mod express;
mod head_start;
mod lost_wal;
mod replicas;
mod roundtrip;
mod store;
mod stores;
mod support;
mod workers;
