//! Which store to put chart images in, as the config crate reads it from the environment.

use crate::Secret;

/// Settings for one image store. The config crate picks the variant in the original Lookerbot's order of
/// precedence: Amazon S3 (`SLACKBOT_S3_BUCKET`), then Azure Storage (`AZURE_STORAGE_ACCOUNT`), then Google Cloud
/// Storage (`GOOGLE_CLOUD_BUCKET`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSettings {
    /// `SLACKBOT_S3_BUCKET`, `SLACKBOT_S3_BUCKET_REGION` (default `us-east-1`), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `SLACKBOT_S3_ENDPOINT`. Without keys the store uses the instance's role.
    S3 {
        bucket: String,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
        /// An S3-compatible endpoint (MinIO, moto, ...): requests and URLs then use path style.
        endpoint: Option<String>,
    },
    /// `AZURE_STORAGE_ACCOUNT`, `SLACKBOT_AZURE_CONTAINER`, `AZURE_STORAGE_ACCESS_KEY`, `AZURE_STORAGE_ENDPOINT`.
    Azure {
        account: String,
        container: String,
        access_key: Secret,
        /// The account's blob service URL, replacing `https://{account}.blob.core.windows.net`. For Azurite this
        /// includes the account: `http://127.0.0.1:10000/devstoreaccount1`.
        endpoint: Option<String>,
    },
    /// `GOOGLE_CLOUD_BUCKET`, `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_CREDENTIALS_JSON`,
    /// `GOOGLE_CLOUD_STORAGE_ENDPOINT`. Without credentials the store asks the Compute Engine metadata server.
    Gcs {
        bucket: String,
        /// Kept for parity with the original; object writes do not need it (the bucket names the project).
        project: Option<String>,
        /// The content of a service-account key file.
        credentials_json: Option<Secret>,
        /// Replaces `https://storage.googleapis.com` for requests and image URLs.
        endpoint: Option<String>,
    },
}
