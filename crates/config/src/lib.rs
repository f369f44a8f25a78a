//! lookerbot's configuration: environment variables (and a `.env` file), with the original Lookerbot's names as the
//! contract.
//!
//! Reading is split from the process environment on purpose: [`Environment`] is a plain map, so every rule is
//! tested without touching global state, and [`Config::from_env`] collects *every* problem before failing, so a
//! person fixes their configuration in one go.

mod env;
mod error;
mod lookers;
mod network;
mod secret;
mod settings;
pub mod variables;

pub use env::Environment;
pub use error::{ConfigError, Problem};
pub use lookers::{Identity, LookerInstance, SINGLE_INSTANCE_VARIABLES as LOOKER_VARIABLES};
pub use network::ProxySettings;
pub use secret::Secret;
pub use settings::{
    BOT_TOKEN_VARS, Config, DEFAULT_DELIVERY_LEASE, DEFAULT_QUEUE_CAPACITY, ImageStoreSettings, LogFormat, Needs,
    SlackMode, SlackSettings,
};
