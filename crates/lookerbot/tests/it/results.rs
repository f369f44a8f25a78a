//! Conversations: results rendered for Slack. For each kind of Looker result, the exact message Slack receives
//! (blocks and text fallback), through the whole bot: Slack simulator -> bot -> Looker sandbox -> Slack simulator.

use crate::common;
use crate::slackpaths_support;

use common::{ALICE_DM, World, all_text, create_query};
use looker_sandbox::{Fault, content};
use serde_json::{Value, json};
use slack_sim::PostedMessage;
use slackpaths_support::*;

/// A world whose replies arrive as one message each (no loading message to replace).
async fn world() -> World {
    World::start_with(&[("LOOKER_SLACKBOT_LOADING_MESSAGES", "false")]).await
}

/// Alice DMs `text`; returns the one reply it gets.
async fn reply_to(world: &World, text: &str) -> PostedMessage {
    let before = world.sim.messages().len();
    assert_eq!(world.dm(text).await.status(), 200);
    let reply = world.messages(before + 1).await[before].clone();
    assert_eq!(reply.channel, ALICE_DM);
    assert_within_slack_limits(std::slice::from_ref(&reply));
    reply
}

fn section_text(block: &Value) -> &str {
    assert_eq!(block["type"], "section", "{block}");
    block["text"]["text"].as_str().expect("a section text")
}

fn context_text(block: &Value) -> &str {
    assert_eq!(block["type"], "context", "{block}");
    block["elements"][0]["text"].as_str().expect("a context text")
}

/// The link target of a mrkdwn title `*<url|title>*`.
fn heading_link(block: &Value) -> String {
    let text = section_text(block);
    let inner = text
        .strip_prefix("*<")
        .and_then(|t| t.split_once('|'))
        .map(|(url, _)| url);
    inner
        .unwrap_or_else(|| panic!("not a linked heading: {text}"))
        .to_string()
}

fn header(table: &Value) -> Vec<String> {
    table_rows(table)[0].clone()
}

#[tokio::test]
async fn a_single_value_is_bold_and_links_to_looker() {
    let world = world().await;
    let look = look_url(&world, content::SINGLE_VALUE_LOOK_ID);
    let reply = reply_to(&world, &look).await;
    let blocks = blocks(&reply);
    assert_eq!(section_text(&blocks[0]), format!("*<{look}|Total Revenue>*"));
    let value_line = section_text(&blocks[1]);
    let value = value_line
        .strip_prefix('*')
        .and_then(|v| v.strip_suffix(&format!("* <{look}|Open in Looker>")))
        .unwrap_or_else(|| panic!("bold value, then the link: {value_line}"));
    assert!(
        value.starts_with('$') && value.contains(','),
        "the formatted value: {value}"
    );
    assert_eq!(blocks[2]["type"], "actions", "the data action as a button");
    assert_eq!(
        reply.text.as_deref(),
        Some(format!("Total Revenue\n{value} Open in Looker\n[Ping the sales team]").as_str())
    );
    world.stop().await;
}

#[tokio::test]
async fn a_single_record_shows_label_and_value_fields_with_drill_links() {
    let world = world().await;
    let look = look_url(&world, content::SINGLE_RECORD_LOOK_ID);
    let reply = reply_to(&world, &look).await;
    let blocks = blocks(&reply);
    assert_eq!(section_text(&blocks[0]), format!("*<{look}|Latest Order>*"));
    let fields: Vec<&str> = blocks[1]["fields"]
        .as_array()
        .expect("a fields section")
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    let latest = world
        .sandbox
        .sql_count("SELECT id FROM orders ORDER BY created_at DESC, id DESC LIMIT 1");
    assert_eq!(fields[0], format!("*ID*\n{latest}"), "short labels: {fields:?}");
    assert!(fields[1].starts_with("*Name*\n"), "{fields:?}");
    assert!(fields[2].starts_with("*Status*\n"), "{fields:?}");
    assert!(fields[3].starts_with("*Created Date*\n"), "{fields:?}");
    let web = world.sandbox.web_url();
    let drill = fields[4]
        .strip_prefix(&format!("*Total Sale Price*\n<{web}/explore/"))
        .unwrap_or_else(|| panic!("the measure links to its drill: {}", fields[4]));
    assert!(
        drill.contains("&amp;") && drill.ends_with('>'),
        "escaped drill URL: {drill}"
    );
    assert_eq!(context_text(&blocks[2]), format!("<{look}|Open in Looker>"));
    world.stop().await;
}

