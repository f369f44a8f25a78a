//! `check` against small fake Looker and Slack servers on loopback.

use std::sync::Arc;

use admin::{CheckLine, Outcome, StoreProbe, exit_code, print, required_bot_scopes, run_checks};
use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use config::{Config, Environment, Needs, SlackMode};
use serde_json::json;

/// How the fake servers behave.
#[derive(Clone)]
struct Fake {
    client_secret: &'static str,
    granted_scopes: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            client_secret: "right-secret",
            granted_scopes: required_bot_scopes(SlackMode::Socket, false)
                .into_iter()
                .map(str::to_string)
                .collect(),
        }
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

async fn looker_login(State(fake): State<Arc<Fake>>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let given = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if given("client_id") == Some("bot-id") && given("client_secret") == Some(fake.client_secret) {
        Json(json!({"access_token": "t0k", "token_type": "Bearer", "expires_in": 3600})).into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({"message": "Not found"}))).into_response()
    }
}

fn fake_looker(fake: Arc<Fake>) -> Router {
    let query = json!({"model": "shop", "view": "orders", "fields": ["orders.count"]});
    Router::new()
        .route(
            "/versions",
            get(|| async {
                Json(json!({
                    "looker_release_version": "25.6.12",
                    "current_version": {"version": "4.0"},
                    "supported_versions": [{"version": "3.1"}, {"version": "4.0"}]
                }))
            }),
        )
        .route("/api/4.0/login", post(looker_login))
        .route(
            "/api/4.0/user",
            get(|| async { Json(json!({"id": "7", "display_name": "Lookerbot User", "is_disabled": false})) }),
        )
        .route(
            "/api/4.0/folders/5",
            get(|| async { Json(json!({"id": "5", "name": "Slack commands"})) }),
        )
        .route(
            "/api/4.0/folders/5/dashboards",
            get(move || async move {
                Json(json!([{
                    "id": "12",
                    "title": "Sales Today",
                    "dashboard_elements": [{"id": "1", "title": "Orders", "query": query}]
                }]))
            }),
        )
        .route("/api/4.0/folders/5/children", get(|| async { Json(json!([])) }))
        .route("/api/4.0/folders/5/looks", get(|| async { Json(json!([])) }))
        .with_state(fake)
}

async fn auth_test(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer xoxb-1") {
        return Json(json!({"ok": false, "error": "invalid_auth"})).into_response();
    }
    let scopes = fake.granted_scopes.join(",");
    let body = json!({"ok": true, "user_id": "UBOT", "team_id": "T1", "user": "looker", "team": "Acme", "url": "https://acme.slack.com/"});
    ([("x-oauth-scopes", scopes)], Json(body)).into_response()
}

async fn connections_open(headers: HeaderMap) -> Json<serde_json::Value> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer == Some("Bearer xapp-1-good") {
        Json(json!({"ok": true, "url": "wss://127.0.0.1:1/link"}))
    } else {
        Json(json!({"ok": false, "error": "invalid_auth"}))
    }
}

fn fake_slack(fake: Arc<Fake>) -> Router {
    Router::new()
        .route("/api/auth.test", post(auth_test))
        .route("/api/apps.connections.open", post(connections_open))
        .with_state(fake)
}

