//! Posted only if stored: a delivery reaches Slack only after its job's commit succeeded, so a webhook answered with
//! an error (a full disk, a write that did not finish in time) never posts.

use crate::common;
use crate::reliability_support;
use crate::small_disk;

use std::time::Duration;

use reliability_support::{Peers, start_in_process};
use small_disk::SmallDisk;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_answered_with_an_error_on_a_full_disk_are_never_posted() {
    let Some(disk) = SmallDisk::mount(4096) else {
        return;
    };
    let peers = Peers::start(Duration::ZERO).await;
    let data_dir = disk.path().display().to_string();
    let bot = start_in_process(&peers, common::options(), &[("LOOKERBOT_DATA_DIR", &data_dir)]).await;
    let status = |response: reqwest::Response| response.status().as_u16();

    assert_eq!(status(peers.post_delivery_at(bot.addr(), 0).await), 200);
    peers
        .wait_for_deliveries(Duration::from_secs(15), |n| n.contains(&0))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // its done mark, written while there is room

    let filler = disk.fill();
    for number in 1..=20 {
        assert_eq!(
            status(peers.post_delivery_at(bot.addr(), number).await),
            500,
            "delivery {number}"
        );
    }
    // One plan sent again twice, as Looker retries a failed webhook.
    for _ in 0..3 {
        assert_eq!(status(peers.post_delivery_at(bot.addr(), 21).await), 500);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(peers.delivered_numbers(), [0], "only the stored delivery was posted");

    std::fs::remove_file(filler).unwrap();
    assert_eq!(status(peers.post_delivery_at(bot.addr(), 21).await), 200, "room again");
    let delivered = peers
        .wait_for_deliveries(Duration::from_secs(15), |n| n.contains(&21))
        .await;
    assert_eq!(delivered, [0, 21]);
    bot.shutdown(Duration::from_secs(2)).await;
}
