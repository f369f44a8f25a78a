//! A write-ahead log lost or damaged after a crash is loud: the files are copied as a crash leaves them (the store
//! still open), the `-wal` is then deleted, cut or scribbled over, and opening the copy must refuse with what
//! happened and what to do; `salvage` carries what is left into a fresh queue.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use queue::{Retention, SqliteStore, Store, Workers};
use rusqlite::Connection;

use crate::support::{Recorder, TempStore, fast_config, job, wait_until_drained};

/// Bytes of one WAL frame: its 24-byte header and a 4096-byte page.
const FRAME: u64 = 24 + 4096;

/// A store with 3 deliveries in the main file and 3 more only in its write-ahead log, copied as a crash would
/// leave it (the store is still open); the copy's queue file.
async fn crash_image(temp: &TempStore, into: &Path) -> PathBuf {
    for n in 0..3 {
        temp.store.enqueue(job(n)).await.unwrap();
    }
    Connection::open(temp.path())
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    for n in 3..6 {
        temp.store.enqueue(job(n)).await.unwrap();
    }
    let copy = SqliteStore::default_path(into);
    for suffix in ["", "-wal", ".in-use"] {
        std::fs::copy(
            format!("{}{suffix}", temp.path().display()),
            format!("{}{suffix}", copy.display()),
        )
        .unwrap();
    }
    copy
}

fn wal(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", path.display()))
}

fn refusal(path: &Path) -> String {
    SqliteStore::open(path, 100)
        .err()
        .expect("the start is refused")
        .to_string()
}

#[tokio::test]
async fn a_crash_image_with_its_wal_opens_with_every_delivery() {
    let temp = TempStore::new(100);
    let image = tempfile::tempdir().unwrap();
    let copy = crash_image(&temp, image.path()).await;
    let reopened = SqliteStore::open(&copy, 100).unwrap();
    assert_eq!(reopened.counts().await.unwrap().pending, 6);
}

#[tokio::test]
async fn a_wal_deleted_after_a_crash_stops_the_start_and_salvage_keeps_what_is_left() {
    let temp = TempStore::new(100);
    let image = tempfile::tempdir().unwrap();
    let copy = crash_image(&temp, image.path()).await;
    std::fs::remove_file(wal(&copy)).unwrap();

    let said = refusal(&copy);
    for part in [
        "holds deliveries up to #3, but #6 was stored",
        "-wal",
        "up to 3 deliveries",
        "--salvage",
        "--reset",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    assert_eq!(refusal(&copy), said, "it stays refused until someone acts");

    let salvaged = SqliteStore::salvage(&copy).unwrap();
    assert_eq!(
        (salvaged.waiting, salvaged.failed, salvaged.missing),
        (3, 0, 3),
        "{salvaged:?}"
    );
    assert!(salvaged.set_aside_to.exists(), "the damaged file is kept");
    let fresh = SqliteStore::open(&copy, 100).unwrap();
    assert_eq!(fresh.counts().await.unwrap().pending, 3);
    let next = fresh.enqueue(job(9)).await.unwrap().id();
    assert_eq!(next, 7, "a lost delivery's id is not given again");
}

#[tokio::test]
async fn a_wal_cut_short_after_a_crash_stops_the_start() {
    let temp = TempStore::new(100);
    let image = tempfile::tempdir().unwrap();
    let copy = crash_image(&temp, image.path()).await;
    let file = std::fs::OpenOptions::new().write(true).open(wal(&copy)).unwrap();
    file.set_len(32 + FRAME).unwrap();
    drop(file);
    let said = refusal(&copy);
    assert!(said.contains("but #6 was stored"), "{said}");
}

#[tokio::test]
async fn a_wal_with_a_damaged_frame_stops_the_start() {
    let temp = TempStore::new(100);
    let image = tempfile::tempdir().unwrap();
    let copy = crash_image(&temp, image.path()).await;
    let mut file = std::fs::OpenOptions::new().write(true).open(wal(&copy)).unwrap();
    // The page of the WAL's first frame: its checksum fails, and SQLite replays nothing from there on.
    file.seek(SeekFrom::Start(32 + 24 + 100)).unwrap();
    file.write_all(&[0x5A; 64]).unwrap();
    drop(file);
    let wal_length = std::fs::metadata(wal(&copy)).unwrap().len();
    let said = refusal(&copy);
    assert!(said.contains("holds deliveries up to #3, but #6 was stored"), "{said}");
    assert_eq!(
        std::fs::metadata(wal(&copy)).unwrap().len(),
        wal_length,
        "the -wal is left as found, for a closer look"
    );

    let found = SqliteStore::inspect(&copy).unwrap();
    assert!(found.problem.as_deref().is_some_and(|p| p == said), "{found:?}");
    assert_eq!((found.waiting, found.missing), (3, 3), "{found:?}");
    assert_eq!(refusal(&copy), said, "inspecting changed nothing");
    let salvaged = SqliteStore::salvage(&copy).unwrap();
    assert!(
        wal(&salvaged.set_aside_to).exists(),
        "the damaged -wal is kept with the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_pruned_once_done_are_not_taken_for_lost_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = SqliteStore::default_path(dir.path());
    let retention = Retention {
        keep_done: 0,
        done_max_age: Duration::ZERO,
        ..Retention::default()
    };
    let store = std::sync::Arc::new(SqliteStore::open_with_retention(&path, 100, retention).unwrap());
    for n in 0..4 {
        store.enqueue(job(n)).await.unwrap();
    }
    let dyn_store: std::sync::Arc<dyn Store> = store.clone();
    let workers = Workers::spawn(dyn_store, Recorder::succeeding(Duration::ZERO), fast_config(2));
    wait_until_drained(store.as_ref(), Duration::from_secs(10)).await;
    workers.shutdown(Duration::from_secs(1)).await;
    let pruned = store.prune_now().await.unwrap();
    assert_eq!(pruned.jobs, 4, "every done job is gone");
    drop(store);

    let reopened = SqliteStore::open(&path, 100).expect("nothing was lost");
    assert_eq!(reopened.enqueue(job(5)).await.unwrap().id(), 5);
}
