//! `lookerbot check` against the Looker sandbox and the Slack simulator, good and broken; `lookerbot manifest`.

use crate::cli_support;

use cli_support::{lookerbot, setup, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn a_good_configuration_passes_every_check() {
    let setup = setup(None).await;
    let output = lookerbot(&["check"], setup.env()).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    for expected in ["API 4.0", "sales", "customers", "Sim Team"] {
        assert!(text.contains(expected), "check output lacks {expected:?}:\n{text}");
    }
    assert!(text.lines().count() >= 8, "one line per check:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_names_the_variable_to_fix() {
    let setup = setup(None).await;
    let mut env = setup.env();
    env.retain(|(k, _)| k != "LOOKER_API_3_CLIENT_SECRET");
    env.push(("LOOKER_API_3_CLIENT_SECRET".into(), "not-the-secret".into()));
    let output = lookerbot(&["check"], env).await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    let failure = text.lines().find(|l| l.starts_with("FAIL")).expect("a failing line");
    assert!(failure.contains("LOOKER_API_3_CLIENT_SECRET"), "{failure}");
    assert!(!text.contains("not-the-secret"), "the secret is never printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_scope_is_named() {
    let scopes: Vec<String> = slack_sim::default_bot_scopes()
        .into_iter()
        .filter(|s| s != "links:write")
        .collect();
    let setup = setup(Some(scopes)).await;
    let output = lookerbot(&["check"], setup.env()).await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("FAIL") && l.contains("links:write")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_looker_fails_with_advice() {
    let setup = setup(None).await;
    let mut env = setup.env();
    env.retain(|(k, _)| k != "LOOKER_API_BASE_URL" && k != "LOOKER_URL");
    env.push(("LOOKER_API_BASE_URL".into(), "http://127.0.0.1:9/api/4.0".into()));
    env.push(("LOOKER_URL".into(), "http://127.0.0.1:9".into()));
    let output = lookerbot(&["check"], env).await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("LOOKER_API_BASE_URL")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_configuration_exits_2_naming_each_variable() {
    let output = lookerbot(&["check"], vec![("LOOKERS".into(), "[{\"url\": 1".into())]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("LOOKERS"));
    let output = lookerbot(&["serve"], vec![("PORT".into(), "eighty".into())]).await;
    assert_eq!(output.status.code(), Some(2));
    let errors = String::from_utf8_lossy(&output.stderr);
    for variable in ["PORT", "SLACK_API_KEY", "LOOKER_API_BASE_URL"] {
        assert!(errors.contains(variable), "{errors}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_manifest_is_yaml_with_the_scopes_the_code_uses() {
    let env = vec![("SLACK_SIGNING_SECRET".to_string(), "s".to_string())];
    let output = lookerbot(&["manifest", "--url", "https://bot.example.com"], env).await;
    assert!(output.status.success());
    let manifest: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout(&output)).unwrap();
    let scopes: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(
        scopes,
        admin::scopes::required_bot_scopes(config::SlackMode::Events, false)
    );
    assert_eq!(
        manifest["settings"]["event_subscriptions"]["request_url"].as_str(),
        Some("https://bot.example.com/slack/events")
    );
    let socket = lookerbot(&["manifest"], vec![]).await;
    let socket: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout(&socket)).unwrap();
    assert_eq!(socket["settings"]["socket_mode_enabled"].as_bool(), Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_manifest_needs_no_looker_credentials_and_refuses_a_bad_url() {
    let env = vec![("LOOKER_URL".to_string(), "https://mycompany.looker.com".to_string())];
    let output = lookerbot(&["manifest"], env.clone()).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let manifest: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        manifest["features"]["unfurl_domains"][0].as_str(),
        Some("mycompany.looker.com")
    );
    assert_eq!(
        manifest["features"]["app_home"]["messages_tab_enabled"].as_bool(),
        Some(true)
    );
    for bad in [
        "not a url",
        "http://bot.example.com",
        "https://bot.example.com/lookerbot",
    ] {
        let output = lookerbot(&["manifest", "--url", bad], env.clone()).await;
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(
            errors.contains("--url") && errors.contains("https://bot.example.com"),
            "{bad}: {errors}"
        );
        assert!(stdout(&output).is_empty(), "no manifest for a bad URL");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn help_lists_every_variable() {
    let output = lookerbot(&["--help"], vec![]).await;
    let text = stdout(&output);
    for (_, variables) in config::variables::GROUPS {
        for variable in *variables {
            assert!(text.contains(variable.name), "--help lacks {}", variable.name);
        }
    }
    let serve = stdout(&lookerbot(&["serve", "--help"], vec![]).await);
    assert!(serve.contains("LOOKER_CUSTOM_COMMAND_SPACE_ID") && serve.contains("SLACKBOT_S3_BUCKET"));
}

#[tokio::test]
async fn check_in_identity_user_verifies_login_as_and_asks_for_the_email_scope() {
    let ungranted = setup(None).await;
    let mut env = ungranted.env();
    env.push(("LOOKERBOT_IDENTITY".into(), "user".into()));
    let output = lookerbot(&["check"], env).await;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(text.contains("finds users by email and logs in as them"), "{text}");
    assert!(
        text.contains("users:read.email"),
        "the default sim token lacks the scope: {text}"
    );
    assert!(!output.status.success(), "a missing scope fails the check: {text}");
    assert!(
        ungranted.sandbox.violations().is_empty(),
        "{:?}",
        ungranted.sandbox.violations()
    );
    let mut scopes = slack_sim::default_bot_scopes();
    scopes.push("users:read.email".into());
    let granted = setup(Some(scopes)).await;
    let mut env = granted.env();
    env.push(("LOOKERBOT_IDENTITY".into(), "user".into()));
    let output = lookerbot(&["check"], env).await;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(!text.contains("users:read.email"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_in_identity_user_says_when_the_api_user_is_not_an_admin() {
    let mut scopes = slack_sim::default_bot_scopes();
    scopes.push("users:read.email".into());
    let setup = setup(Some(scopes)).await;
    let (id, secret) = setup.sandbox.api_key_of("2");
    let env = setup.env_with(&[
        ("LOOKERBOT_IDENTITY", "user"),
        ("LOOKER_API_3_CLIENT_ID", &id),
        ("LOOKER_API_3_CLIENT_SECRET", &secret),
    ]);
    let output = lookerbot(&["check"], env).await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    let failure = text
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains("login as users"))
        .unwrap_or_else(|| panic!("no failing login-as line:\n{text}"));
    assert!(failure.contains("give it the Admin role"), "{failure}");
    assert!(!text.contains(&secret), "the secret is never printed");
    assert_eq!(setup.sandbox.calls("login_user"), 0, "nobody was logged in as");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_manifest_asks_for_emails_when_any_looker_uses_identity_user() {
    let bot_scopes = |output: &std::process::Output| -> Vec<String> {
        let manifest: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout(output)).unwrap();
        manifest["oauth_config"]["scopes"]["bot"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let email = "users:read.email".to_string();
    let service = lookerbot(&["manifest"], vec![]).await;
    assert!(!bot_scopes(&service).contains(&email));
    let user = lookerbot(&["manifest"], vec![("LOOKERBOT_IDENTITY".into(), "user".into())]).await;
    assert!(user.status.success(), "{}", String::from_utf8_lossy(&user.stderr));
    assert!(bot_scopes(&user).contains(&email));
    let lookers = r#"[{"url": "https://a.looker.com"}, {"url": "https://b.looker.com", "identity": "user"}]"#;
    let one_looker = lookerbot(&["manifest"], vec![("LOOKERS".into(), lookers.into())]).await;
    assert!(bot_scopes(&one_looker).contains(&email));
}
