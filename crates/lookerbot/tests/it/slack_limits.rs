//! Answers with many messages against the simulator's Slack limits: a slash command's response_url takes 5 posts,
//! and chat.postMessage allows a burst per channel. A six-tile custom command must show every tile, in order,
//! without a refused post or a 429.

use crate::common;

use common::{ALICE_DM, GENERAL, World, all_text};
use slack_sim::PostedMessage;

const TILES: [&str; 6] = [
    "Tile 1: Revenue",
    "Tile 2: Items",
    "Tile 3: Orders",
    "Tile 4: Statuses",
    "Tile 5: Categories",
    "Tile 6: Average Price",
];

/// Where each tile's title first shows in `messages` (index of the message).
fn tile_positions(messages: &[PostedMessage]) -> Vec<usize> {
    TILES
        .iter()
        .map(|tile| {
            messages
                .iter()
                .position(|m| all_text(m).contains(tile))
                .unwrap_or_else(|| panic!("{tile} is missing: {messages:#?}"))
        })
        .collect()
}

fn in_order(positions: &[usize]) -> bool {
    positions.windows(2).all(|pair| pair[0] <= pair[1])
}

fn no_429(world: &World) {
    let limited: Vec<_> = world.sim.calls().into_iter().filter(|c| c.http_status == 429).collect();
    assert!(limited.is_empty(), "Slack's rate limit was hit: {limited:#?}");
}

#[tokio::test]
async fn six_tiles_by_slash_command_where_the_bot_is_not_a_member_fold_into_five_response_url_posts() {
    let world = World::start().await;
    world.slash_in("C0RANDOM", "six tiles").await;
    let messages = world.settled().await;
    let answers: Vec<PostedMessage> = messages.into_iter().filter(|m| m.channel == "C0RANDOM").collect();
    assert!(answers.iter().all(|m| m.method == "response_url"), "{answers:#?}");
    assert!(
        answers.len() <= 5,
        "at most Slack's five response_url uses: {answers:#?}"
    );
    let positions = tile_positions(&answers);
    assert!(in_order(&positions), "{positions:?}");
    assert!(
        !answers.iter().any(|m| all_text(m).contains(":warning:")),
        "{answers:#?}"
    );
    no_429(&world);
    world.stop().await;
}

#[tokio::test]
async fn six_tiles_by_slash_command_where_the_bot_is_a_member_go_on_in_the_channel() {
    let world = World::start().await;
    world.slash_in(GENERAL, "six tiles").await;
    let messages = world.settled().await;
    let response_url_posts = messages.iter().filter(|m| m.method == "response_url").count();
    assert!(response_url_posts <= 4, "one use is kept in reserve: {messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.method == "chat.postMessage" && m.channel == GENERAL),
        "the rest went to the channel: {messages:#?}"
    );
    let positions = tile_positions(&messages);
    assert!(in_order(&positions), "{positions:?}");
    no_429(&world);
    world.stop().await;
}

#[tokio::test]
async fn six_tiles_in_a_dm_go_out_as_one_burst_without_429s() {
    let world = World::start().await;
    world.dm("six tiles").await;
    let messages = world.settled().await;
    let in_dm: Vec<PostedMessage> = messages.into_iter().filter(|m| m.channel == ALICE_DM).collect();
    let positions = tile_positions(&in_dm);
    assert!(in_order(&positions), "{positions:?}");
    let posts = world.sim.calls_to("chat.postMessage");
    assert!(
        posts.len() <= slack::pace::DEFAULT_BURST as usize,
        "the loading message and the tiles fit in one burst: {} posts",
        posts.len()
    );
    assert!(posts.iter().all(|c| c.http_status == 200), "{posts:#?}");
    no_429(&world);
    world.stop().await;
}
