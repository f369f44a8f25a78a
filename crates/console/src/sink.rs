//! The terminal as a chat: replies printed as transcript lines, chart images saved to a folder.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bot::failure::Failure;
use bot::reply::{Block, ImageSource, Reply, Visibility};
use bot::sink::{ChatSink, Destination, PostedMessage};

use crate::images::ImageFolder;
use crate::render::{Style, render_with_images};
use crate::text::{self, Lines};
use crate::{BOT_NAME, CONSOLE_CHANNEL};

/// How many posted messages are remembered for [`ChatSink::replace`]; the bot only replaces recent ones.
const REMEMBERED_POSTS: usize = 1000;

/// Indentation of a multi-line message under its speaker line.
const INDENT: &str = "  ";

/// A [`ChatSink`] printing to a terminal (or any writer).
///
/// Messages in the console's own conversation print as `lookerbot: …`; messages the bot sends elsewhere (scheduled
/// deliveries, data actions) as `#channel: …` or `@person (DM): …`, so an admin trying commands sees everything the
/// bot would have said and where.
pub struct TerminalSink {
    style: Style,
    state: Mutex<State>,
}

struct State {
    out: Box<dyn Write + Send>,
    images: ImageFolder,
    saved: Vec<PathBuf>,
    last_ts: u64,
    posted: BTreeMap<u64, Posted>,
    /// The prompt, while it waits for a line.
    prompt: Option<&'static str>,
}

impl State {
    /// Writes and flushes; while a prompt is showing, the text goes on a line of its own and the prompt after it.
    fn emit(&mut self, text: &str) -> io::Result<()> {
        match self.prompt {
            Some(prompt) => write!(self.out, "\n{text}{prompt}")?,
            None => self.out.write_all(text.as_bytes())?,
        }
        self.out.flush()
    }
}

/// What the sink remembers of a posted message, to print its replacement under the same speaker.
struct Posted {
    speaker: String,
    loading: bool,
}

impl TerminalSink {
    /// A sink writing to `out`, saving PNG images under `image_dir` (created when the first image comes).
    pub fn new(out: Box<dyn Write + Send>, image_dir: impl Into<PathBuf>, style: Style) -> Self {
        TerminalSink {
            style,
            state: Mutex::new(State {
                out,
                images: ImageFolder::new(image_dir.into()),
                saved: Vec::new(),
                last_ts: 0,
                posted: BTreeMap::new(),
                prompt: None,
            }),
        }
    }

    /// A sink on stdout, styled for it ([`Style::for_stdout`]).
    pub fn stdout(image_dir: impl Into<PathBuf>) -> Self {
        TerminalSink::new(Box::new(io::stdout()), image_dir, Style::for_stdout())
    }

    pub fn style(&self) -> &Style {
        &self.style
    }

    /// The folder images are saved in.
    pub fn image_dir(&self) -> PathBuf {
        self.state().images.dir().to_path_buf()
    }

    /// Every image saved so far, oldest first.
    pub fn saved_images(&self) -> Vec<PathBuf> {
        self.state().saved.clone()
    }

    /// Prints a line of the console's own (a greeting, a notice), as given.
    pub fn say(&self, line: &str) -> io::Result<()> {
        let mut state = self.state();
        state.emit(&format!("{line}\n"))
    }

    /// Shows the prompt. Messages printed while it waits (deliveries to channels) go above a fresh prompt rather
    /// than after it on the same line.
    pub(crate) fn show_prompt(&self, prompt: &'static str) -> io::Result<()> {
        let mut state = self.state();
        state.prompt = None;
        state.emit(prompt)?;
        state.prompt = Some(prompt);
        Ok(())
    }

