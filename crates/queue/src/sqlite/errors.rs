//! Turning SQLite errors into [`QueueError::Storage`] messages that say what failed and what to check.

use rusqlite::ErrorCode;

use crate::error::QueueError;

pub(super) trait StorageContext<T> {
    /// Wraps an SQLite error with what the store was doing and, when the cause is recognisable, what to do.
    fn context(self, doing: &str) -> Result<T, QueueError>;
}

impl<T> StorageContext<T> for rusqlite::Result<T> {
    fn context(self, doing: &str) -> Result<T, QueueError> {
        self.map_err(|error| {
            let hint = match error.sqlite_error_code() {
                Some(ErrorCode::DiskFull) => "; free some disk space",
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                    "; check that the data directory exists and lookerbot may write to it"
                }
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                    "; another process holds the queue file locked, make sure only lookerbot uses it"
                }
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                    "; the queue file is damaged, move it aside to start with an empty queue"
                }
                _ => "",
            };
            QueueError::Storage(format!("{doing}: {error}{hint}"))
        })
    }
}
