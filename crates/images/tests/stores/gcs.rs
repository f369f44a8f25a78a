//! Google Cloud Storage store against gcp-storage-emulator (behind the header-adding proxy).

use crate::support::{
    GCS_EMULATOR_CREDENTIALS, GCS_PROJECT, create_gcs_bucket as create_bucket, fetch_anonymously, gcs_endpoint, init,
    sample_png, unique_name,
};
use images::{ImageStore, Secret, StoreErrorKind, StoreSettings};

fn settings(bucket: &str) -> StoreSettings {
    StoreSettings::Gcs {
        bucket: bucket.to_owned(),
        project: Some(GCS_PROJECT.to_owned()),
        credentials_json: Some(Secret::from(GCS_EMULATOR_CREDENTIALS)),
        endpoint: Some(gcs_endpoint().to_owned()),
    }
}

#[tokio::test]
async fn uploaded_png_is_readable_by_its_url() {
    init();
    let bucket = create_bucket().await;
    let store = ImageStore::new(&settings(&bucket)).expect("store");
    assert_eq!(store.name(), "Google Cloud Storage");
    let png = sample_png();

    let image = store.put_png(png.clone()).await.expect("upload");

    assert_eq!(image.url, format!("{}/{bucket}/{}", gcs_endpoint(), image.key));
    let (status, content_type, body) = fetch_anonymously(&image.url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(body, png);
}

#[tokio::test]
async fn missing_bucket_is_reported() {
    init();
    let store = ImageStore::new(&settings("no-such-bucket")).expect("store");

    let error = store.put_png(sample_png()).await.expect_err("bucket is missing");

    assert_eq!(error.kind(), StoreErrorKind::BucketMissing);
    let message = error.to_string();
    assert!(message.starts_with("Google Cloud Storage: "), "{message}");
    assert!(message.contains("GOOGLE_CLOUD_BUCKET"), "{message}");
}

#[tokio::test]
async fn check_passes_on_a_good_bucket_and_fails_on_a_missing_one() {
    init();
    let bucket = create_bucket().await;
    let store = ImageStore::new(&settings(&bucket)).expect("store");
    store.check().await.expect("check on an existing bucket");

    let listing = reqwest::get(format!("{}/storage/v1/b/{bucket}/o", gcs_endpoint()))
        .await
        .expect("list")
        .text()
        .await
        .expect("listing body");
    assert!(
        !listing.contains("lookerbot-check-"),
        "check must delete its object: {listing}"
    );

    let error = ImageStore::new(&settings(&unique_name("absent")))
        .expect("store")
        .check()
        .await
        .expect_err("bucket is missing");
    assert_eq!(error.kind(), StoreErrorKind::BucketMissing);
}
