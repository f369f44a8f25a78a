//! The Looker client against the Looker sandbox: discovery, login, refresh, the 401 retry, errors, operations.

use std::time::Duration;

use config::{LookerInstance, Secret};
use looker::models::{DataActionRequest, Query, RenderResult};
use looker::{ChatContext, ClientOptions, ContentSearch, LookerClient, LookerError};
use looker_sandbox::{Fault, Sandbox, SandboxConfig, content};
use url::Url;

async fn sandbox(expires_in: u64) -> Sandbox {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    Sandbox::start(SandboxConfig {
        expires_in,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn instance(sandbox: &Sandbox, api: &str, secret: &str) -> LookerInstance {
    LookerInstance {
        url: Url::parse(&sandbox.web_url()).unwrap(),
        api_base_url: Url::parse(api).unwrap(),
        client_id: sandbox.client_id().to_string(),
        client_secret: Secret::new(secret),
        custom_command_folder_id: Some(content::CUSTOM_COMMAND_FOLDER_ID.into()),
        webhook_token: None,
        ca_bundle: None,
        verify_tls: true,
        identity: config::Identity::Service,
    }
}

fn client(sandbox: &Sandbox, api: &str) -> LookerClient {
    LookerClient::new(
        &instance(sandbox, api, sandbox.client_secret()),
        ClientOptions::default(),
    )
    .unwrap()
}

fn assert_no_violations(sandbox: &Sandbox) {
    assert!(
        sandbox.violations().is_empty(),
        "spec violations: {:?}",
        sandbox.violations()
    );
}

#[tokio::test]
async fn every_configured_api_url_form_reaches_api_4() {
    let sandbox = sandbox(3600).await;
    let web = sandbox.web_url();
    for api in [
        format!("{web}/api/3.0"),
        format!("{web}/api/3.1/"),
        format!("{web}/api/4.0"),
        web.clone(),
    ] {
        let client = client(&sandbox, &api);
        assert_eq!(
            client.api_url().await.unwrap().as_str(),
            format!("{web}/api/4.0/"),
            "from {api}"
        );
        let me = client.me().await.unwrap();
        assert_eq!(me.id.as_deref(), Some(content::SANDBOX_USER_ID));
    }
    assert_no_violations(&sandbox);
}

#[tokio::test]
async fn logs_in_once_and_reuses_the_token() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    for _ in 0..3 {
        client.look(content::TABLE_LOOK_ID).await.unwrap();
    }
    assert_eq!(sandbox.calls("login"), 1);
    assert_eq!(sandbox.calls("look"), 3);
}

#[tokio::test]
async fn renews_the_token_before_it_expires() {
    // 2 s tokens: the client renews once 10% of the lifetime is left, so a call after 1.9 s logs in again.
    let sandbox = sandbox(2).await;
    let client = client(&sandbox, &sandbox.api_url());
    client.me().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1900)).await;
    client.me().await.unwrap();
    assert_eq!(sandbox.calls("login"), 2);
    assert_eq!(sandbox.calls("me"), 2, "no call was refused and retried");
}

#[tokio::test]
async fn a_401_logs_in_again_and_retries_once() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    client.me().await.unwrap();
    sandbox.expire_tokens();
    let look = client.look(content::TABLE_LOOK_ID).await.unwrap();
    assert!(look.title.is_some());
    assert_eq!(sandbox.calls("login"), 2);
    assert_eq!(sandbox.calls("look"), 2, "the refused call and its retry");

    sandbox.inject_fault("look", Fault::Status(401), None);
    let err = client.look(content::TABLE_LOOK_ID).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "only one retry: {err}");
    assert_eq!(sandbox.calls("login"), 3);
}

#[tokio::test]
async fn wrong_credentials_say_what_to_check() {
    let sandbox = sandbox(3600).await;
    let bad = LookerClient::new(
        &instance(&sandbox, &sandbox.api_url(), "wrong"),
        ClientOptions::default(),
    )
    .unwrap();
    let err = bad.me().await.unwrap_err();
    assert!(matches!(err, LookerError::Login { .. }), "{err:?}");
    assert!(err.to_string().contains("client id and secret"), "{err}");
    assert!(
        !format!("{err:?}{err}").contains("wrong"),
        "the secret must not appear in errors"
    );
}

