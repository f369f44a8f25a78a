//! The chat loop: each line typed is a direct message to the bot, answered before the next line is read.

use std::io::{self, IsTerminal};
use std::sync::Arc;

use bot::Bot;
use bot::event::{ChatEvent, Conversation, Message, Origin, Sender};
use bot::reply::Reply;
use bot::sink::{ChatSink, Destination};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::sink::TerminalSink;
use crate::{CONSOLE_CHANNEL, CONSOLE_USER};

/// What the console user is asked for a line.
pub const PROMPT: &str = "you> ";

/// Words that end the chat, like end of input does.
const QUIT_WORDS: &[&str] = &["quit", "exit"];

/// The console's stand-in for Slack's slash command.
const SLASH_COMMAND: &str = "/looker";

/// How the chat loop talks to the person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatOptions {
    /// Someone is typing: show the prompt (off for scripted input, so the transcript is only answers).
    pub interactive: bool,
    /// Print each line read as `you> line` when not interactive, so a scripted transcript shows the questions.
    pub echo: bool,
}

impl ChatOptions {
    /// Interactive when stdin is a terminal.
    pub fn for_stdin() -> Self {
        ChatOptions {
            interactive: io::stdin().is_terminal(),
            echo: false,
        }
    }
}

/// What one line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleLine {
    Quit,
    /// Nothing but blanks.
    Empty,
    Say(ChatEvent),
}

/// Reads one line: `quit`/`exit`, nothing, `/looker <text>` (the slash command), or a direct message.
pub fn parse_line(line: &str) -> ConsoleLine {
    let text = line.trim();
    if text.is_empty() {
        return ConsoleLine::Empty;
    }
    if QUIT_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return ConsoleLine::Quit;
    }
    let slash_text = text
        .strip_prefix(SLASH_COMMAND)
        .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace));
    let (text, origin) = match slash_text {
        Some(rest) => (rest.trim(), Origin::SlashCommand),
        None => (text, Origin::DirectMessage),
    };
    ConsoleLine::Say(ChatEvent::Message(Message {
        text: text.to_string(),
        sender: Sender {
            user_id: CONSOLE_USER.to_string(),
            team_id: None,
            email: None,
        },
        conversation: console_conversation(),
        origin,
    }))
}

fn console_conversation() -> Conversation {
    Conversation {
        channel_id: CONSOLE_CHANNEL.to_string(),
        thread: None,
    }
}

/// Chats until `quit`, `exit` or end of input. Each line is answered completely before the next is read, so
/// scripted input gives the same transcript every time. Fails only when the terminal cannot be read or written.
pub async fn run_chat(
    bot: Bot,
    mut input: impl AsyncBufRead + Unpin,
    sink: Arc<TerminalSink>,
    options: ChatOptions,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        if options.interactive {
            sink.show_prompt(PROMPT)?;
        }
        buffer.clear();
        let read = input.read_until(b'\n', &mut buffer).await?;
        sink.prompt_answered();
        if read == 0 {
            if options.interactive {
                // Leave the shell's prompt on a line of its own after Ctrl-D.
                sink.say("")?;
            }
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buffer);
        let event = match parse_line(&line) {
            ConsoleLine::Quit => return Ok(()),
            ConsoleLine::Empty => continue,
            ConsoleLine::Say(event) => event,
        };
        if options.echo && !options.interactive {
            sink.say(&format!("{PROMPT}{}", line.trim()))?;
        }
        answer(&bot, event, &sink).await;
    }
}

/// Lets the bot answer; a bug that makes it panic is reported in the chat instead of ending the session.
async fn answer(bot: &Bot, event: ChatEvent, sink: &Arc<TerminalSink>) {
    let bot = bot.clone();
    let chat_sink: Arc<dyn ChatSink> = sink.clone();
    let handled = tokio::spawn(async move { bot.handle(event, chat_sink).await }).await;
    if let Err(e) = handled {
        tracing::error!(error = %e, "the bot failed answering a console message");
        let to = Destination::Conversation {
            conversation: console_conversation(),
            asker: Some(CONSOLE_USER.to_string()),
        };
        let warning = Reply::warning("Something went wrong answering that; see the log.");
        let _ = sink.post(&to, &warning).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> Message {
        match parse_line(line) {
            ConsoleLine::Say(ChatEvent::Message(m)) => m,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn a_line_is_a_direct_message_from_the_console_user() {
        let m = message("  sales by week  \r\n");
        assert_eq!(m.text, "sales by week");
        assert_eq!(m.origin, Origin::DirectMessage);
        assert_eq!(m.sender.user_id, CONSOLE_USER);
        assert_eq!(m.conversation.channel_id, CONSOLE_CHANNEL);
    }

    #[test]
    fn slash_looker_is_the_slash_command() {
        let m = message("/looker  help\n");
        assert_eq!((m.text.as_str(), m.origin), ("help", Origin::SlashCommand));
        assert_eq!(message("/looker").origin, Origin::SlashCommand);
        let not_slash = message("/lookers");
        assert_eq!(
            (not_slash.text.as_str(), not_slash.origin),
            ("/lookers", Origin::DirectMessage)
        );
    }

    #[test]
    fn quit_exit_and_blank_lines() {
        assert_eq!(parse_line("quit\n"), ConsoleLine::Quit);
        assert_eq!(parse_line(" EXIT "), ConsoleLine::Quit);
        assert_eq!(parse_line(" \t\n"), ConsoleLine::Empty);
        assert!(matches!(parse_line("quit now"), ConsoleLine::Say(_)));
    }
}
