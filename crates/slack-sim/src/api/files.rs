//! The external upload flow: files.getUploadURLExternal hands out an upload URL on the simulator, the client
//! POSTs the bytes there (see `crate::upload`), then files.completeUploadExternal shares the file.

use serde_json::{Value, json};

use super::{ApiError, ApiResult, fields, target};
use crate::args::Args;
use crate::records::UploadedFile;
use crate::shared::{PendingUpload, Shared, lock};

pub fn get_upload_url(shared: &Shared, args: &Args) -> ApiResult {
    let length = match args.u64("length") {
        Some(Ok(length)) if length > 0 => length,
        _ => {
            return Err(ApiError::new("invalid_arguments").detail("length must be a positive integer (bytes)"));
        }
    };
    if length > shared.config.max_upload_bytes {
        return Err(ApiError::new("file_upload_size_restricted")
            .detail(format!("files may be at most {} bytes", shared.config.max_upload_bytes)));
    }
    let filename = args.str("filename").unwrap_or_default();
    let file_id = format!("F0SIM{:04}", shared.next_seq());
    lock(&shared.uploads).insert(
        file_id.clone(),
        PendingUpload {
            filename,
            length,
            bytes: None,
        },
    );
    Ok(fields(
        json!({ "upload_url": format!("{}/upload/{file_id}", shared.base_url), "file_id": file_id }),
    ))
}

/// One entry of the `files` argument.
struct FileRef {
    id: String,
    title: Option<String>,
}

fn file_refs(args: &Args) -> Result<Vec<FileRef>, ApiError> {
    let invalid =
        || ApiError::new("invalid_arguments").detail("files must be a JSON array of {\"id\": ..., \"title\": ...}");
    let Some(Ok(Value::Array(items))) = args.json("files") else {
        return Err(invalid());
    };
    let refs: Option<Vec<FileRef>> = items
        .iter()
        .map(|item| {
            let id = item["id"].as_str()?.to_owned();
            Some(FileRef {
                id,
                title: item["title"].as_str().map(str::to_owned),
            })
        })
        .collect();
    refs.filter(|r| !r.is_empty()).ok_or_else(invalid)
}

pub fn complete_upload(shared: &Shared, args: &Args) -> ApiResult {
    let refs = file_refs(args)?;
    let channel_arg = args.str("channel_id").or_else(|| {
        args.str("channels")
            .and_then(|c| c.split(',').map(str::trim).find(|c| !c.is_empty()).map(str::to_owned))
    });
    let channel = match &channel_arg {
        Some(channel) => Some(target::postable(shared, &mut lock(&shared.workspace), channel)?.id),
        None => None,
    };
    let mut uploads = lock(&shared.uploads);
    for file in &refs {
        match uploads.get(&file.id) {
            None => {
                return Err(ApiError::new("file_not_found")
                    .detail(format!("{} was not issued or is already completed", file.id)));
            }
            Some(pending) if pending.bytes.is_none() => {
                return Err(ApiError::new("file_not_found")
                    .detail(format!("no bytes were uploaded to the upload_url of {}", file.id)));
            }
            Some(_) => {}
        }
    }
    let mut answered = Vec::new();
    let mut completed = Vec::new();
    for file in refs {
        let pending = uploads.remove(&file.id).expect("checked above");
        let title = file.title.clone().or_else(|| Some(pending.filename.clone()));
        answered.push(json!({ "id": file.id, "title": title }));
        completed.push(UploadedFile {
            id: file.id,
            title: file.title,
            filename: pending.filename,
            bytes: pending.bytes.unwrap_or_default(),
            channel: channel.clone(),
            thread_ts: args.str("thread_ts"),
            initial_comment: args.str("initial_comment"),
        });
    }
    drop(uploads);
    lock(&shared.records).files.extend(completed);
    Ok(fields(json!({ "files": answered })))
}
