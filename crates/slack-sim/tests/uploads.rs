//! The external upload flow: get an upload URL, send the bytes, complete.

mod common;

use common::{call, start};
use serde_json::json;

async fn upload_url(sim: &slack_sim::SlackSim, filename: &str, length: usize) -> (String, String) {
    let (_, body) = call(
        sim,
        "files.getUploadURLExternal",
        &[("filename", filename), ("length", &length.to_string())],
    )
    .await;
    (
        body["upload_url"].as_str().unwrap().to_owned(),
        body["file_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn raw_upload_then_complete_records_the_file() {
    let sim = start().await;
    let bytes = b"\x89PNG\r\n\x1a\nfake".to_vec();
    let (url, file_id) = upload_url(&sim, "chart.png", bytes.len()).await;
    let response = common::client().post(&url).body(bytes.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let files = json!([{ "id": file_id, "title": "Revenue" }]).to_string();
    let (_, done) = call(
        &sim,
        "files.completeUploadExternal",
        &[
            ("files", &files),
            ("channel_id", "C0GENERAL"),
            ("thread_ts", "9.000001"),
            ("initial_comment", "here"),
        ],
    )
    .await;
    assert_eq!(done["files"][0]["id"], file_id.as_str());
    let uploaded = sim.files();
    assert_eq!(uploaded.len(), 1);
    let file = &uploaded[0];
    assert_eq!(file.bytes, bytes);
    assert_eq!(file.filename, "chart.png");
    assert_eq!(file.title.as_deref(), Some("Revenue"));
    assert_eq!(file.channel.as_deref(), Some("C0GENERAL"));
    assert_eq!(file.thread_ts.as_deref(), Some("9.000001"));
    assert_eq!(file.initial_comment.as_deref(), Some("here"));

    let (_, again) = call(&sim, "files.completeUploadExternal", &[("files", &files)]).await;
    assert_eq!(again["error"], "file_not_found", "a file completes once");
}

#[tokio::test]
async fn multipart_upload_is_accepted() {
    let sim = start().await;
    let (url, file_id) = upload_url(&sim, "a.csv", 5).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"a,b\n1".to_vec()).file_name("a.csv"),
    );
    let response = common::client().post(&url).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let files = json!([{ "id": file_id }]).to_string();
    let (_, done) = call(&sim, "files.completeUploadExternal", &[("files", &files)]).await;
    assert_eq!(done["ok"], true, "{done}");
    assert_eq!(sim.files()[0].bytes, b"a,b\n1");
    assert_eq!(sim.files()[0].channel, None);
}

#[tokio::test]
async fn completing_without_bytes_or_with_wrong_length_fails() {
    let sim = start().await;
    let (url, file_id) = upload_url(&sim, "x.bin", 4).await;
    let files = json!([{ "id": file_id }]).to_string();
    let (_, early) = call(&sim, "files.completeUploadExternal", &[("files", &files)]).await;
    assert_eq!(early["error"], "file_not_found");
    assert!(
        early["response_metadata"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("no bytes")
    );

    let wrong = common::client().post(&url).body("too long").send().await.unwrap();
    assert_eq!(wrong.status(), 400);
    let (_, still) = call(&sim, "files.completeUploadExternal", &[("files", &files)]).await;
    assert_eq!(still["error"], "file_not_found");

    common::client()
        .post(&url)
        .body("abcd")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let (_, not_member) = call(
        &sim,
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", "C0RANDOM")],
    )
    .await;
    assert_eq!(not_member["error"], "not_in_channel");
    let (_, malformed) = call(&sim, "files.completeUploadExternal", &[("files", "F1")]).await;
    assert_eq!(malformed["error"], "invalid_arguments");
    assert!(sim.files().is_empty());
}

#[tokio::test]
async fn upload_endpoint_faults_can_be_injected() {
    let sim = start().await;
    let (url, _) = upload_url(&sim, "x.bin", 1).await;
    sim.fail("file_upload", 1, 500);
    assert_eq!(
        common::client().post(&url).body("x").send().await.unwrap().status(),
        500
    );
    assert_eq!(
        common::client().post(&url).body("x").send().await.unwrap().status(),
        200
    );
}