#[tokio::test]
async fn unreachable_and_slow_lookers_are_clear_errors() {
    let sandbox = sandbox(3600).await;
    let mut closed = instance(&sandbox, "http://127.0.0.1:9/api/4.0", "x");
    closed.url = Url::parse("http://127.0.0.1:9").unwrap();
    let err = LookerClient::new(&closed, ClientOptions::default())
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert!(
        matches!(err, LookerError::Unreachable { .. }) && err.is_retryable(),
        "{err:?}"
    );
    assert!(err.to_string().contains("could not be reached"));

    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        query_timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let slow = LookerClient::new(
        &instance(&sandbox, &sandbox.api_url(), sandbox.client_secret()),
        options,
    )
    .unwrap();
    slow.me().await.unwrap();
    sandbox.inject_fault("look", Fault::Slow(Duration::from_secs(2)), Some(1));
    let err = slow.look(content::TABLE_LOOK_ID).await.unwrap_err();
    assert!(matches!(err, LookerError::Timeout { operation: "look", .. }), "{err:?}");
}

#[tokio::test]
async fn looker_errors_keep_lookers_message() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    let err = client.look("99999").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("Not found"), "{err}");
    assert!(err.to_string().contains("cannot see it"), "{err}");
    sandbox.inject_fault("dashboard", Fault::Status(500), Some(1));
    let err = client.dashboard(content::SALES_DASHBOARD_ID).await.unwrap_err();
    assert!(err.is_retryable());
}

#[tokio::test]
async fn content_operations_parse() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url()).for_chat(&ChatContext {
        user_id: Some("U123".into()),
        team_id: Some("T1".into()),
        channel_id: Some("C1".into()),
    });
    let folder = client.folder(content::CUSTOM_COMMAND_FOLDER_ID).await.unwrap();
    assert!(!folder.name.is_empty());
    let dashboards = client
        .folder_dashboards(content::CUSTOM_COMMAND_FOLDER_ID)
        .await
        .unwrap();
    assert!(!dashboards.is_empty());
    let children = client.folder_children(content::CUSTOM_COMMAND_FOLDER_ID).await.unwrap();
    assert!(
        children
            .iter()
            .any(|c| c.name == content::CUSTOM_COMMAND_SUBFOLDER_NAME)
    );
    let dashboard = client.dashboard(content::SALES_DASHBOARD_ID).await.unwrap();
    assert!(!dashboard.dashboard_elements.is_empty());
    assert!(
        dashboard
            .dashboard_filters
            .iter()
            .any(|f| f.name.as_deref() == Some(content::STATE_FILTER_NAME))
    );
    let listened: Vec<_> = dashboard
        .dashboard_elements
        .iter()
        .flat_map(|e| {
            e.result_maker
                .iter()
                .flat_map(|m| &m.filterables)
                .flat_map(|f| &f.listen)
        })
        .collect();
    assert!(!listened.is_empty(), "tiles listen to the dashboard filter");
    let looks = client
        .search_looks(&ContentSearch {
            title: Some("%order%".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!looks.is_empty());
    let query = client.query_for_slug(content::TABLE_LOOK_SHARE_SLUG).await.unwrap();
    assert_eq!(query.id.as_deref(), Some(content::TABLE_LOOK_ID));
    assert_no_violations(&sandbox);
}

#[tokio::test]
async fn queries_run_and_render() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    let look = client.look(content::TABLE_LOOK_ID).await.unwrap();
    let query = look.query.unwrap();
    let result = client.run_query(query.id.as_deref().unwrap()).await.unwrap();
    assert!(!result.data.is_empty());
    assert!(!result.fields.dimensions.is_empty());

    let mut changed = query.to_new_query();
    changed
        .filters
        .get_or_insert_with(Default::default)
        .insert("users.state".into(), "California".into());
    let created: Query = client.create_query(&changed).await.unwrap();
    assert_ne!(created.id, query.id);
    assert!(created.share_url.is_some());

    let column = client.look(content::COLUMN_LOOK_ID).await.unwrap().query.unwrap();
    let column_id = column.id.unwrap();
    let png = client.run_query_png(&column_id, 400, 300).await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let task = client.create_query_render_task(&column_id, 400, 300).await.unwrap();
    let id = task.id.unwrap();
    let mut ready = None;
    for _ in 0..50 {
        if client.render_task(&id).await.unwrap().is_success()
            && let RenderResult::Ready(bytes) = client.render_task_results(&id).await.unwrap()
        {
            ready = Some(bytes);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ready.expect("render finished").to_vec(),
        sandbox.render_png(&column_id, 400, 300)
    );
    assert_no_violations(&sandbox);
}

#[tokio::test]
async fn data_actions_pass_through() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    let look = client.look(content::SINGLE_VALUE_LOOK_ID).await.unwrap();
    let result = client
        .run_query(look.query.unwrap().id.as_deref().unwrap())
        .await
        .unwrap();
    let row = &result.data[0];
    let action = row
        .values()
        .filter_map(|entry| entry.cell(None))
        .flat_map(|cell| &cell.links)
        .find(|l| l.kind.as_deref() == Some("action") && l.form_url.is_none())
        .map(|link| link.raw.clone())
        .expect("the single value Look has a data action");
    let response = client
        .perform_data_action(&DataActionRequest {
            action: action.clone(),
            form_values: Default::default(),
        })
        .await
        .unwrap();
    assert!(response.success);
    assert_eq!(sandbox.performed_data_actions()[0]["action"], action);
    assert_no_violations(&sandbox);
}

