//! The image store the bot uses: uploads a PNG under a random key and says where anyone can read it.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use crate::StoreSettings;
use crate::clients::{self, Client};
use crate::error::{ErrorContext, StoreError};
use crate::key::random_png_key;

/// A configured image store. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct ImageStore {
    store: Arc<dyn ObjectStore>,
    public_base: String,
    context: ErrorContext,
}

/// An uploaded image: its object key and the URL that Slack will fetch it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredImage {
    pub key: String,
    pub url: String,
}

impl ImageStore {
    /// Builds the client with the process environment's proxies. Makes no request: use [`ImageStore::check`] to
    /// find out whether the store works.
    pub fn new(settings: &StoreSettings) -> Result<ImageStore, StoreError> {
        ImageStore::with_proxy(settings, &config::ProxySettings::from_process_env())
    }

    /// Builds the client going through `proxy` (the bot's network policy).
    pub fn with_proxy(settings: &StoreSettings, proxy: &config::ProxySettings) -> Result<ImageStore, StoreError> {
        let Client {
            store,
            public_base,
            context,
        } = clients::build(settings, proxy)?;
        Ok(ImageStore {
            store,
            public_base,
            context,
        })
    }

    /// "Amazon S3", "Azure Storage" or "Google Cloud Storage".
    pub fn name(&self) -> &'static str {
        self.context.backend.name()
    }

    /// Uploads a chart image under a fresh unguessable key, readable by anyone with the returned URL.
    pub async fn put_png(&self, png: Bytes) -> Result<StoredImage, StoreError> {
        let key = random_png_key();
        self.put(&key, png, "image/png")
            .await
            .map_err(|e| self.context.operation_failed("uploading the image", &e))?;
        // The key is the image's only protection: never log it.
        tracing::debug!(store = self.name(), "stored chart image");
        Ok(StoredImage {
            url: self.url_of(&key),
            key,
        })
    }

    /// Writes a small object the way images are written, then deletes it: proves the bucket exists and the
    /// credentials may write (and, for S3, set the public-read ACL).
    pub async fn check(&self) -> Result<(), StoreError> {
        let key = format!("lookerbot-check-{}", random_png_key().trim_end_matches(".png"));
        self.put(&key, Bytes::from_static(b"lookerbot store check\n"), "text/plain")
            .await
            .map_err(|e| self.context.operation_failed("writing a test object", &e))?;
        self.store.delete(&Path::from(key.as_str())).await.map_err(|e| {
            self.context
                .operation_failed(&format!("deleting the test object `{key}`"), &e)
        })
    }

    /// The URL an object is publicly readable at.
    fn url_of(&self, key: &str) -> String {
        format!("{}{key}", self.public_base)
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &'static str) -> object_store::Result<()> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.into());
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&Path::from(key), PutPayload::from(body), options)
            .await
            .map(|_| ())
    }
}

impl std::fmt::Debug for ImageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageStore")
            .field("store", &self.name())
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn url_for(settings: StoreSettings) -> String {
        ImageStore::new(&settings).expect("store").url_of("k.png")
    }

    #[test]
    fn s3_urls_are_virtual_hosted_on_aws_and_path_style_on_an_endpoint() {
        let s3 = |region: &str, endpoint: Option<&str>| StoreSettings::S3 {
            bucket: "charts".into(),
            region: region.into(),
            access_key_id: None,
            secret_access_key: None,
            endpoint: endpoint.map(Into::into),
        };
        assert_eq!(
            url_for(s3("eu-west-1", None)),
            "https://charts.s3.eu-west-1.amazonaws.com/k.png"
        );
        assert_eq!(
            url_for(s3("us-east-1", None)),
            "https://charts.s3.us-east-1.amazonaws.com/k.png"
        );
        assert_eq!(
            url_for(s3("us-east-1", Some("http://127.0.0.1:4566/"))),
            "http://127.0.0.1:4566/charts/k.png"
        );
    }

    #[test]
    fn azure_urls_use_the_account_host_or_the_endpoint() {
        let azure = |endpoint: Option<&str>| StoreSettings::Azure {
            account: "acct".into(),
            container: "charts".into(),
            access_key: Secret::from("a2V5"),
            endpoint: endpoint.map(Into::into),
        };
        assert_eq!(url_for(azure(None)), "https://acct.blob.core.windows.net/charts/k.png");
        assert_eq!(
            url_for(azure(Some("http://127.0.0.1:10000/devstoreaccount1"))),
            "http://127.0.0.1:10000/devstoreaccount1/charts/k.png"
        );
    }

    #[test]
    fn gcs_urls_use_storage_googleapis_or_the_endpoint() {
        let gcs = |endpoint: Option<&str>| StoreSettings::Gcs {
            bucket: "charts".into(),
            project: None,
            credentials_json: None,
            endpoint: endpoint.map(Into::into),
        };
        assert_eq!(url_for(gcs(None)), "https://storage.googleapis.com/charts/k.png");
        assert_eq!(
            url_for(gcs(Some("http://127.0.0.1:9023"))),
            "http://127.0.0.1:9023/charts/k.png"
        );
    }

    #[test]
    fn names_are_the_products() {
        let gcs = StoreSettings::Gcs {
            bucket: "charts".into(),
            project: None,
            credentials_json: None,
            endpoint: None,
        };
        assert_eq!(ImageStore::new(&gcs).expect("store").name(), "Google Cloud Storage");
    }
}
