//! SlackSink against the simulator: destinations, private replies, updates, uploads, response_url.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bot::event::Conversation;
use bot::reply::{Block, ImageSource, Inline, Reply};
use bot::sink::{ChatSink, Destination};
use common::{sim, web};
use slack::directory::Directory;
use slack::sink::SlackSink;
use slack_sim::SlackSim;

fn sink(sim: &SlackSim) -> SlackSink {
    let web = web(sim);
    SlackSink::new(web.clone(), Arc::new(Directory::new(web, Duration::from_secs(60))))
}

fn in_conversation(channel: &str, asker: Option<&str>) -> Destination {
    Destination::Conversation {
        conversation: Conversation {
            channel_id: channel.into(),
            thread: None,
        },
        asker: asker.map(Into::into),
    }
}

#[tokio::test]
async fn posts_to_channels_by_name_public_and_private() {
    let sim = sim().await;
    let sink = sink(&sim);
    let posted = sink
        .post(&Destination::Channel("#alerts".into()), &Reply::text("a & b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(posted.channel_id, "C0ALERTS");
    sink.post(&Destination::Channel("secret-plans".into()), &Reply::text("psst"))
        .await
        .unwrap();
    sink.post(&Destination::Channel("C0GENERAL".into()), &Reply::text("by id"))
        .await
        .unwrap();
    let channels: Vec<String> = sim.messages().iter().map(|m| m.channel.clone()).collect();
    assert_eq!(channels, vec!["C0ALERTS", "G0PRIVATE", "C0GENERAL"]);
    assert_eq!(sim.messages()[0].text.as_deref(), Some("a &amp; b"));
    assert_eq!(
        sim.calls_to("conversations.list").len(),
        1,
        "the channel list is cached"
    );
}

#[tokio::test]
async fn unknown_channel_and_channel_without_the_bot_are_clear_errors() {
    let sim = sim().await;
    let sink = sink(&sim);
    let error = sink
        .post(&Destination::Channel("#nope".into()), &Reply::text("x"))
        .await
        .unwrap_err();
    assert!(
        error.message.contains("#nope") && !error.is_retryable(),
        "{}",
        error.message
    );
    let error = sink
        .post(&Destination::Channel("random".into()), &Reply::text("x"))
        .await
        .unwrap_err();
    assert!(
        error.message.contains("/invite @bot") && error.message.contains("#random"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn posts_to_a_person_by_name_in_a_direct_message() {
    let sim = sim().await;
    let sink = sink(&sim);
    sink.post(&Destination::Person("@alice".into()), &Reply::text("your report"))
        .await
        .unwrap();
    let open = &sim.calls_to("conversations.open")[0];
    assert_eq!(open.args["users"], "U0ALICE");
    let dm = open.response["channel"]["id"].as_str().unwrap().to_string();
    let message = &sim.messages()[0];
    assert_eq!(
        (message.method.as_str(), message.channel.as_str()),
        ("chat.postMessage", dm.as_str())
    );
    let error = sink
        .post(&Destination::Person("nobody".into()), &Reply::text("x"))
        .await
        .unwrap_err();
    assert!(error.message.contains("@nobody"), "{}", error.message);
}

#[tokio::test]
async fn private_replies_are_ephemeral_and_threads_are_kept() {
    let sim = sim().await;
    let sink = sink(&sim);
    let posted = sink
        .post(
            &in_conversation("C0GENERAL", Some("U0ALICE")),
            &Reply::text("only you").only_asker(),
        )
        .await
        .unwrap();
    assert!(posted.is_none(), "ephemeral messages cannot be replaced");
    let message = &sim.messages()[0];
    assert_eq!(message.method, "chat.postEphemeral");
    assert_eq!(message.user.as_deref(), Some("U0ALICE"));

    let parent = sink
        .post(&in_conversation("C0GENERAL", None), &Reply::text("parent"))
        .await
        .unwrap()
        .unwrap();
    let in_thread = Destination::Conversation {
        conversation: Conversation {
            channel_id: "C0GENERAL".into(),
            thread: Some(parent.message.clone()),
        },
        asker: None,
    };
    sink.post(&in_thread, &Reply::text("reply")).await.unwrap();
    assert_eq!(
        sim.messages().last().unwrap().thread_ts.as_deref(),
        Some(parent.message.as_str())
    );

    let error = sink
        .post(&in_conversation("C0GENERAL", None), &Reply::text("secret").only_asker())
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn replace_updates_the_message() {
    let sim = sim().await;
    let sink = sink(&sim);
    let posted = sink
        .post(&in_conversation("C0GENERAL", None), &Reply::text("Loading…"))
        .await
        .unwrap()
        .unwrap();
    sink.replace(&posted, &Reply::text("Done")).await.unwrap();
    let update = sim.messages().into_iter().find(|m| m.method == "chat.update").unwrap();
    assert_eq!(update.ts, posted.message);
    assert_eq!(update.text.as_deref(), Some("Done"));
}

#[tokio::test]
async fn png_images_are_uploaded_before_the_message() {
    let sim = sim().await;
    let sink = sink(&sim);
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let reply = Reply::new(vec![
        Block::Heading {
            text: "Weekly sales".into(),
            link: None,
        },
        Block::Image {
            source: ImageSource::Png(png.clone()),
            title: "Weekly sales".into(),
            link: None,
        },
    ]);
    sink.post(&in_conversation("C0GENERAL", None), &reply).await.unwrap();
    let files = sim.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].bytes, png);
    assert_eq!(files[0].title.as_deref(), Some("Weekly sales"));
    assert_eq!(files[0].channel.as_deref(), Some("C0GENERAL"));
    let methods: Vec<String> = sim.calls().into_iter().map(|c| c.method).collect();
    let complete = methods
        .iter()
        .position(|m| m == "files.completeUploadExternal")
        .unwrap();
    let post = methods.iter().position(|m| m == "chat.postMessage").unwrap();
    assert!(methods.iter().position(|m| m == "files.getUploadURLExternal").unwrap() < complete);
    assert!(complete < post, "{methods:?}");
}

#[tokio::test]
async fn slash_command_replies_go_to_the_response_url() {
    let sim = sim().await;
    let sink = sink(&sim).with_response_url("C0RANDOM", sim.response_url_in("cmd1", "C0RANDOM"));
    let reply = Reply::new(vec![Block::Paragraph(vec![Inline::Text("<!channel> 42".into())])]);
    let posted = sink
        .post(&in_conversation("C0RANDOM", Some("U0ALICE")), &reply)
        .await
        .unwrap();
    assert!(posted.is_none());
    let message = &sim.messages()[0];
    assert_eq!(message.method, "response_url");
    assert_eq!(message.response_type.as_deref(), Some("in_channel"));
    assert_eq!(message.text.as_deref(), Some("&lt;!channel&gt; 42"));
    sink.post(
        &in_conversation("C0RANDOM", Some("U0ALICE")),
        &Reply::text("help").only_asker(),
    )
    .await
    .unwrap();
    assert_eq!(sim.messages()[1].response_type.as_deref(), Some("ephemeral"));
}

#[tokio::test]
async fn unfurls_attach_blocks_to_the_shared_links() {
    let sim = sim().await;
    let sink = sink(&sim);
    let posted = sink
        .post(
            &in_conversation("C0GENERAL", None),
            &Reply::text("https://looker.example.com/looks/1"),
        )
        .await
        .unwrap()
        .unwrap();
    let target = slack::inbound::UnfurlTarget {
        channel: "C0GENERAL".into(),
        ts: posted.message.clone(),
        unfurl_id: None,
        source: Some("conversations_history".into()),
        links: vec!["https://looker.example.com/looks/1".into()],
    };
    sink.unfurl(
        &target,
        &[("https://looker.example.com/looks/1".into(), Reply::text("Look 1"))],
    )
    .await
    .unwrap();
    let call = &sim.calls_to("chat.unfurl")[0];
    assert!(call.response["ok"].as_bool().unwrap(), "{}", call.response);
    assert!(call.args["unfurls"].to_string().contains("Look 1"));
}

/// Answers 1 to `n` to a slash command in `channel`, each a public table (one table per Slack message).
async fn answer_tiles(sink: &SlackSink, channel: &str, n: usize) {
    for i in 1..=n {
        let table = bot::reply::Table {
            header: vec!["tile".into()],
            rows: vec![vec![vec![Inline::Text(format!("tile {i}"))]]],
            numeric: vec![false],
        };
        let reply = Reply::new(vec![Block::Table(table)]);
        sink.post(&in_conversation(channel, Some("U0ALICE")), &reply)
            .await
            .unwrap();
    }
    sink.flush().await.unwrap();
}

#[tokio::test]
async fn many_answers_where_the_bot_is_not_a_member_fold_into_the_last_response_url_use() {
    let sim = sim().await;
    let sink = sink(&sim).with_response_url("C0RANDOM", sim.response_url_in("cmd-many", "C0RANDOM"));
    answer_tiles(&sink, "C0RANDOM", 7).await;
    let messages = sim.messages();
    assert!(messages.iter().all(|m| m.method == "response_url"), "{messages:#?}");
    assert_eq!(messages.len(), 5, "Slack's five uses, no more: {messages:#?}");
    let last = serde_json::to_string(&messages[4].blocks).unwrap();
    for tile in ["tile 5", "tile 6", "tile 7"] {
        assert!(last.contains(tile), "{tile} folded into the last message: {last}");
    }
    let tables = messages[4].blocks.as_ref().unwrap().as_array().unwrap();
    assert_eq!(
        tables.iter().filter(|b| b["type"] == "table").count(),
        1,
        "one table per message"
    );
    let texts: Vec<String> = messages[..4].iter().map(|m| m.text.clone().unwrap()).collect();
    assert!(
        texts.iter().zip(1..).all(|(t, i)| t.contains(&format!("tile {i}"))),
        "{texts:?}"
    );
}

#[tokio::test]
async fn many_answers_where_the_bot_is_a_member_go_on_in_the_channel() {
    let sim = sim().await;
    let sink = sink(&sim).with_response_url("C0GENERAL", sim.response_url_in("cmd-member", "C0GENERAL"));
    answer_tiles(&sink, "C0GENERAL", 7).await;
    let methods: Vec<String> = sim.messages().into_iter().map(|m| m.method).collect();
    assert_eq!(methods[..4], ["response_url"; 4]);
    assert_eq!(methods[4..], ["chat.postMessage"; 3]);
    let texts: Vec<String> = sim.messages().into_iter().filter_map(|m| m.text).collect();
    assert!(
        texts.iter().zip(1..).all(|(t, i)| t.contains(&format!("tile {i}"))),
        "in order: {texts:?}"
    );
}

#[tokio::test]
async fn four_answers_or_fewer_use_the_response_url_alone() {
    let sim = sim().await;
    let sink = sink(&sim).with_response_url("C0RANDOM", sim.response_url_in("cmd-few", "C0RANDOM"));
    answer_tiles(&sink, "C0RANDOM", 4).await;
    let messages = sim.messages();
    assert_eq!(messages.len(), 4);
    assert!(messages.iter().all(|m| m.method == "response_url"));
    assert!(sim.calls_to("chat.postMessage").is_empty());
}
