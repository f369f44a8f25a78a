//! Turning PostgreSQL errors into [`QueueError::Storage`] messages that say what failed and what to check.

use crate::error::QueueError;

pub(super) trait StorageContext<T> {
    /// Wraps a driver error with what the store was doing and, when the cause is recognisable, what to do.
    fn context(self, doing: &str) -> Result<T, QueueError>;
}

impl<T> StorageContext<T> for Result<T, tokio_postgres::Error> {
    fn context(self, doing: &str) -> Result<T, QueueError> {
        self.map_err(|error| {
            if error.is_closed() || error.code().is_none_or(is_unavailable) {
                QueueError::Unavailable(format!(
                    "{doing}: {}; check that PostgreSQL is running and reachable at LOOKERBOT_DATABASE_URL",
                    describe(&error)
                ))
            } else {
                QueueError::Storage(format!("{doing}: {}", describe(&error)))
            }
        })
    }
}

impl<T> StorageContext<T> for Result<T, deadpool_postgres::PoolError> {
    fn context(self, doing: &str) -> Result<T, QueueError> {
        self.map_err(|error| {
            QueueError::Unavailable(format!(
                "{doing}: no database connection ({error}); check that PostgreSQL is running and reachable at \
                 LOOKERBOT_DATABASE_URL"
            ))
        })
    }
}

/// Errors of a server going away or not accepting sessions yet (shutting down, starting up, out of connections,
/// recovering): class 57 (operator intervention), 08 (connection exception) and 53300.
fn is_unavailable(code: &tokio_postgres::error::SqlState) -> bool {
    let code = code.code();
    code.starts_with("57") || code.starts_with("08") || code == "53300"
}

/// The server's own message when there is one (the driver's `Display` says only "db error").
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}