#[tokio::test]
async fn a_one_row_result_is_shown_as_fields_under_the_filter_it_used() {
    let world = world().await;
    let reply = reply_to(&world, "customers California").await;
    let blocks = blocks(&reply);
    assert!(section_text(&blocks[0]).ends_with("|Customers by Country>*"));
    assert_eq!(context_text(&blocks[1]), "State: California");
    let fields = blocks[2]["fields"].as_array().expect("a record, not a one-row table");
    assert_eq!(fields[0]["text"], "*Country*\nUSA");
    let count = world
        .sandbox
        .sql_count("SELECT COUNT(*) FROM users WHERE state = 'California'");
    let count_field = fields[1]["text"].as_str().unwrap();
    assert!(
        count_field.starts_with("*Count*\n<") && count_field.ends_with(&format!("|{count}>")),
        "{count_field}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_table_has_short_header_labels_aligned_columns_and_drill_links() {
    let world = world().await;
    let look = look_url(&world, content::TABLE_LOOK_ID);
    let reply = reply_to(&world, &look).await;
    let blocks = blocks(&reply);
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    assert_eq!(section_text(&blocks[0]), format!("*<{look}|Orders by Status>*"));
    let table = &blocks[1];
    assert_eq!(table["type"], "table");
    let rows = table_rows(table);
    assert_eq!(rows[0], ["Status", "Count"]);
    let statuses = ["complete", "cancelled", "returned", "pending"];
    assert_eq!(rows.len(), statuses.len() + 1);
    for (row, status) in rows[1..].iter().zip(statuses) {
        let count = world
            .sandbox
            .sql_count(&format!("SELECT COUNT(*) FROM orders WHERE status = '{status}'"));
        assert_eq!(row, &[status.to_string(), thousands(count)]);
    }
    assert_eq!(table["column_settings"][0]["align"], "left");
    assert_eq!(table["column_settings"][1]["align"], "right");
    let count_cell = &table["rows"][1][1];
    assert_eq!(count_cell["type"], "rich_text", "measures carry their drill link");
    let drill = cell_links(count_cell);
    assert_eq!(drill.len(), 1);
    assert!(
        drill[0].starts_with(&format!("{}/explore/thelook/order_items?", world.sandbox.web_url())),
        "{drill:?}"
    );
    assert_eq!(table["rows"][1][0]["type"], "raw_text", "dimensions are plain text");
    assert_eq!(context_text(&blocks[2]), format!("<{look}|Open in Looker>"));
    assert_eq!(
        reply.text.as_deref().unwrap().lines().take(2).collect::<Vec<_>>(),
        ["Orders by Status", "Status | Count"]
    );
    world.stop().await;
}

#[tokio::test]
async fn labels_follow_show_view_names_and_hidden_fields_stay_out() {
    let world = world().await;
    let with_views = reply_to(&world, &look_url(&world, content::VIEW_NAMES_LOOK_ID)).await;
    assert_eq!(header(block_of(&with_views, "table")), ["Users State", "Users Count"]);
    let hidden = reply_to(&world, &look_url(&world, content::HIDDEN_FIELDS_LOOK_ID)).await;
    let table = block_of(&hidden, "table");
    assert_eq!(header(table), ["State", "Count"], "average age is hidden");
    assert!(
        !all_text(&hidden).contains("Age"),
        "the hidden field is nowhere: {}",
        all_text(&hidden)
    );
    // Users without a state: a null, shown as ∅ (an empty string stays empty).
    let nulls = world
        .sandbox
        .sql_count("SELECT COUNT(*) FROM users WHERE state IS NULL");
    let rows = table_rows(table);
    assert!(
        rows.contains(&vec!["∅".to_string(), thousands(nulls)]),
        "null as ∅ with its {nulls} users: {rows:?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn pivot_values_head_their_columns_and_totals_close_the_table() {
    let world = world().await;
    let pivoted = reply_to(&world, &look_url(&world, content::PIVOT_LOOK_ID)).await;
    let rows = table_rows(block_of(&pivoted, "table"));
    assert_eq!(
        rows[0],
        [
            "Category",
            "Total Sale Price · cancelled",
            "Total Sale Price · complete",
            "Total Sale Price · pending",
            "Total Sale Price · returned",
            "Total Sale Price · Total",
        ]
    );
    let categories = world.sandbox.sql_count("SELECT COUNT(DISTINCT category) FROM products");
    assert_eq!(
        rows.len() as i64,
        1 + categories + 1,
        "header, categories, totals: {rows:?}"
    );
    let totals = rows.last().unwrap();
    assert_eq!(totals[0], "Total");
    // The sandbox gives no grand total for the row-total column (Looker does), so that cell may be empty.
    assert!(totals[1..5].iter().all(|c| c.starts_with('$')), "{totals:?}");
    assert!(rows[1][5].starts_with('$'), "row totals: {:?}", rows[1]);

    let with_totals = reply_to(&world, &look_url(&world, content::TOTALS_LOOK_ID)).await;
    let table = block_of(&with_totals, "table");
    let rows = table_rows(table);
    assert_eq!(rows[0], ["Brand", "Count", "Total Sale Price"]);
    let items = world.sandbox.sql_count("SELECT COUNT(*) FROM order_items");
    let last = rows.last().unwrap();
    assert_eq!(last[..2], ["Total".to_string(), thousands(items)]);
    assert!(last[2].starts_with('$'), "{last:?}");
    let total_cell = &table["rows"][rows.len() - 1][0];
    assert_eq!(
        total_cell["elements"][0]["elements"][0]["style"]["bold"], true,
        "the totals row stands out: {total_cell}"
    );
    assert!(
        with_totals
            .text
            .as_deref()
            .unwrap()
            .contains(&format!("Total | {}", thousands(items))),
        "{:?}",
        with_totals.text
    );
    world.stop().await;
}

#[tokio::test]
async fn more_than_a_table_holds_is_not_asked_for_and_is_cut_with_a_link() {
    let world = world().await;
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "order_items", "fields": ["orders.id", "orders.count"],
               "sorts": ["orders.id"], "limit": "500", "vis_config": {"type": "table"}}),
    )
    .await;
    let share = format!("{}/x/{slug}", world.sandbox.web_url());
    let reply = reply_to(&world, &share).await;
    let table = block_of(&reply, "table");
    let rows = table_rows(table);
    assert_eq!(rows.len(), 100, "Slack's table block holds 100 rows, header included");
    assert_eq!(rows[0], ["ID", "Count"]);
    assert_eq!(rows[1][0], "1");
    assert_eq!(rows[99][0], "99");
    let notes: Vec<&Value> = blocks(&reply).iter().filter(|b| b["type"] == "context").collect();
    assert_eq!(notes.len(), 1, "one note: {notes:#?}");
    assert_eq!(
        context_text(notes[0]),
        format!("More rows not shown. <{share}|See all in Looker>"),
        "only what a reply shows, plus one, was asked for"
    );
    world.stop().await;
}