    /// The person ended their line: the prompt no longer needs keeping at the bottom.
    pub(crate) fn prompt_answered(&self) {
        self.state().prompt = None;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while printing leaves nothing half-updated that matters: keep printing.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves the reply's images and prints it under `speaker`.
    fn print(&self, state: &mut State, speaker: &str, reply: &Reply) -> Result<(), Failure> {
        let mut paths = Vec::new();
        for block in &reply.blocks {
            if let Block::Image {
                source: ImageSource::Png(png),
                title,
                ..
            } = block
            {
                let path = state.images.save(title, png).map_err(|e| {
                    Failure::permanent(format!(
                        "Could not save the image \"{}\" in {}: {e}",
                        text::clean(title, Lines::Single),
                        state.images.dir().display()
                    ))
                })?;
                paths.push(path);
            }
        }
        let body = render_with_images(reply, &self.style, &paths);
        state.saved.extend(paths);
        let message = message_text(&self.style.bold_if_color(&format!("{speaker}:")), &body);
        state
            .emit(&message)
            .map_err(|e| Failure::permanent(format!("Could not write to the terminal: {e}")))
    }

    fn remember(&self, state: &mut State, speaker: String, reply: &Reply) -> u64 {
        state.last_ts += 1;
        let ts = state.last_ts;
        state.posted.insert(
            ts,
            Posted {
                speaker,
                loading: is_loading(reply),
            },
        );
        while state.posted.len() > REMEMBERED_POSTS {
            state.posted.pop_first();
        }
        ts
    }
}

#[async_trait]
impl ChatSink for TerminalSink {
    /// Prints the reply; public replies can then be replaced (private ones, as in Slack, cannot).
    async fn post(&self, to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        let speaker = speaker(to);
        let mut state = self.state();
        self.print(&mut state, &speaker, reply)?;
        if reply.visibility == Visibility::OnlyAsker {
            return Ok(None);
        }
        let ts = self.remember(&mut state, speaker, reply);
        Ok(Some(PostedMessage {
            channel_id: channel_of(to),
            message: ts.to_string(),
            thread: None,
        }))
    }

    /// Prints the new content. A loading message's replacement prints like any answer (the transcript then reads
    /// "looking into that", then the result); other replacements are marked as updates.
    async fn replace(&self, posted: &PostedMessage, reply: &Reply) -> Result<(), Failure> {
        let mut state = self.state();
        let entry = posted
            .message
            .parse::<u64>()
            .ok()
            .and_then(|ts| state.posted.get_mut(&ts))
            .ok_or_else(|| {
                Failure::permanent(format!(
                    "There is no message {} in this console to replace.",
                    posted.message
                ))
            })?;
        let speaker = if entry.loading {
            entry.speaker.clone()
        } else {
            format!("{} (updated)", entry.speaker)
        };
        entry.loading = is_loading(reply);
        self.print(&mut state, &speaker, reply)
    }
}

/// Who the transcript shows speaking: the bot in the console's conversation, or where else the message went.
fn speaker(to: &Destination) -> String {
    let name = |raw: &str, mark: char| text::clean(raw.trim_start_matches(mark), Lines::Single);
    match to {
        Destination::Conversation { conversation, .. } if conversation.channel_id == CONSOLE_CHANNEL => {
            BOT_NAME.to_string()
        }
        Destination::Conversation { conversation, .. } => {
            format!("#{}", name(&conversation.channel_id, '#'))
        }
        Destination::Channel(channel) => format!("#{}", name(channel, '#')),
        Destination::Person(person) => format!("@{} (DM)", name(person, '@')),
    }
}

fn channel_of(to: &Destination) -> String {
    match to {
        Destination::Conversation { conversation, .. } => conversation.channel_id.clone(),
        Destination::Channel(name) | Destination::Person(name) => name.clone(),
    }
}

fn is_loading(reply: &Reply) -> bool {
    *reply == bot::replier::loading_reply()
}

/// `speaker: text` for one line; a longer message goes under its speaker line, indented, so tables stay aligned.
fn message_text(speaker: &str, body: &str) -> String {
    if !body.contains('\n') {
        return format!("{speaker} {body}\n");
    }
    let mut out = format!("{speaker}\n");
    for line in body.lines() {
        if !line.is_empty() {
            out.push_str(INDENT);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// An in-memory writer that can be read back while a sink writes to it (tests, scripted demos).
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn new() -> Self {
        SharedBuffer::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
