//! People talking to the bot through Slack: help, find, custom commands, links, results. Each test checks what
//! the Slack simulator received.

use crate::common;

use common::{ALICE_DM, GENERAL, World, all_text};
use looker_sandbox::content;

#[tokio::test]
async fn help_lists_commands_by_folder_without_hidden_ones() {
    let world = World::start().await;
    assert_eq!(world.dm("help").await.status(), 200);
    let messages = world.settled().await;
    let help = messages
        .iter()
        .find(|m| all_text(m).contains("Built-in commands"))
        .expect("a help message");
    assert_eq!(help.channel, ALICE_DM);
    let text = all_text(help);
    for expected in [
        "Shortcuts",
        "sales",
        "customers",
        content::CUSTOM_COMMAND_SUBFOLDER_NAME,
        "returns",
        "&lt;state&gt;",
        "find",
    ] {
        assert!(text.contains(expected), "help lacks {expected:?}: {text}");
    }
    assert!(
        !text.to_lowercase().contains("margins"),
        "hidden commands stay out of help: {text}"
    );
    let shortcuts = text.find("Shortcuts").unwrap();
    let reports = text.find(content::CUSTOM_COMMAND_SUBFOLDER_NAME).unwrap();
    assert!(shortcuts < reports, "the top folder comes first");
    assert!(
        text.contains(&format!("/folders/{}", content::CUSTOM_COMMAND_FOLDER_ID)),
        "where to add commands"
    );
    assert!(
        world.sandbox.violations().is_empty(),
        "{:?}",
        world.sandbox.violations()
    );
    world.stop().await;
}

#[tokio::test]
async fn help_by_slash_command_is_private_to_the_asker() {
    let world = World::start().await;
    let (response, _) = world.slash("help").await;
    assert_eq!(response.status(), 200);
    let messages = world.messages(1).await;
    let help = messages
        .iter()
        .find(|m| all_text(m).contains("Built-in commands"))
        .expect("help");
    assert_eq!(help.method, "response_url");
    assert_eq!(help.response_type.as_deref(), Some("ephemeral"));
    world.stop().await;
}