#[tokio::test]
async fn no_rows_says_no_results_with_the_link() {
    let world = world().await;
    let reply = reply_to(&world, "customers Atlantis").await;
    let blocks = blocks(&reply);
    let share = heading_link(&blocks[0]);
    assert!(share.contains("/x/"), "the query's share link: {share}");
    assert_eq!(context_text(&blocks[1]), "State: Atlantis");
    assert_eq!(
        section_text(&blocks[2]),
        format!("No results. <{share}|Open in Looker>")
    );
    assert_eq!(blocks.len(), 3);
    world.stop().await;
}

#[tokio::test]
async fn a_query_looker_cannot_run_says_why() {
    let world = world().await;
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "order_items", "fields": ["orders.status", "orders.no_such_field"]}),
    )
    .await;
    let reply = reply_to(&world, &format!("{}/x/{slug}", world.sandbox.web_url())).await;
    let blocks = blocks(&reply);
    assert_eq!(
        section_text(&blocks[0]),
        ":warning: Query: Looker could not run the query: Unknown field 'orders.no_such_field' in explore 'order_items'"
    );
    world.stop().await;
}

/// What `content::MARKUP_STATE` must look like in mrkdwn: every `&`, `<` and `>` escaped.
const MARKUP_ESCAPED: &str = "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;";

