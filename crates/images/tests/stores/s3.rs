//! Amazon S3 store against moto's server mode.

use crate::support::{
    create_s3_bucket as create_bucket, fetch_anonymously, init, s3_endpoint, sample_png, unique_name,
};
use images::{ImageStore, Secret, StoreErrorKind, StoreSettings};

fn settings(bucket: &str, endpoint: &str) -> StoreSettings {
    StoreSettings::S3 {
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: Some("AKIDLOOKERBOTTEST".to_owned()),
        secret_access_key: Some(Secret::from("s3-secret-never-shown")),
        endpoint: Some(endpoint.to_owned()),
    }
}

#[tokio::test]
async fn uploaded_png_is_public_read_and_readable_by_its_url() {
    init();
    let bucket = create_bucket().await;
    let store = ImageStore::new(&settings(&bucket, s3_endpoint())).expect("store");
    assert_eq!(store.name(), "Amazon S3");
    let png = sample_png();

    let image = store.put_png(png.clone()).await.expect("upload");

    assert_eq!(image.url, format!("{}/{bucket}/{}", s3_endpoint(), image.key));
    let (status, content_type, body) = fetch_anonymously(&image.url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(body, png);
    let (_, _, acl) = fetch_anonymously(&format!("{}?acl", image.url)).await;
    let acl = String::from_utf8_lossy(&acl);
    assert!(
        acl.contains("http://acs.amazonaws.com/groups/global/AllUsers") && acl.contains("READ"),
        "object should carry the public-read ACL, got {acl}"
    );
}

#[tokio::test]
async fn missing_bucket_is_reported_with_store_and_cause() {
    init();
    let store = ImageStore::new(&settings("no-such-bucket-here", s3_endpoint())).expect("store");

    let error = store.put_png(sample_png()).await.expect_err("bucket is missing");

    assert_eq!(error.kind(), StoreErrorKind::BucketMissing);
    let message = error.to_string();
    assert!(message.starts_with("Amazon S3: "), "{message}");
    assert!(
        message.contains("bucket `no-such-bucket-here` does not exist"),
        "{message}"
    );
    assert!(message.contains("SLACKBOT_S3_BUCKET"), "{message}");
    assert!(!format!("{message} {} {error:?}", error.detail()).contains("s3-secret-never-shown"));
}

#[tokio::test]
async fn check_passes_on_a_good_bucket_and_fails_on_a_missing_one() {
    init();
    let bucket = create_bucket().await;
    let good = ImageStore::new(&settings(&bucket, s3_endpoint())).expect("store");
    good.check().await.expect("check on an existing bucket");

    let listing = reqwest::get(format!("{}/{bucket}", s3_endpoint())).await.expect("list");
    let listing = listing.text().await.expect("listing body");
    assert!(
        !listing.contains("lookerbot-check-"),
        "check must delete its object: {listing}"
    );

    let bad = ImageStore::new(&settings(&unique_name("absent"), s3_endpoint())).expect("store");
    let error = bad.check().await.expect_err("bucket is missing");
    assert_eq!(error.kind(), StoreErrorKind::BucketMissing);
}
