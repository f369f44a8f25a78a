//! Identity `user`: each Slack person asks Looker as the Looker user with their email, so Looker's access
//! filters, model access and content rights decide what they see; people without a usable Looker user are
//! refused privately and nothing runs.

use crate::common;

use common::{ALICE, World, all_text};
use looker_sandbox::content;
use slack_sim::{PostedMessage, User};

const BOB: &str = "U0BOB";

/// A world in identity `user`, whose Slack token may read emails, with Vera (no data access in Looker), Dora
/// (disabled in Looker) and Newt (no Looker account) in the workspace too.
async fn user_mode() -> World {
    let world = World::start_in_identity_user().await;
    for (id, name, real_name) in [
        ("U0VERA", "vera", "Vera Viewer"),
        ("U0DORA", "dora", "Dora Gone"),
        ("U0NEWT", "newt", "Newt New"),
    ] {
        world.sim.add_user(User::member(id, name, real_name));
    }
    world
}

/// The one reply to `/looker text` from `user`.
async fn ask(world: &World, user: &str, text: &str) -> PostedMessage {
    world.sim.clear_messages();
    let (response, _) = world.slash_as(user, text).await;
    assert_eq!(response.status(), 200);
    let messages = world.settled().await;
    messages
        .into_iter()
        .rev()
        .find(|m| !all_text(m).contains("Loading"))
        .unwrap_or_else(|| panic!("no answer to {text:?} from {user}"))
}

fn look_link(world: &World) -> String {
    format!("{}/looks/{}", world.sandbox.web_url(), content::VIEW_NAMES_LOOK_ID)
}

fn assert_no_violations(world: &World) {
    assert!(
        world.sandbox.violations().is_empty(),
        "{:?}",
        world.sandbox.violations()
    );
}

