//! Builds an object_store client for each backend from the settings, and the public URL prefix of its objects.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::signer::HeaderName;
use object_store::{BackoffConfig, ClientOptions, HeaderMap, HeaderValue, ObjectStore, RetryConfig};

use crate::backend::Backend;
use crate::error::{ErrorContext, StoreError};
use crate::{Secret, StoreSettings};
use config::ProxySettings;

/// A ready client and where its objects can be read by anyone holding the URL.
pub(crate) struct Client {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// `{public base}{key}` is an object's URL; ends with `/`.
    pub(crate) public_base: String,
    pub(crate) context: ErrorContext,
}

pub(crate) fn build(settings: &StoreSettings, proxy: &ProxySettings) -> Result<Client, StoreError> {
    match settings {
        StoreSettings::S3 {
            bucket,
            region,
            access_key_id,
            secret_access_key,
            endpoint,
        } => build_s3(
            bucket,
            region,
            access_key_id.as_deref(),
            secret_access_key.as_ref(),
            endpoint.as_deref(),
            proxy,
        ),
        StoreSettings::Azure {
            account,
            container,
            access_key,
            endpoint,
        } => build_azure(account, container, access_key, endpoint.as_deref(), proxy),
        StoreSettings::Gcs {
            bucket,
            credentials_json,
            endpoint,
            project: _,
        } => build_gcs(bucket, credentials_json.as_ref(), endpoint.as_deref(), proxy),
    }
}

fn build_s3(
    bucket: &str,
    region: &str,
    access_key_id: Option<&str>,
    secret_access_key: Option<&Secret>,
    endpoint: Option<&str>,
    proxy: &ProxySettings,
) -> Result<Client, StoreError> {
    let endpoint = endpoint.map(trim_endpoint);
    let default_endpoint = format!("https://{bucket}.s3.{region}.amazonaws.com");
    let context = ErrorContext {
        backend: Backend::S3,
        bucket: bucket.to_owned(),
        endpoint: endpoint.map_or_else(|| default_endpoint.clone(), str::to_owned),
        secrets: secret_access_key.into_iter().cloned().collect(),
    };
    // object_store has no ACL call: every upload carries the canned ACL the original Lookerbot used, so the
    // image is readable by its URL.
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-amz-acl"),
        HeaderValue::from_static("public-read"),
    );
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_retry(retry_config())
        .with_client_options(client_options(endpoint, proxy).with_default_headers(headers));
    match (access_key_id, secret_access_key) {
        (Some(id), Some(secret)) => {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret.expose());
        }
        (None, None) => {}
        _ => {
            return Err(context.invalid_settings(
                "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither",
                &MissingPair,
            ));
        }
    }
    let public_base = match endpoint {
        Some(endpoint) => {
            builder = builder.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
            format!("{endpoint}/{bucket}/")
        }
        None => format!("{default_endpoint}/"),
    };
    let store = builder
        .build()
        .map_err(|e| context.invalid_settings("cannot configure the S3 client", &e))?;
    Ok(Client {
        store: Arc::new(store),
        public_base,
        context,
    })
}

fn build_azure(
    account: &str,
    container: &str,
    access_key: &Secret,
    endpoint: Option<&str>,
    proxy: &ProxySettings,
) -> Result<Client, StoreError> {
    let endpoint = endpoint.map(trim_endpoint);
    let account_url = endpoint.map_or_else(|| format!("https://{account}.blob.core.windows.net"), str::to_owned);
    let context = ErrorContext {
        backend: Backend::Azure,
        bucket: container.to_owned(),
        endpoint: account_url.clone(),
        secrets: vec![access_key.clone()],
    };
    let mut builder = MicrosoftAzureBuilder::new()
        .with_account(account)
        .with_container_name(container)
        .with_access_key(access_key.expose())
        .with_retry(retry_config())
        .with_client_options(client_options(endpoint, proxy));
    if let Some(endpoint) = endpoint {
        // The endpoint is the account's blob service URL; object_store appends `/{container}/{key}` to it.
        builder = builder.with_endpoint(endpoint.to_owned());
    }
    let store = builder.build().map_err(|e| {
        context.invalid_settings(
            "cannot configure the Azure client (is AZURE_STORAGE_ACCESS_KEY the base64 account key?)",
            &e,
        )
    })?;
    Ok(Client {
        store: Arc::new(store),
        public_base: format!("{account_url}/{container}/"),
        context,
    })
}

fn build_gcs(
    bucket: &str,
    credentials_json: Option<&Secret>,
    endpoint: Option<&str>,
    proxy: &ProxySettings,
) -> Result<Client, StoreError> {
    let endpoint = endpoint.map(trim_endpoint);
    let base_url = endpoint.unwrap_or("https://storage.googleapis.com");
    let context = ErrorContext {
        backend: Backend::Gcs,
        bucket: bucket.to_owned(),
        endpoint: base_url.to_owned(),
        secrets: credentials_json.into_iter().cloned().collect(),
    };
    let mut builder = GoogleCloudStorageBuilder::new()
        .with_bucket_name(bucket)
        .with_base_url(base_url)
        .with_retry(retry_config())
        .with_client_options(client_options(endpoint, proxy));
    if let Some(json) = credentials_json {
        builder = builder.with_service_account_key(json.expose());
    }
    let store = builder.build().map_err(|e| {
        context.invalid_settings(
            "cannot configure the Google Cloud client (is GOOGLE_CLOUD_CREDENTIALS_JSON a service-account key?)",
            &e,
        )
    })?;
    Ok(Client {
        store: Arc::new(store),
        public_base: format!("{base_url}/{bucket}/"),
        context,
    })
}

/// Timeouts sized for a chat reply: a user is waiting, so fail in seconds rather than minutes. The proxy is the
/// bot's network policy's (the one for the store's scheme), with its `NO_PROXY` exemptions.
fn client_options(endpoint: Option<&str>, proxy: &ProxySettings) -> ClientOptions {
    let plain_http = endpoint.is_some_and(is_plain_http);
    let mut options = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(30))
        .with_allow_http(plain_http);
    let via = if plain_http {
        &proxy.http_proxy
    } else {
        &proxy.https_proxy
    };
    if let Some(via) = via {
        options = options.with_proxy_url(via);
        if let Some(excludes) = &proxy.no_proxy {
            options = options.with_proxy_excludes(excludes);
        }
    }
    options
}

/// A couple of quick retries for transient failures, instead of the library's three-minute budget.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(20),
    }
}

fn is_plain_http(endpoint: &str) -> bool {
    endpoint.starts_with("http://")
}

fn trim_endpoint(endpoint: &str) -> &str {
    endpoint.trim_end_matches('/')
}

/// Raised when only one half of the AWS key pair is set.
#[derive(Debug)]
struct MissingPair;

impl std::fmt::Display for MissingPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("only one of the access key id and secret access key is set")
    }
}

impl std::error::Error for MissingPair {}
