//! Turning PostgreSQL errors into [`QueueError::Storage`] messages that say what failed and what to check.

use crate::error::QueueError;

pub(super) trait StorageContext<T> {
    /// Wraps a driver error with what the store was doing and, when the cause is recognisable, what to do.
    fn context(self, doing: &str) -> Result<T, QueueError>;
}

impl<T> StorageContext<T> for Result<T, tokio_postgres::Error> {
    fn context(self, doing: &str) -> Result<T, QueueError> {
        self.map_err(|error| {
            let hint = if error.is_closed() || error.code().is_none() {
                "; check that PostgreSQL is running and reachable at LOOKERBOT_DATABASE_URL"
            } else {
                ""
            };
            QueueError::Storage(format!("{doing}: {}{hint}", describe(&error)))
        })
    }
}

impl<T> StorageContext<T> for Result<T, deadpool_postgres::PoolError> {
    fn context(self, doing: &str) -> Result<T, QueueError> {
        self.map_err(|error| {
            QueueError::Storage(format!(
                "{doing}: no database connection ({error}); check that PostgreSQL is running and reachable at \
                 LOOKERBOT_DATABASE_URL"
            ))
        })
    }
}

/// The server's own message when there is one (the driver's `Display` says only "db error").
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}
