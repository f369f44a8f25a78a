//! Image stores for chart images (TODO: notes)

mod backend;
mod clients;
mod error;
mod key;
mod secret;
mod settings;
mod store;

pub use error::{StoreError, StoreErrorKind};
pub use secret::Secret;
pub use settings::StoreSettings;
pub use store::{ImageStore, StoredImage};
