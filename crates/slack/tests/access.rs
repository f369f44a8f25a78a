//! Access control against the simulator's seeded users.

mod common;

use std::time::Duration;

use common::{sim, web};
use slack::access::{AccessControl, AccessDecision, AccessPolicy, BOT_REFUSAL};

#[tokio::test]
async fn guests_other_workspaces_bots_and_deactivated_users_are_refused() {
    let sim = sim().await;
    let policy = AccessPolicy {
        home_team_id: Some("T0SIM".into()),
        ..Default::default()
    };
    let access = AccessControl::new(web(&sim), policy.clone(), Duration::from_secs(60));
    assert_eq!(access.check("U0ALICE").await.unwrap(), AccessDecision::Allowed);
    // An Enterprise Grid member: team_id is the org, and the bot's workspace is among their teams.
    assert_eq!(access.check("W0GRID").await.unwrap(), AccessDecision::Allowed);
    for bot in [sim.bot_user_id(), "U0HELPER", "U0APP"] {
        assert_eq!(
            access.check(bot).await.unwrap(),
            AccessDecision::Refused(BOT_REFUSAL.into()),
            "{bot}"
        );
    }
    for refused in ["U0GUEST", "U0ULTRA", "U0OTHER", "U0GONE", "U0STRANGER"] {
        assert!(
            matches!(access.check(refused).await.unwrap(), AccessDecision::Refused(_)),
            "{refused}"
        );
    }
    access.check("U0ALICE").await.unwrap();
    assert_eq!(
        sim.calls_to("users.info")
            .iter()
            .filter(|c| c.args["user"] == "U0ALICE")
            .count(),
        1,
        "cached"
    );

    let open = AccessControl::new(
        web(&sim),
        AccessPolicy {
            allow_guests: true,
            allow_shared_workspaces: true,
            ..policy
        },
        Duration::from_secs(60),
    );
    for allowed in ["U0GUEST", "U0ULTRA", "U0OTHER", "U0STRANGER"] {
        assert_eq!(open.check(allowed).await.unwrap(), AccessDecision::Allowed, "{allowed}");
    }
    assert!(matches!(
        open.check("U0HELPER").await.unwrap(),
        AccessDecision::Refused(_)
    ));
}
