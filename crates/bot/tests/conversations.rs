//! The core at its port: conversations written as data in `tests/conversations/*.chat`, each message sent to a
//! [`Bot`] against the Looker sandbox, each reply caught by a recording [`ChatSink`] and compared as plain text.
//!
//! A `.chat` file holds cases, each opened by `== title`, then one message (`dm> text`, `mention> text`,
//! `slash> text` or `channel> text`), then the replies the conversation ends with, in order: `bot:` (everyone sees
//! it) or `bot, only you:` (the asker alone), each followed by its lines, every one prefixed `| `. Tone marks show as
//! `[progress]`, `[success]`, `[warning]`, `[failure]`; images as their title; buttons as `[label]`. A message the
//! bot replaced (the loading message) shows as its last version. `{looker}` stands for the sandbox's address. With `LOOKERBOT_BLESS=1` the files are rewritten
//! with what the bot answered; review the diff before committing it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bot::Bot;
use bot::event::{ChatEvent, Conversation, Message, Origin, Sender};
use bot::failure::Failure;
use bot::lookers::Lookers;
use bot::reply::{Reply, Tone, Visibility};
use bot::settings::BotSettings;
use bot::sink::{ChatSink, Destination, PostedMessage};
use looker::{ClientOptions, LookerClient};
use looker_sandbox::{Sandbox, SandboxConfig};

/// A sink that keeps every message as its last version, in the order they were first posted.
#[derive(Default)]
struct RecordingSink {
    messages: Mutex<Vec<(Visibility, Reply)>>,
}

#[async_trait]
impl ChatSink for RecordingSink {
    async fn post(&self, _to: &Destination, reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        let mut messages = self.messages.lock().unwrap();
        messages.push((reply.visibility, reply.clone()));
        Ok((reply.visibility == Visibility::Public).then(|| PostedMessage {
            channel_id: "C-any".into(),
            message: (messages.len() - 1).to_string(),
            thread: None,
        }))
    }

    async fn replace(&self, posted: &PostedMessage, reply: &Reply) -> Result<(), Failure> {
        let index: usize = posted.message.parse().expect("a message this sink posted");
        self.messages.lock().unwrap()[index] = (Visibility::Public, reply.clone());
        Ok(())
    }
}

fn tone_mark(tone: Tone) -> &'static str {
    match tone {
        Tone::Progress => "[progress]",
        Tone::Success => "[success]",
        Tone::Warning => "[warning]",
        Tone::Failure => "[failure]",
    }
}

/// One conversation: a message and the replies it ends with.
struct Case {
    title: String,
    origin: Origin,
    text: String,
    expected: String,
}

const ORIGINS: [(&str, Origin); 4] = [
    ("dm", Origin::DirectMessage),
    ("mention", Origin::Mention),
    ("slash", Origin::SlashCommand),
    ("channel", Origin::ChannelMessage),
];

fn parse(file: &str) -> (String, Vec<Case>) {
    let mut preamble = String::new();
    let mut cases: Vec<Case> = Vec::new();
    for line in file.lines() {
        if let Some(title) = line.strip_prefix("== ") {
            cases.push(Case {
                title: title.to_string(),
                origin: Origin::DirectMessage,
                text: String::new(),
                expected: String::new(),
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            preamble.push_str(line);
            preamble.push('\n');
            continue;
        };
        let asked = ORIGINS
            .iter()
            .find_map(|(name, origin)| Some((*origin, line.strip_prefix(name)?.strip_prefix("> ")?)));
        match asked {
            Some((origin, text)) if case.text.is_empty() => {
                case.origin = origin;
                case.text = text.to_string();
            }
            _ if line.trim().is_empty() && case.expected.is_empty() => {}
            _ => {
                case.expected.push_str(line);
                case.expected.push('\n');
            }
        }
    }
    for case in &cases {
        assert!(!case.text.is_empty(), "case {:?} sends no message", case.title);
    }
    (preamble, cases)
}

/// The replies as the `.chat` format writes them.
fn transcript(messages: &[(Visibility, Reply)]) -> String {
    let mut out = String::new();
    for (visibility, reply) in messages {
        out.push_str(match visibility {
            Visibility::Public => "bot:\n",
            Visibility::OnlyAsker => "bot, only you:\n",
        });
        for line in reply.plain_text_with(tone_mark).lines() {
            out.push_str(format!("| {line}").trim_end());
            out.push('\n');
        }
    }
    out
}

fn write_back(preamble: &str, cases: &[Case], answers: &[String]) -> String {
    let mut out = preamble.to_string();
    for (case, answer) in cases.iter().zip(answers) {
        let origin = ORIGINS.iter().find(|(_, o)| *o == case.origin).unwrap().0;
        out.push_str(&format!("== {}\n{origin}> {}\n{answer}\n", case.title, case.text));
    }
    out.trim_end().to_string() + "\n"
}

/// The sandbox on a fixed day (its data is relative to today), and a bot against it.
async fn bot_and_sandbox() -> (Bot, Sandbox) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = Sandbox::start_on(SandboxConfig::default(), sandbox_today())
        .await
        .expect("sandbox");
    let instance = sandbox.looker_instance();
    let client = LookerClient::new(&instance, ClientOptions::default()).unwrap();
    let bot = Bot::new(Lookers::new(vec![client]), BotSettings::default());
    bot.refresh_commands().await;
    (bot, sandbox)
}

/// A fixed "today", so that the sandbox's date-relative data reads the same every run.
fn sandbox_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("a date")
}

