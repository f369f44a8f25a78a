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

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Deserializes an id that may be a JSON string or number into a `String` (`null` is none). Read by a visitor of
/// its own rather than an untagged enum, which buffers the value and builds an error for each shape it is not.
pub fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct IdVisitor;
    impl Visitor<'_> for IdVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an id (text or a number)")
        }
        fn visit_str<E: de::Error>(self, id: &str) -> Result<Option<String>, E> {
            Ok(Some(id.to_owned()))
        }
        fn visit_string<E: de::Error>(self, id: String) -> Result<Option<String>, E> {
            Ok(Some(id))
        }
        fn visit_i64<E: de::Error>(self, id: i64) -> Result<Option<String>, E> {
            Ok(Some(id.to_string()))
        }
        fn visit_u64<E: de::Error>(self, id: u64) -> Result<Option<String>, E> {
            Ok(Some(id.to_string()))
        }
        fn visit_f64<E: de::Error>(self, id: f64) -> Result<Option<String>, E> {
            Ok(Some(
                serde_json::Number::from_f64(id).map_or_else(|| id.to_string(), |n| n.to_string()),
            ))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
    }
    d.deserialize_any(IdVisitor)
}
