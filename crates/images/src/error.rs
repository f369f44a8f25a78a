//! Store failures told in words a person can act on, with the library's detail kept for logs.

use std::error::Error as StdError;
use std::fmt;

use object_store::client::{HttpError, HttpErrorKind};

use crate::Secret;
use crate::backend::Backend;

/// What went wrong, coarsely: enough to choose the advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The settings cannot make a client (malformed key, credentials JSON or endpoint URL).
    InvalidSettings,
    /// The bucket or container does not exist.
    BucketMissing,
    /// The store refused the credentials or the operation.
    AccessDenied,
    /// No credentials were given and none could be found on the machine.
    NoCredentials,
    /// The store's endpoint did not answer.
    Unreachable,
    /// Anything else the store answered with.
    Rejected,
}

/// A failure of one image store. `Display` names the store and what to do; [`StoreError::detail`] carries the
/// client library's message for logs. Neither ever contains a configured secret.
#[derive(Debug)]
pub struct StoreError {
    store: &'static str,
    kind: StoreErrorKind,
    message: String,
    detail: String,
}

impl StoreError {
    /// The store's name, e.g. "Amazon S3".
    pub fn store(&self) -> &'static str {
        self.store
    }

    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The underlying error chain, for logs (secrets removed).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.store, self.message)
    }
}

impl std::error::Error for StoreError {}

/// What a store was doing and with which names, so that an error can say it; plus the secrets to scrub.
#[derive(Clone, Debug)]
pub(crate) struct ErrorContext {
    pub(crate) backend: Backend,
    /// Bucket or container name.
    pub(crate) bucket: String,
    /// The base URL requests go to, for "cannot reach".
    pub(crate) endpoint: String,
    pub(crate) secrets: Vec<Secret>,
}

impl ErrorContext {
    /// An error raised while building the client from settings.
    pub(crate) fn invalid_settings(&self, what: &str, source: &dyn StdError) -> StoreError {
        self.error(
            StoreErrorKind::InvalidSettings,
            format!("invalid settings: {what}"),
            source,
        )
    }

    /// An error from an operation (`doing` is e.g. "uploading the image").
    pub(crate) fn operation_failed(&self, doing: &str, source: &object_store::Error) -> StoreError {
        let backend = self.backend;
        let kind = classify(source);
        let place = format!("{} `{}`", backend.bucket_word(), self.bucket);
        let advice = match kind {
            StoreErrorKind::BucketMissing => format!(
                "{place} does not exist: create it, or fix {}",
                backend.bucket_variables()
            ),
            StoreErrorKind::AccessDenied => {
                format!("access denied to {place}: {}", backend.access_advice())
            }
            StoreErrorKind::NoCredentials => {
                format!("no credentials found: {}", backend.credentials_advice())
            }
            StoreErrorKind::Unreachable => format!(
                "cannot reach {}: check the network, or the endpoint in {}",
                self.endpoint,
                backend.endpoint_variable()
            ),
            StoreErrorKind::InvalidSettings | StoreErrorKind::Rejected => {
                format!("the store refused the request for {place} (see the log for its answer)")
            }
        };
        self.error(kind, format!("{doing} failed: {advice}"), source)
    }

    fn error(&self, kind: StoreErrorKind, message: String, source: &dyn StdError) -> StoreError {
        StoreError {
            store: self.backend.name(),
            kind,
            message: self.scrub(message),
            detail: self.scrub(error_chain(source)),
        }
    }

    /// Replaces any configured secret that a library message might echo.
    fn scrub(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "[redacted]");
            }
        }
        text
    }
}

/// Sorts an object_store error by what a person would do about it.
fn classify(error: &object_store::Error) -> StoreErrorKind {
    match error {
        object_store::Error::NotFound { .. } => return StoreErrorKind::BucketMissing,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            return StoreErrorKind::AccessDenied;
        }
        _ => {}
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    let mut credential_step = false;
    while let Some(current) = source {
        // Not every request path maps HTTP statuses to error variants; the status is then only in the text.
        let text = current.to_string().to_ascii_lowercase();
        if text.contains("status code: 404") {
            return StoreErrorKind::BucketMissing;
        }
        if text.contains("status code: 401") || text.contains("status code: 403") {
            return StoreErrorKind::AccessDenied;
        }
        if let Some(http) = current.downcast_ref::<HttpError>()
            && matches!(
                http.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Timeout | HttpErrorKind::Request
            )
        {
            return if credential_step {
                StoreErrorKind::NoCredentials
            } else {
                StoreErrorKind::Unreachable
            };
        }
        credential_step |=
            text.contains("credential") || text.contains("token") || text.contains("metadata");
        source = current.source();
    }
    if credential_step {
        StoreErrorKind::NoCredentials
    } else {
        StoreErrorKind::Rejected
    }
}

/// "outer: inner: innermost", skipping repeats (wrappers often print their source too).
fn error_chain(error: &dyn StdError) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(current) = source {
        let text = current.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = current.source();
    }
    parts.join(": ")
}
