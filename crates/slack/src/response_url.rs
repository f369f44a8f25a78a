//! A slash command's (or button's) `response_url` takes 5 posts within 30 minutes (Slack's "Handling user
//! interaction"). The first four answers use it; from the fifth on, answers go to the channel with
//! `chat.postMessage` when the bot may post there, and otherwise are held and folded into one last message when the
//! answer is complete ([`bot::sink::ChatSink::flush`]). So a dashboard with many tiles never loses its last ones.

use std::sync::{Arc, Mutex};

use bot::reply::{Block, Reply, Visibility};

use crate::error::SlackError;

/// Posts one `response_url` takes (Slack's limit).
pub const RESPONSE_URL_USES: u32 = 5;

/// Slack errors that mean the bot may not post into the channel itself.
const NOT_POSTABLE: &[&str] = &[
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "restricted_action",
    "user_not_in_channel",
];

/// Whether `error` says the bot cannot post into the channel (so the answer must go through the `response_url`).
pub fn is_not_postable(error: &SlackError) -> bool {
    error.code().is_some_and(|code| NOT_POSTABLE.contains(&code))
}

/// Where the next answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Through the `response_url` (a use is counted).
    ResponseUrl,
    /// Into the channel with the Web API; if the bot may not post there, [`Budget::hold`] it.
    Channel,
    /// Held for the last use.
    Hold,
}

/// The uses of one `response_url`, shared by the clones of a sink answering one command.
#[derive(Debug, Clone)]
pub struct Budget {
    pub url: String,
    /// The channel the command came from; answers to other conversations do not use the URL.
    pub channel_id: String,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    spent: u32,
    /// `Some(false)` once the channel refused a post from the bot.
    can_post: Option<bool>,
    held: Vec<Reply>,
    /// Who asked, for a folded message that only they may see.
    asker: Option<String>,
}

impl Budget {
    pub fn new(url: String, channel_id: String) -> Self {
        Budget {
            url,
            channel_id,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Where the next answer goes; one use is counted when it is the `response_url`. The last use is kept for
    /// the folded rest.
    pub fn route(&self) -> Route {
        let mut state = self.state();
        if state.spent + 1 < RESPONSE_URL_USES {
            state.spent += 1;
            return Route::ResponseUrl;
        }
        match state.can_post {
            Some(false) => Route::Hold,
            _ => Route::Channel,
        }
    }

    /// Records whether the bot could post into the channel.
    pub fn set_can_post(&self, can_post: bool) {
        self.state().can_post = Some(can_post);
    }

    /// Keeps `reply` for the folded last message; `asker` is who a private reply is for.
    pub fn hold(&self, reply: Reply, asker: Option<&str>) {
        let mut state = self.state();
        state.held.push(reply);
        if let Some(asker) = asker {
            state.asker = Some(asker.to_string());
        }
    }

    /// The held answers folded into one, with the asker when it is private, taking the last use; `None` when
    /// nothing is held.
    pub fn take_folded(&self) -> Option<(Reply, Option<String>)> {
        let mut state = self.state();
        let held = std::mem::take(&mut state.held);
        if held.is_empty() {
            return None;
        }
        state.spent += 1;
        let folded = fold(held);
        let asker = (folded.visibility == Visibility::OnlyAsker)
            .then(|| state.asker.clone())
            .flatten();
        Some((folded, asker))
    }
}

/// Several answers as one message, in order, each after a divider. Public when any of them is (the asker's own
/// private notes then show with the results they belong to).
pub fn fold(replies: Vec<Reply>) -> Reply {
    let visibility = if replies.iter().any(|r| r.visibility == Visibility::Public) {
        Visibility::Public
    } else {
        Visibility::OnlyAsker
    };
    let mut blocks = Vec::new();
    for reply in replies {
        if !blocks.is_empty() {
            blocks.push(Block::Divider);
        }
        blocks.extend(reply.blocks);
    }
    Reply {
        blocks,
        visibility,
        source_link: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_uses_then_the_channel_then_holding_once_refused() {
        let budget = Budget::new("https://hooks.slack.com/x".into(), "C1".into());
        let routes: Vec<Route> = (0..5).map(|_| budget.route()).collect();
        assert_eq!(
            routes,
            [
                Route::ResponseUrl,
                Route::ResponseUrl,
                Route::ResponseUrl,
                Route::ResponseUrl,
                Route::Channel
            ]
        );
        budget.set_can_post(false);
        assert_eq!(budget.route(), Route::Hold);
        assert_eq!(budget.take_folded(), None, "nothing held yet");
        budget.hold(Reply::text("tile 5"), None);
        budget.hold(Reply::text("tile 6").only_asker(), Some("U1"));
        let (folded, asker) = budget.take_folded().expect("the held tiles, folded");
        assert_eq!(asker, None, "a public message is for everyone");
        assert_eq!(folded.plain_text(), "tile 5\ntile 6");
        assert_eq!(folded.visibility, Visibility::Public);
        assert!(folded.blocks.contains(&Block::Divider));
        assert_eq!(budget.state().spent, RESPONSE_URL_USES);
    }

    #[test]
    fn private_answers_fold_into_a_private_message() {
        let folded = fold(vec![Reply::text("a").only_asker(), Reply::text("b").only_asker()]);
        assert_eq!(folded.visibility, Visibility::OnlyAsker);
    }
}