/// Both fakes running, and the environment of a good Socket Mode configuration pointing at them.
async fn setup(fake: Fake) -> Vec<(String, String)> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let fake = Arc::new(fake);
    let looker = serve(fake_looker(fake.clone())).await;
    let slack = serve(fake_slack(fake)).await;
    [
        ("LOOKER_URL", looker.clone()),
        ("LOOKER_API_BASE_URL", format!("{looker}/api/4.0")),
        ("LOOKER_API_3_CLIENT_ID", "bot-id".into()),
        ("LOOKER_API_3_CLIENT_SECRET", "right-secret".into()),
        ("LOOKER_CUSTOM_COMMAND_FOLDER_ID", "5".into()),
        ("LOOKER_WEBHOOK_TOKEN", "hook".into()),
        ("SLACK_API_KEY", "xoxb-1".into()),
        ("SLACK_APP_TOKEN", "xapp-1-good".into()),
        ("SLACK_MODE", "socket".into()),
        ("SLACK_API_URL", format!("{slack}/api/")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn config(env: &[(String, String)], changes: &[(&str, &str)]) -> Config {
    config_without(env, &[], changes)
}

/// The configuration of `env` without the variables in `removed`, and with `changes`.
fn config_without(env: &[(String, String)], removed: &[&str], changes: &[(&str, &str)]) -> Config {
    let kept = env.iter().filter(|(k, _)| !removed.contains(&k.as_str()));
    let mut environment = Environment::from_pairs(kept.map(|(k, v)| (k.as_str(), v.as_str())));
    for (name, value) in changes {
        environment.set(name, value);
    }
    Config::from_env(&environment, Needs::SERVER).unwrap()
}

fn looker_url(env: &[(String, String)]) -> String {
    env.iter().find(|(k, _)| k == "LOOKER_URL").unwrap().1.clone()
}

fn line<'a>(lines: &'a [CheckLine], subject_end: &str) -> &'a CheckLine {
    lines
        .iter()
        .find(|l| l.subject.ends_with(subject_end))
        .unwrap_or_else(|| panic!("no {subject_end:?} line in {lines:#?}"))
}

fn printed(lines: &[CheckLine]) -> String {
    let mut out = Vec::new();
    print(lines, &mut out, false).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_good_configuration_passes_every_check() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(&config(&env, &[]), None).await;
    let looker = looker_url(&env);
    let subjects: Vec<String> = lines.iter().map(|l| l.subject.replace(&looker, "<looker>")).collect();
    assert_eq!(
        subjects,
        [
            "Looker <looker> reachable",
            "Looker <looker> login",
            "Looker <looker> bot user",
            "Looker <looker> custom commands",
            "Looker <looker> webhook token",
            "Slack token",
            "Slack scopes",
            "Slack socket mode",
            "Slack request verification",
            "Image store"
        ]
    );
    for l in &lines {
        assert_eq!(l.outcome, Outcome::Pass, "{l:?}");
    }
    assert_eq!(exit_code(&lines), 0);
    assert!(line(&lines, "reachable").detail.contains("Looker 25.6.12, API 4.0"));
    assert!(line(&lines, "bot user").detail.contains("Lookerbot User"));
    let commands = &line(&lines, "custom commands").detail;
    assert!(
        commands.contains("\"Slack commands\"") && commands.contains("sales today"),
        "{commands}"
    );
    assert!(line(&lines, "Slack token").detail.contains("@looker in workspace Acme"));
    assert!(line(&lines, "Image store").detail.contains("uploaded into Slack"));
    let text = printed(&lines);
    assert_eq!(text.lines().count(), lines.len());
    assert!(text.lines().all(|l| l.starts_with("PASS  ")), "{text}");
}

#[tokio::test]
async fn a_wrong_client_secret_fails_login_and_names_the_variable() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(&config(&env, &[("LOOKER_API_3_CLIENT_SECRET", "wrong")]), None).await;
    let login = line(&lines, "login");
    assert_eq!(login.outcome, Outcome::Fail);
    assert!(login.detail.contains("LOOKER_API_3_CLIENT_SECRET"), "{}", login.detail);
    assert!(login.detail.contains("LOOKER_API_3_CLIENT_ID"), "{}", login.detail);
    assert!(!login.detail.contains("wrong"), "the secret leaked: {}", login.detail);
    assert!(!lines.iter().any(|l| l.subject.ends_with("bot user")));
    assert_eq!(exit_code(&lines), 1);
}

#[tokio::test]
async fn a_missing_scope_is_named() {
    let mut fake = Fake::default();
    fake.granted_scopes.retain(|s| s != "links:write");
    let env = setup(fake).await;
    let lines = run_checks(&config(&env, &[]), None).await;
    let scopes = line(&lines, "Slack scopes");
    assert_eq!(scopes.outcome, Outcome::Fail);
    assert!(
        scopes.detail.contains("links:write (for chat.unfurl)"),
        "{}",
        scopes.detail
    );
    assert!(scopes.detail.contains("OAuth & Permissions"), "{}", scopes.detail);
    assert_eq!(exit_code(&lines), 1);
}

