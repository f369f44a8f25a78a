//! lookerbot's HTTP server: the endpoints Looker calls (scheduled deliveries, the Action Hub, data actions),
//! health, and the Slack endpoints merged in from the `slack` crate.
//!
//! Every request is authenticated before its body is read into a delivery, and every accepted delivery is in the
//! durable queue before the answer goes back.

mod auth;
mod deliveries;
mod directory;
mod looker_pushes;
pub mod operations;
mod routes;

pub use auth::PushAuth;
pub use deliveries::{DELIVERY_KIND, Deliveries, DeliveryHandler};
pub use directory::{Directory, FormOption};
pub use routes::{AppState, MAX_BODY, MAX_CONCURRENT_REQUESTS, MAX_WEBHOOK_BODY, router, shed_load};