#[tokio::test]
async fn two_people_asking_the_same_look_see_the_rows_their_access_filters_allow() {
    let world = user_mode().await;
    let alice = all_text(&ask(&world, ALICE, &look_link(&world)).await);
    assert!(alice.contains("California") && !alice.contains("Texas"), "{alice}");
    let bob = all_text(&ask(&world, BOB, &look_link(&world)).await);
    assert!(bob.contains("Texas") && !bob.contains("California"), "{bob}");
    assert!(world.sandbox.queries_run_by("2") > 0 && world.sandbox.queries_run_by("3") > 0);
    assert_eq!(world.sandbox.queries_run_by("1"), 0, "nothing ran as the service user");
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn a_person_without_access_to_the_model_is_refused_privately_and_nothing_runs() {
    let world = user_mode().await;
    let vera = ask(&world, "U0VERA", &look_link(&world)).await;
    let text = all_text(&vera);
    assert!(!text.contains("California") && !text.contains("Texas"), "{text}");
    assert!(
        text.contains("Your Looker account (user 4) may not run this query"),
        "says what happened: {text}"
    );
    assert!(
        text.contains("ask your Looker admin for access"),
        "says whom to ask: {text}"
    );
    assert!(!text.contains("Not found"), "not Looker's raw words: {text}");
    assert!(
        !text.contains("bot's Looker API user"),
        "not advice for the bot's user: {text}"
    );
    assert_eq!(vera.response_type.as_deref(), Some("ephemeral"), "only Vera sees it");
    assert_eq!(world.sandbox.queries_run_by("4"), 0);
    assert_eq!(world.sandbox.queries_run_by("1"), 0, "nothing ran as anyone else");
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn content_a_person_may_not_see_is_refused_privately_even_in_a_channel() {
    let world = user_mode().await;
    let returns = format!(
        "{}/dashboards/{}",
        world.sandbox.web_url(),
        content::RETURNS_DASHBOARD_ID
    );
    world.sim.clear_messages();
    assert_eq!(world.mention_as(BOB, &returns).await.status(), 200);
    let messages = world.settled().await;
    let refusal = messages
        .iter()
        .find(|m| all_text(m).contains("may not open this dashboard"))
        .unwrap_or_else(|| panic!("no refusal for Bob: {messages:#?}"));
    assert_eq!(refusal.method, "chat.postEphemeral", "{refusal:#?}");
    assert_eq!(refusal.user.as_deref(), Some(BOB));
    assert!(all_text(refusal).contains("Your Looker account (user 3)"));
    assert!(
        messages
            .iter()
            .all(|m| m.method != "chat.postMessage" || !all_text(m).contains("Returns")),
        "nothing about the dashboard in the channel: {messages:#?}"
    );
    assert_eq!(
        world.sandbox.calls("create_dashboard_render_task"),
        0,
        "nothing was drawn"
    );
    assert_eq!(world.sandbox.queries_run_by("1"), 0, "nothing ran as anyone else");
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn the_looker_user_of_an_email_is_searched_once_and_their_token_reused() {
    let world = user_mode().await;
    for _ in 0..3 {
        let alice = all_text(&ask(&world, ALICE, &look_link(&world)).await);
        assert!(alice.contains("California"), "{alice}");
    }
    assert_eq!(world.sandbox.calls("search_users"), 1, "the email was looked up once");
    assert_eq!(world.sandbox.calls("login_user"), 1, "Alice's token was reused");
    assert_eq!(world.sandbox.queries_run_by("2"), 3);
    world.stop().await;
}

#[tokio::test]
async fn a_person_disabled_in_looker_meanwhile_is_refused_and_looked_up_again() {
    let world = user_mode().await;
    let first = all_text(&ask(&world, ALICE, &look_link(&world)).await);
    assert!(first.contains("California"), "{first}");
    world.sandbox.disable_user("2");
    let refused = ask(&world, ALICE, &look_link(&world)).await;
    let text = all_text(&refused);
    assert!(text.contains("disabled or deleted"), "{text}");
    assert!(text.contains("ask your Looker admin"), "{text}");
    assert_eq!(refused.response_type.as_deref(), Some("ephemeral"));
    let again = all_text(&ask(&world, ALICE, &look_link(&world)).await);
    assert!(
        again.contains("Your Looker account on") && again.contains("is disabled"),
        "{again}"
    );
    assert_eq!(
        world.sandbox.calls("search_users"),
        2,
        "Looker's refusal dropped the remembered user, so she was looked up again"
    );
    assert_eq!(
        world.sandbox.queries_run_by("2"),
        1,
        "nothing ran once she was disabled"
    );
    assert_eq!(world.sandbox.queries_run_by("1"), 0, "nothing ran as anyone else");
    world.stop().await;
}

#[tokio::test]
async fn a_person_deleted_from_looker_meanwhile_is_told_there_is_no_such_user() {
    let world = user_mode().await;
    ask(&world, BOB, &look_link(&world)).await;
    world.sandbox.delete_user("3");
    let refused = all_text(&ask(&world, BOB, &look_link(&world)).await);
    assert!(refused.contains("disabled or deleted"), "{refused}");
    let again = all_text(&ask(&world, BOB, &look_link(&world)).await);
    assert!(
        again.contains("no Looker user with the email bob@sim.example"),
        "{again}"
    );
    assert_eq!(world.sandbox.queries_run_by("3"), 1);
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn people_unknown_to_looker_or_disabled_are_told_so_privately_and_nothing_runs() {
    let world = user_mode().await;
    let newt = ask(&world, "U0NEWT", &look_link(&world)).await;
    let text = all_text(&newt);
    assert!(
        text.contains("no Looker user with the email newt@sim.example"),
        "{text}"
    );
    assert!(text.contains("Ask your Looker admin"), "{text}");
    assert_eq!(newt.method, "response_url");
    let dora = all_text(&ask(&world, "U0DORA", &look_link(&world)).await);
    assert!(dora.contains("disabled"), "{dora}");
    assert_eq!(world.sandbox.calls("run_look") + world.sandbox.calls("run_query"), 0);
    assert_eq!(world.sandbox.calls("login_user"), 0);
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn find_shows_each_person_only_what_they_may_see() {
    let world = user_mode().await;
    let alice = all_text(&ask(&world, ALICE, "find dashboard returns").await);
    assert!(alice.contains("Returns"), "{alice}");
    let bob = all_text(&ask(&world, BOB, "find dashboard returns").await);
    assert!(
        !bob.contains("Returns"),
        "the Reports folder is not shared with Bob: {bob}"
    );
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn custom_commands_and_pictures_run_as_the_asker_from_a_catalog_read_as_the_bot() {
    let world = user_mode().await;
    let alice = ask(&world, ALICE, "sales").await;
    assert!(world.sandbox.queries_run_by("2") > 0, "{}", all_text(&alice));
    ask(&world, BOB, "sales").await;
    assert!(world.sandbox.queries_run_by("3") > 0);
    let before = world.sandbox.queries_run_by("3");
    ask(&world, BOB, "picture sales").await;
    assert!(
        world.sandbox.queries_run_by("3") > before,
        "Bob's picture was drawn as Bob"
    );
    let vera = ask(&world, "U0VERA", "sales").await;
    let text = all_text(&vera);
    assert!(text.contains("Your Looker account (user 4) may not"), "{text}");
    assert_eq!(vera.response_type.as_deref(), Some("ephemeral"), "{text}");
    assert_eq!(world.sandbox.queries_run_by("4"), 0);
    assert_eq!(world.sandbox.queries_run_by("1"), 0, "nothing ran as the bot's user");
    assert_no_violations(&world);
    world.stop().await;
}

#[tokio::test]
async fn without_the_email_scope_everyone_is_refused_rather_than_run_as_the_bot() {
    let world = World::start_with(&[("LOOKERBOT_IDENTITY", "user")]).await;
    let text = all_text(&ask(&world, ALICE, &look_link(&world)).await);
    assert!(text.contains("could not read the email"), "{text}");
    assert_eq!(world.sandbox.queries_run_by("1"), 0);
    world.stop().await;
}

#[tokio::test]
async fn a_fallback_channel_answers_people_without_a_looker_user_as_the_service_user() {
    let world = World::start_with(&[
        ("LOOKERBOT_IDENTITY", "user"),
        ("LOOKERBOT_IDENTITY_FALLBACK_CHANNELS", common::GENERAL),
    ])
    .await;
    let text = all_text(&ask(&world, ALICE, &look_link(&world)).await);
    assert!(text.contains("California") && text.contains("Texas"), "{text}");
    world.stop().await;
}

/// Collects what the bot logs, for the audit line.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs [`audit_lines_of_one_process`] alone in a child process: a subscriber set with `set_default` misses events
/// while other tests of the same binary hit the same callsites on other threads (tracing caches each callsite's
/// interest process-wide).
#[test]
fn every_request_leaves_an_audit_line_without_emails_or_data() {
    // Test names are module paths without the binary's crate name.
    let (_, name) = concat!(module_path!(), "::audit_lines_of_one_process")
        .split_once("::")
        .expect("a module path");
    let child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", name, "--ignored", "--nocapture"])
        .output()
        .expect("run the audit test alone");
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );
}

#[tokio::test]
#[ignore = "run alone, in a child process, by every_request_leaves_an_audit_line_without_emails_or_data"]
async fn audit_lines_of_one_process() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let world = user_mode().await;
    ask(&world, ALICE, &look_link(&world)).await;
    ask(&world, "U0NEWT", &look_link(&world)).await;
    ask(&world, "U0VERA", &look_link(&world)).await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let audit_of = |user: &str| {
        log.lines()
            .find(|l| l.contains("lookerbot::audit") && l.contains(&format!("slack_user={user}")))
            .unwrap_or_else(|| panic!("no audit line for {user}: {log}"))
    };
    let look = content::VIEW_NAMES_LOOK_ID;
    let alice = audit_of(ALICE);
    for expected in [
        "looker_user=\"2\"".to_string(),
        format!("ran=\"look {look}, query "),
        "outcome=\"answered\"".to_string(),
    ] {
        assert!(alice.contains(&expected), "{expected} in {alice}");
    }
    let newt = audit_of("U0NEWT");
    assert!(newt.contains("refused: no usable Looker user"), "{newt}");
    assert!(newt.contains("ran=\"nothing\""), "{newt}");
    let vera = audit_of("U0VERA");
    for expected in [
        "looker_user=\"4\"".to_string(),
        format!("ran=\"look {look}, query "),
        "outcome=\"refused by Looker\"".to_string(),
    ] {
        assert!(vera.contains(&expected), "{expected} in {vera}");
    }
    assert!(
        !log.contains("@sim.example") && !log.contains("California"),
        "no emails or data: {log}"
    );
    assert!(!log.contains(world.sandbox.client_secret()), "no secrets: {log}");
    world.stop().await;
}
