//! Chart PNGs from run endpoints and render tasks.

mod common;

use std::time::Duration;

use common::{assert_operation_response, start};
use looker_sandbox::content;
use serde_json::{Value, json};

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert!(
        pixels.chunks(4).any(|p| p != [255, 255, 255, 255]),
        "the image is blank"
    );
    (info.width, info.height)
}

#[tokio::test]
async fn run_endpoints_render_pngs_of_the_asked_size() {
    let c = start().await;
    let res = c
        .get(&format!(
            "/queries/{}/run/png?image_width=300&image_height=200",
            content::COLUMN_LOOK_ID
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(png_size(&bytes), (300, 200));
    assert_eq!(
        bytes.to_vec(),
        c.sandbox.render_png(content::COLUMN_LOOK_ID, 300, 200),
        "same bytes as render_png"
    );

    let look = c
        .get(&format!(
            "/looks/{}/run/png?image_width=120&image_height=90",
            content::PIE_LOOK_ID
        ))
        .await;
    assert_eq!(png_size(&look.bytes().await.unwrap()), (120, 90));
    let query = json!({"model": "thelook", "view": "order_items", "fields": ["orders.created_month", "orders.count"],
                       "vis_config": {"type": "looker_line"}});
    let inline = c.post("/queries/run/png?image_width=64&image_height=48", &query).await;
    assert_eq!(png_size(&inline.bytes().await.unwrap()), (64, 48));
    assert_ne!(c.sandbox.render_png("4", 100, 100), c.sandbox.render_png("6", 100, 100));
}

async fn wait_for_png(c: &common::Client, task: &Value) -> Vec<u8> {
    let id = task["id"].as_str().unwrap();
    let early = c.get(&format!("/render_tasks/{id}/results")).await;
    assert_eq!(early.status(), 202);
    assert_eq!(early.headers()["retry-after"], "1");
    assert!(early.bytes().await.unwrap().is_empty());
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let polled = c.get_json(&format!("/render_tasks/{id}")).await;
        assert_operation_response("render_task", &polled);
        statuses.push(polled["status"].as_str().unwrap().to_owned());
        if polled["status"] == "success" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(statuses.last().unwrap(), "success", "{statuses:?}");
    let done = c.get(&format!("/render_tasks/{id}/results")).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.headers()["content-type"], "image/png");
    done.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn query_and_look_render_tasks() {
    let c = start().await;
    let res = c
        .post(
            &format!(
                "/render_tasks/queries/{}/png?width=320&height=240",
                content::COLUMN_LOOK_ID
            ),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status(), 200);
    let task: Value = res.json().await.unwrap();
    assert_operation_response("create_query_render_task", &task);
    assert_eq!(task["status"], "enqueued_for_query");
    let bytes = wait_for_png(&c, &task).await;
    assert_eq!(png_size(&bytes), (320, 240));
    assert_eq!(bytes, c.sandbox.render_png(content::COLUMN_LOOK_ID, 320, 240));

    let task: Value = c
        .post(
            &format!("/render_tasks/looks/{}/png?width=100&height=80", content::LINE_LOOK_ID),
            &Value::Null,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_operation_response("create_look_render_task", &task);
    assert_eq!(task["look_id"], content::LINE_LOOK_ID);
    assert_eq!(png_size(&wait_for_png(&c, &task).await), (100, 80));

    assert_eq!(c.get("/render_tasks/nope/results").await.status(), 404);
    let jpg = c
        .post("/render_tasks/queries/1/jpg?width=10&height=10", &Value::Null)
        .await;
    assert_eq!(jpg.status(), 400);
}

#[tokio::test]
async fn dashboard_render_task_applies_filters() {
    let c = start().await;
    let path = format!(
        "/render_tasks/dashboards/{}/png?width=400&height=300",
        content::SALES_DASHBOARD_ID
    );
    let body = json!({"dashboard_filters": "State=Texas", "dashboard_style": "tiled"});
    let task: Value = c.post(&path, &body).await.json().await.unwrap();
    assert_operation_response("create_dashboard_render_task", &task);
    assert_eq!(task["dashboard_filters"], "State=Texas");
    let bytes = wait_for_png(&c, &task).await;
    assert_eq!(png_size(&bytes), (400, 300));
    assert_eq!(
        bytes,
        c.sandbox
            .render_dashboard_png(content::SALES_DASHBOARD_ID, "State=Texas", 400, 300)
    );
    assert_ne!(
        bytes,
        c.sandbox
            .render_dashboard_png(content::SALES_DASHBOARD_ID, "", 400, 300)
    );
    // The body is required for dashboards.
    let res = c
        .http
        .post(c.url(&path))
        .header("Authorization", format!("token {}", c.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn scheduled_look_webhook_payloads() {
    use base64::Engine;
    let c = start().await;
    let payload = c
        .sandbox
        .scheduled_look_webhook(content::COLUMN_LOOK_ID, "wysiwyg_png")
        .unwrap();
    assert_eq!(payload["type"], "query");
    assert_eq!(payload["scheduled_plan"]["query_id"], 4, "webhook ids are numbers");
    assert_eq!(payload["attachment"]["mimetype"], "image/png;base64");
    let text: String = payload["attachment"]["data"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    let png = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
    assert_eq!(png_size(&png), (800, 600));
    let csv = c.sandbox.scheduled_look_webhook(content::TABLE_LOOK_ID, "csv").unwrap();
    assert!(
        csv["attachment"]["data"]
            .as_str()
            .unwrap()
            .starts_with("Orders Status,Orders Count\n")
    );
    assert!(
        c.sandbox
            .scheduled_look_webhook(content::TABLE_LOOK_ID, "pdf")
            .is_none()
    );
}

#[tokio::test]
async fn a_query_that_cannot_run_fails_its_render_task() {
    let c = start().await;
    let bad = json!({"model": "thelook", "view": "users", "fields": ["users.count"], "filters": {"users.age": "old"}});
    let query: Value = c.post("/queries", &bad).await.json().await.unwrap();
    let path = format!(
        "/render_tasks/queries/{}/png?width=50&height=50",
        query["id"].as_str().unwrap()
    );
    let task: Value = c.post(&path, &Value::Null).await.json().await.unwrap();
    let id = task["id"].as_str().unwrap();
    let mut last = Value::Null;
    for _ in 0..4 {
        last = c.get_json(&format!("/render_tasks/{id}")).await;
    }
    assert_eq!(last["status"], "failure");
    assert!(last["status_detail"].as_str().unwrap().contains("users.age"));
    assert_eq!(c.get(&format!("/render_tasks/{id}/results")).await.status(), 400);
}