/// Asserts that nothing Slack parses as mrkdwn (text fallback, mrkdwn objects) holds live markup.
fn assert_no_live_markup(message: &PostedMessage) {
    let fallback = message.text.as_deref().unwrap();
    let parsed = std::iter::once(fallback.to_string()).chain(block_texts(message));
    for text in parsed {
        assert!(
            !text.contains("<!channel>") && !text.contains("<https://evil.example"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn user_text_and_filter_values_cannot_ping_or_forge_links() {
    let world = world().await;
    // What Slack sends when someone types `<!channel>` and a fake link: its own entities.
    let found = reply_to(&world, &format!("find {MARKUP_ESCAPED}")).await;
    let nothing_found = section_text(&blocks(&found)[0]);
    assert!(
        nothing_found.starts_with(&format!("No Looks match \"{MARKUP_ESCAPED}\".")),
        "{nothing_found}"
    );
    assert!(
        nothing_found.ends_with(&format!("`find dashboard {MARKUP_ESCAPED}`")),
        "{nothing_found}"
    );
    let filtered = reply_to(&world, &format!("customers {MARKUP_ESCAPED}")).await;
    assert_eq!(context_text(&blocks(&filtered)[1]), format!("State: {MARKUP_ESCAPED}"));
    for message in [&found, &filtered] {
        assert_no_live_markup(message);
        assert!(
            message.text.as_deref().unwrap().contains(MARKUP_ESCAPED),
            "{:?}",
            message.text
        );
    }
    world.stop().await;
}

#[tokio::test]
async fn data_values_cannot_ping_or_forge_links() {
    let world = world().await;
    // In a table, values are raw_text cells, which Slack shows as they are; the fallback is mrkdwn.
    let table = reply_to(&world, &look_url(&world, content::VIEW_NAMES_LOOK_ID)).await;
    let rows = table_rows(block_of(&table, "table"));
    assert!(
        rows.iter().any(|r| r[0] == content::MARKUP_STATE),
        "the value itself, in a raw_text cell: {rows:?}"
    );
    assert_no_live_markup(&table);
    assert!(table.text.as_deref().unwrap().contains(MARKUP_ESCAPED));

    // In a record, values are mrkdwn fields.
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "users", "fields": ["users.state", "users.count"],
               "filters": {"users.state": content::MARKUP_STATE}, "vis_config": {"type": "table"}}),
    )
    .await;
    let record = reply_to(&world, &format!("{}/x/{slug}", world.sandbox.web_url())).await;
    let fields = blocks(&record)[1]["fields"]
        .as_array()
        .expect("one row, as fields")
        .clone();
    assert_eq!(fields[0]["text"], format!("*State*\n{MARKUP_ESCAPED}"));
    assert_no_live_markup(&record);
    world.stop().await;
}

#[tokio::test]
async fn long_texts_are_cut_to_slack_limits_and_keep_a_fallback() {
    let world = world().await;
    let argument = "x".repeat(4000);
    let reply = reply_to(&world, &format!("customers {argument}")).await;
    let note = context_text(&blocks(&reply)[1]);
    assert!(note.chars().count() <= 3000, "{} characters", note.chars().count());
    assert!(
        note.starts_with("State: xxx") && note.ends_with(" more"),
        "cut with a count: {note}"
    );
    assert!(
        reply.text.as_deref().unwrap().contains(&argument),
        "the fallback has it all"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_dashboard_link_is_uploaded_as_an_image_with_its_filters() {
    let world = world().await;
    let url = format!(
        "{}/dashboards/{}?State=California",
        world.sandbox.web_url(),
        content::SALES_DASHBOARD_ID
    );
    let reply = reply_to(&world, &url).await;
    let files = world.sim.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].title.as_deref(), Some("Sales"));
    assert_eq!(files[0].channel.as_deref(), Some(ALICE_DM));
    assert_eq!(
        files[0].bytes,
        world
            .sandbox
            .render_dashboard_png(content::SALES_DASHBOARD_ID, "State=California", 400, 300),
        "the dashboard rendered with its filter"
    );
    let blocks = blocks(&reply);
    assert_eq!(section_text(&blocks[0]), format!("*<{url}|Sales>*"));
    world.stop().await;
}

#[tokio::test]
async fn an_explore_link_with_qid_runs_that_query() {
    let world = world().await;
    let url = format!(
        "{}/explore/thelook/order_items?qid={}&toggle=vis",
        world.sandbox.web_url(),
        content::TABLE_LOOK_SHARE_SLUG
    );
    let reply = reply_to(&world, &url).await;
    assert_eq!(heading_link(&blocks(&reply)[0]), url.replace('&', "&amp;"));
    let rows = table_rows(block_of(&reply, "table"));
    assert_eq!(rows[0], ["Status", "Count"]);
    assert_eq!(rows[1][0], "complete");
    world.stop().await;
}

#[tokio::test]
async fn looker_failures_are_warnings_that_say_what_to_do() {
    let world = world().await;
    world.sandbox.inject_fault("look", Fault::Status(403), Some(1));
    let denied = reply_to(&world, &look_url(&world, content::TABLE_LOOK_ID)).await;
    let text = section_text(&blocks(&denied)[0]);
    assert!(
        text.starts_with(":warning: Looker answered 403 to look") && text.contains("give its role access"),
        "{text}"
    );
    let missing = reply_to(&world, &look_url(&world, "999")).await;
    let text = section_text(&blocks(&missing)[0]);
    assert!(
        text.starts_with(":warning: Looker answered 404 to look") && text.contains("does not exist"),
        "{text}"
    );
    world.sandbox.clone().shutdown().await;
    let unreachable = reply_to(&world, &look_url(&world, content::TABLE_LOOK_ID)).await;
    let text = section_text(&blocks(&unreachable)[0]);
    assert!(
        text.starts_with(":warning: Looker at ") && text.contains("could not be reached") && text.contains("Check"),
        "{text}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_record_too_large_for_one_message_is_cut_to_fifty_blocks() {
    let world = world().await;
    // Hundreds of fields in one row: 10 per section, far more sections than a message may hold.
    let fields: Vec<&str> = ["users.state", "users.country", "users.name", "users.count"].repeat(150);
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "users", "fields": fields, "limit": "1",
               "vis_config": {"type": "looker_single_record"}}),
    )
    .await;
    let reply = reply_to(&world, &format!("{}/x/{slug}", world.sandbox.web_url())).await;
    let blocks = blocks(&reply);
    assert_eq!(blocks.len(), 50, "Slack's limit, exactly");
    let note = context_text(&blocks[49]);
    assert!(note.ends_with("more blocks not shown"), "{note}");
    assert!(reply.text.as_deref().unwrap().starts_with("Query\nState: "));
    world.stop().await;
}

