//! Where lookerbot puts chart images so that Slack can show them by URL.
//!
//! The original Lookerbot uploads each chart PNG to a store under a long random name and posts the object's
//! public URL; anyone holding the URL can see the image, nobody can guess it. Three stores are supported, in the
//! original's order of precedence (the config crate picks one and builds [`StoreSettings`]):
//!
//! | store | settings | object readable by URL because |
//! |---|---|---|
//! | Amazon S3 | `SLACKBOT_S3_BUCKET`, `SLACKBOT_S3_BUCKET_REGION` (default `us-east-1`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `SLACKBOT_S3_ENDPOINT` | each upload carries `x-amz-acl: public-read`, as the original's; the keys need `s3:PutObjectAcl` and the bucket must allow ACLs (Object Ownership not "bucket owner enforced", Block Public Access off for ACLs) |
//! | Azure Storage | `AZURE_STORAGE_ACCOUNT`, `SLACKBOT_AZURE_CONTAINER`, `AZURE_STORAGE_ACCESS_KEY`, `AZURE_STORAGE_ENDPOINT` | the container's public access level must be "blob" (anonymous read of blobs), which needs the account setting "Allow Blob anonymous access" (off by default on accounts made since 2023) |
//! | Google Cloud Storage | `GOOGLE_CLOUD_BUCKET`, `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_CREDENTIALS_JSON` (key file content; without it, the Compute Engine metadata server), `GOOGLE_CLOUD_STORAGE_ENDPOINT` | the bucket must grant `allUsers` the Storage Object Viewer role (no per-object ACL is sent: it fails on buckets with uniform bucket-level access) |
//!
//! URLs: S3 `https://{bucket}.s3.{region}.amazonaws.com/{key}`, or `{endpoint}/{bucket}/{key}` (path style) with
//! an endpoint; Azure `https://{account}.blob.core.windows.net/{container}/{key}`, or `{endpoint}/{container}/{key}`
//! where the endpoint is the account's blob service URL (for Azurite that includes the account:
//! `http://127.0.0.1:10000/devstoreaccount1`); GCS `https://storage.googleapis.com/{bucket}/{key}` or
//! `{endpoint}/{bucket}/{key}`. Keys are 64 hex characters (256 bits from the thread CSPRNG) plus `.png`.
//!
//! All three go through the `object_store` crate (no hand-written signing). Errors ([`StoreError`]) name the store
//! and what to do (bucket missing, access denied, unreachable endpoint, no credentials, invalid settings); the
//! library's own message is in [`StoreError::detail`] for logs. Configured secrets are scrubbed from both.
//!
//! # What the emulators taught (tests in `tests/stores/`, run for real)
//!
//! The `testbed` crate installs them on first use (with `.ci/install-emulators`, into `.ci/.emulators/`), starts
//! the one a test binary needs on a free loopback port and stops it when the tests exit; set
//! `LOOKERBOT_TEST_{S3,AZURE,GCS}_ENDPOINT` to use emulators of your own instead. Without an emulator the tests
//! fail. What prepares them (buckets, containers, the GCS proxy) is `test_support`, behind the
//! `test-support` feature, so lookerbot's end-to-end tests use the same knowledge.
//!
//! - **moto** (`moto[server]` 5.x, `moto_server`): creates a bucket on an unsigned `PUT /{bucket}`; accepts any
//!   keys (so "wrong key" cannot be tested there); honours `x-amz-acl` (`GET ?acl` shows the `AllUsers` READ
//!   grant) and serves objects anonymously. Missing bucket gives 404 `NoSuchBucket`. Bucket names need 3+ chars.
//! - **Azurite** (npm `azurite` 3.x, `azurite-blob --loose --skipApiVersionCheck --inMemoryPersistence
//!   --disableTelemetry`; `--location` cannot be combined with in-memory): checks Shared Key signatures even in
//!   loose mode, so container creation (which object_store cannot do) is one Shared-Key-signed REST call in the
//!   test harness, with `x-ms-blob-public-access: blob` so that the blob URL is anonymously readable. Use
//!   `with_endpoint("http://host:port/devstoreaccount1")` rather than object_store's emulator mode, whose port
//!   comes only from a process-wide variable. A wrong account key gives 403 (access denied); a missing container
//!   404. Without `--disableTelemetry` it tries to reach an Azure telemetry host.
//! - **gcp-storage-emulator** (PyPI, 2026.x, `start --in-memory`): three gaps, bridged by a small axum+reqwest
//!   proxy in the test harness (`src/test_support/gcs_proxy.rs`, feature `test-support`): the XML API `PUT /{bucket}/{object}`
//!   answers without `ETag` (object_store requires one; `Last-Modified` is also missing on reads); it does not
//!   decode object_store's percent-encoded names (`charts%2Dx/abc%2Epng` gives 501); and XML `DELETE` is not
//!   implemented (501), so the proxy maps it to the JSON API's `DELETE /storage/v1/b/{bucket}/o/{object}`.
//!   Buckets are created with the JSON API (`POST /storage/v1/b`). object_store only skips OAuth with a
//!   service-account JSON holding `"disable_oauth": true`; otherwise it asks the metadata server even for an
//!   emulator. The emulator does no authorization, so "access denied" is untested for GCS.

mod backend;
mod clients;
mod error;
mod key;
mod sink;
mod store;

/// The settings and secrets come from the configuration, so there is one definition of each.
pub use config::{ImageStoreSettings as StoreSettings, Secret};
pub use error::{StoreError, StoreErrorKind};
pub use sink::StoringSink;
pub use store::{ImageStore, StoredImage};
#[cfg(feature = "test-support")]
pub mod test_support;
