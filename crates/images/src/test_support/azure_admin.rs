//! Creates a container on Azurite. object_store cannot create containers, and Azurite (even in loose mode)
//! requires a signed request, so this signs one Create Container call with Shared Key, test-side only.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Azurite's documented development account.
pub const ACCOUNT: &str = "devstoreaccount1";
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const API_VERSION: &str = "2021-08-06";

/// Creates `container` under the account endpoint `http://host:port/devstoreaccount1`, with anonymous read of
/// blobs (what Lookerbot needs for Slack to show the images).
pub async fn create_public_container(account_endpoint: &str, container: &str) {
    let url = format!("{account_endpoint}/{container}?restype=container");
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let path = reqwest::Url::parse(&url).expect("container url").path().to_owned();
    let string_to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-blob-public-access:blob\nx-ms-date:{date}\nx-ms-version:{API_VERSION}\n\
         /{ACCOUNT}{path}\nrestype:container"
    );
    let key = STANDARD.decode(ACCOUNT_KEY).expect("account key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac key");
    mac.update(string_to_sign.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    let response = reqwest::Client::new()
        .put(&url)
        .header("x-ms-blob-public-access", "blob")
        .header("x-ms-date", date)
        .header("x-ms-version", API_VERSION)
        .header("authorization", format!("SharedKey {ACCOUNT}:{signature}"))
        .header("content-length", "0")
        .send()
        .await
        .expect("Azurite answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(
        status.is_success(),
        "creating container {container} on Azurite: {status} {body}"
    );
}
