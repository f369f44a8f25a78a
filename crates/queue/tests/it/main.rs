//! Integration tests of the queue: one test binary, so the crash test can re-run it as the child process.

mod crash;
mod damaged;
mod express;
mod head_start;
mod lost_wal;
mod postgres_tls;
mod replicas;
mod roundtrip;
mod shared_pace;
mod store;
mod stores;
mod support;
mod workers;
