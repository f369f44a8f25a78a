//! The `lookerbot` binary's verbs, as a library so that integration tests and benchmarks start the bot exactly as
//! `lookerbot serve` does. This crate only wires the others.

pub mod admin_cmd;
pub mod chat_cmd;
pub mod cli;
pub mod deliveries_cmd;
#[cfg(feature = "demo")]
pub mod demo_cmd;
pub mod logging;
pub mod migrate_queue_cmd;
pub mod probes;
#[cfg(feature = "demo")]
pub mod sandbox_cmd;
pub mod serve;
pub mod slack_wiring;
pub mod stack;
