//! Names to ids: channels (`#name`) and people (`@name`) resolved through cached `conversations.list` and
//! `users.list`, for scheduled deliveries and data actions that name their target.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::SlackError;
use crate::web::{SlackChannel, SlackUser, SlackWeb};

/// Conversation types searched by name: the bot can post to private channels it was invited to.
const CHANNEL_TYPES: &str = "public_channel,private_channel";
/// After a miss, the list is reloaded at most this often (a new channel shows up without hammering Slack).
const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// A resolved channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRef {
    pub id: String,
    /// The name as found in Slack (for error messages), or the id when it was given as an id.
    pub name: String,
    pub is_member: Option<bool>,
}

/// Cached workspace lists.
pub struct Directory {
    web: SlackWeb,
    ttl: Duration,
    channels: Snapshot<SlackChannel>,
    users: Snapshot<SlackUser>,
}

impl Directory {
    pub fn new(web: SlackWeb, ttl: Duration) -> Self {
        Directory {
            web,
            ttl,
            channels: Snapshot::default(),
            users: Snapshot::default(),
        }
    }

    /// `#name`, `name` or a channel id -> the channel.
    pub async fn channel(&self, name_or_id: &str) -> Result<ChannelRef, SlackError> {
        let wanted = name_or_id.trim();
        if looks_like_id(wanted, &['C', 'G', 'D']) {
            return Ok(unlisted(wanted));
        }
        self.listed(wanted).await?.ok_or_else(|| not_found(wanted))
    }

    /// Like [`Directory::channel`], but a channel the bot is not a member of is an error saying how to fix it:
    /// scheduled content is only posted where the bot was invited. Ids are looked up too, to know that.
    pub async fn postable_channel(&self, name_or_id: &str) -> Result<ChannelRef, SlackError> {
        let wanted = name_or_id.trim();
        let channel = match looks_like_id(wanted, &['D']) {
            // Direct messages are not listed; the post itself will tell.
            true => None,
            false => self.listed(wanted).await?,
        };
        let channel = match channel {
            Some(channel) => channel,
            None if looks_like_id(wanted, &['C', 'G', 'D']) => unlisted(wanted),
            None => return Err(not_found(wanted)),
        };
        if channel.is_member == Some(false) {
            let name = &channel.name;
            return Err(SlackError::NotFound(format!(
                "the bot is not a member of #{name}; invite it with /invite @bot in #{name}"
            )));
        }
        Ok(channel)
    }

