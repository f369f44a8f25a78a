//! Tests of the terminal sink: what is printed and saved for each reply.

use bot::event::Conversation;
use bot::replier::Replier;

use super::*;

/// A sink writing into a buffer, its images going to a fresh temporary folder.
struct Fixture {
    sink: Arc<TerminalSink>,
    out: SharedBuffer,
    dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let out = SharedBuffer::new();
    let dir = tempfile::tempdir().unwrap();
    let sink = TerminalSink::new(Box::new(out.clone()), dir.path().join("images"), Style::default());
    Fixture {
        sink: Arc::new(sink),
        out,
        dir,
    }
}

fn in_conversation(channel_id: &str) -> Destination {
    Destination::Conversation {
        conversation: Conversation {
            channel_id: channel_id.into(),
            thread: None,
        },
        asker: Some(crate::CONSOLE_USER.into()),
    }
}

fn console() -> Destination {
    in_conversation(CONSOLE_CHANNEL)
}

fn chart(title: &str, png: &[u8]) -> Block {
    Block::Image {
        source: ImageSource::Png(png.to_vec()),
        title: title.into(),
        link: None,
    }
}

#[tokio::test]
async fn replies_in_the_console_are_the_bots_lines_with_increasing_ts() {
    let f = fixture();
    let first = f.sink.post(&console(), &Reply::text("hello")).await.unwrap().unwrap();
    let second = f.sink.post(&console(), &Reply::text("again")).await.unwrap().unwrap();
    assert_eq!(f.out.contents(), "lookerbot: hello\nlookerbot: again\n");
    assert_eq!(first.channel_id, CONSOLE_CHANNEL);
    assert!(second.message.parse::<u64>().unwrap() > first.message.parse::<u64>().unwrap());
}

#[tokio::test]
async fn messages_elsewhere_say_where_they_went() {
    let f = fixture();
    let reply = Reply::text("Weekly sales");
    f.sink
        .post(&Destination::Channel("#sales".into()), &reply)
        .await
        .unwrap();
    f.sink.post(&Destination::Channel("ops".into()), &reply).await.unwrap();
    f.sink.post(&Destination::Person("@ann".into()), &reply).await.unwrap();
    f.sink.post(&in_conversation("C0123"), &reply).await.unwrap();
    f.sink
        .post(&Destination::Channel("evil\u{1b}[2J".into()), &reply)
        .await
        .unwrap();
    assert_eq!(
        f.out.contents(),
        "#sales: Weekly sales\n\
         #ops: Weekly sales\n\
         @ann (DM): Weekly sales\n\
         #C0123: Weekly sales\n\
         #evil\u{FFFD}[2J: Weekly sales\n"
    );
}

#[tokio::test]
async fn a_longer_message_is_indented_under_its_speaker() {
    let f = fixture();
    let reply = Reply::new(vec![
        Block::Heading {
            text: "Orders".into(),
            link: None,
        },
        Block::Paragraph(vec![bot::reply::Inline::Text("12\n\nmore".into())]),
    ]);
    f.sink.post(&console(), &reply).await.unwrap();
    assert_eq!(f.out.contents(), "lookerbot:\n  *Orders*\n  12\n\n  more\n");
}

#[tokio::test]
async fn png_images_are_saved_and_their_paths_printed() {
    let f = fixture();
    let reply = Reply::new(vec![
        chart("Sales by Week", b"\x89PNG one"),
        chart("Sales by Week", b"\x89PNG two"),
    ]);
    f.sink
        .post(&Destination::Channel("sales".into()), &reply)
        .await
        .unwrap();
    let images = f.dir.path().join("images");
    let expected = vec![images.join("sales-by-week-1.png"), images.join("sales-by-week-2.png")];
    assert_eq!(f.sink.saved_images(), expected);
    assert_eq!(std::fs::read(&expected[0]).unwrap(), b"\x89PNG one");
    assert_eq!(std::fs::read(&expected[1]).unwrap(), b"\x89PNG two");
    assert_eq!(
        f.out.contents(),
        format!(
            "#sales:\n  [image: Sales by Week] saved to {}\n  [image: Sales by Week] saved to {}\n",
            expected[0].display(),
            expected[1].display()
        )
    );
}

#[tokio::test]
async fn an_image_that_cannot_be_saved_is_an_error_and_nothing_is_printed() {
    let f = fixture();
    let blocked = f.dir.path().join("a-file");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let sink = TerminalSink::new(Box::new(f.out.clone()), &blocked, Style::default());
    let err = sink
        .post(&console(), &Reply::new(vec![chart("Sales", b"png")]))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("Could not save the image \"Sales\""),
        "{}",
        err.message
    );
    assert!(!err.is_retryable());
    assert_eq!(f.out.contents(), "");
    assert!(sink.saved_images().is_empty());
}

#[tokio::test]
async fn the_loading_message_is_followed_by_the_result() {
    let f = fixture();
    let replier = Replier::new(f.sink.clone(), console());
    replier.loading(false).await;
    replier.send(Reply::text("42 orders")).await;
    replier.finish().await;
    assert_eq!(
        f.out.contents(),
        "lookerbot: ⏳ Looking into that…\nlookerbot: 42 orders\n"
    );
}

#[tokio::test]
async fn replacing_a_result_marks_the_update() {
    let f = fixture();
    let posted = f
        .sink
        .post(&Destination::Channel("sales".into()), &Reply::text("v1"))
        .await
        .unwrap()
        .unwrap();
    f.sink.replace(&posted, &Reply::text("v2")).await.unwrap();
    assert_eq!(f.out.contents(), "#sales: v1\n#sales (updated): v2\n");
}

#[tokio::test]
async fn replacing_an_unknown_message_fails() {
    let f = fixture();
    let unknown = PostedMessage {
        channel_id: CONSOLE_CHANNEL.into(),
        message: "99".into(),
        thread: None,
    };
    let err = f.sink.replace(&unknown, &Reply::text("x")).await.unwrap_err();
    assert!(err.message.contains("no message 99"), "{}", err.message);
    assert_eq!(f.out.contents(), "");
}

#[tokio::test]
async fn private_replies_are_marked_and_cannot_be_replaced() {
    let f = fixture();
    let posted = f
        .sink
        .post(&console(), &Reply::text("only for you").only_asker())
        .await
        .unwrap();
    assert_eq!(posted, None);
    assert_eq!(f.out.contents(), "lookerbot: only for you (only you can see this)\n");
}

#[test]
fn say_prints_the_consoles_own_lines() {
    let f = fixture();
    f.sink.say("Welcome.").unwrap();
    assert_eq!(f.out.contents(), "Welcome.\n");
    assert_eq!(f.sink.image_dir(), f.dir.path().join("images"));
}

#[tokio::test]
async fn a_message_arriving_at_the_prompt_goes_above_a_fresh_prompt() {
    let f = fixture();
    f.sink.show_prompt("you> ").unwrap();
    f.sink
        .post(&Destination::Channel("sales".into()), &Reply::text("Weekly"))
        .await
        .unwrap();
    f.sink.prompt_answered();
    f.sink.post(&console(), &Reply::text("answer")).await.unwrap();
    assert_eq!(f.out.contents(), "you> \n#sales: Weekly\nyou> lookerbot: answer\n");
}
