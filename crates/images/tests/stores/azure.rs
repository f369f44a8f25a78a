//! Azure Storage store against Azurite (blob service).

use crate::support::azure_admin::{ACCOUNT, ACCOUNT_KEY};
use crate::support::{azure_endpoint, create_azure_container as create_container, fetch_anonymously, init, sample_png};
use images::{ImageStore, Secret, StoreErrorKind, StoreSettings};

/// A valid base64 key that is not Azurite's.
const WRONG_KEY: &str = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";

fn settings(container: &str, key: &str) -> StoreSettings {
    StoreSettings::Azure {
        account: ACCOUNT.to_owned(),
        container: container.to_owned(),
        access_key: Secret::from(key),
        endpoint: Some(azure_endpoint().to_owned()),
    }
}

#[tokio::test]
async fn uploaded_png_is_readable_by_its_url() {
    init();
    let container = create_container().await;
    let store = ImageStore::new(&settings(&container, ACCOUNT_KEY)).expect("store");
    assert_eq!(store.name(), "Azure Storage");
    let png = sample_png();

    let image = store.put_png(png.clone()).await.expect("upload");

    // Azurite is path-style: the account is part of the endpoint.
    assert_eq!(image.url, format!("{}/{container}/{}", azure_endpoint(), image.key));
    assert!(image.url.contains(&format!("/{ACCOUNT}/{container}/")), "{}", image.url);
    let (status, content_type, body) = fetch_anonymously(&image.url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(body, png);
}

#[tokio::test]
async fn wrong_key_is_access_denied_without_leaking_it() {
    init();
    let container = create_container().await;
    let store = ImageStore::new(&settings(&container, WRONG_KEY)).expect("store");

    let error = store.put_png(sample_png()).await.expect_err("key is wrong");

    assert_eq!(error.kind(), StoreErrorKind::AccessDenied);
    let message = error.to_string();
    assert!(message.starts_with("Azure Storage: "), "{message}");
    assert!(message.contains("AZURE_STORAGE_ACCESS_KEY"), "{message}");
    let everything = format!("{message} {} {error:?}", error.detail());
    assert!(!everything.contains(WRONG_KEY), "{everything}");
}

#[tokio::test]
async fn missing_container_is_reported() {
    init();
    let store = ImageStore::new(&settings("no-such-container", ACCOUNT_KEY)).expect("store");

    let error = store.put_png(sample_png()).await.expect_err("container is missing");

    assert_eq!(error.kind(), StoreErrorKind::BucketMissing);
    assert!(
        error
            .to_string()
            .contains("container `no-such-container` does not exist"),
        "{error}"
    );
}

#[tokio::test]
async fn check_passes_with_the_right_key_and_fails_with_a_wrong_one() {
    init();
    let container = create_container().await;
    ImageStore::new(&settings(&container, ACCOUNT_KEY))
        .expect("store")
        .check()
        .await
        .expect("check with the right key");

    let error = ImageStore::new(&settings(&container, WRONG_KEY))
        .expect("store")
        .check()
        .await
        .expect_err("wrong key");
    assert_eq!(error.kind(), StoreErrorKind::AccessDenied);
}
