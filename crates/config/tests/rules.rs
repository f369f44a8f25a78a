//! Every configuration rule, each error message included.

use config::{Config, ConfigError, Environment, ImageStoreSettings, Needs, SlackMode};

const LOOKER: &[(&str, &str)] = &[
    ("LOOKER_URL", "https://me.looker.com"),
    ("LOOKER_API_BASE_URL", "https://me.looker.com:19999/api/3.0"),
    ("LOOKER_API_3_CLIENT_ID", "id"),
    ("LOOKER_API_3_CLIENT_SECRET", "shhh-looker"),
    ("SLACK_API_KEY", "xoxb-1"),
];

fn env(pairs: &[(&str, &str)]) -> Environment {
    Environment::from_pairs(pairs.iter().copied())
}

fn with(extra: &[(&str, &str)]) -> Environment {
    let mut e = env(LOOKER);
    for (k, v) in extra {
        e.set(k, v);
    }
    e
}

fn problems(e: &Environment) -> ConfigError {
    Config::from_env(e, Needs::SERVER).expect_err("configuration should be refused")
}

fn message_for(err: &ConfigError, variable: &str) -> String {
    err.problems
        .iter()
        .find(|p| p.variable == variable)
        .unwrap_or_else(|| panic!("no problem names {variable}: {err}"))
        .message
        .clone()
}

#[test]
fn the_seed_readme_variables_make_a_working_config() {
    let config = Config::from_env(
        &with(&[("LOOKER_CUSTOM_COMMAND_SPACE_ID", "7"), ("LOOKER_WEBHOOK_TOKEN", "wh")]),
        Needs::SERVER,
    )
    .unwrap();
    assert_eq!(config.port, 3333);
    assert!(config.loading_messages && config.data_actions_in_messages);
    let looker = &config.lookers[0];
    assert_eq!(looker.url.as_str(), "https://me.looker.com/");
    assert_eq!(looker.api_base_url.as_str(), "https://me.looker.com:19999/api/3.0");
    assert_eq!(looker.client_id, "id");
    assert_eq!(looker.client_secret.expose(), "shhh-looker");
    assert_eq!(looker.custom_command_folder_id.as_deref(), Some("7"));
    assert_eq!(looker.webhook_token.as_ref().unwrap().expose(), "wh");
    assert!(looker.verify_tls);
    assert_eq!(
        config.slack.mode,
        Some(SlackMode::Rtm),
        "only a bot token means RTM, as the original"
    );
    assert!(config.image_store.is_none());
}

#[test]
fn missing_looker_variables_are_each_named() {
    let err = problems(&env(&[("SLACK_API_KEY", "xoxb-1")]));
    assert!(message_for(&err, "LOOKER_API_BASE_URL").contains("is missing"));
    assert!(message_for(&err, "LOOKER_URL").contains("web URL"));
    assert!(
        message_for(&err, "LOOKER_API_3_CLIENT_ID")
            .contains("also accepted: LOOKER_API_CLIENT_ID or LOOKERSDK_CLIENT_ID")
    );
    assert!(message_for(&err, "LOOKER_API_3_CLIENT_SECRET").contains("is missing"));
    assert!(err.to_string().contains("lookerbot --help"));
}

#[test]
fn sdk_and_later_lookerbot_names_are_accepted() {
    let e = env(&[
        ("LOOKERSDK_BASE_URL", "https://me.looker.com:19999"),
        ("LOOKERSDK_CLIENT_ID", "sdk-id"),
        ("LOOKER_API_CLIENT_SECRET", "sdk-secret"),
        ("LOOKER_CUSTOM_COMMAND_FOLDER_ID", "12"),
        ("LOOKERSDK_VERIFY_SSL", "false"),
        ("SLACK_API_KEY", "xoxb-1"),
    ]);
    let config = Config::from_env(&e, Needs::SERVER).unwrap();
    let looker = &config.lookers[0];
    assert_eq!(looker.client_id, "sdk-id");
    assert_eq!(looker.client_secret.expose(), "sdk-secret");
    assert_eq!(looker.custom_command_folder_id.as_deref(), Some("12"));
    assert_eq!(
        looker.url.as_str(),
        "https://me.looker.com/",
        "web URL derived from the API host without port 19999"
    );
    assert!(config.tls_insecure && !looker.verify_tls);
}

#[test]
fn bad_urls_say_so() {
    let err = problems(&with(&[("LOOKER_URL", "me.looker.com")]));
    assert!(message_for(&err, "LOOKER_URL").contains("is not a URL"));
    let err = problems(&with(&[("LOOKER_API_BASE_URL", "ftp://me.looker.com")]));
    assert!(message_for(&err, "LOOKER_API_BASE_URL").contains("is not an http(s) URL"));
}

