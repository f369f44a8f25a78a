//! Shared test harness: emulator endpoints, names and sample data.

pub mod azure_admin;
pub mod emulator;
pub mod gcs_proxy;

use std::sync::OnceLock;

use bytes::Bytes;

/// Must run before any TLS-capable client is built (see the workspace notes on rustls providers).
pub fn init() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub fn s3_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| emulator::endpoint(&emulator::MOTO))
}

/// Azurite's account blob endpoint, `http://127.0.0.1:{port}/devstoreaccount1`.
pub fn azure_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| emulator::endpoint(&emulator::AZURITE))
}

/// The header-adding proxy in front of gcp-storage-emulator.
pub fn gcs_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| gcs_proxy::start(&emulator::endpoint(&emulator::GCS_EMULATOR)))
}

/// A bucket or container name no other test uses (valid for all three stores).
pub fn unique_name(prefix: &str) -> String {
    let suffix: [u8; 6] = rand::random();
    format!("{prefix}-{}", hex::encode(suffix))
}

/// PNG-looking bytes that differ per call, so that reading back the right object is what makes a test pass.
pub fn sample_png() -> Bytes {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.extend_from_slice(&rand::random::<[u8; 64]>());
    Bytes::from(data)
}

/// GET a URL without credentials, as Slack would; returns status, content type and body.
pub async fn fetch_anonymously(url: &str) -> (u16, Option<String>, Bytes) {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
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
