//! lookerbot end to end, in one test binary: the bot started as `lookerbot serve` starts it (or the binary itself),
//! against the Looker sandbox, the Slack simulator and the real services of `testbed`. One binary links the bot
//! once; each module is one area, and the support modules are shared by several.

mod browser;
mod cli_support;
mod common;
mod images_support;
mod pushes_support;
mod reliability_support;
mod slackpaths_support;
mod small_disk;

// build.rs sets these link flags only on x86-64 Linux with glibc.
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod binary;
mod bulkheads;
mod check_and_manifest;
mod conversations;
mod custom_commands;
mod damaged_queue;
mod demo;
mod docs;
mod durability;
mod exactly_once;
mod identity;
mod images;
mod memory;
mod messages;
mod operations;
mod picture;
mod proxy;
mod pushes;
mod reliability;
mod replica_deploys;
mod replica_pace;
mod replicas;
mod results;
mod slack_limits;
mod slack_paths;
mod status_page;
mod strangers;
mod tidy;
mod verbs;
