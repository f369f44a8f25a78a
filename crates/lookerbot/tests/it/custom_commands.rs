//! Custom commands with filters by name, dashboard defaults, required filters, Looks as commands, help for one
//! command and suggestions for misspelt values, through the whole bot: Slack simulator -> bot -> Looker sandbox.

use crate::common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::{World, all_text};
use looker_sandbox::content;
use slack_sim::PostedMessage;

/// A world whose replies arrive as one message each (no loading message to replace).
async fn world() -> World {
    World::start_with(&[("LOOKER_SLACKBOT_LOADING_MESSAGES", "false")]).await
}

/// Alice DMs `text`; returns every message that arrived for it, once they stop coming.
async fn replies_to(world: &World, text: &str) -> Vec<PostedMessage> {
    let before = world.sim.messages().len();
    assert_eq!(world.dm(text).await.status(), 200);
    world.messages(before + 1).await;
    world.settled().await[before..].to_vec()
}

/// The reply whose first line (its title) is `title`.
fn titled<'m>(replies: &'m [PostedMessage], title: &str) -> &'m PostedMessage {
    replies
        .iter()
        .find(|m| m.text.as_deref().and_then(|t| t.lines().next()) == Some(title))
        .unwrap_or_else(|| panic!("no reply titled {title}: {replies:#?}"))
}

/// The fallback text's second line: the filter note under the title.
fn note(reply: &PostedMessage) -> String {
    reply
        .text
        .as_deref()
        .and_then(|t| t.lines().nth(1))
        .unwrap_or_default()
        .to_string()
}

/// `label | count` rows of a two-column table reply, from its text fallback.
fn counts(reply: &PostedMessage) -> BTreeMap<String, i64> {
    reply
        .text
        .as_deref()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (label, count) = line.split_once(" | ")?;
            Some((label.to_string(), count.replace(',', "").parse().ok()?))
        })
        .collect()
}

