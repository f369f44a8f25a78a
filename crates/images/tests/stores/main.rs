//! Image stores against real emulators: moto (S3), Azurite (Azure Blob), gcp-storage-emulator (GCS).
//! One test binary, so each emulator is started at most once per run and shared by its tests.

mod azure;
mod gcs;
mod offline;
mod s3;
mod support;
