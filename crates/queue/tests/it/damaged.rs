//! A damaged queue is loud: a bad row becomes a dead letter while the rest flows; a lost or damaged file stops the
//! start with what to do.

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use queue::{JobSelection, JobStatus, ListFilter, SqliteStore, Store, Workers};
use rusqlite::Connection;

use crate::support::{Recorder, TempStore, fast_config, job, wait_until_drained};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_that_is_not_utf_8_is_parked_as_failed_and_the_rest_are_delivered() {
    let temp = TempStore::new(100);
    for n in 0..3 {
        temp.store.enqueue(job(n)).await.unwrap();
    }
    let raw = Connection::open(temp.path()).unwrap();
    raw.execute(
        "INSERT INTO jobs (kind, payload, status, attempts, created_at, queued_at, next_attempt_at)
         VALUES ('test', CAST(x'7b22ff22fe7d' AS TEXT), 'pending', 0, 0, 0, 0)",
        [],
    )
    .unwrap();
    for n in 3..6 {
        temp.store.enqueue(job(n)).await.unwrap();
    }

    let listed = temp.store.list(ListFilter::new(JobSelection::All, 10)).await.unwrap();
    assert_eq!(listed.len(), 7, "the damaged row is listed too");

    let recorder = Recorder::succeeding(Duration::ZERO);
    let workers = Workers::spawn(temp.dyn_store(), recorder.clone(), fast_config(2));
    wait_until_drained(temp.store.as_ref(), Duration::from_secs(10)).await;
    workers.shutdown(Duration::from_secs(1)).await;
    assert_eq!(recorder.attempts_per_job().len(), 6, "every good job was delivered");
    let failed = crate::support::failed_jobs(temp.store.as_ref()).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, JobStatus::Failed);
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("damaged"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn an_emptied_queue_file_stops_the_start_until_it_is_reset() {
    let temp = TempStore::new(10);
    temp.store.enqueue(job(1)).await.unwrap();
    let path = temp.path();
    drop(temp.store);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::File::create(&path).unwrap(); // truncated to zero bytes

    let refused = SqliteStore::open(&path, 10).err().expect("refused");
    assert!(refused.to_string().contains("missing or empty"), "{refused}");
    assert!(refused.to_string().contains("--reset"), "{refused}");

    let aside = SqliteStore::set_aside(&path).unwrap();
    assert!(aside.exists());
    let fresh = SqliteStore::open(&path, 10).unwrap();
    assert_eq!(fresh.counts().await.unwrap().pending, 0);
}

/// A closed queue file holding 200 waiting deliveries, all of them in the main file (its `-wal` checkpointed).
async fn checkpointed_queue() -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = TempStore::new(1000);
    for n in 0..200 {
        temp.store.enqueue(job(n)).await.unwrap();
    }
    let path = temp.path();
    let TempStore { dir, store } = temp;
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    (dir, path)
}

#[tokio::test]
async fn a_queue_file_with_damaged_pages_stops_the_start() {
    let (_dir, path) = checkpointed_queue().await;
    // Scribble over the file's second page.
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start(4096 + 8)).unwrap();
    file.write_all(&[0xA5; 512]).unwrap();
    drop(file);

    let refused = SqliteStore::open(&path, 1000).err().expect("refused");
    assert!(refused.to_string().contains("damaged"), "{refused}");
    assert!(refused.to_string().contains("--salvage"), "{refused}");
}

#[tokio::test]
async fn salvage_carries_the_rows_that_can_be_read_out_of_damaged_pages() {
    let (_dir, path) = checkpointed_queue().await;
    // Scribble over one leaf page of the jobs table (the one holding job 100), not its root.
    let page: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'jobs' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 2",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start((page as u64 - 1) * 4096)).unwrap();
    file.write_all(&[0xA5; 4096]).unwrap();
    drop(file);
    assert!(SqliteStore::open(&path, 1000).is_err());

    let salvaged = SqliteStore::salvage(&path).unwrap();
    assert!(salvaged.unreadable > 0 && salvaged.waiting > 0, "{salvaged:?}");
    assert_eq!(
        salvaged.waiting + salvaged.unreadable + salvaged.missing,
        200,
        "{salvaged:?}"
    );
    let fresh = SqliteStore::open(&path, 1000).unwrap();
    assert_eq!(fresh.counts().await.unwrap().pending, salvaged.waiting);
}