#[tokio::test]
async fn a_looker_without_api_4_is_a_clear_error() {
    use axum::{Json, Router, routing::get};
    let app = Router::new().route(
        "/versions",
        get(|| async {
            Json(serde_json::json!({
                "looker_release_version": "7.20",
                "current_version": {"version": "3.1", "full_version": "3.1.0", "status": "current"},
                "supported_versions": [{"version": "3.0", "status": "legacy"}, {"version": "3.1", "status": "current"}]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sandbox = sandbox(3600).await;
    let old = instance(&sandbox, &format!("http://{addr}/api/3.1"), "x");
    let err = LookerClient::new(&old, ClientOptions::default())
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert!(matches!(err, LookerError::NoApi40 { .. }), "{err:?}");
    assert!(
        err.to_string().contains("does not offer API 4.0 (it offers 3.0, 3.1)"),
        "{err}"
    );
}

#[tokio::test]
async fn explores_suggestions_and_required_filters_are_typed() {
    let sandbox = sandbox(3600).await;
    let client = client(&sandbox, &sandbox.api_url());
    let explore = client.lookml_model_explore("thelook", "order_items").await.unwrap();
    let status = explore.fields.as_ref().and_then(|f| f.field("orders.status")).unwrap();
    assert_eq!(status.label.as_deref(), Some("Orders Status"));
    assert_eq!(status.label_short.as_deref(), Some("Status"));
    let states = client
        .field_suggestions("thelook", "order_items", "users.state")
        .await
        .unwrap();
    assert!(states.suggestions.iter().any(|s| s == "California"), "{states:?}");
    let brand = client.dashboard(content::BRAND_REPORT_DASHBOARD_ID).await.unwrap();
    assert_eq!(brand.dashboard_filters[0].required, Some(true));
    assert!(sandbox.violations().is_empty(), "{:?}", sandbox.violations());
}

#[test]
fn dashboard_filters_accept_null_and_absent_flags() {
    let filters: Vec<looker::models::DashboardFilter> =
        serde_json::from_str(r#"[{"name": "date", "default_value": null, "required": null}, {"name": "state"}]"#)
            .unwrap();
    assert!(
        filters
            .iter()
            .all(|f| f.required.is_none() && f.default_value.is_none())
    );
}
