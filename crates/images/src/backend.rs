//! What differs between the three stores in how they are named and how a person fixes them.

/// One of the supported stores. Holds only static facts: names, variable names, advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    S3,
    Azure,
    Gcs,
}

impl Backend {
    /// The product name shown to people.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::S3 => "Amazon S3",
            Backend::Azure => "Azure Storage",
            Backend::Gcs => "Google Cloud Storage",
        }
    }

    /// What the store calls the place objects go.
    pub(crate) fn bucket_word(self) -> &'static str {
        match self {
            Backend::Azure => "container",
            Backend::S3 | Backend::Gcs => "bucket",
        }
    }

    /// The variables that name the bucket or container.
    pub(crate) fn bucket_variables(self) -> &'static str {
        match self {
            Backend::S3 => "SLACKBOT_S3_BUCKET and SLACKBOT_S3_BUCKET_REGION",
            Backend::Azure => "AZURE_STORAGE_ACCOUNT and SLACKBOT_AZURE_CONTAINER",
            Backend::Gcs => "GOOGLE_CLOUD_BUCKET",
        }
    }

    /// How to fix credentials that the store refused.
    pub(crate) fn access_advice(self) -> &'static str {
        match self {
            Backend::S3 => {
                "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that they allow s3:PutObject and \
                 s3:PutObjectAcl on the bucket (and that the bucket's Object Ownership setting allows ACLs)"
            }
            Backend::Azure => "check AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_ACCESS_KEY",
            Backend::Gcs => {
                "check GOOGLE_CLOUD_CREDENTIALS_JSON (the service account needs storage.objects.create on the \
                 bucket) or, on Compute Engine, the instance's service account and storage scopes"
            }
        }
    }

    /// How to supply credentials when none could be found.
    pub(crate) fn credentials_advice(self) -> &'static str {
        match self {
            Backend::S3 => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role provides them"
            }
            Backend::Azure => "set AZURE_STORAGE_ACCESS_KEY",
            Backend::Gcs => {
                "set GOOGLE_CLOUD_CREDENTIALS_JSON to the content of a service-account key file, or run on \
                 Google Compute Engine with storage scopes"
            }
        }
    }

    /// The variable that overrides the store's endpoint.
    pub(crate) fn endpoint_variable(self) -> &'static str {
        match self {
            Backend::S3 => "SLACKBOT_S3_ENDPOINT",
            Backend::Azure => "AZURE_STORAGE_ENDPOINT",
            Backend::Gcs => "GOOGLE_CLOUD_STORAGE_ENDPOINT",
        }
    }
}
