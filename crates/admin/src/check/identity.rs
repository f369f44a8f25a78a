//! What identity `user` needs: on each Looker, rights to find users by email and to log in as them (an admin
//! API user); in Slack, the `users:read.email` scope (checked with the other scopes, see `scopes.rs`).

use config::Identity;
use looker::LookerClient;

use super::CheckLine;

/// One line: whether the API user can find itself by email and log in as itself, as it will for each asker.
pub(super) async fn login_as_line(subject: String, identity: Identity, client: &LookerClient) -> Option<CheckLine> {
    if identity != Identity::User {
        return None;
    }
    let fix = "identity user needs the bot's Looker API user to be an admin (to find people by email and log \
               in as them): give it the Admin role, or set LOOKERBOT_IDENTITY=service";
    let outcome = async {
        let me = client.me().await.map_err(|e| e.to_string())?;
        let email = me.email.ok_or("the API user has no email to search for")?;
        let found = client.users_with_email(&email).await.map_err(|e| e.to_string())?;
        let id = found
            .into_iter()
            .find_map(|u| u.id)
            .ok_or("searching users by email found nobody")?;
        let acting = client.as_user(&id).await.map_err(|e| e.to_string())?;
        acting.me().await.map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    }
    .await;
    Some(match outcome {
        Ok(()) => CheckLine::pass(subject, "finds users by email and logs in as them (identity user)"),
        Err(why) => CheckLine::fail(subject, format!("{why}: {fix}")),
    })
}
