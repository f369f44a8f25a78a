//! The core's one failure vocabulary: what went wrong, worded for the person or log that sees it, and whether
//! trying again may help. Answers, deliveries and sinks all fail with a [`Failure`]; the queue maps its [`Retry`] to
//! a retry or a dead letter in one place (`endpoints::deliveries`).

use std::time::Duration;

/// Whether trying again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It will fail the same way (no such channel, a query Looker cannot run, a bad payload).
    Never,
    /// It may pass (timeouts, server errors, rate limits); `after` is how long the other side asked to wait.
    Later { after: Option<Duration> },
}

/// The note an [`Failure::outcome_unknown`] message carries, and how such a message is told apart once recorded.
const OUTCOME_UNKNOWN: &str = "it may have arrived all the same: the next attempt looks for it before posting again";

/// Something that did not work, and whether it may later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub message: String,
    pub retry: Retry,
}

impl Failure {
    /// A failure that trying again will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: Retry::Never,
        }
    }

    /// A failure that may pass (timeouts, server errors).
    pub fn retryable(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: Retry::Later { after: None },
        }
    }

    /// A failure that may pass once `after` has gone by (a rate limit's `Retry-After`).
    pub fn retry_after(message: impl Into<String>, after: Duration) -> Self {
        Failure {
            message: message.into(),
            retry: Retry::Later { after: Some(after) },
        }
    }

    /// A failure after which what was asked may have been done all the same (a post whose answer never came): it
    /// may pass when tried again, and the message says that the next attempt first looks whether it was done.
    pub fn outcome_unknown(message: impl std::fmt::Display) -> Self {
        Failure::retryable(message.to_string()).still_unknown()
    }

    /// This failure, retried (after the wait it asked for, if any), noting that an earlier attempt's outcome is still
    /// unknown, so that the next attempt looks too ([`Failure::outcome_unknown`]).
    pub fn still_unknown(self) -> Self {
        if Failure::is_outcome_unknown(&self.message) {
            return self;
        }
        let retry = match self.retry {
            Retry::Never => Retry::Later { after: None },
            later => later,
        };
        Failure {
            message: format!("{} ({OUTCOME_UNKNOWN})", self.message),
            retry,
        }
    }

    /// Whether a recorded failure message is an [`Failure::outcome_unknown`] one.
    pub fn is_outcome_unknown(message: &str) -> bool {
        message.contains(OUTCOME_UNKNOWN)
    }

    /// A recorded failure message without the note of [`Failure::outcome_unknown`], for when there is no next
    /// attempt.
    pub fn without_retry_note(message: &str) -> String {
        message.replace(&format!(" ({OUTCOME_UNKNOWN})"), "")
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self.retry, Retry::Later { .. })
    }

    /// The same failure, its message prefixed (`"Orders by Status: "`).
    pub fn within(self, context: &str) -> Self {
        Failure {
            message: format!("{context}: {}", self.message),
            retry: self.retry,
        }
    }
}

impl From<looker::LookerError> for Failure {
    fn from(e: looker::LookerError) -> Self {
        let retry = if e.is_retryable() {
            Retry::Later { after: None }
        } else {
            Retry::Never
        };
        Failure {
            message: e.to_string(),
            retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_says_whether_trying_again_may_help() {
        assert!(!Failure::permanent("no such channel").is_retryable());
        assert!(Failure::retryable("timed out").is_retryable());
        let limited = Failure::retry_after("rate limited", Duration::from_secs(3));
        assert_eq!(
            limited.retry,
            Retry::Later {
                after: Some(Duration::from_secs(3))
            }
        );
        assert_eq!(Failure::permanent("x").within("Look 7").message, "Look 7: x");
    }

    #[test]
    fn an_unknown_outcome_is_retried_and_recognised_once_recorded() {
        let failure = Failure::outcome_unknown("Slack chat.postMessage did not answer within 15s");
        assert!(failure.is_retryable());
        assert!(Failure::is_outcome_unknown(&failure.within("Weekly").message));
        assert!(!Failure::is_outcome_unknown(
            &Failure::retryable("Slack chat.postMessage did not answer within 15s").message
        ));
        let limited = Failure::retry_after("rate limited", Duration::from_secs(9)).still_unknown();
        assert_eq!(
            limited.retry,
            Retry::Later {
                after: Some(Duration::from_secs(9))
            },
            "the wait asked for is kept"
        );
        assert_eq!(limited.clone().still_unknown(), limited, "noted once");
        assert_eq!(Failure::without_retry_note(&limited.message), "rate limited");
    }
}
