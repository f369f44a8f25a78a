//! Behaviour that needs no emulator: settings validation and unreachable endpoints.

use crate::support::{dead_endpoint, init, sample_png};
use images::{ImageStore, Secret, StoreErrorKind, StoreSettings};

#[tokio::test]
async fn unreachable_endpoint_names_the_endpoint_variable() {
    init();
    let endpoint = dead_endpoint();
    let store = ImageStore::new(&StoreSettings::S3 {
        bucket: "charts".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: Some("AKID".to_owned()),
        secret_access_key: Some(Secret::from("secret")),
        endpoint: Some(endpoint.clone()),
    })
    .expect("store");

    let error = store.put_png(sample_png()).await.expect_err("nothing listens");

    assert_eq!(
        error.kind(),
        StoreErrorKind::Unreachable,
        "{error} / {}",
        error.detail()
    );
    let message = error.to_string();
    assert!(message.contains(&format!("cannot reach {endpoint}")), "{message}");
    assert!(message.contains("SLACKBOT_S3_ENDPOINT"), "{message}");
}

#[tokio::test]
async fn uploads_go_through_the_configured_proxy() {
    init();
    let proxy = net::test_proxy::ForwardProxy::start().await.expect("proxy");
    let endpoint = dead_endpoint();
    let settings = StoreSettings::S3 {
        bucket: "charts".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: Some("AKID".to_owned()),
        secret_access_key: Some(Secret::from("secret")),
        endpoint: Some(endpoint.clone()),
    };
    let via_proxy = config::ProxySettings {
        http_proxy: Some(proxy.url()),
        ..Default::default()
    };
    let store = ImageStore::with_proxy(&settings, &via_proxy).expect("store");
    store
        .put_png(sample_png())
        .await
        .expect_err("nothing listens behind the proxy");
    let endpoint_authority = endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
    assert!(
        proxy.carried().iter().any(|c| c.target == endpoint_authority),
        "the upload went to the proxy: {:?}",
        proxy.carried()
    );
    let exempt = config::ProxySettings {
        no_proxy: Some("127.0.0.1".to_owned()),
        ..via_proxy
    };
    let before = proxy.carried().len();
    let store = ImageStore::with_proxy(&settings, &exempt).expect("store");
    store.put_png(sample_png()).await.expect_err("nothing listens");
    assert_eq!(proxy.carried().len(), before, "NO_PROXY sends the store direct");
}

#[test]
fn malformed_azure_key_is_invalid_settings_without_the_key() {
    init();
    let error = ImageStore::new(&StoreSettings::Azure {
        account: "acct".to_owned(),
        container: "charts".to_owned(),
        access_key: Secret::from("not base64 !!"),
        endpoint: None,
    })
    .expect_err("key is not base64");
    assert_eq!(error.kind(), StoreErrorKind::InvalidSettings);
    assert!(
        error.to_string().starts_with("Azure Storage: invalid settings"),
        "{error}"
    );
    assert!(!format!("{error} {}", error.detail()).contains("not base64 !!"));
}

#[test]
fn malformed_gcs_credentials_are_invalid_settings_without_the_json() {
    init();
    let json = r#"{"private_key": "sekrit-material""#;
    let error = ImageStore::new(&StoreSettings::Gcs {
        bucket: "charts".to_owned(),
        project: None,
        credentials_json: Some(Secret::from(json)),
        endpoint: None,
    })
    .expect_err("JSON is cut short");
    assert_eq!(error.kind(), StoreErrorKind::InvalidSettings);
    assert!(error.to_string().contains("GOOGLE_CLOUD_CREDENTIALS_JSON"), "{error}");
    assert!(!format!("{error} {}", error.detail()).contains("sekrit-material"));
}

#[test]
fn half_an_aws_key_pair_is_invalid_settings() {
    init();
    let error = ImageStore::new(&StoreSettings::S3 {
        bucket: "charts".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: Some("AKID".to_owned()),
        secret_access_key: None,
        endpoint: None,
    })
    .expect_err("secret is missing");
    assert_eq!(error.kind(), StoreErrorKind::InvalidSettings);
    assert!(error.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{error}");
}

#[test]
fn settings_debug_hides_secrets() {
    let settings = StoreSettings::Azure {
        account: "acct".to_owned(),
        container: "charts".to_owned(),
        access_key: Secret::from("azure-key-value"),
        endpoint: None,
    };
    let shown = format!("{settings:?}");
    assert!(
        shown.contains("[redacted]") && !shown.contains("azure-key-value"),
        "{shown}"
    );
}
