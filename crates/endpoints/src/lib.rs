//! lookerbot's HTTP server: the endpoints Looker calls (scheduled deliveries, the Action Hub, data actions),
//! health, and the Slack endpoints merged in from the `slack` crate.
//!
//! Looker's pushes are authenticated from their headers before their body is read, Slack's (signed over the body)
//! wait in slots of their own, and every accepted delivery is in the durable queue before the answer goes back.

mod auth;
mod bulkhead;
mod deliveries;
mod listen;
mod looker_pushes;
pub mod operations;
mod routes;

pub use auth::PushAuth;
pub use bulkhead::{BUSY_RETRY, BUSY_WAIT, DELIVERIES_PER_LOOKER};
pub use deliveries::{DELIVERY_KIND, Deliveries, DeliveryHandler};
pub use listen::{ListenLimits, serve};
pub use routes::{
    AppState, BODY_TIMEOUT, MAX_BODY, MAX_CONCURRENT_REQUESTS, MAX_UNVERIFIED_REQUESTS, MAX_WEBHOOK_BODY,
    UNVERIFIED_SLOT_WAIT, router, shed_load, shed_load_after, unverified_stage,
};
