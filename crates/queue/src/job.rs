//! The records the queue stores and reports.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// Claimed by a worker holding a lease; reclaimed by anyone once the lease expires.
    Running,
    /// Delivered. Never redone.
    Done,
    /// Given up on; `last_error` says why. An operator can requeue it.
    Failed,
}

impl JobStatus {
    /// The lowercase name used in storage and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses the name written by [`JobStatus::as_str`].
    pub fn parse(name: &str) -> Option<JobStatus> {
        [
            JobStatus::Pending,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    /// What kind of delivery this is, so the handler knows how to read `payload` (e.g. `scheduled_look`).
    pub kind: String,
    pub payload: Payload,
    /// A caller-chosen key; a second enqueue with the same key is a [`EnqueueOutcome::Duplicate`].
    pub idempotency_key: Option<String>,
    /// How many times a worker has claimed the job (the current attempt's number while it runs).
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// When the job last entered the queue: `created_at`, or when an operator requeued it after failure. The
    /// workers' `give_up_after` counts from here, so a requeued job gets a full retry window again.
    pub queued_at: DateTime<Utc>,
    pub status: JobStatus,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job's payload: JSON text, written once by whoever enqueues the job and read by its handler straight into the
/// handler's own type. Held as a `serde_json::Value`, a delivery was turned into a tree, the tree into text, and
/// back through a tree again on the way out: allocations and copies on every delivery (callgrind).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(Box<RawValue>);

impl Payload {
    /// `value` written as JSON.
    pub fn of(value: &impl Serialize) -> Result<Payload, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Payload)
    }

    /// Stored text, if it is JSON.
    pub fn from_text(text: String) -> Result<Payload, serde_json::Error> {
        RawValue::from_string(text).map(Payload)
    }

    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The payload read as `T`.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Payload {
        Payload::from_text(value.to_string()).expect("a JSON value's text is JSON")
    }
}

/// Payloads are equal when their texts are: a payload keeps the text it was written as.
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.text() == other.text()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// A delivery to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    pub kind: String,
    pub payload: Payload,
    pub idempotency_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: impl Into<Payload>) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload: payload.into(),
            idempotency_key: None,
        }
    }

    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> NewJob {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// What [`crate::Store::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// Stored as a new job with this id.
    Accepted(i64),
    /// A job with the same idempotency key exists already (in any state); nothing was stored.
    Duplicate(i64),
}

impl EnqueueOutcome {
    /// The id of the job that carries this delivery, new or existing.
    pub fn id(self) -> i64 {
        match self {
            EnqueueOutcome::Accepted(id) | EnqueueOutcome::Duplicate(id) => id,
        }
    }
}

/// What [`crate::Store::enqueue_claimed`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// Stored (committed) as this job, running and leased to the caller.
    Accepted(Job),
    /// A job with the same idempotency key exists already; nothing was stored.
    Duplicate(i64),
}

impl Claimed {
    pub fn outcome(&self) -> EnqueueOutcome {
        match self {
            Claimed::Accepted(job) => EnqueueOutcome::Accepted(job.id),
            Claimed::Duplicate(id) => EnqueueOutcome::Duplicate(*id),
        }
    }
}

/// Which jobs [`crate::Store::list`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSelection {
    All,
    /// Not finished yet: waiting or running.
    Pending,
    Done,
    Failed,
}

/// A listing request: newest jobs first, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFilter {
    pub selection: JobSelection,
    pub limit: usize,
}

impl ListFilter {
    pub fn new(selection: JobSelection, limit: usize) -> ListFilter {
        ListFilter { selection, limit }
    }
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pending: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
}
