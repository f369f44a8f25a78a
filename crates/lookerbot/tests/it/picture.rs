//! `picture <command> [filters]`: a custom command's dashboard rendered whole, its filters set.

use crate::common;

use common::{World, all_text};
use looker_sandbox::content;

#[tokio::test]
async fn a_command_as_one_picture_with_its_filters() {
    let world = World::start().await;
    world.dm("picture sales Texas").await;
    let messages = world.settled().await;
    let files = world.sim.files();
    assert_eq!(files.len(), 1, "{messages:#?}");
    let expected = world
        .sandbox
        .render_dashboard_png(content::SALES_DASHBOARD_ID, "State=Texas", 400, 300);
    assert_eq!(files[0].bytes, expected, "the dashboard rendered with State=Texas");
    assert_eq!(world.sandbox.calls("create_dashboard_render_task"), 1);
    assert!(
        messages
            .iter()
            .any(|m| all_text(m).contains("/dashboards/1?State=Texas")),
        "{messages:#?}"
    );

    world.dm("picture nothing-like-this").await;
    let messages = world.settled().await;
    assert!(
        messages
            .iter()
            .any(|m| all_text(m).contains("There is no custom command")),
        "{messages:#?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_picture_takes_filters_by_name_and_the_dashboards_defaults() {
    let world = World::start().await;
    world.dm("picture weekly sales state: Texas").await;
    let messages = world.settled().await;
    let files = world.sim.files();
    assert_eq!(files.len(), 1, "{messages:#?}");
    let filters = format!(
        "State=Texas&date={}",
        content::WEEKLY_SALES_DATE_DEFAULT.replace(' ', "+")
    );
    let expected = world
        .sandbox
        .render_dashboard_png(content::WEEKLY_SALES_DASHBOARD_ID, &filters, 400, 300);
    assert_eq!(files[0].bytes, expected, "rendered with {filters}");
    assert!(
        messages.iter().any(|m| all_text(m).contains(&format!(
            "/dashboards/{}?{}",
            content::WEEKLY_SALES_DASHBOARD_ID,
            filters.replace('&', "&amp;")
        ))),
        "{messages:#?}"
    );

    world.dm("picture brand report").await;
    world.dm("picture orders").await;
    let messages = world.settled().await;
    let said: Vec<String> = messages.iter().map(all_text).collect();
    assert!(said.iter().any(|t| t.contains("Which Brand?")), "{said:#?}");
    assert!(
        said.iter().any(|t| t.contains("orders is a Look, not a dashboard")),
        "{said:#?}"
    );
    assert_eq!(
        world.sandbox.calls("create_dashboard_render_task"),
        1,
        "nothing more was rendered"
    );
    world.stop().await;
}