#[tokio::test]
async fn expanding_urls_needs_channel_history() {
    let mut fake = Fake::default();
    fake.granted_scopes.retain(|s| s != "channels:history");
    let env = setup(fake).await;
    let lines = run_checks(&config(&env, &[("LOOKER_SLACKBOT_EXPAND_URLS", "true")]), None).await;
    let scopes = line(&lines, "Slack scopes");
    assert_eq!(scopes.outcome, Outcome::Fail);
    assert!(scopes.detail.contains("channels:history"), "{}", scopes.detail);
}

#[tokio::test]
async fn missing_history_scopes_are_a_warning_that_deliveries_may_repeat() {
    let mut fake = Fake::default();
    fake.granted_scopes
        .retain(|s| s != "groups:history" && s != "mpim:history");
    let env = setup(fake).await;
    let lines = run_checks(&config(&env, &[]), None).await;
    let scopes = line(&lines, "Slack scopes");
    assert_eq!(scopes.outcome, Outcome::Warn, "{}", scopes.detail);
    for said in ["groups:history", "mpim:history", "posted twice", "reinstall"] {
        assert!(scopes.detail.contains(said), "{said}: {}", scopes.detail);
    }
    assert_eq!(exit_code(&lines), 0, "the bot works without them");
}

#[tokio::test]
async fn an_unreachable_looker_fails_with_advice() {
    let env = setup(Fake::default()).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let api = format!("{url}/api/4.0");
    let lines = run_checks(
        &config(&env, &[("LOOKER_URL", &url), ("LOOKER_API_BASE_URL", &api)]),
        None,
    )
    .await;
    let reachable = line(&lines, "reachable");
    assert_eq!(reachable.outcome, Outcome::Fail);
    assert!(
        reachable.detail.contains("could not be reached"),
        "{}",
        reachable.detail
    );
    assert!(reachable.detail.contains("LOOKER_API_BASE_URL"), "{}", reachable.detail);
    assert!(!lines.iter().any(|l| l.subject.ends_with(" login")));
    assert_eq!(exit_code(&lines), 1);
    assert_eq!(printed(&lines).lines().count(), lines.len());
}

#[tokio::test]
async fn warnings_do_not_fail_the_check() {
    let env = setup(Fake::default()).await;
    let legacy = format!("{}/api/3.1", looker_url(&env));
    let config = config_without(
        &env,
        &["LOOKER_CUSTOM_COMMAND_FOLDER_ID", "LOOKER_WEBHOOK_TOKEN"],
        &[("LOOKER_API_BASE_URL", &legacy), ("LOOKERSDK_VERIFY_SSL", "false")],
    );
    let lines = run_checks(&config, None).await;
    let reachable = line(&lines, "reachable");
    assert_eq!(reachable.outcome, Outcome::Warn);
    assert!(reachable.detail.contains("API 3.1"), "{}", reachable.detail);
    let commands = line(&lines, "custom commands");
    assert_eq!(commands.outcome, Outcome::Warn);
    assert!(
        commands
            .detail
            .contains("set LOOKER_CUSTOM_COMMAND_FOLDER_ID to enable custom commands")
    );
    let webhook = line(&lines, "webhook token");
    assert_eq!(webhook.outcome, Outcome::Warn);
    assert!(webhook.detail.contains("refused"));
    assert_eq!(line(&lines, "login").outcome, Outcome::Pass);
    let tls = line(&lines, "Looker TLS");
    assert_eq!(tls.outcome, Outcome::Warn);
    assert!(tls.detail.contains("LOOKER_CA_BUNDLE"));
    assert_eq!(exit_code(&lines), 0);
}

#[tokio::test]
async fn a_bad_app_token_fails_socket_mode() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(&config(&env, &[("SLACK_APP_TOKEN", "xapp-1-revoked")]), None).await;
    let mode = line(&lines, "socket mode");
    assert_eq!(mode.outcome, Outcome::Fail);
    assert!(mode.detail.contains("SLACK_APP_TOKEN"), "{}", mode.detail);
    assert!(!mode.detail.contains("xapp-1-revoked"));
}

struct BrokenStore;

