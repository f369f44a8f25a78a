//! What people can type. Each command is one file here and one line in [`all`].

use std::any::Any;

use async_trait::async_trait;

use crate::commands::turn::Turn;
use crate::reply::Reply;

pub mod catalog;
mod custom;
mod find;
mod help;
pub mod links;
mod picture;
pub mod replier;
pub mod request;
pub mod turn;

/// How a built-in command is used, for `help`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub syntax: &'static str,
    pub description: &'static str,
}

/// A thing the bot does when a message asks for it. The message is parsed once, into the command's own typed
/// request, which is then run.
#[async_trait]
pub trait Command: Send + Sync {
    /// What the command understood from a message.
    type Request: Send + Sync + 'static;

    /// A short fixed name, the `command` label of the `lookerbot_replies_total` metric.
    fn name(&self) -> &'static str;

    /// Its line in `help`, if it has one.
    fn usage(&self) -> Option<Usage>;

    /// Whether it also acts on messages not addressed to the bot (channel messages, unfurls). Only link
    /// expansion does.
    fn reads_along(&self) -> bool {
        false
    }

    /// The request, when the (cleaned) message text is for this command.
    fn parse(&self, turn: &Turn<'_>, text: &str) -> Option<Self::Request>;

    /// Answers the request through `turn`.
    async fn run(&self, turn: &Turn<'_>, request: Self::Request);
}

/// A message parsed by one of the commands, ready to run.
pub struct Parsed<'c> {
    command: &'c dyn AnyCommand,
    request: Box<dyn Any + Send + Sync>,
}

impl Parsed<'_> {
    pub fn name(&self) -> &'static str {
        self.command.name()
    }

    pub async fn run(self, turn: &Turn<'_>) {
        self.command.run_parsed(turn, self.request).await
    }
}

/// A [`Command`] whatever its request type, so that all of them can sit in one list.
#[async_trait]
pub trait AnyCommand: Send + Sync {
    fn name(&self) -> &'static str;
    fn usage(&self) -> Option<Usage>;
    fn reads_along(&self) -> bool;
    /// The message parsed by this command, if it is for it.
    fn parse_message<'c>(&'c self, turn: &Turn<'_>, text: &str) -> Option<Parsed<'c>>;
    async fn run_parsed(&self, turn: &Turn<'_>, request: Box<dyn Any + Send + Sync>);
}

#[async_trait]
impl<C: Command> AnyCommand for C {
    fn name(&self) -> &'static str {
        Command::name(self)
    }

    fn usage(&self) -> Option<Usage> {
        Command::usage(self)
    }

    fn reads_along(&self) -> bool {
        Command::reads_along(self)
    }

    fn parse_message<'c>(&'c self, turn: &Turn<'_>, text: &str) -> Option<Parsed<'c>> {
        let request = self.parse(turn, text)?;
        Some(Parsed {
            command: self,
            request: Box::new(request),
        })
    }

    async fn run_parsed(&self, turn: &Turn<'_>, request: Box<dyn Any + Send + Sync>) {
        // A request only ever comes back to the command that parsed it.
        if let Ok(request) = request.downcast::<C::Request>() {
            self.run(turn, *request).await
        }
    }
}

/// Every command, in the order they are tried: the first that parses a message runs it.
pub fn all() -> Vec<Box<dyn AnyCommand>> {
    vec![
        Box::new(help::Help),
        Box::new(find::Find),
        Box::new(picture::Picture),
        Box::new(custom::Custom),
        Box::new(links::Links),
    ]
}

/// The answer to a command name that is not one.
pub(crate) fn no_such_command(name: &str) -> Reply {
    Reply::text(format!("There is no custom command \"{name}\". `help` lists them."))
}

/// The first word of `text`, lowercased, and the rest.
pub(crate) fn split_first_word(text: &str) -> (String, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_lowercase(), rest.trim()),
        None => (text.to_lowercase(), ""),
    }
}
