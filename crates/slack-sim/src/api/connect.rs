//! apps.connections.open (Socket Mode) and rtm.connect: hand out one-time WebSocket URLs on the simulator.

use serde_json::json;

use super::{ApiResult, fields};
use crate::args::Args;
use crate::shared::Shared;
use crate::socket::SocketKind;
use crate::workspace::{BOT_USER_ID, BOT_USER_NAME, TEAM_DOMAIN, TEAM_ID, TEAM_NAME};

pub fn apps_connections_open(shared: &Shared, _args: &Args) -> ApiResult {
    let ticket = shared.sockets.issue_ticket(SocketKind::SocketMode, shared.next_seq());
    Ok(fields(json!({ "url": shared.ws_url("link", &ticket) })))
}

pub fn rtm_connect(shared: &Shared, _args: &Args) -> ApiResult {
    let ticket = shared.sockets.issue_ticket(SocketKind::Rtm, shared.next_seq());
    Ok(fields(json!({
        "url": shared.ws_url("rtm", &ticket),
        "self": { "id": BOT_USER_ID, "name": BOT_USER_NAME },
        "team": { "id": TEAM_ID, "name": TEAM_NAME, "domain": TEAM_DOMAIN },
    })))
}