/// Sends the case's message (with `{looker}` standing for the sandbox's web address) and returns the transcript of
/// the replies (with the address written back as `{looker}`, since the sandbox's port changes every run).
async fn answer(bot: &Bot, looker: &str, case: &Case) -> String {
    let sink = Arc::new(RecordingSink::default());
    let channel_id = if case.origin == Origin::DirectMessage {
        "D1"
    } else {
        "C1"
    };
    let message = Message {
        text: case.text.replace("{looker}", looker),
        sender: Sender {
            user_id: "U1".into(),
            team_id: Some("T1".into()),
            email: None,
        },
        conversation: Conversation {
            channel_id: channel_id.into(),
            thread: None,
        },
        origin: case.origin,
    };
    bot.handle(ChatEvent::Message(message), sink.clone()).await;
    let messages = sink.messages.lock().unwrap().clone();
    transcript(&messages).replace(looker, "{looker}")
}

fn chat_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conversations")
        .join(format!("{name}.chat"))
}

/// Plays every case of one `.chat` file; fails naming each case whose replies differ.
async fn play(name: &str) {
    let path = chat_file(name);
    let file = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (preamble, cases) = parse(&file);
    let (bot, sandbox) = bot_and_sandbox().await;
    let mut answers = Vec::new();
    for case in &cases {
        answers.push(answer(&bot, &sandbox.web_url(), case).await);
    }
    let violations = sandbox.violations();
    sandbox.shutdown().await;
    assert!(violations.is_empty(), "the sandbox broke its spec: {violations:?}");
    if std::env::var_os("LOOKERBOT_BLESS").is_some() {
        std::fs::write(&path, write_back(&preamble, &cases, &answers)).expect("write back");
        return;
    }
    let wrong: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter(|(case, answer)| case.expected.trim_end() != answer.trim_end())
        .map(|(case, answer)| {
            format!(
                "== {}\n--- expected\n{}--- answered\n{answer}",
                case.title, case.expected
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} conversations in {name}.chat went differently (LOOKERBOT_BLESS=1 rewrites the file):\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn help() {
    play("help").await;
}

#[tokio::test]
async fn find() {
    play("find").await;
}

#[tokio::test]
async fn custom_commands() {
    play("custom_commands").await;
}

#[tokio::test]
async fn links() {
    play("links").await;
}

#[tokio::test]
async fn not_understood() {
    play("not_understood").await;
}

/// The format itself: a case's message and expected replies are read back as written.
#[test]
fn the_chat_format_reads_what_it_writes() {
    let file = "# about\n== one\nslash> sales Texas\nbot, only you:\n| a\n|\n| b\n";
    let (preamble, cases) = parse(file);
    assert_eq!(preamble, "# about\n");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].origin, Origin::SlashCommand);
    assert_eq!(cases[0].text, "sales Texas");
    assert_eq!(cases[0].expected, "bot, only you:\n| a\n|\n| b\n");
    let answers = vec![cases[0].expected.clone()];
    assert_eq!(write_back(&preamble, &cases, &answers), file);
}

/// A sink whose posts wait until the test lets them through, counting how many wait at once.
struct HeldSink {
    posting: std::sync::atomic::AtomicUsize,
    most_at_once: std::sync::atomic::AtomicUsize,
    let_through: tokio::sync::Semaphore,
}

#[async_trait]
impl ChatSink for HeldSink {
    async fn post(&self, _to: &Destination, _reply: &Reply) -> Result<Option<PostedMessage>, Failure> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.posting.fetch_add(1, SeqCst) + 1;
        self.most_at_once.fetch_max(now, SeqCst);
        self.let_through.acquire().await.expect("never closed").forget();
        self.posting.fetch_sub(1, SeqCst);
        Ok(None)
    }

    async fn replace(&self, _posted: &PostedMessage, _reply: &Reply) -> Result<(), Failure> {
        Ok(())
    }
}

/// A burst of events is worked on [`bot::EVENTS_AT_ONCE`] at a time: the others wait, and all are answered once
/// the first ones finish.
#[tokio::test]
async fn a_burst_of_events_is_worked_on_a_bounded_number_at_a_time_and_all_are_answered() {
    use std::sync::atomic::Ordering::SeqCst;
    let (bot, sandbox) = bot_and_sandbox().await;
    let sink = Arc::new(HeldSink {
        posting: Default::default(),
        most_at_once: Default::default(),
        let_through: tokio::sync::Semaphore::new(0),
    });
    let total = bot::EVENTS_AT_ONCE + 20;
    let events: Vec<_> = (0..total)
        .map(|n| {
            let (bot, sink) = (bot.clone(), sink.clone());
            let message = Message {
                text: "help".into(),
                sender: Sender {
                    user_id: format!("U{n}"),
                    team_id: Some("T1".into()),
                    email: None,
                },
                conversation: Conversation {
                    channel_id: format!("D{n}"),
                    thread: None,
                },
                origin: Origin::DirectMessage,
            };
            tokio::spawn(async move { bot.handle(ChatEvent::Message(message), sink).await })
        })
        .collect();
    let full = async {
        while sink.posting.load(SeqCst) < bot::EVENTS_AT_ONCE {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), full)
        .await
        .expect("the first events reach their reply");
    // Give the waiting events every chance to start too.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        sink.posting.load(SeqCst),
        bot::EVENTS_AT_ONCE,
        "only the first events are worked on"
    );
    sink.let_through.add_permits(total * 4);
    for event in events {
        tokio::time::timeout(std::time::Duration::from_secs(20), event)
            .await
            .expect("every event is answered once the first ones finish")
            .expect("no panic");
    }
    assert_eq!(sink.most_at_once.load(SeqCst), bot::EVENTS_AT_ONCE);
    sandbox.shutdown().await;
}
