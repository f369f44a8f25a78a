//! Directory against the simulator: channels and people found by any of their names, in any case.

mod common;

use std::time::Duration;

use common::{sim, web};
use slack::SlackError;
use slack::directory::Directory;
use slack_sim::{Conversation, SlackSim, User};

fn directory(sim: &SlackSim) -> Directory {
    Directory::new(web(sim), Duration::from_secs(60))
}

#[tokio::test]
async fn channels_are_found_by_name_in_any_case_or_by_id() {
    let sim = sim().await;
    let directory = directory(&sim);
    for wanted in ["alerts", "#alerts", "#Alerts", " ALERTS "] {
        let channel = directory.postable_channel(wanted).await.unwrap();
        assert_eq!(
            (channel.id.as_str(), channel.name.as_str()),
            ("C0ALERTS", "alerts"),
            "{wanted}"
        );
    }
    assert_eq!(directory.channel("secret-plans").await.unwrap().id, "G0PRIVATE");
    assert_eq!(
        directory.postable_channel("G0PRIVATE").await.unwrap().name,
        "secret-plans"
    );
    let missing = directory.channel("#no-such-channel").await.unwrap_err();
    assert!(
        matches!(&missing, SlackError::NotFound(m) if m.contains("#no-such-channel")),
        "{missing}"
    );
    let outside = directory.postable_channel("random").await.unwrap_err();
    assert!(outside.to_string().contains("/invite @bot in #random"), "{outside}");
}

#[tokio::test]
async fn a_channel_created_later_is_found_after_a_reload() {
    let sim = sim().await;
    let directory = Directory::new(web(&sim), Duration::ZERO);
    assert!(directory.channel("launch").await.is_err());
    sim.add_channel(Conversation::public("C0LAUNCH", "launch", &[slack_sim::BOT_USER_ID]));
    assert_eq!(directory.channel("launch").await.unwrap().id, "C0LAUNCH");
}

#[tokio::test]
async fn people_are_found_by_id_user_name_or_real_name_but_not_when_deleted() {
    let sim = sim().await;
    let directory = directory(&sim);
    for wanted in ["U0BOB", "bob", "@Bob", "Bob Builder", "bob builder"] {
        assert_eq!(directory.person(wanted).await.unwrap(), "U0BOB", "{wanted}");
    }
    let gone = directory.person("gone").await.unwrap_err();
    assert!(
        matches!(&gone, SlackError::NotFound(m) if m.contains("@gone")),
        "{gone}"
    );
}

#[tokio::test]
async fn of_two_people_with_one_name_the_first_listed_wins() {
    let sim = sim().await;
    // Bob's real name is another member's user name: the first in Slack's list keeps it.
    sim.add_user(User::member("U0BOB2", "bob builder", "Robert Second"));
    let directory = directory(&sim);
    assert_eq!(directory.person("Bob Builder").await.unwrap(), "U0BOB");
    assert_eq!(directory.person("robert second").await.unwrap(), "U0BOB2");
}

#[tokio::test]
async fn lookups_waiting_for_the_same_load_share_it() {
    let sim = sim().await;
    directory(&sim).channel("alerts").await.unwrap();
    directory(&sim).person("bob").await.unwrap();
    let channel_pages = sim.calls_to("conversations.list").len();
    let people_pages = sim.calls_to("users.list").len();
    assert!(channel_pages >= 1 && people_pages >= 1);

    let directory = directory(&sim);
    let channels = (0..40).map(|_| directory.channel("alerts"));
    let people = (0..40).map(|_| directory.person("bob"));
    let (channels, people) = futures::join!(futures::future::join_all(channels), futures::future::join_all(people));
    assert!(channels.iter().all(|found| found.as_ref().unwrap().id == "C0ALERTS"));
    assert!(people.iter().all(|found| found.as_ref().unwrap() == "U0BOB"));
    assert_eq!(
        sim.calls_to("conversations.list").len(),
        2 * channel_pages,
        "one more listing for 40 lookups"
    );
    assert_eq!(sim.calls_to("users.list").len(), 2 * people_pages);
}
