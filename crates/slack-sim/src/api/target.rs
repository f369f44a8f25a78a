//! Where a message or file may go: channel lookup, DMs by user id, membership and archive checks.

use super::ApiError;
use crate::shared::Shared;
use crate::workspace::{Conversation, ConversationKind, Workspace};

/// Resolves a `channel` argument the way chat.postMessage does: a conversation id, a channel name (with or
/// without `#`), or a user id (the bot's DM with that user, opened on demand). Checks the bot may post there.
pub fn postable(shared: &Shared, ws: &mut Workspace, channel: &str) -> Result<Conversation, ApiError> {
    let conversation = match ws.user(channel) {
        Some(user) if !user.deleted => {
            let user_id = user.id.clone();
            let (id, _) = ws.open_im(&user_id);
            ws.conversation(&id).cloned()
        }
        _ => ws.find_visible(channel).cloned(),
    };
    let conversation = conversation.ok_or_else(|| {
        ApiError::new("channel_not_found").detail(format!("no conversation {channel} visible to the bot"))
    })?;
    if conversation.is_archived {
        return Err(ApiError::new("is_archived").detail(format!("{} is archived", conversation.id)));
    }
    let public_without_join =
        conversation.kind == ConversationKind::PublicChannel && shared.has_scope("chat:write.public");
    if !conversation.bot_is_member() && !public_without_join {
        return Err(ApiError::new("not_in_channel").detail(format!(
            "the bot is not a member of {}; invite it first",
            conversation.id
        )));
    }
    Ok(conversation)
}

/// A conversation the bot can see, by id only (as chat.update and conversations.info require).
pub fn visible_by_id(ws: &Workspace, id: &str) -> Result<Conversation, ApiError> {
    ws.conversation(id)
        .filter(|c| c.visible_to_bot())
        .cloned()
        .ok_or_else(|| {
            ApiError::new("channel_not_found").detail(format!("no conversation with id {id} visible to the bot"))
        })
}
