//! Users with different rights: login as another user, user search, access filters, data access and content
//! visibility follow the acting user.

mod common;

use common::{Client, assert_operation_response, start};
use looker_sandbox::content;
use serde_json::{Value, json};

/// A client acting as the sandbox user with this email, through the admin's `login_user`.
async fn as_user(admin: &Client, email: &str) -> Client {
    let found = admin.get_json(&format!("/users/search?email={email}")).await;
    assert_operation_response("search_users", &found);
    let id = found[0]["id"].as_str().unwrap().to_owned();
    let res = admin.post(&format!("/login/{id}"), &json!({})).await;
    assert_eq!(res.status(), 200, "login_user {email}");
    let token: Value = res.json().await.unwrap();
    Client {
        sandbox: admin.sandbox.clone(),
        http: admin.http.clone(),
        token: token["access_token"].as_str().unwrap().to_owned(),
    }
}

fn states(rows: &Value) -> Vec<String> {
    let mut states: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["users.state"].as_str().map(str::to_owned))
        .collect();
    states.dedup();
    states
}

const BY_STATE: &str = r#"{"model": "thelook", "view": "order_items", "fields": ["users.state", "order_items.count"]}"#;

#[tokio::test]
async fn login_as_user_acts_as_that_user_with_their_access_filter() {
    let admin = start().await;
    let alice = as_user(&admin, "ALICE@sim.example").await;
    let me = alice.get_json("/user").await;
    assert_eq!(me["email"], "alice@sim.example");
    let query: Value = serde_json::from_str(BY_STATE).unwrap();
    assert_eq!(states(&alice.inline(query.clone()).await), ["California"]);
    let bob = as_user(&admin, "bob@sim.example").await;
    assert_eq!(states(&bob.inline(query.clone()).await), ["Texas"]);
    assert!(
        states(&admin.inline(query).await).len() > 2,
        "the admin has no access filter"
    );
    assert!(
        admin.sandbox.violations().is_empty(),
        "{:?}",
        admin.sandbox.violations()
    );
}

#[tokio::test]
async fn only_admins_log_in_as_others_and_disabled_users_are_refused() {
    let admin = start().await;
    let alice = as_user(&admin, "alice@sim.example").await;
    assert_eq!(alice.post("/login/3", &json!({})).await.status(), 403);
    assert_eq!(
        alice.get_json("/users/search?email=bob@sim.example").await,
        json!([]),
        "only admins search users"
    );
    let dora = admin.get_json("/users/search?email=dora@sim.example").await;
    assert_eq!(dora[0]["is_disabled"], true);
    assert_eq!(admin.post("/login/5", &json!({})).await.status(), 403);
    assert_eq!(admin.post("/login/999", &json!({})).await.status(), 404);
    assert_eq!(
        admin.get_json("/users/search?email=nobody@example.com").await,
        json!([])
    );
    assert!(
        admin.sandbox.violations().is_empty(),
        "{:?}",
        admin.sandbox.violations()
    );
}

#[tokio::test]
async fn a_user_without_data_access_runs_nothing() {
    let admin = start().await;
    let vera = as_user(&admin, "vera@sim.example").await;
    let look = vera.get_json(&format!("/looks/{}", content::TABLE_LOOK_ID)).await;
    assert_eq!(
        look["id"],
        content::TABLE_LOOK_ID,
        "content is visible without data access"
    );
    let run = vera.get(&format!("/looks/{}/run/json", content::TABLE_LOOK_ID)).await;
    assert_eq!(run.status(), 404);
    let inline = vera
        .post("/queries/run/json", &serde_json::from_str(BY_STATE).unwrap())
        .await;
    assert_eq!(inline.status(), 404);
    assert_eq!(admin.sandbox.queries_run_by("4"), 0);
    assert!(
        admin.sandbox.violations().is_empty(),
        "{:?}",
        admin.sandbox.violations()
    );
}

#[tokio::test]
async fn restricted_folder_content_is_hidden_from_those_it_is_not_shared_with() {
    let admin = start().await;
    let (alice, bob) = (
        as_user(&admin, "alice@sim.example").await,
        as_user(&admin, "bob@sim.example").await,
    );
    let path = format!("/dashboards/{}", content::RETURNS_DASHBOARD_ID);
    assert_eq!(alice.get(&path).await.status(), 200);
    assert_eq!(bob.get(&path).await.status(), 404);
    let search = "/dashboards/search?title=Returns";
    assert_eq!(alice.get_json(search).await.as_array().unwrap().len(), 1);
    assert_eq!(bob.get_json(search).await, json!([]));
    let folder = format!("/folders/{}", content::CUSTOM_COMMAND_SUBFOLDER_ID);
    assert_eq!(bob.get(&folder).await.status(), 404);
    assert!(
        admin.sandbox.violations().is_empty(),
        "{:?}",
        admin.sandbox.violations()
    );
}

/// `POST /login` with an API key, the status and the token when it worked.
async fn login_with(admin: &Client, (id, secret): (String, String)) -> (u16, Option<String>) {
    let res = (admin.http)
        .post(format!("{}/login", admin.sandbox.api_url()))
        .form(&[("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or_default();
    (status, body["access_token"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn a_non_admin_api_key_acts_as_its_user_and_may_not_log_in_as_others() {
    let admin = start().await;
    let (status, token) = login_with(&admin, admin.sandbox.api_key_of("2")).await;
    assert_eq!(status, 200);
    let alice = Client {
        token: token.unwrap(),
        ..admin_clone(&admin)
    };
    assert_eq!(alice.get_json("/user").await["id"], "2");
    assert_eq!(alice.post("/login/3", &json!({})).await.status(), 403);
    let (wrong_id, _) = admin.sandbox.api_key_of("2");
    let (status, _) = login_with(&admin, (wrong_id, "not-the-secret".into())).await;
    assert_eq!(status, 404, "a wrong secret is refused as Looker does");
    let (status, _) = login_with(&admin, admin.sandbox.api_key_of("5")).await;
    assert_eq!(status, 404, "a disabled user's key does not log in");
}

fn admin_clone(admin: &Client) -> Client {
    Client {
        sandbox: admin.sandbox.clone(),
        http: admin.http.clone(),
        token: admin.token.clone(),
    }
}

#[tokio::test]
async fn users_disabled_or_deleted_while_running_lose_their_tokens_and_logins() {
    let admin = start().await;
    let alice = as_user(&admin, "alice@sim.example").await;
    let bob = as_user(&admin, "bob@sim.example").await;
    admin.sandbox.disable_user("2");
    assert_eq!(
        alice.get("/user").await.status(),
        401,
        "a disabled user's token stops working"
    );
    assert_eq!(admin.post("/login/2", &json!({})).await.status(), 403);
    let found = admin.get_json("/users/search?email=alice@sim.example").await;
    assert_operation_response("search_users", &found);
    assert_eq!(found[0]["is_disabled"], true);
    admin.sandbox.delete_user("3");
    assert_eq!(bob.get("/user").await.status(), 401);
    assert_eq!(admin.post("/login/3", &json!({})).await.status(), 404);
    assert_eq!(admin.get_json("/users/search?email=bob@sim.example").await, json!([]));
    assert!(
        admin.sandbox.violations().is_empty(),
        "{:?}",
        admin.sandbox.violations()
    );
}