#[tokio::test]
async fn more_columns_than_a_table_holds_are_cut_with_a_count() {
    let world = world().await;
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "users", "fields": ["users.country", "users.age", "users.count"],
               "pivots": ["users.age"], "vis_config": {"type": "table"}}),
    )
    .await;
    let share = format!("{}/x/{slug}", world.sandbox.web_url());
    let reply = reply_to(&world, &share).await;
    let header = header(block_of(&reply, "table"));
    assert_eq!(header.len(), 20, "Slack's table block holds 20 columns: {header:?}");
    assert_eq!(header[0], "Country");
    assert!(header[1].starts_with("Count · "), "{header:?}");
    // Every distinct age is a pivot column (up to Looker's default column limit, 50), next to the country column.
    let ages = world.sandbox.sql_count("SELECT COUNT(DISTINCT age) FROM users");
    let hidden = 1 + ages.min(50) - 20;
    let notes: Vec<&Value> = blocks(&reply).iter().filter(|b| b["type"] == "context").collect();
    assert_eq!(
        context_text(notes[0]),
        format!("{hidden} more columns not shown. <{share}|See all in Looker>")
    );
    world.stop().await;
}

#[tokio::test]
async fn a_cut_table_keeps_its_totals_row() {
    let world = world().await;
    let slug = create_query(
        &world,
        json!({"model": "thelook", "view": "order_items", "fields": ["orders.id", "order_items.count"],
               "sorts": ["orders.id"], "limit": "500", "total": true, "vis_config": {"type": "table"}}),
    )
    .await;
    let share = format!("{}/x/{slug}", world.sandbox.web_url());
    let reply = reply_to(&world, &share).await;
    let rows = table_rows(block_of(&reply, "table"));
    assert_eq!(rows.len(), 100, "header, 98 rows and the totals");
    assert_eq!(rows[98][0], "98");
    let items = world.sandbox.sql_count("SELECT COUNT(*) FROM order_items");
    assert_eq!(
        rows[99],
        ["Total".to_string(), thousands(items)],
        "the total of all rows, not of those shown"
    );
    let notes: Vec<&Value> = blocks(&reply).iter().filter(|b| b["type"] == "context").collect();
    assert_eq!(
        context_text(notes[0]),
        format!("More rows not shown. <{share}|See all in Looker>")
    );
    world.stop().await;
}
