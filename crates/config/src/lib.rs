//! lookerbot's configuration: environment variables (and a `.env` file), with the original Lookerbot's names as the
//! contract.
//!
//! Reading is split from the process environment on purpose: [`Environment`] is a plain map, so every rule is
//! tested without touching global state, and [`Config::from_env`] collects *every* problem before failing, so a
//! person fixes their configuration in one go.

mod env;
mod error;
mod lookers;
mod secret;
mod settings;
pub mod variables;

pub use env::Environment;
pub use error::{ConfigError, Problem};
pub use lookers::{Identity, LookerInstance};
pub use secret::Secret;
pub use settings::{
    Config, DEFAULT_DELIVERY_LEASE, DEFAULT_QUEUE_CAPACITY, ImageStoreSettings, Needs, SlackMode, SlackSettings,
};