#[test]
fn port_and_flags_are_checked() {
    let config = Config::from_env(
        &with(&[
            ("PORT", "8080"),
            ("LOOKER_SLACKBOT_LOADING_MESSAGES", "false"),
            ("LOOKERBOT_DATA_ACTIONS_IN_MESSAGES", "FALSE"),
        ]),
        Needs::SERVER,
    )
    .unwrap();
    assert_eq!(config.port, 8080);
    assert!(!config.loading_messages && !config.data_actions_in_messages);
    let err = problems(&with(&[("PORT", "eighty")]));
    assert!(message_for(&err, "PORT").contains("1 to 65535"));
    let err = problems(&with(&[("ALLOW_SLACK_GUEST_USERS", "maybe")]));
    assert_eq!(
        message_for(&err, "ALLOW_SLACK_GUEST_USERS"),
        "must be true or false, not \"maybe\""
    );
    let err = problems(&with(&[("NODE_TLS_REJECT_UNAUTHORIZED", "no")]));
    assert!(message_for(&err, "NODE_TLS_REJECT_UNAUTHORIZED").contains("0 or 1"));
}

#[test]
fn node_tls_reject_unauthorized_zero_turns_checks_off() {
    let config = Config::from_env(&with(&[("NODE_TLS_REJECT_UNAUTHORIZED", "0")]), Needs::SERVER).unwrap();
    assert!(config.tls_insecure);
    assert!(!config.lookers[0].verify_tls);
}

const README_LOOKERS: &str = r#"[{"url": "https://me.looker.com", "apiBaseUrl": "https://me.looker.com:19999/api/3.0", "clientId": "abcdefghjkl", "clientSecret": "abcdefghjkl"},{"url": "https://me-staging.looker.com", "apiBaseUrl": "https://me-staging.looker.com:19999/api/3.0", "clientId": "abcdefghjkl", "clientSecret": "abcdefghjkl"}]"#;

#[test]
fn the_readme_lookers_example_parses_and_replaces_single_variables() {
    let e = with(&[("LOOKERS", README_LOOKERS)]);
    let config = Config::from_env(&e, Needs::SERVER).unwrap();
    assert_eq!(config.lookers.len(), 2);
    assert_eq!(config.lookers[1].url.as_str(), "https://me-staging.looker.com/");
    assert_eq!(config.lookers[0].client_secret.expose(), "abcdefghjkl");
}

