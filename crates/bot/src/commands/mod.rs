//! What people can type. Each command is one file here and one line in [`all`].

use async_trait::async_trait;

use crate::reply::Reply;
use crate::turn::Turn;

mod custom;
mod find;
mod help;
pub mod links;
mod picture;

/// How a built-in command is used, for `help`.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub syntax: &'static str,
    pub description: &'static str,
}

/// A thing the bot does when a message asks for it.
#[async_trait]
pub trait Command: Send + Sync {
    /// Its line in `help`, if it has one.
    fn usage(&self) -> Option<Usage>;

    /// Whether it also acts on messages not addressed to the bot (channel messages, unfurls). Only link
    /// expansion does.
    fn reads_along(&self) -> bool {
        false
    }

    /// Whether the (cleaned) message text is for this command.
    fn accepts(&self, turn: &Turn<'_>, text: &str) -> bool;

    /// Answers the message through `turn`.
    async fn run(&self, turn: &Turn<'_>, text: &str);
}

/// Every command, in the order they are tried: the first that accepts a message runs it.
pub fn all() -> Vec<Box<dyn Command>> {
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
