//! Messages that used to mislead an operator, each now saying what happened and what to do.

use crate::cli_support;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use cli_support::{lookerbot, lookerbot_with_dotenv, setup, stderr, stdout};

/// A real web server that is not Looker: every path is an HTML page (200 under `/ok`, 404 elsewhere), as a login
/// portal, a proxy's error page or the Looker web UI's port would answer.
async fn html_site() -> String {
    let app = Router::new().fallback(|uri: Uri| async move {
        let status = if uri.path().starts_with("/ok") {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        (
            status,
            Html(
                "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Company portal</h1></body></html>",
            ),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn failures(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("FAIL")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_url_that_is_not_looker_is_called_so_without_the_page() {
    let setup = setup(None).await;
    let site = html_site().await;
    for api in [format!("{site}/api/4.0"), format!("{site}/ok/api/4.0")] {
        let output = lookerbot(&["check"], setup.env_with(&[("LOOKER_API_BASE_URL", &api)])).await;
        let text = stdout(&output);
        assert_ne!(output.status.code(), Some(0), "{text}");
        let failing = failures(&text).join("\n");
        assert!(
            failing.contains("web page")
                && failing.contains("not Looker's API")
                && failing.contains("LOOKER_API_BASE_URL"),
            "{api}: {text}"
        );
        for misleading in ["<html", "<!DOCTYPE", "Company portal", "folder permissions"] {
            assert!(
                !text.contains(misleading),
                "{api}: the output repeats {misleading:?}:\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_fails_when_looker_url_is_not_lookers_web_url() {
    let setup = setup(None).await;
    let output = lookerbot(
        &["check"],
        setup.env_with(&[("LOOKER_URL", "https://looker.example.com")]),
    )
    .await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    let line = failures(&text)
        .into_iter()
        .find(|l| l.contains("web URL"))
        .unwrap_or_else(|| panic!("no failing web URL line:\n{text}"));
    assert!(line.contains(&setup.sandbox.web_url()), "{line}");
    assert!(line.contains("LOOKER_URL"), "{line}");
    let good = stdout(&lookerbot(&["check"], setup.env()).await);
    assert!(
        good.lines().any(|l| l.starts_with("PASS") && l.contains("web URL")),
        "{good}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_on_a_taken_port_names_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = lookerbot(&["sandbox", "--port", &port], vec![]).await;
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!("port {port}")) && errors.contains("--port 0"),
        "{errors}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_tells_an_unreachable_slack_from_a_refused_token() {
    let setup = setup(None).await;
    let unreachable = lookerbot(
        &["serve"],
        setup.env_with(&[("SLACK_API_URL", "http://127.0.0.1:9/api/")]),
    )
    .await;
    assert!(!unreachable.status.success());
    let errors = stderr(&unreachable);
    assert!(
        errors.contains("Slack is unreachable") && errors.contains("token was not checked"),
        "{errors}"
    );
    assert!(!errors.contains("refused"), "{errors}");

    let refused = lookerbot(&["serve"], setup.env_with(&[("SLACK_API_KEY", "xoxb-not-the-token")])).await;
    assert!(!refused.status.success());
    let errors = stderr(&refused);
    assert!(
        errors.contains("Slack refused the bot token (SLACK_API_KEY)"),
        "{errors}"
    );
    assert!(!errors.contains("unreachable"), "{errors}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lookers_problems_name_lookers_and_its_keys() {
    let setup = setup(None).await;
    let entry = |secret_key: &str, secret: &str| {
        format!(
            r#"[{{"url": "{}", "apiBaseUrl": "{}", "clientId": "{}", "{secret_key}": "{secret}", "webhookTokn": "x"}}]"#,
            setup.sandbox.web_url(),
            setup.sandbox.api_url(),
            setup.sandbox.client_id()
        )
    };
    let single: &[(&str, &str)] = &[
        ("LOOKER_URL", ""),
        ("LOOKER_API_BASE_URL", ""),
        ("LOOKER_API_3_CLIENT_ID", ""),
        ("LOOKER_API_3_CLIENT_SECRET", ""),
        ("LOOKER_CUSTOM_COMMAND_FOLDER_ID", ""),
    ];
    let misspelt = entry("clientSecret", setup.sandbox.client_secret());
    let mut changes = single.to_vec();
    changes.push(("LOOKERS", &misspelt));
    let output = lookerbot(&["check"], setup.env_with(&changes)).await;
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    let line = failures(&text).join("\n");
    assert!(
        line.contains("LOOKERS") && line.contains("\"webhookTokn\"") && line.contains("did you mean \"webhookToken\""),
        "{text}"
    );

    let wrong_secret = entry("clientSecret", "not-the-secret").replace(r#", "webhookTokn": "x""#, "");
    changes.pop();
    changes.push(("LOOKERS", &wrong_secret));
    let output = lookerbot(&["check"], setup.env_with(&changes)).await;
    let text = stdout(&output);
    let login = failures(&text)
        .into_iter()
        .find(|l| l.contains("login"))
        .unwrap_or_else(|| panic!("no failing login line:\n{text}"));
    assert!(login.contains("\"clientSecret\" of entry 1 of LOOKERS"), "{login}");
    assert!(!login.contains("LOOKER_API_3_CLIENT_SECRET"), "{login}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_dotenv_line_exits_2_naming_the_file() {
    for verb in ["check", "serve", "console"] {
        let output = lookerbot_with_dotenv(&[verb], vec![], Some("SLACK_API_KEY=xoxb-1\nnot a valid line\n")).await;
        assert_eq!(output.status.code(), Some(2), "{verb}: {}", stderr(&output));
        assert!(stderr(&output).contains(".env"), "{verb}: {}", stderr(&output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_bot_token_stands_for_slack_api_key() {
    let setup = setup(None).await;
    let token = setup.sim.bot_token().to_string();
    let output = lookerbot(
        &["check"],
        setup.env_with(&[("SLACK_API_KEY", ""), ("SLACK_BOT_TOKEN", &token)]),
    )
    .await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("Sim Team"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_api_calls_follow_the_proxy_variables() {
    let setup = setup(None).await;
    let output = lookerbot(&["check"], setup.env_with(&[("HTTP_PROXY", "http://127.0.0.1:9")])).await;
    let text = stdout(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    let failing = failures(&text).join("\n");
    assert!(
        failing.contains("Looker") && failing.contains("Slack"),
        "both go through the proxy:\n{text}"
    );
    let bypassed = lookerbot(
        &["check"],
        setup.env_with(&[("HTTP_PROXY", "http://127.0.0.1:9"), ("NO_PROXY", "127.0.0.1")]),
    )
    .await;
    assert_eq!(bypassed.status.code(), Some(0), "{}", stdout(&bypassed));
}
