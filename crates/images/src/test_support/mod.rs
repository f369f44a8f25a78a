//! For tests only (feature `test-support`): the storage emulators, found or started, with buckets and containers
//! made ready the way lookerbot needs them (readable by URL). Used by this crate's store tests and by lookerbot's
//! end-to-end image tests, so both learn the emulators' quirks in one place (see the crate documentation).
//!
//! The emulators themselves are found, installed on first use, started and stopped by the `testbed` crate; a test
//! that asks for one never passes without it.

pub mod azure_admin;
pub mod gcs_proxy;

use std::sync::OnceLock;

use bytes::Bytes;

/// A service-account key that tells object_store not to fetch OAuth tokens (the GCS emulator takes none).
pub const GCS_EMULATOR_CREDENTIALS: &str = r#"{"private_key": "unused", "private_key_id": "unused",
    "client_email": "lookerbot@example.invalid", "disable_oauth": true}"#;

/// The project buckets are created in on the GCS emulator.
pub const GCS_PROJECT: &str = "lookerbot-test";

/// moto's endpoint, `http://127.0.0.1:{port}`.
pub fn s3_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| testbed::emulators::MOTO.endpoint())
}

/// Azurite's account blob endpoint, `http://127.0.0.1:{port}/devstoreaccount1`.
pub fn azure_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| testbed::emulators::AZURITE.endpoint())
}

/// The header-adding proxy in front of gcp-storage-emulator.
pub fn gcs_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| gcs_proxy::start(&testbed::emulators::GCS.endpoint()))
}

/// A bucket or container name no other test uses (valid for all three stores).
pub fn unique_name(prefix: &str) -> String {
    let suffix: [u8; 6] = rand::random();
    format!("{prefix}-{}", hex::encode(suffix))
}

/// A fresh S3 bucket on moto, which creates one on a plain unsigned `PUT /{bucket}`.
pub async fn create_s3_bucket() -> String {
    let bucket = unique_name("charts");
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3_endpoint()))
        .send()
        .await
        .expect("moto answers");
    assert!(response.status().is_success(), "creating bucket: {}", response.status());
    bucket
}

/// A fresh Azurite container whose blobs anyone can read.
pub async fn create_azure_container() -> String {
    let container = unique_name("charts");
    azure_admin::create_public_container(azure_endpoint(), &container).await;
    container
}

/// A fresh bucket on the GCS emulator, created with the JSON API.
pub async fn create_gcs_bucket() -> String {
    let bucket = unique_name("charts");
    let response = reqwest::Client::new()
        .post(format!("{}/storage/v1/b?project={GCS_PROJECT}", gcs_endpoint()))
        .header("content-type", "application/json")
        .body(format!(r#"{{"name":"{bucket}"}}"#))
        .send()
        .await
        .expect("emulator answers");
    assert!(response.status().is_success(), "creating bucket: {}", response.status());
    bucket
}

/// GET a URL without credentials, as Slack would; returns status, content type and body.
pub async fn fetch_anonymously(url: &str) -> (u16, Option<String>, Bytes) {
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, content_type, response.bytes().await.expect("body"))
}

/// A loopback URL where nothing listens.
pub fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
