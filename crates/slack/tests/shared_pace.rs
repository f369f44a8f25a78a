//! Replicas posting into one channel share its budget through PostgreSQL: three web clients, each with its own
//! connections to one real database (as three replicas have), post a burst into one channel of the simulator, which
//! answers 429 past Slack's per-channel limit. Shared, no post is refused and none is lost; paced per process alone,
//! the same burst is refused. While PostgreSQL is down, posts still go, paced by each replica alone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fast_config;
use futures::future::join_all;
use slack::Secret;
use slack::web::{MessageBody, SlackWeb, WebConfig};
use slack_sim::{PostRate, SimConfig, SlackSim};
use testbed::postgres::{Cluster, fresh_database};

/// Slack's limit with a shorter interval, so that the test takes seconds: a burst of 8, then one post per 500 ms.
/// The bot's burst of 6 leaves the simulator 2 posts of room, so a post may reach it up to a second after its slot.
const SLACK_RATE: PostRate = PostRate {
    burst: 8,
    interval: Duration::from_millis(500),
};
const REPLICAS: usize = 3;
const POSTS_EACH: usize = 6;
const CHANNEL: &str = "C0GENERAL";

async fn slack() -> SlackSim {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    SlackSim::start(SimConfig {
        post_rate: Some(SLACK_RATE),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// One replica's Web API client, pacing as the bot does at Slack's interval.
fn replica(sim: &SlackSim) -> SlackWeb {
    let config = WebConfig {
        post_interval: SLACK_RATE.interval,
        max_attempts: 1,
        ..fast_config()
    };
    SlackWeb::with_config(&sim.api_url(), Secret::new(sim.bot_token()), config).unwrap()
}

async fn shared_replica(sim: &SlackSim, url: &str) -> SlackWeb {
    let store = queue::PostgresStore::connect(url, 10).await.expect("connect a replica");
    replica(sim).with_shared_pace(Arc::new(store))
}

fn message(replica: usize, n: usize) -> MessageBody {
    MessageBody {
        channel: CHANNEL.into(),
        text: format!("replica {replica} message {n}"),
        ..Default::default()
    }
}

/// Every replica posts its messages one after the other, all replicas at once; returns how many posts failed.
async fn post_from_all(replicas: &[SlackWeb]) -> usize {
    let runs = replicas.iter().enumerate().map(|(r, web)| async move {
        let mut failed = 0;
        for n in 0..POSTS_EACH {
            failed += usize::from(web.post_message(&message(r, n)).await.is_err());
        }
        failed
    });
    join_all(runs).await.into_iter().sum()
}

fn refused(sim: &SlackSim) -> usize {
    sim.calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.http_status == 429)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_sharing_the_budget_post_a_burst_into_one_channel_without_a_429() {
    let sim = slack().await;
    let url = fresh_database();
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(shared_replica(&sim, &url).await);
    }
    assert_eq!(post_from_all(&replicas).await, 0, "every post went through");
    assert_eq!(refused(&sim), 0, "Slack's limit was kept: {:#?}", sim.calls());
    let posted: Vec<String> = sim.messages().into_iter().filter_map(|m| m.text).collect();
    assert_eq!(posted.len(), REPLICAS * POSTS_EACH, "{posted:#?}");
    for r in 0..REPLICAS {
        let own: Vec<&String> = posted
            .iter()
            .filter(|t| t.starts_with(&format!("replica {r} ")))
            .collect();
        let expected: Vec<String> = (0..POSTS_EACH).map(|n| message(r, n).text).collect();
        assert_eq!(
            own,
            expected.iter().collect::<Vec<_>>(),
            "each replica's posts arrive once, in order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_pacing_alone_overrun_the_channel() {
    let sim = slack().await;
    let replicas: Vec<SlackWeb> = (0..REPLICAS).map(|_| replica(&sim)).collect();
    post_from_all(&replicas).await;
    assert!(
        refused(&sim) > 0,
        "three bursts at once exceed Slack's burst, so the simulator refuses some"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_down_each_replica_paces_its_own_posts() {
    let sim = slack().await;
    let mut cluster = Cluster::create();
    let web = shared_replica(&sim, &cluster.url()).await;
    tokio::task::block_in_place(|| cluster.stop());
    let messages: Vec<MessageBody> = (0..3).map(|n| message(0, n)).collect();
    let posts = messages.iter().map(|m| web.post_message(m));
    let results = tokio::time::timeout(Duration::from_secs(60), join_all(posts))
        .await
        .expect("posts do not hang on the database");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(sim.messages().len(), 3);
    assert_eq!(refused(&sim), 0);
}
