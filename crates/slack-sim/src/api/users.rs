//! auth.test, users.info, users.list and team.info.

use serde_json::json;

use super::{ApiError, ApiResult, cursor, fields};
use crate::args::Args;
use crate::shared::{Shared, lock};
use crate::workspace::{APP_ID, BOT_ID, BOT_USER_ID, BOT_USER_NAME, TEAM_DOMAIN, TEAM_ID, TEAM_NAME, render};

/// The workspace URL Slack reports for the team.
pub fn team_url() -> String {
    format!("https://{TEAM_DOMAIN}.slack.com/")
}

pub fn auth_test(_shared: &Shared, _args: &Args) -> ApiResult {
    Ok(fields(json!({
        "url": team_url(),
        "team": TEAM_NAME,
        "user": BOT_USER_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "is_enterprise_install": false,
    })))
}

pub fn info(shared: &Shared, args: &Args) -> ApiResult {
    let id = args.str("user").unwrap_or_default();
    let ws = lock(&shared.workspace);
    let user = ws
        .user(&id)
        .ok_or_else(|| ApiError::new("user_not_found").detail(format!("no user {id}")))?;
    Ok(fields(json!({ "user": visible_user(shared, user) })))
}

pub fn list(shared: &Shared, args: &Args) -> ApiResult {
    let (offset, limit) = cursor::page_request(args)?;
    let ws = lock(&shared.workspace);
    let (page, next_cursor) = cursor::page(&ws.users, offset, limit);
    let members: Vec<_> = page.iter().map(|u| visible_user(shared, u)).collect();
    Ok(fields(json!({
        "members": members,
        "cache_ts": 1_704_067_200,
        "response_metadata": { "next_cursor": next_cursor },
    })))
}

pub fn team_info(shared: &Shared, args: &Args) -> ApiResult {
    if let Some(team) = args.str("team").filter(|t| t != TEAM_ID) {
        return Err(ApiError::new("team_not_found").detail(format!("the bot cannot see team {team}")));
    }
    let icon = |size: &str| json!(format!("{}/team-icon/{size}.png", shared.base_url));
    Ok(fields(json!({
        "team": {
            "id": TEAM_ID,
            "name": TEAM_NAME,
            "domain": TEAM_DOMAIN,
            "email_domain": "sim.example",
            "url": team_url(),
            "icon": {
                "image_34": icon("34"),
                "image_44": icon("44"),
                "image_68": icon("68"),
                "image_88": icon("88"),
                "image_102": icon("102"),
                "image_132": icon("132"),
                "image_default": true,
            },
        }
    })))
}

/// A user as the token may see them: Slack leaves `profile.email` out without the `users:read.email` scope.
fn visible_user(shared: &Shared, user: &crate::workspace::User) -> serde_json::Value {
    let mut rendered = render::user(user, &shared.base_url);
    if !shared.has_scope("users:read.email")
        && let Some(profile) = rendered["profile"].as_object_mut()
    {
        profile.remove("email");
    }
    rendered
}