#[async_trait]
impl StoreProbe for BrokenStore {
    fn name(&self) -> String {
        "S3 bucket charts".into()
    }
    async fn check(&self) -> Result<(), String> {
        Err("AccessDenied: give the key s3:PutObject".into())
    }
}

#[tokio::test]
async fn the_image_store_probe_is_reported() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(&config(&env, &[]), Some(&BrokenStore)).await;
    let store = lines.last().unwrap();
    assert_eq!(store.subject, "Image store");
    assert_eq!(store.outcome, Outcome::Fail);
    assert!(store.detail.contains("S3 bucket charts") && store.detail.contains("s3:PutObject"));
}

#[tokio::test]
async fn events_mode_needs_the_signing_secret_and_names_the_url() {
    let env = setup(Fake::default()).await;
    let changes = [
        ("SLACK_MODE", "events"),
        ("SLACK_SIGNING_SECRET", "shh"),
        ("LOOKERBOT_PUBLIC_URL", "https://bot.example.com"),
    ];
    let lines = run_checks(&config_without(&env, &["SLACK_APP_TOKEN"], &changes), None).await;
    let mode = line(&lines, "Slack events mode");
    assert_eq!(mode.outcome, Outcome::Pass);
    assert!(
        mode.detail.contains("https://bot.example.com/slack/events"),
        "{}",
        mode.detail
    );
    assert_eq!(line(&lines, "request verification").outcome, Outcome::Pass);
    assert_eq!(exit_code(&lines), 0);
}

#[tokio::test]
async fn rtm_mode_is_discouraged_and_unverified_requests_are_flagged() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(
        &config_without(&env, &["SLACK_APP_TOKEN"], &[("SLACK_MODE", "rtm")]),
        None,
    )
    .await;
    let mode = line(&lines, "Slack rtm mode");
    assert_eq!(mode.outcome, Outcome::Warn);
    assert!(mode.detail.contains("Socket Mode"));
    // The fake grants granular scopes, not the classic `bot` scope RTM needs.
    let scopes = line(&lines, "Slack scopes");
    assert_eq!(scopes.outcome, Outcome::Fail);
    assert!(scopes.detail.contains("`bot`"), "{}", scopes.detail);
    let verification = line(&lines, "request verification");
    assert_eq!(verification.outcome, Outcome::Warn);
    assert!(verification.detail.contains("SLACK_SIGNING_SECRET"));
}

#[tokio::test]
async fn an_invalid_bot_token_fails_and_names_the_variable() {
    let env = setup(Fake::default()).await;
    let lines = run_checks(&config(&env, &[("SLACK_API_KEY", "xoxb-revoked")]), None).await;
    let token = line(&lines, "Slack token");
    assert_eq!(token.outcome, Outcome::Fail);
    assert!(
        token.detail.contains("invalid_auth") && token.detail.contains("SLACK_API_KEY"),
        "{}",
        token.detail
    );
    assert!(!token.detail.contains("xoxb-revoked"));
    assert!(!lines.iter().any(|l| l.subject == "Slack scopes"));
}

#[tokio::test]
async fn several_lookers_get_advice_about_their_lookers_entry() {
    let env = setup(Fake::default()).await;
    let url = looker_url(&env);
    let entry = |secret: &str| json!({"url": url, "apiBaseUrl": format!("{url}/api/4.0"), "clientId": "bot-id", "clientSecret": secret});
    let lookers = json!([entry("right-secret"), entry("wrong")]).to_string();
    let single: Vec<&str> = env
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.starts_with("LOOKER_"))
        .collect();
    let lines = run_checks(&config_without(&env, &single, &[("LOOKERS", &lookers)]), None).await;
    let logins: Vec<&CheckLine> = lines.iter().filter(|l| l.subject.ends_with(" login")).collect();
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0].outcome, Outcome::Pass);
    assert_eq!(logins[1].outcome, Outcome::Fail);
    assert!(
        logins[1].detail.contains("\"clientSecret\" of entry 2 of LOOKERS"),
        "{}",
        logins[1].detail
    );
    let folder = lines.iter().find(|l| l.subject.ends_with("custom commands")).unwrap();
    assert!(
        folder.detail.contains("\"customCommandFolderId\" of entry 1"),
        "{}",
        folder.detail
    );
}