/// Orders per status (order_items explore: orders with items) where `condition` holds, by SQL.
fn orders_by_status(world: &World, condition: &str) -> BTreeMap<String, i64> {
    ["complete", "pending", "cancelled", "returned"]
        .iter()
        .map(|status| {
            let sql = format!(
                "SELECT COUNT(DISTINCT orders.id) FROM order_items \
                 LEFT JOIN orders ON order_items.order_id = orders.id \
                 LEFT JOIN users ON orders.user_id = users.id \
                 LEFT JOIN products ON order_items.product_id = products.id \
                 WHERE orders.status = '{status}' AND {condition}"
            );
            (status.to_string(), world.sandbox.sql_count(&sql))
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The Date filter's default, "7 days", as SQL: today and the six days before.
fn last_7_days(world: &World) -> String {
    let today = world.sandbox.today();
    format!(
        "orders.created_at >= '{}' AND orders.created_at < '{}'",
        today - Duration::days(6),
        today + Duration::days(1)
    )
}

fn no_violations(world: &World) {
    let violations = world.sandbox.violations();
    assert!(violations.is_empty(), "{violations:?}");
}

fn nothing_ran(world: &World) {
    assert_eq!(world.sandbox.calls("create_query"), 0, "no query was created");
    assert_eq!(world.sandbox.calls("run_query"), 0, "no query was run");
}

#[tokio::test]
async fn two_named_filters_reach_the_right_fields_of_each_tile() {
    let world = world().await;
    let since = world.sandbox.today() - Duration::days(365);
    let replies = replies_to(
        &world,
        &format!("weekly sales st: Texas, CATEGORY=Jeans, date: after {since}"),
    )
    .await;
    // "Orders by Status" listens to State and Date, not to Category.
    let by_status = titled(&replies, "Orders by Status");
    assert_eq!(note(by_status), format!("State: Texas · Date: after {since}"));
    let expected = orders_by_status(
        &world,
        &format!("users.state = 'Texas' AND orders.created_at >= '{since}'"),
    );
    assert!(!expected.is_empty());
    assert_eq!(counts(by_status), expected);
    // "Revenue by Category" listens to all three: one category left.
    let by_category = titled(&replies, "Revenue by Category");
    assert_eq!(
        note(by_category),
        format!("State: Texas · Category: Jeans · Date: after {since}")
    );
    let text = all_text(by_category);
    assert!(text.contains("Jeans") && !text.contains("Tops"), "{text}");
    no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_filter_not_given_takes_its_default_and_says_so() {
    let world = world().await;
    let replies = replies_to(&world, "weekly sales category: Jeans").await;
    let by_status = titled(&replies, "Orders by Status");
    assert_eq!(note(by_status), "Date: 7 days (default)");
    let expected = orders_by_status(&world, &last_7_days(&world));
    assert!(!expected.is_empty(), "the sandbox has orders in the last 7 days");
    assert_eq!(counts(by_status), expected);
    let by_category = titled(&replies, "Revenue by Category");
    assert_eq!(note(by_category), "Category: Jeans · Date: 7 days (default)");
    world.stop().await;
}

#[tokio::test]
async fn a_required_filter_without_value_is_asked_for_and_nothing_runs() {
    let world = world().await;
    let replies = replies_to(&world, "brand report").await;
    assert_eq!(replies.len(), 1);
    let text = replies[0].text.clone().unwrap_or_default();
    assert!(
        text.starts_with("Which Brand? brand report needs a value for Brand first, e.g. brand report brand: …"),
        "{text}"
    );
    // By slash command, the question is for the asker only.
    let before = world.sim.messages().len();
    world.slash("brand report").await;
    let asked = &world.messages(before + 1).await[before];
    assert!(all_text(asked).contains("Which Brand?"), "{asked:#?}");
    assert_eq!(asked.response_type.as_deref(), Some("ephemeral"));
    nothing_ran(&world);
    let replies = replies_to(&world, "brand report brand: Acme").await;
    let items = titled(&replies, "Items by Category");
    assert_eq!(note(items), "Brand: Acme");
    world.stop().await;
}

#[tokio::test]
async fn a_look_in_the_command_folder_is_a_command_filtered_by_field_label() {
    let world = world().await;
    let replies = replies_to(&world, "orders status: complete").await;
    assert_eq!(replies.len(), 1);
    let orders = titled(&replies, "Orders");
    assert_eq!(note(orders), "Orders Status: complete");
    let shown = counts(orders);
    let california = world.sandbox.sql_count(
        "SELECT COUNT(DISTINCT orders.id) FROM order_items \
         LEFT JOIN orders ON order_items.order_id = orders.id \
         LEFT JOIN users ON orders.user_id = users.id \
         WHERE orders.status = 'complete' AND users.state = 'California'",
    );
    assert_eq!(shown.get("California"), Some(&california), "{shown:?}");
    // The full label and the field's name work too.
    let replies = replies_to(&world, "orders users state: Ohio, orders.status: pending").await;
    assert_eq!(note(&replies[0]), "Orders Status: pending · Users State: Ohio");
    let text = replies[0].text.clone().unwrap_or_default();
    assert!(text.contains("Ohio") && !text.contains("California"), "{text}");
    // A hidden Look works but stays out of help; the Look's own filter value is its default.
    let replies = replies_to(&world, "order statuses").await;
    assert_eq!(
        note(titled(&replies, "Order Statuses")),
        format!("Orders Created Date: {} (default)", content::HIDDEN_LOOK_DATE_DEFAULT)
    );
    let help = replies_to(&world, "help").await;
    let text = all_text(&help[0]);
    assert!(
        text.contains("orders") && text.contains("&lt;orders status&gt; &lt;users state&gt;"),
        "{text}"
    );
    assert!(
        !text.contains(&format!("/looks/{}|", content::HIDDEN_LOOK_ID)),
        "{text}"
    );
    assert!(text.contains("save dashboards or Looks in"), "{text}");
    no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn an_unknown_filter_name_is_answered_with_the_commands_filters() {
    let world = world().await;
    let replies = replies_to(&world, "weekly sales region: \"North, East\"").await;
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].text.as_deref(),
        Some(
            "weekly sales has no filter \"region\". Its filters: State, Category, Date (default 7 days). \
             help weekly sales shows how to use it."
        )
    );
    let ambiguous = replies_to(&world, "orders s: x").await;
    assert!(
        all_text(&ambiguous[0]).contains("\"s\" could be Orders Status or Users State"),
        "{ambiguous:?}"
    );
    nothing_ran(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_misspelt_value_gets_the_closest_known_values() {
    let world = world().await;
    let replies = replies_to(&world, "orders state: Califronia").await;
    let orders = titled(&replies, "Orders");
    let text = orders.text.clone().unwrap_or_default();
    assert!(text.contains("No results."), "{text}");
    assert!(
        text.contains("No rows for users state Califronia. Did you mean California?"),
        "{text}"
    );
    let section = all_text(orders);
    assert!(section.contains("No rows for users state _Califronia_"), "{section}");
    assert_eq!(world.sandbox.calls("model_fieldname_suggestions"), 1);
    // Both tiles of "weekly sales" filter users.state: one question to Looker, one answer per tile.
    let replies = replies_to(&world, "weekly sales state: Califronia").await;
    for title in ["Orders by Status", "Revenue by Category"] {
        let text = titled(&replies, title).text.clone().unwrap_or_default();
        assert!(
            text.contains("No rows for state Califronia. Did you mean California?"),
            "{text}"
        );
    }
    assert_eq!(world.sandbox.calls("model_fieldname_suggestions"), 2);
    // A value nothing resembles gets no suggestion.
    let replies = replies_to(&world, "orders state: Atlantis").await;
    assert!(!all_text(&replies[0]).contains("Did you mean"));
    world.stop().await;
}

#[tokio::test]
async fn one_value_without_a_name_still_fills_every_filter() {
    let world = world().await;
    let replies = replies_to(&world, "sales California").await;
    assert_eq!(replies.len(), 3, "one reply per tile");
    for reply in &replies {
        assert_eq!(note(reply), "State: California", "{reply:#?}");
    }
    world.stop().await;
}

#[tokio::test]
async fn help_shows_filters_with_defaults_and_one_command_in_full() {
    let world = world().await;
    let help = replies_to(&world, "help").await;
    let text = all_text(&help[0]);
    for expected in [
        "weekly sales",
        "&lt;state&gt; &lt;category&gt; &lt;date: 7 days&gt;",
        "brand report",
        "&lt;brand (required)&gt;",
    ] {
        assert!(text.contains(expected), "help lacks {expected:?}: {text}");
    }
    let one = replies_to(&world, "help weekly sales").await;
    assert_eq!(one.len(), 1);
    let text = one[0].text.clone().unwrap_or_default();
    for expected in [
        "Weekly Sales",
        "Filters:",
        "• State",
        "• Category",
        "• Date (default 7 days)",
        // A real value of the field, from Looker's suggestions.
        "Example: weekly sales state: California, category: Accessories",
    ] {
        assert!(text.contains(expected), "help weekly sales lacks {expected:?}: {text}");
    }
    let none = replies_to(&world, "help nothing like it").await;
    assert!(all_text(&none[0]).contains("There is no custom command \"nothing like it\""));
    world.stop().await;
}
