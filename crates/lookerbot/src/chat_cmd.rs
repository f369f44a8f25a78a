//! `lookerbot console`: the bot in a terminal chat against the configured Lookers, without Slack. The demo
//! (`demo_cmd`) uses the same chat against the built-in sandbox.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bot::Bot;
use config::Needs;
use console::{ChatOptions, TerminalSink, run_chat};

use crate::serve::load_config;
use crate::stack;

/// `lookerbot console`: the same chat against the configured Lookers, without Slack.
pub async fn console(images: PathBuf) -> anyhow::Result<ExitCode> {
    let config = match load_config(Needs::LOOKER_ONLY) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let bot = Bot::new(stack::lookers(&config)?, stack::bot_settings(&config, false));
    let sink = Arc::new(TerminalSink::stdout(&images));
    let catalog = bot.refresh_commands().await;
    sink.say(&format!(
        "Connected to {} Looker instance(s); {} custom command(s) loaded. Type `help`, or `quit` to leave.",
        config.lookers.len(),
        catalog.commands.len()
    ))?;
    for problem in &catalog.problems {
        sink.say(&format!(
            "{} {problem}",
            console::tone_symbol(bot::reply::Tone::Warning)
        ))?;
    }
    chat_on_stdin(bot, sink).await?;
    Ok(ExitCode::SUCCESS)
}

/// The chat, line by line from standard input (a terminal, or a script).
pub(crate) async fn chat_on_stdin(bot: Bot, sink: Arc<TerminalSink>) -> std::io::Result<()> {
    run_chat(
        bot,
        tokio::io::BufReader::new(tokio::io::stdin()),
        sink,
        ChatOptions::for_stdin(),
    )
    .await
}
