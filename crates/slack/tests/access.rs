//! Access control against the simulator's seeded users.

mod common;

use std::time::Duration;

use common::{sim, web};
use slack::access::{AccessControl, AccessDecision, AccessPolicy};

#[tokio::test]
async fn guests_other_workspaces_and_deactivated_users_are_refused() {
    let sim = sim().await;
    let policy = AccessPolicy {
        home_team_id: Some("T0SIM".into()),
        ..Default::default()
    };
    let access = AccessControl::new(web(&sim), policy.clone(), Duration::from_secs(60));
    assert_eq!(access.check("U0ALICE").await.unwrap(), AccessDecision::Allowed);
    assert_eq!(access.check(sim.bot_user_id()).await.unwrap(), AccessDecision::Allowed);
    for refused in ["U0GUEST", "U0ULTRA", "U0OTHER", "U0GONE"] {
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
    for allowed in ["U0GUEST", "U0ULTRA", "U0OTHER"] {
        assert_eq!(open.check(allowed).await.unwrap(), AccessDecision::Allowed, "{allowed}");
    }
}
