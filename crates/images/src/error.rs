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
    while let Some(current) = source {
        let text = current.to_string().to_ascii_lowercase();
        // Without configured keys, both AWS and Google clients ask the instance metadata service; failing there
        // means "not on a cloud instance", not "the store is down".
        if text.contains(METADATA_SERVICE_HOST) {
            return StoreErrorKind::NoCredentials;
        }
        // Not every request path maps HTTP statuses to error variants; the status is then only in the text.
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
            return StoreErrorKind::Unreachable;
        }
        source = current.source();
    }
    StoreErrorKind::Rejected
}

/// The link-local address of the AWS and Google Compute Engine instance metadata services.
const METADATA_SERVICE_HOST: &str = "169.254.169.254";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(message: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "test",
            source: message.to_owned().into(),
        }
    }

    fn context() -> ErrorContext {
        ErrorContext {
            backend: Backend::Gcs,
            bucket: "charts".to_owned(),
            endpoint: "https://storage.googleapis.com".to_owned(),
            secrets: vec![Secret::from("private-key-material")],
        }
    }

    #[test]
    fn metadata_service_failure_means_no_credentials() {
        let error = generic(
            "Error performing token request: Error performing GET http://169.254.169.254/computeMetadata/v1/ \
             - Server returned non-2xx status code: 403 Forbidden",
        );
        assert_eq!(classify(&error), StoreErrorKind::NoCredentials);
        let message = context()
            .operation_failed("uploading the image", &error)
            .to_string();
        assert!(
            message.contains("GOOGLE_CLOUD_CREDENTIALS_JSON"),
            "{message}"
        );
    }

    #[test]
    fn statuses_in_text_are_classified() {
        assert_eq!(
            classify(&generic(
                "Server returned non-2xx status code: 404 Not Found"
            )),
            StoreErrorKind::BucketMissing
        );
        assert_eq!(
            classify(&generic(
                "Server returned non-2xx status code: 403 Forbidden"
            )),
            StoreErrorKind::AccessDenied
        );
        assert_eq!(
            classify(&generic(
                "Server returned non-2xx status code: 400 Bad Request"
            )),
            StoreErrorKind::Rejected
        );
    }

    #[test]
    fn secrets_echoed_by_the_library_are_scrubbed() {
        let error = generic("bad key private-key-material in request");
        let store_error = context().operation_failed("uploading the image", &error);
        assert!(!store_error.detail().contains("private-key-material"));
        assert!(store_error.detail().contains("[redacted]"));
    }
}
