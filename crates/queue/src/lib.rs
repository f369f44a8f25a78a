//! Durable delivery queue and Slack event dedupe for lookerbot.
//!
//! Scheduled Looker deliveries and data-action posts arrive by webhook. The webhook handler writes each one to the
//! [`Store`] through an [`Enqueuer`] (durable before it answers), and the [`Workers`] deliver it through a
//! [`JobHandler`], at once on a free express slot (a caller may even start the delivery while the job is written,
//! acting only once it is committed and the caller told: [`Enqueuer::enqueue_with_head_start`] and [`Stored`]).
//! Concurrent enqueues share one transaction and its disk sync (group commit); a caller that stops waiting before
//! it is told gets its job set aside as failed, never delivered. Workers retry with
//! backoff until it succeeds or `give_up_after` has passed. A job a crashed process was working on stays leased;
//! once the lease expires any worker (after a restart, or on another replica) claims it again, so deliveries are at
//! least once across crashes and exactly once otherwise.
//!
//! The same store remembers Slack event ids already handled ([`Store::first_sighting`]) so that Events API retries
//! are not handled twice. [`SqliteStore`] keeps everything in one SQLite file for a single replica;
//! [`PostgresStore`] keeps it in a PostgreSQL database that several replicas share,
//! with each Slack channel's posting budget ([`SharedPace`]), so that replicas together post no faster than Slack
//! allows.

mod backoff;
mod error;
mod express;
mod health;
mod job;
mod pace;
mod postgres;
mod sqlite;
mod store;
mod time;
mod workers;
mod written;

pub use error::QueueError;
pub use express::{Enqueuer, Stored};
pub use health::StoreHealth;
pub use job::{Claimed, Counts, EnqueueOutcome, Job, JobSelection, JobStatus, ListFilter, NewJob, Payload};
pub use pace::SharedPace;
pub use postgres::PostgresStore;
pub use sqlite::{Pruned, Retention, SqliteStore};
pub use store::{CompletedAndClaimed, Store};
pub use workers::{JobError, JobHandler, WorkerConfig, Workers};
