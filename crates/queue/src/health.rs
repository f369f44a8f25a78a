//! What a readiness check needs to know about the store, kept in memory as writes succeed or fail.

/// Whether the store's writes work, as last seen. Cheap to read: no I/O.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHealth {
    /// Why the last enqueue commit or claim failed, while none has succeeded since; `None` when they work.
    pub failing: Option<String>,
    /// Enqueue transactions committed since the store was opened (group commits: one may carry several jobs).
    pub group_commits: u64,
    /// Jobs those transactions stored.
    pub jobs_committed: u64,
    /// Transactions of writes that need not survive power loss (claims, lease renewals, done marks, event ids)
    /// committed; several writes may share one. Only the SQLite store shares them; PostgreSQL's stay at 0.
    pub relaxed_commits: u64,
    /// The writes those transactions carried.
    pub relaxed_writes: u64,
}

impl StoreHealth {
    pub(crate) fn record<T, E: std::fmt::Display>(&mut self, result: &Result<T, E>) {
        self.failing = result.as_ref().err().map(ToString::to_string);
    }
}