#[test]
fn lookers_accepts_client_id_spellings_and_folder_ids() {
    let json = r#"[{"url":"https://a.looker.com","apiBaseUrl":"https://a.looker.com/api/4.0","clientID":"x","clientSecret":"y","customCommandSpaceId":5,"webhookToken":"t","caBundle":"/etc/ca.pem"}]"#;
    let config = Config::from_env(&env(&[("LOOKERS", json), ("SLACK_API_KEY", "xoxb")]), Needs::SERVER).unwrap();
    let l = &config.lookers[0];
    assert_eq!(l.client_id, "x");
    assert_eq!(l.custom_command_folder_id.as_deref(), Some("5"));
    assert_eq!(l.webhook_token.as_ref().unwrap().expose(), "t");
    assert_eq!(l.ca_bundle.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
}

#[test]
fn lookers_errors_name_line_column_and_entry() {
    let err = problems(&env(&[("LOOKERS", "[{\"url\": \n  oops}]"), ("SLACK_API_KEY", "xoxb")]));
    let message = message_for(&err, "LOOKERS");
    assert!(message.contains("line 2 column 3"), "{message}");

    let json = r#"[{"url":"https://a.looker.com","apiBaseUrl":"https://a.looker.com/api/4.0","clientId":"x","clientSecret":"y"},{"url":"https://b.looker.com","apiBaseUrl":"https://b.looker.com/api/4.0","clientId":"x"}]"#;
    let err = problems(&env(&[("LOOKERS", json), ("SLACK_API_KEY", "xoxb")]));
    assert_eq!(message_for(&err, "LOOKERS"), "entry 2 is missing \"clientSecret\"");

    let err = problems(&env(&[("LOOKERS", r#"{"url":"x"}"#), ("SLACK_API_KEY", "xoxb")]));
    assert!(message_for(&err, "LOOKERS").contains("must be a JSON array"));

    let err = problems(&env(&[
        (
            "LOOKERS",
            r#"[{"url":"nope","apiBaseUrl":"https://b/api","clientId":"x","clientSecret":"y"}]"#,
        ),
        ("SLACK_API_KEY", "xoxb"),
    ]));
    assert!(message_for(&err, "LOOKERS").starts_with("entry 1: \"url\""));
}

#[test]
fn slack_mode_follows_tokens_and_can_be_overridden() {
    let mode = |extra: &[(&str, &str)]| Config::from_env(&with(extra), Needs::SERVER).unwrap().slack.mode;
    assert_eq!(mode(&[("SLACK_APP_TOKEN", "xapp-1")]), Some(SlackMode::Socket));
    assert_eq!(mode(&[("SLACK_SIGNING_SECRET", "s")]), Some(SlackMode::Events));
    assert_eq!(
        mode(&[
            ("SLACK_APP_TOKEN", "xapp-1"),
            ("SLACK_SIGNING_SECRET", "s"),
            ("SLACK_MODE", "events")
        ]),
        Some(SlackMode::Events)
    );
    let err = problems(&with(&[("SLACK_MODE", "socket")]));
    assert!(message_for(&err, "SLACK_APP_TOKEN").contains("Socket Mode needs an app-level token"));
    let err = problems(&with(&[("SLACK_MODE", "carrier-pigeon")]));
    assert!(message_for(&err, "SLACK_MODE").contains("socket, events or rtm"));
    let err = problems(&with(&[("SLACK_APP_TOKEN", "xoxb-wrong")]));
    assert!(message_for(&err, "SLACK_APP_TOKEN").contains("xapp-"));
}

#[test]
fn slack_token_is_required_for_the_server_only() {
    let e = env(&LOOKER[..4]);
    assert!(message_for(&problems(&e), "SLACK_API_KEY").contains("Bot User OAuth token"));
    assert!(Config::from_env(&e, Needs::LOOKER_ONLY).is_ok());
    assert!(
        Config::from_env(&Environment::default(), Needs::NOTHING)
            .unwrap()
            .lookers
            .is_empty()
    );
}

#[test]
fn image_stores_follow_the_readme_precedence() {
    let config = Config::from_env(
        &with(&[
            ("SLACKBOT_S3_BUCKET", "b"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AZURE_STORAGE_ACCOUNT", "a"),
        ]),
        Needs::SERVER,
    )
    .unwrap();
    match config.image_store.unwrap() {
        ImageStoreSettings::S3 { bucket, region, .. } => {
            assert_eq!((bucket.as_str(), region.as_str()), ("b", "us-east-1"))
        }
        other => panic!("S3 comes first, got {other:?}"),
    }
    let err = problems(&with(&[("AZURE_STORAGE_ACCOUNT", "a")]));
    assert!(err.mentions("SLACKBOT_AZURE_CONTAINER") && err.mentions("AZURE_STORAGE_ACCESS_KEY"));
    let err = problems(&with(&[
        ("GOOGLE_CLOUD_BUCKET", "g"),
        ("GOOGLE_CLOUD_CREDENTIALS_JSON", "{not json"),
    ]));
    assert!(message_for(&err, "GOOGLE_CLOUD_CREDENTIALS_JSON").contains("not valid JSON"));
    let err = problems(&with(&[("SLACKBOT_S3_BUCKET", "b"), ("AWS_ACCESS_KEY_ID", "k")]));
    assert!(err.mentions("AWS_SECRET_ACCESS_KEY"));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let e = with(&[
        ("SLACK_SIGNING_SECRET", "sign-me"),
        ("LOOKERBOT_AUTH_TOKEN", "auth-me"),
        ("LOOKER_WEBHOOK_TOKEN", "hook-me"),
    ]);
    let config = Config::from_env(&e, Needs::SERVER).unwrap();
    let debug = format!("{config:?}");
    for secret in ["shhh-looker", "xoxb-1", "sign-me", "auth-me", "hook-me"] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
}

#[test]
fn dotenv_fills_in_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(
        &path,
        "PORT=4000\nLOOKER_URL=https://from-dotenv.looker.com\n# comment\n",
    )
    .unwrap();
    let e = Environment::load_with_dotenv(&path, [("PORT".to_string(), "5000".to_string())]).unwrap();
    assert_eq!(e.get("PORT"), Some("5000"));
    assert_eq!(e.get("LOOKER_URL"), Some("https://from-dotenv.looker.com"));
    std::fs::write(&path, "NOT A VALID LINE\n").unwrap();
    assert!(
        Environment::load_with_dotenv(&path, [])
            .unwrap_err()
            .contains("not a valid .env file")
    );
}

#[test]
fn every_variable_read_is_documented() {
    let source = [include_str!("../src/settings.rs"), include_str!("../src/lookers.rs")].join("\n");
    let mut undocumented = Vec::new();
    for word in source.split(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())) {
        let looks_like_var = word.len() > 4
            && word.contains('_')
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
        if looks_like_var
            && !config::variables::is_known(word)
            && ![
                "SINGLE_INSTANCE_VARIABLES",
                "API_URL_VARS",
                "CLIENT_ID_VARS",
                "CLIENT_SECRET_VARS",
                "FOLDER_VARS",
                "DEFAULT_SLACK_API_URL",
                "DEFAULT_DELIVERY_LEASE",
                "DEFAULT_QUEUE_CAPACITY",
                "MAX_QUEUE_CAPACITY",
                "BOT_TOKEN_VARS",
                "LOOKERS_KEYS",
                "LOOKER_ONLY",
                "SERVER",
                "NOTHING",
            ]
            .contains(&word)
        {
            undocumented.push(word.to_string());
        }
    }
    assert!(
        undocumented.is_empty(),
        "read but not in variables.rs: {undocumented:?}"
    );
    assert!(config::variables::help_text().contains("LOOKERS"));
}

#[test]
fn the_delivery_lease_is_thirty_seconds_unless_set() {
    let config = Config::from_env(&with(&[]), Needs::SERVER).unwrap();
    assert_eq!(config.delivery_lease, config::DEFAULT_DELIVERY_LEASE);
    assert_eq!(config.delivery_lease.as_secs(), 30);
    let config = Config::from_env(&with(&[("LOOKERBOT_DELIVERY_LEASE_SECS", "2")]), Needs::SERVER).unwrap();
    assert_eq!(config.delivery_lease.as_secs(), 2);
    for bad in ["0", "-1", "soon", "100000"] {
        let err = problems(&with(&[("LOOKERBOT_DELIVERY_LEASE_SECS", bad)]));
        assert!(
            message_for(&err, "LOOKERBOT_DELIVERY_LEASE_SECS").contains("from 1 to 3600"),
            "{bad}"
        );
    }
}

#[test]
fn the_queue_capacity_is_bounded() {
    let config = Config::from_env(&with(&[]), Needs::SERVER).unwrap();
    assert_eq!(config.queue_capacity, config::DEFAULT_QUEUE_CAPACITY);
    let config = Config::from_env(&with(&[("LOOKERBOT_QUEUE_CAPACITY", "2")]), Needs::SERVER).unwrap();
    assert_eq!(config.queue_capacity, 2);
    for bad in ["0", "many", "99999999"] {
        let err = problems(&with(&[("LOOKERBOT_QUEUE_CAPACITY", bad)]));
        assert!(
            message_for(&err, "LOOKERBOT_QUEUE_CAPACITY").contains("from 1 to 1000000"),
            "{bad}"
        );
    }
}

#[test]
fn operations_variables_are_read_and_checked() {
    let config = Config::from_env(
        &with(&[
            ("LOG_FORMAT", "JSON"),
            ("LOOKERSDK_TIMEOUT", "45"),
            ("LOOKERBOT_STATUS_TOKEN", "status-secret"),
        ]),
        Needs::SERVER,
    )
    .unwrap();
    assert_eq!(config.log_format, config::LogFormat::Json);
    assert_eq!(config.looker_timeout, Some(std::time::Duration::from_secs(45)));
    assert_eq!(config.status_token.as_ref().map(|t| t.expose()), Some("status-secret"));
    let defaults = Config::from_env(&with(&[]), Needs::SERVER).unwrap();
    assert_eq!(defaults.log_format, config::LogFormat::Text);
    assert_eq!(defaults.looker_timeout, None);
    assert!(defaults.status_token.is_none());

    let err = problems(&with(&[("LOG_FORMAT", "xml"), ("LOOKERSDK_TIMEOUT", "soon")]));
    assert_eq!(message_for(&err, "LOG_FORMAT"), "must be text or json, not \"xml\"");
    assert!(message_for(&err, "LOOKERSDK_TIMEOUT").contains("number of seconds"));
}

#[test]
fn slack_bot_token_is_an_alias_of_slack_api_key() {
    let mut e = with(&[("SLACK_BOT_TOKEN", "xoxb-bolt")]);
    e.set("SLACK_API_KEY", "");
    let config = Config::from_env(&e, Needs::SERVER).unwrap();
    assert_eq!(config.slack.bot_token.as_ref().map(|t| t.expose()), Some("xoxb-bolt"));
    let both = Config::from_env(&with(&[("SLACK_BOT_TOKEN", "xoxb-bolt")]), Needs::SERVER).unwrap();
    assert_eq!(both.slack.bot_token.as_ref().map(|t| t.expose()), Some("xoxb-1"));
}

#[test]
fn misspelt_lookers_keys_are_refused_by_name() {
    let json = r#"[{"url": "https://me.looker.com", "apiBaseUrl": "https://me.looker.com:19999", "clientId": "a", "clientSecret": "b", "customCommandFolderID": "7"}]"#;
    let err = problems(&env(&[("LOOKERS", json), ("SLACK_API_KEY", "xoxb")]));
    let message = message_for(&err, "LOOKERS");
    assert!(
        message.starts_with(
            "entry 1 has the unknown key \"customCommandFolderID\" (did you mean \"customCommandFolderId\"?)"
        ),
        "{message}"
    );
    assert!(err.problems.iter().all(|p| p.variable == "LOOKERS"), "{err}");
}

#[test]
fn a_database_url_selects_the_shared_queue_and_stays_secret() {
    let none = Config::from_env(&with(&[]), Needs::SERVER).unwrap();
    assert!(none.database_url.is_none(), "without it the queue stays in SQLite");

    let url = "postgres://bot:pa55word@db.internal:5432/lookerbot";
    let config = Config::from_env(&with(&[("LOOKERBOT_DATABASE_URL", url)]), Needs::SERVER).unwrap();
    assert_eq!(config.database_url.as_ref().map(|u| u.expose()), Some(url));
    assert!(
        !format!("{config:?}").contains("pa55word"),
        "the password never reaches logs"
    );

    let err = problems(&with(&[(
        "LOOKERBOT_DATABASE_URL",
        "mysql://bot:pa55word@db/lookerbot",
    )]));
    let message = message_for(&err, "LOOKERBOT_DATABASE_URL");
    assert!(message.contains("must be a PostgreSQL URL"), "{message}");
    assert!(
        !err.to_string().contains("pa55word"),
        "the refused value is not repeated: {err}"
    );
}

#[test]
fn identity_is_service_by_default_user_on_request_and_per_looker_in_lookers() {
    let config = Config::from_env(&with(&[]), Needs::SERVER).unwrap();
    assert_eq!(config.lookers[0].identity, config::Identity::Service);
    assert!(
        config.identity_fallback_channels.is_empty(),
        "refuse everywhere by default"
    );
    let config = Config::from_env(
        &with(&[
            ("LOOKERBOT_IDENTITY", "User"),
            ("LOOKERBOT_IDENTITY_FALLBACK_CHANNELS", "C0GENERAL, C0SALES,"),
        ]),
        Needs::SERVER,
    )
    .unwrap();
    assert_eq!(config.lookers[0].identity, config::Identity::User);
    assert_eq!(config.identity_fallback_channels, ["C0GENERAL", "C0SALES"]);
    let lookers = r#"[{"url": "https://a.looker.com", "apiBaseUrl": "https://a.looker.com/api/4.0",
        "clientId": "a", "clientSecret": "s"},
        {"url": "https://b.looker.com", "apiBaseUrl": "https://b.looker.com/api/4.0",
        "clientId": "b", "clientSecret": "s", "identity": "service"}]"#;
    let config = Config::from_env(
        &env(&[
            ("LOOKERS", lookers),
            ("LOOKERBOT_IDENTITY", "user"),
            ("SLACK_API_KEY", "xoxb-1"),
        ]),
        Needs::SERVER,
    )
    .unwrap();
    let identities: Vec<_> = config.lookers.iter().map(|l| l.identity).collect();
    assert_eq!(identities, [config::Identity::User, config::Identity::Service]);
}

#[test]
fn an_unknown_identity_is_refused_with_the_choices() {
    let err = problems(&with(&[("LOOKERBOT_IDENTITY", "everyone")]));
    let message = message_for(&err, "LOOKERBOT_IDENTITY");
    assert!(message.contains("service") && message.contains("user"), "{message}");
    let lookers = r#"[{"url": "https://a.looker.com", "apiBaseUrl": "https://a.looker.com/api/4.0",
        "clientId": "a", "clientSecret": "s", "identity": "admin"}]"#;
    let err = problems(&env(&[("LOOKERS", lookers), ("SLACK_API_KEY", "xoxb-1")]));
    assert!(message_for(&err, "LOOKERS").contains("\"identity\""), "{err}");
}
