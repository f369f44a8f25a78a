//! The one typed client for Looker API 4.0 that every part of lookerbot uses.
//!
//! It discovers the 4.0 endpoint from whatever API URL was configured (3.0, 3.1, 4.0 or the bare host), logs in
//! with the client credentials, refreshes the token before it expires and once more on a 401, and turns Looker's
//! errors into [`LookerError`]s that say what to do.

mod breaker;
mod client;
mod error;
mod journal;
pub mod models;
mod observe;
mod ops;
mod versions;

pub use breaker::{OPEN_FOR, TRIP_AFTER};
pub use client::{ChatContext, ClientOptions, LookerClient, MAX_IMAGE_ANSWER, MAX_JSON_ANSWER};
pub use error::LookerError;
pub use journal::{CallsOutcome, Journal};
pub use ops::ContentSearch;
pub use versions::api_root;
