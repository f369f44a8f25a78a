//! The console against the Looker sandbox, as `lookerbot demo` runs it: real replies from the bot core, rendered.

use std::sync::Arc;

use console::chat::{ChatOptions, run_chat};
use console::{SharedBuffer, Style, TerminalSink};
use looker_sandbox::content::{COLUMN_LOOK_ID, CUSTOM_COMMAND_FOLDER_ID, TABLE_LOOK_ID};
use looker_sandbox::{Sandbox, SandboxConfig};

/// A bot on a fresh sandbox.
async fn sandbox_bot() -> (Sandbox, bot::Bot) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let instance = sandbox.looker_instance();
    let client = looker::LookerClient::new(&instance, looker::ClientOptions::default()).unwrap();
    let bot = bot::Bot::new(bot::lookers::Lookers::new(vec![client]), Default::default());
    (sandbox, bot)
}

#[tokio::test]
async fn a_scripted_demo_answers_with_tables_charts_and_help() {
    let (sandbox, bot) = sandbox_bot().await;
    let web = sandbox.web_url();
    let web = web.trim_end_matches('/');
    let script = format!("help\n{web}/looks/{TABLE_LOOK_ID}\n{web}/looks/{COLUMN_LOOK_ID}\n");
    let out = SharedBuffer::new();
    let images = tempfile::tempdir().unwrap();
    let sink = Arc::new(TerminalSink::new(
        Box::new(out.clone()),
        images.path(),
        Style::default(),
    ));
    let echo = ChatOptions {
        interactive: false,
        echo: true,
    };
    run_chat(bot, script.as_bytes(), sink.clone(), echo).await.unwrap();
    let transcript = out.contents();

    // Help links the custom command folder.
    let help = &transcript[..transcript.find(&format!("you> {web}/looks/{TABLE_LOOK_ID}")).unwrap()];
    assert!(help.contains("*Built-in commands*"), "{help}");
    assert!(
        help.contains(&format!("<{web}/folders/{CUSTOM_COMMAND_FOLDER_ID}>")),
        "{help}"
    );

    // The table Look is an aligned table under a loading line.
    assert!(
        transcript.contains("lookerbot: ⏳ Looking into that…\n"),
        "{transcript}"
    );
    let mut lines = transcript.lines().skip_while(|l| !l.trim_start().starts_with("---"));
    let separator = lines.next().expect("a table separator");
    assert!(separator.contains("  -"), "several columns: {separator}");
    // The last column holds counts: right-aligned, every row ends where the separator does.
    let rows: Vec<&str> = lines.take_while(|l| !l.contains("Open in Looker")).collect();
    assert!(!rows.is_empty(), "{transcript}");
    for row in rows {
        assert_eq!(
            row.chars().count(),
            separator.chars().count(),
            "{row:?} in {transcript}"
        );
        assert!(row.ends_with(|c: char| c.is_ascii_digit()), "{row:?}");
    }

    // The chart Look is a PNG on disk, its path in the transcript.
    let saved = sink.saved_images();
    assert_eq!(saved.len(), 1, "{transcript}");
    assert!(std::fs::read(&saved[0]).unwrap().starts_with(b"\x89PNG"));
    assert!(
        transcript.contains(&format!("saved to {}", saved[0].display())),
        "{transcript}"
    );
    assert!(
        !transcript.chars().any(|c| c.is_control() && c != '\n'),
        "{transcript:?}"
    );
    sandbox.shutdown().await;
}
