//! The chat loop against a bot with no Looker configured: built-in commands still answer.

use std::sync::Arc;

use console::chat::{ChatOptions, run_chat};
use console::{SharedBuffer, Style, TerminalSink};

fn bot() -> bot::Bot {
    bot::Bot::new(bot::lookers::Lookers::new(vec![]), Default::default())
}

/// Runs a chat over `script` and returns the transcript.
async fn transcript(script: &str, options: ChatOptions) -> String {
    let out = SharedBuffer::new();
    let images = tempfile::tempdir().unwrap();
    let sink = Arc::new(TerminalSink::new(
        Box::new(out.clone()),
        images.path(),
        Style::default(),
    ));
    run_chat(bot(), script.as_bytes(), sink, options).await.unwrap();
    out.contents()
}

#[tokio::test]
async fn help_lists_the_built_in_commands() {
    let out = transcript("help\n", ChatOptions::default()).await;
    assert!(out.starts_with("lookerbot:\n"), "{out}");
    assert!(out.contains("*Built-in commands*"), "{out}");
    assert!(
        out.contains("`help [command]` shows this list, or one custom command in full."),
        "{out}"
    );
    assert!(!out.contains("you>"), "no prompt when not interactive: {out}");
}

#[tokio::test]
async fn unknown_text_is_not_understood() {
    // In a DM the answer is already private: it is an ordinary reply, as the original gave it.
    let out = transcript("what is the weather\n", ChatOptions::default()).await;
    assert_eq!(out, format!("lookerbot: {}\n", bot::NOT_UNDERSTOOD));
    let out = transcript("/looker what is the weather\n", ChatOptions::default()).await;
    assert_eq!(
        out,
        format!("lookerbot: {} (only you can see this)\n", bot::NOT_UNDERSTOOD)
    );
}

#[tokio::test]
async fn the_slash_command_answers_help_privately() {
    let out = transcript("/looker help\n", ChatOptions::default()).await;
    assert!(out.contains("*Built-in commands*"), "{out}");
    assert!(out.trim_end().ends_with("(only you can see this)"), "{out}");
}

#[tokio::test]
async fn lines_are_answered_in_order_and_blank_lines_skipped() {
    let out = transcript("nonsense\n\n   \nhelp\n", ChatOptions::default()).await;
    let not_understood = out.find(bot::NOT_UNDERSTOOD).expect("first answer");
    let help = out.find("Built-in commands").expect("second answer");
    assert!(not_understood < help, "{out}");
    assert_eq!(out.matches("lookerbot:").count(), 2, "{out}");
}

#[tokio::test]
async fn quit_ends_the_chat_before_later_lines() {
    let out = transcript("quit\nhelp\n", ChatOptions::default()).await;
    assert_eq!(out, "");
    let out = transcript("help\nexit\nnonsense\n", ChatOptions::default()).await;
    assert!(!out.contains(bot::NOT_UNDERSTOOD), "{out}");
}

#[tokio::test]
async fn end_of_input_ends_the_chat_even_without_a_final_newline() {
    let out = transcript("nonsense", ChatOptions::default()).await;
    assert_eq!(out.matches(bot::NOT_UNDERSTOOD).count(), 1, "{out}");
    assert_eq!(transcript("", ChatOptions::default()).await, "");
}

#[tokio::test]
async fn an_interactive_chat_prompts_for_each_line() {
    let interactive = ChatOptions {
        interactive: true,
        echo: false,
    };
    let out = transcript("nonsense\n", interactive).await;
    assert!(out.starts_with("you> lookerbot: "), "{out}");
    assert!(
        out.ends_with("you> \n"),
        "a prompt then a newline at end of input: {out}"
    );
}

#[tokio::test]
async fn an_echoed_script_shows_the_questions() {
    let echo = ChatOptions {
        interactive: false,
        echo: true,
    };
    let out = transcript("nonsense\n", echo).await;
    assert!(out.starts_with("you> nonsense\nlookerbot: "), "{out}");
}
