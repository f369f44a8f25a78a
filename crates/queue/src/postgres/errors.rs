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
            // The driver has no error kind for a failed TLS handshake; its message names it.
            let advice = if error.to_string().contains("TLS") {
                "check sslmode and sslrootcert in LOOKERBOT_DATABASE_URL: with verify-ca and verify-full the \
                 server's certificate must be signed by a CA of sslrootcert (or of the system's trust store), and \
                 with verify-full name the host in the URL; require and verify-* need a server with TLS on"
            } else {
                "check that PostgreSQL is running and reachable at LOOKERBOT_DATABASE_URL"
            };
            QueueError::Unavailable(format!(
                "{doing}: no database connection ({}); {advice}",
                with_causes(&error)
            ))
        })
    }
}

/// `error` followed by the causes its message does not already say (the driver's TLS error names no cause).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !message.contains(&said) {
            message = format!("{message}: {said}");
        }
        cause = error.source();
    }
    message
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