    /// The channel with this id or name in the bot's channel list.
    async fn listed(&self, wanted: &str) -> Result<Option<ChannelRef>, SlackError> {
        let name = wanted.trim_start_matches('#').to_lowercase();
        let find = |channels: &Indexed<SlackChannel>| channels.get(&name).cloned();
        let web = &self.web;
        let load = || async {
            let channels = web.conversations_list(CHANNEL_TYPES).await?;
            Ok(Indexed::new(channels, |c| {
                [Some(c.id.as_str()), c.name.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(str::to_lowercase)
                    .collect()
            }))
        };
        Ok(self
            .channels
            .find(self.ttl, load, find)
            .await?
            .map(|channel| ChannelRef {
                id: channel.id,
                name: channel.name.unwrap_or(name),
                is_member: Some(channel.is_member),
            }))
    }

    /// A user name, display name, real name or user id -> the user id.
    pub async fn person(&self, name_or_id: &str) -> Result<String, SlackError> {
        let wanted = name_or_id.trim().trim_start_matches('@');
        if looks_like_id(wanted, &['U', 'W']) {
            return Ok(wanted.to_string());
        }
        let wanted_key = wanted.to_lowercase();
        let find = |users: &Indexed<SlackUser>| users.get(&wanted_key).map(|u| u.id.clone());
        let web = &self.web;
        let load = || async { Ok(Indexed::new(web.users_list().await?, user_keys)) };
        self.users.find(self.ttl, load, find).await?.ok_or_else(|| {
            SlackError::NotFound(format!(
                "no Slack user named @{wanted}; check the user name (or use the user id)"
            ))
        })
    }
}

/// Every name a person goes by, for finding them by any: id, user name, display name, real name (deleted users
/// have none).
fn user_keys(user: &SlackUser) -> Vec<String> {
    if user.deleted {
        return Vec::new();
    }
    [
        user.id.as_str(),
        user.name.as_str(),
        user.profile.display_name.as_str(),
        user.profile.real_name.as_str(),
        user.real_name.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .filter(|name| !name.is_empty())
    .map(str::to_lowercase)
    .collect()
}

/// A list with a lower-case lookup key index: workspaces have tens of thousands of channels and people, and every
/// delivery looks one up.
struct Indexed<T> {
    items: Vec<T>,
    /// Key -> position of the first item with that key (the first one wins, as in the list's order).
    by_key: HashMap<String, usize>,
}

impl<T> Indexed<T> {
    fn new(items: Vec<T>, keys: impl Fn(&T) -> Vec<String>) -> Indexed<T> {
        let mut by_key = HashMap::with_capacity(items.len() * 2);
        for (position, item) in items.iter().enumerate() {
            for key in keys(item) {
                by_key.entry(key).or_insert(position);
            }
        }
        Indexed { items, by_key }
    }

    /// The item with this (lower-case) key.
    fn get(&self, key: &str) -> Option<&T> {
        self.by_key.get(key).map(|&position| &self.items[position])
    }
}

/// A channel known only by its id (membership unknown).
fn unlisted(id: &str) -> ChannelRef {
    ChannelRef {
        id: id.to_string(),
        name: id.to_string(),
        is_member: None,
    }
}

fn not_found(wanted: &str) -> SlackError {
    let name = wanted.trim_start_matches('#').to_lowercase();
    SlackError::NotFound(format!(
        "no channel named #{name} that the bot can see; check the name, and for a private channel invite the bot with /invite @bot"
    ))
}

/// Slack ids are upper-case letters and digits starting with a type letter (`C0GENERAL`, `U0ALICE`); channel
/// names are always lower case.
fn looks_like_id(text: &str, prefixes: &[char]) -> bool {
    text.len() >= 7 && text.starts_with(prefixes) && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A list loaded at a time, reloaded when older than the TTL or, after a miss, when not reloaded very recently.
struct Snapshot<T> {
    state: Mutex<Option<(Instant, Arc<Indexed<T>>)>>,
    loading: tokio::sync::Mutex<()>,
}

impl<T> Default for Snapshot<T> {
    fn default() -> Self {
        Snapshot {
            state: Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Snapshot<T> {
    async fn find<R, L, F>(&self, ttl: Duration, load: impl Fn() -> L, find: F) -> Result<Option<R>, SlackError>
    where
        L: Future<Output = Result<Indexed<T>, SlackError>>,
        F: Fn(&Indexed<T>) -> Option<R>,
    {
        let seen = self.current();
        if let Some((loaded_at, list)) = &seen
            && loaded_at.elapsed() < ttl
        {
            if let Some(found) = find(list) {
                return Ok(Some(found));
            }
            if loaded_at.elapsed() < MIN_RELOAD_INTERVAL {
                return Ok(None);
            }
        }
        let _one_loader = self.loading.lock().await;
        // Lookups that waited here while another loaded the list use that load (a failed load left the list as it
        // was, so they load it again): each loading it again, every delivery of a burst that arrived during a load
        // listed the whole workspace, in turn.
        if let Some((loaded_at, list)) = self.current()
            && seen.as_ref().is_none_or(|(seen_at, _)| *seen_at != loaded_at)
        {
            return Ok(find(&list));
        }
        let list = Arc::new(load().await?);
        *self.state.lock().expect("snapshot lock") = Some((Instant::now(), list.clone()));
        Ok(find(&list))
    }

    fn current(&self) -> Option<(Instant, Arc<Indexed<T>>)> {
        self.state.lock().expect("snapshot lock").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_recognised_by_shape() {
        assert!(looks_like_id("C0GENERAL", &['C', 'G']));
        assert!(looks_like_id("G0PRIVATE", &['C', 'G']));
        assert!(!looks_like_id("general", &['C', 'G']));
        assert!(!looks_like_id("Cats-and-dogs", &['C', 'G']));
        assert!(!looks_like_id("CAT", &['C']));
        assert!(looks_like_id("U0ALICE", &['U']));
    }
}
