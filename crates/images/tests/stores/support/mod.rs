//! Shared test harness: the emulators and helpers of `images::test_support`, and sample data.

pub use images::test_support::*;

use bytes::Bytes;

/// Must run before any TLS-capable client is built (see the workspace notes on rustls providers).
pub fn init() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// PNG-looking bytes that differ per call, so that reading back the right object is what makes a test pass.
pub fn sample_png() -> Bytes {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.extend_from_slice(&rand::random::<[u8; 64]>());
    Bytes::from(data)
}
