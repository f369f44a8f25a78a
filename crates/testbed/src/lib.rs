//! For tests only: the real programs some tests run against (storage emulators, a PostgreSQL server; a browser as
//! tests come to need them).
//!
//! The README's test command must pass on a fresh clone with nothing installed by hand, and a test must never pass
//! without having talked to the real thing. So a test asks this crate for a service and gets one it can trust:
//!
//! - **installed on first use** by the project's own install step (`.ci/install-emulators`), run once under a file
//!   lock however many test binaries ask at the same time ([`install`]);
//! - **started by the test process** on a free loopback port, never a fixed one, so nothing else answering on a
//!   well-known port is ever mistaken for it ([`process`]);
//! - **stopped when the test process ends**, however it ends: a watchdog shell kills the program once the test
//!   process's end of a pipe closes;
//! - or **named explicitly** by an environment variable, for people who run their own ([`emulators`],
//!   [`postgres`]).
//!
//! When a program cannot be had, the test fails with one line naming what is missing and the command that
//! installs it.

pub mod emulators;
pub mod install;
pub mod postgres;
pub mod process;

use std::path::PathBuf;

/// The workspace's root folder, where `.ci/` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
