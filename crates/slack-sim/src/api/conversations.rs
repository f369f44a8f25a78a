//! conversations.list, conversations.info and conversations.open.

use serde_json::{Value, json};

use super::{ApiError, ApiResult, cursor, fields, target};
use crate::args::Args;
use crate::shared::{Shared, lock};
use crate::workspace::{BOT_USER_ID, Conversation, render};

const KNOWN_TYPES: [&str; 4] = ["public_channel", "private_channel", "mpim", "im"];
/// Slack's limit for group DMs opened through conversations.open (not counting the caller).
const MAX_MPIM_USERS: usize = 8;

pub fn list(shared: &Shared, args: &Args) -> ApiResult {
    let types = args.str("types").unwrap_or_else(|| "public_channel".into());
    let types: Vec<&str> = types.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
    if let Some(unknown) = types.iter().find(|t| !KNOWN_TYPES.contains(t)) {
        return Err(
            ApiError::new("invalid_types").detail(format!("unknown type {unknown:?}; use {}", KNOWN_TYPES.join(",")))
        );
    }
    let exclude_archived = args.bool("exclude_archived").unwrap_or(false);
    let (offset, limit) = cursor::page_request(args)?;
    let ws = lock(&shared.workspace);
    let matching: Vec<&Conversation> = ws
        .conversations
        .iter()
        .filter(|c| c.visible_to_bot() && types.contains(&c.type_name()) && !(exclude_archived && c.is_archived))
        .collect();
    let (page, next_cursor) = cursor::page(&matching, offset, limit);
    let channels: Vec<Value> = page.iter().map(|c| render::conversation(c, &ws, false)).collect();
    Ok(fields(
        json!({ "channels": channels, "response_metadata": { "next_cursor": next_cursor } }),
    ))
}

pub fn info(shared: &Shared, args: &Args) -> ApiResult {
    let ws = lock(&shared.workspace);
    let conversation = target::visible_by_id(&ws, &args.str("channel").unwrap_or_default())?;
    let mut channel = render::conversation(&conversation, &ws, true);
    if !args.bool("include_num_members").unwrap_or(false)
        && let Some(object) = channel.as_object_mut()
    {
        object.remove("num_members");
    }
    Ok(fields(json!({ "channel": channel })))
}

/// Opens (or finds) a DM with one user or a group DM with several, or resumes one by `channel` id.
pub fn open(shared: &Shared, args: &Args) -> ApiResult {
    let mut ws = lock(&shared.workspace);
    let (id, existed) = match (args.str("channel"), args.str("users")) {
        (Some(channel), _) => {
            let conversation = target::visible_by_id(&ws, &channel)?;
            if conversation.type_name() != "im" && conversation.type_name() != "mpim" {
                return Err(ApiError::new("method_not_supported_for_channel_type")
                    .detail(format!("{channel} is not a DM or group DM")));
            }
            (conversation.id, true)
        }
        (None, Some(users)) => {
            let users: Vec<String> = users
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty() && *u != BOT_USER_ID)
                .map(str::to_owned)
                .collect();
            for user in &users {
                match ws.user(user) {
                    None => {
                        return Err(ApiError::new("user_not_found").detail(format!("no user {user}")));
                    }
                    Some(u) if u.deleted => {
                        return Err(ApiError::new("user_disabled").detail(format!("{user} is deactivated")));
                    }
                    Some(_) => {}
                }
            }
            match users.len() {
                0 => {
                    return Err(ApiError::new("not_enough_users").detail("name at least one user other than the bot"));
                }
                1 => ws.open_im(&users[0]),
                n if n > MAX_MPIM_USERS => {
                    return Err(ApiError::new("too_many_users").detail(format!("at most {MAX_MPIM_USERS} users")));
                }
                _ => ws.open_mpim(&users),
            }
        }
        (None, None) => {
            return Err(ApiError::new("users_list_not_supplied").detail("give users or channel"));
        }
    };
    let channel = match args.bool("return_im").unwrap_or(false) {
        true => ws
            .conversation(&id)
            .map(|c| render::conversation(c, &ws, true))
            .unwrap_or(Value::Null),
        false => json!({ "id": id }),
    };
    let mut answer = fields(json!({ "channel": channel }));
    if existed {
        answer.insert("no_op".into(), json!(true));
        answer.insert("already_open".into(), json!(true));
    }
    Ok(answer)
}
