//! A client acting as a Looker user through the admin's `login_user`: the user's rights and access filters apply,
//! the user's token is reused until it expires, and refused logins say why.

use looker::models::Query;
use looker::{ClientOptions, LookerClient, LookerError};
use looker_sandbox::{Sandbox, SandboxConfig, content};

async fn admin_client(expires_in: u64) -> (Sandbox, LookerClient) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxConfig {
        expires_in,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let instance = sandbox.looker_instance();
    let client = LookerClient::new(&instance, ClientOptions::default()).unwrap();
    (sandbox, client)
}

fn by_state() -> Query {
    Query {
        model: "thelook".into(),
        view: "order_items".into(),
        fields: Some(vec!["users.state".into(), "order_items.count".into()]),
        ..Query::default()
    }
}

async fn states(client: &LookerClient) -> Vec<String> {
    let result = client.run_inline_query(&by_state()).await.unwrap();
    let mut states: Vec<String> = result
        .data
        .iter()
        .filter_map(|row| row.get("users.state")?.cell(None)?.value.as_str().map(str::to_owned))
        .collect();
    states.dedup();
    states
}

async fn user_id(admin: &LookerClient, email: &str) -> String {
    let found = admin.users_with_email(email).await.unwrap();
    assert_eq!(found.len(), 1, "{email}");
    found[0].id.clone().unwrap()
}

#[tokio::test]
async fn each_user_sees_the_rows_their_access_filter_allows() {
    let (sandbox, admin) = admin_client(3600).await;
    let alice = admin
        .as_user(&user_id(&admin, "alice@sim.example").await)
        .await
        .unwrap();
    let bob = admin.as_user(&user_id(&admin, "bob@sim.example").await).await.unwrap();
    assert_eq!(alice.me().await.unwrap().email.as_deref(), Some("alice@sim.example"));
    assert_eq!(states(&alice).await, ["California"]);
    assert_eq!(states(&bob).await, ["Texas"]);
    assert!(states(&admin).await.len() > 2);
    assert_eq!(alice.acting_user_id(), Some("2"));
    assert_eq!(admin.acting_user_id(), None);
    // The same user's client is reused with its token: one login_user per user.
    let again = admin.as_user("2").await.unwrap();
    again.me().await.unwrap();
    assert_eq!(sandbox.calls("login_user"), 2);
    assert!(sandbox.violations().is_empty(), "{:?}", sandbox.violations());
}

#[tokio::test]
async fn user_tokens_are_renewed_when_they_expire_or_are_revoked() {
    let (sandbox, admin) = admin_client(3600).await;
    let alice = admin.as_user("2").await.unwrap();
    alice.me().await.unwrap();
    sandbox.expire_tokens();
    assert_eq!(alice.me().await.unwrap().email.as_deref(), Some("alice@sim.example"));
    // The user's 401 logs in as them again; that login_user gets a 401 too (the admin token expired as well),
    // so the admin logs in and login_user is retried once.
    assert_eq!(sandbox.calls("login_user"), 3);
    assert_eq!(sandbox.calls("login"), 2, "after the admin session itself was renewed");
    assert!(sandbox.violations().is_empty(), "{:?}", sandbox.violations());
}

#[tokio::test]
async fn refused_logins_and_missing_rights_are_errors_with_status() {
    let (sandbox, admin) = admin_client(3600).await;
    let dora = admin.as_user("5").await.unwrap();
    assert!(!dora.is_gone());
    match dora.me().await {
        Err(LookerError::UserGone { user_id }) => assert_eq!(user_id, "5"),
        other => panic!("expected a refused login, got {other:?}"),
    }
    assert!(dora.is_gone(), "Looker refused to log in as her");
    assert!(
        !admin.as_user("5").await.unwrap().is_gone(),
        "a new client asks Looker again"
    );
    let vera = admin.as_user("4").await.unwrap();
    match vera.run_look(content::TABLE_LOOK_ID).await {
        Err(e @ LookerError::NoAccess { .. }) => {
            assert_eq!(e.status(), Some(404));
            assert!(e.is_refusal_of_user() && !e.is_retryable());
            assert!(e.to_string().contains("may not open this Look"), "{e}");
        }
        other => panic!("expected no data access, got {other:?}"),
    }
    assert!(!vera.is_gone(), "no access is not a gone account");
    assert_eq!(sandbox.queries_run_by("4"), 0);
    assert!(admin.users_with_email("nobody@example.com").await.unwrap().is_empty());
    assert!(sandbox.violations().is_empty(), "{:?}", sandbox.violations());
}