#[tokio::test]
async fn unknown_text_in_a_dm_gets_the_original_answer() {
    let world = World::start().await;
    assert_eq!(world.dm("what is the meaning of life").await.status(), 200);
    let messages = world.messages(1).await;
    assert!(
        all_text(&messages[0])
            .contains("I couldn't understand that command. You can use `help` to see the list of possible commands."),
        "{messages:?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn find_forgives_typos_and_is_heard_anywhere_in_a_mention() {
    let world = World::start().await;
    world.dm("find ordres").await;
    let found = world.messages(1).await;
    let text = all_text(&found[0]);
    assert!(
        text.contains("Orders by Status"),
        "a typo is ranked with the rest: {text}"
    );
    world.sim.clear_calls();
    world.mention("can you find dashboard sales?").await;
    let found = world.settled().await;
    let answer = found.last().expect("an answer to the mention");
    assert_eq!(answer.channel, GENERAL);
    let text = all_text(answer);
    assert!(text.contains("/dashboards/"), "dashboards were searched: {text}");
    assert!(!text.contains("couldn't understand"), "{text}");
    world.stop().await;
}

#[tokio::test]
async fn find_lists_matching_looks_or_says_none_match() {
    let world = World::start().await;
    world.dm("find orders").await;
    let found = world.messages(1).await;
    let text = all_text(&found[0]);
    assert!(text.contains("Orders by Status") && text.contains("/looks/"), "{text}");
    world.sim.clear_calls();
    world.dm("find zebra crossings").await;
    let messages = world.messages(2).await;
    assert!(
        all_text(&messages[1]).contains("No Looks match \"zebra crossings\"."),
        "{messages:?}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_custom_command_filters_its_tiles_by_the_argument() {
    let world = World::start().await;
    world.dm("customers California").await;
    let messages = world.settled().await;
    let reply = messages
        .iter()
        .find(|m| all_text(m).contains("Customers by Country"))
        .expect("the tile's reply");
    // The loading message was replaced in place, so the conversation keeps its order.
    assert_eq!(reply.method, "chat.update");
    let text = all_text(reply);
    assert!(text.contains("USA"), "{text}");
    // The count shown is the number of users in California, not in the whole country.
    let shown: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Count: "))
        .and_then(|n| n.trim().replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no count in {text}"));
    let expected = world
        .sandbox
        .sql_count("SELECT COUNT(*) FROM users WHERE state = 'California'");
    assert_eq!(shown, expected, "{text}");
    let country = world
        .sandbox
        .sql_count("SELECT COUNT(*) FROM users WHERE country = 'USA'");
    assert_ne!(shown, country, "the filter was applied");
    world.stop().await;
}

#[tokio::test]
async fn a_multi_tile_command_answers_once_per_tile_in_order() {
    let world = World::start().await;
    world.dm("sales").await;
    let messages = world.settled().await;
    let titles: Vec<usize> = ["Revenue", "Revenue by Category", "Orders by Status"]
        .iter()
        .map(|title| {
            messages
                .iter()
                .position(|m| {
                    all_text(m)
                        .lines()
                        .any(|l| l.trim() == *title || l.contains(&format!("|{title}>")))
                })
                .unwrap_or_else(|| panic!("no reply titled {title}: {messages:#?}"))
        })
        .collect();
    assert!(titles.windows(2).all(|w| w[0] < w[1]), "tiles out of order: {titles:?}");
    assert_eq!(
        world.sim.files().len(),
        2,
        "the two chart tiles were uploaded as images"
    );
    world.stop().await;
}

#[tokio::test]
async fn look_links_expand_into_results() {
    let world = World::start().await;
    let link = format!("{}/looks/{}", world.sandbox.web_url(), content::TABLE_LOOK_ID);
    world.dm(&format!("have a look at <{link}>")).await;
    let messages = world.settled().await;
    let reply = messages
        .iter()
        .find(|m| all_text(m).contains("Orders by Status"))
        .expect("the Look");
    assert!(
        reply.blocks.as_ref().unwrap().to_string().contains("\"table\""),
        "rows as a table block"
    );
    assert_eq!(world.sandbox.calls("look"), 1);
    assert_eq!(
        world.sandbox.calls("run_query"),
        1,
        "the floor: the Look and its results"
    );
    world.stop().await;
}

#[tokio::test]
async fn share_links_and_single_values_with_buttons() {
    let world = World::start().await;
    let share = format!("{}/x/{}", world.sandbox.web_url(), content::TABLE_LOOK_SHARE_SLUG);
    world.dm(&share).await;
    let single = format!("{}/looks/{}", world.sandbox.web_url(), content::SINGLE_VALUE_LOOK_ID);
    world.dm(&single).await;
    let messages = world.settled().await;
    assert!(
        messages.iter().any(|m| all_text(m).contains("complete")),
        "the shared query's rows: {messages:#?}"
    );
    let value = messages
        .iter()
        .find(|m| all_text(m).contains("Total Revenue"))
        .expect("the single value");
    let blocks = value.blocks.as_ref().unwrap().to_string();
    assert!(blocks.contains("\"button\""), "data actions become buttons: {blocks}");
    assert!(all_text(value).contains('$'), "the rendered value: {}", all_text(value));
    world.stop().await;
}

#[tokio::test]
async fn links_to_other_hosts_are_not_expanded() {
    let world = World::start().await;
    let web = world.sandbox.web_url();
    let evil = web.replace("127.0.0.1", "127.0.0.1.evil.example");
    world.dm(&format!("{evil}/looks/1")).await;
    let messages = world.settled().await;
    assert_eq!(world.sandbox.calls("look"), 0);
    assert!(all_text(&messages[0]).contains("couldn't understand"), "{messages:?}");
    world.stop().await;
}

#[tokio::test]
async fn charts_arrive_as_uploaded_images() {
    let world = World::start().await;
    let link = format!("{}/looks/{}", world.sandbox.web_url(), content::COLUMN_LOOK_ID);
    world.dm(&link).await;
    let messages = world.settled().await;
    let files = world.sim.files();
    assert_eq!(files.len(), 1, "{messages:#?}");
    let query_id = content::COLUMN_LOOK_ID;
    assert_eq!(
        files[0].bytes,
        world.sandbox.render_png(query_id, 400, 300),
        "the PNG Looker rendered"
    );
    assert_eq!(files[0].channel.as_deref(), Some(ALICE_DM));
    world.stop().await;
}

#[tokio::test]
async fn a_slash_command_result_is_posted_in_the_channel() {
    let world = World::start().await;
    let link = format!("{}/looks/{}", world.sandbox.web_url(), content::TABLE_LOOK_ID);
    world.slash(&link).await;
    let messages = world.settled().await;
    let reply = messages
        .iter()
        .find(|m| all_text(m).contains("Orders by Status"))
        .expect("result");
    assert_eq!(reply.response_type.as_deref(), Some("in_channel"));
    assert!(reply.channel == GENERAL || reply.channel.is_empty() || reply.method == "response_url");
    world.stop().await;
}
