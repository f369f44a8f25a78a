//! Typed models of the Looker API 4.0 objects lookerbot uses. Every field is optional and unknown fields are
//! ignored, so that newer Lookers with more fields (or older ones with fewer) still parse. IDs are strings, as in
//! 4.0; numbers are accepted too (webhook payloads and old instances send them).
//!
//! **`null` is absence.** Real Looker writes `null` for most properties that have no value (`"pivots": null`), and
//! the spec marks well over half of them nullable. Rather than marking fields one by one, every answer is read
//! through [`from_json`] / [`from_value`], whose policy reads a `null` typed value as that type's empty value: a
//! `null` member reads exactly as a missing one, `None` or the field's default (every model is
//! `#[serde(default)]`). Free-form JSON (`Value`) keeps its `null`s.

mod cells;
mod content;
mod data_action;
mod explore;
mod lenient;
mod query;
mod render;
mod user;
mod webhook;

pub use cells::*;
pub use content::*;
pub use data_action::*;
pub use explore::*;
pub use lenient::{from_json, from_value};
pub use query::*;
pub use render::*;
pub use user::*;
pub use webhook::*;

use serde::{Deserialize, Deserializer};

/// Deserializes an id that may be a JSON string or number into a `String`.
pub fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    }))
}
