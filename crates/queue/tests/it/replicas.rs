//! Several replicas on one real PostgreSQL database: they share the deliveries without doing one twice, finish the
//! jobs of a replica killed with SIGKILL once its leases expire, handle an event delivered to two of them once, and
//! lose nothing acknowledged when PostgreSQL restarts under them.
//!
//! The killed replica is this same test binary, run with `REPLICA_CHILD_URL` set so that [`replica_child_role`]
//! does the child's work.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use queue::{
    Job, JobError, JobHandler, JobSelection, ListFilter, PostgresStore, QueueError, Store, WorkerConfig, Workers,
};
use testbed::postgres::{Cluster, fresh_database};

use crate::crash::{KillOnDrop, ReceiptWriter, read_receipts, receipts_path};
use crate::support::{Recorder, fast_config, job, wait_until, wait_until_drained};

const CHILD_URL_VAR: &str = "REPLICA_CHILD_URL";
const CHILD_DIR_VAR: &str = "REPLICA_CHILD_DIR";
const LEASE: Duration = Duration::from_millis(500);
const PATIENCE: Duration = Duration::from_secs(120);

/// One replica: its own connections to the shared database, and its own workers.
struct Replica {
    store: Arc<PostgresStore>,
    workers: Workers,
}

impl Replica {
    async fn start(url: &str, handler: Arc<dyn JobHandler>, config: WorkerConfig) -> Replica {
        let store = Arc::new(PostgresStore::connect(url, 10_000).await.expect("connect a replica"));
        let workers = Workers::spawn(store.clone(), handler, config);
        Replica { store, workers }
    }
}

fn replica_config(workers: usize) -> WorkerConfig {
    WorkerConfig {
        lease: LEASE,
        ..fast_config(workers)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_share_1000_deliveries_none_twice_none_lost() {
    let url = fresh_database();
    let recorders: Vec<Arc<Recorder>> = (0..3).map(|_| Recorder::succeeding(Duration::from_millis(1))).collect();
    let mut replicas = Vec::new();
    for recorder in &recorders {
        replicas.push(Replica::start(&url, recorder.clone(), replica_config(4)).await);
    }
    // Webhooks land on the replicas in turn, as behind a load balancer.
    let mut accepted = HashSet::new();
    for n in 0..1000u32 {
        let replica = &replicas[n as usize % replicas.len()];
        accepted.insert(replica.workers.enqueuer().enqueue(job(n)).await.unwrap().id());
    }
    assert_eq!(accepted.len(), 1000);
    wait_until_drained(replicas[0].store.as_ref(), PATIENCE).await;

    let mut delivered: HashMap<i64, usize> = HashMap::new();
    for recorder in &recorders {
        let by_this_one = recorder.attempts_per_job();
        assert!(!by_this_one.is_empty(), "every replica takes a share");
        for (id, attempts) in by_this_one {
            *delivered.entry(id).or_default() += attempts;
        }
    }
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(delivered.keys().copied().collect::<HashSet<_>>(), accepted, "none lost");
    assert_eq!(replicas[0].store.counts().await.unwrap().done, 1000);
    for replica in replicas {
        replica.workers.shutdown(Duration::from_secs(5)).await;
    }
}

/// Deliveries that take long enough that the child is in the middle of some whenever it is killed.
struct SlowReceipts(ReceiptWriter);

#[async_trait]
impl JobHandler for SlowReceipts {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.0.handle(job).await
    }
}

/// The child replica's work; does nothing when run as an ordinary test.
#[tokio::test]
async fn replica_child_role() {
    let (Ok(url), Some(dir)) = (
        std::env::var(CHILD_URL_VAR),
        std::env::var_os(CHILD_DIR_VAR).map(PathBuf::from),
    ) else {
        return;
    };
    let handler = Arc::new(SlowReceipts(ReceiptWriter {
        path: receipts_path(&dir),
    }));
    let _replica = Replica::start(&url, handler, replica_config(2)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    panic!("the parent never killed this replica");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_run_has_its_jobs_finished_by_the_others() {
    let url = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let store = PostgresStore::connect(&url, 10_000).await.unwrap();
    let mut accepted = HashSet::new();
    for n in 0..300 {
        accepted.insert(store.enqueue(job(n)).await.unwrap().id());
    }
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args(["replicas::replica_child_role", "--exact", "--test-threads=1"])
            .env(CHILD_URL_VAR, &url)
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("the child replica delivered some", PATIENCE, || async {
        read_receipts(dir.path()).len() >= 4
    })
    .await;
    let recorder = Recorder::succeeding(Duration::from_millis(30));
    let mut others = Vec::new();
    for _ in 0..2 {
        others.push(Replica::start(&url, recorder.clone(), replica_config(2)).await);
    }
    child.0.kill().unwrap(); // SIGKILL: the child's leases are left behind
    child.0.wait().unwrap();
    let by_child = read_receipts(dir.path());

    wait_until_drained(&store, PATIENCE).await;
    let mut delivered: HashMap<i64, usize> = recorder.attempts_per_job();
    for id in &by_child {
        *delivered.entry(*id).or_default() += 1;
    }
    assert_eq!(delivered.keys().copied().collect::<HashSet<_>>(), accepted, "none lost");
    let twice = delivered.values().filter(|n| **n > 1).count();
    assert!(
        twice <= 2,
        "only the jobs the killed replica was delivering may go out twice, not {twice}"
    );
    let jobs = store.list(ListFilter::new(JobSelection::All, 1000)).await.unwrap();
    assert!(
        jobs.iter().any(|job| job.attempts > 1),
        "a job the killed replica held was taken over once its lease expired"
    );
    for replica in others {
        replica.workers.shutdown(Duration::from_secs(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_migrate_the_database_once() {
    let url = fresh_database();
    let starts = (0..4).map(|_| PostgresStore::connect(&url, 10));
    for started in futures::future::join_all(starts).await {
        let store = started.expect("every replica starts");
        assert_eq!(store.counts().await.unwrap(), queue::Counts::default());
    }
}

#[tokio::test]
async fn a_database_from_a_newer_lookerbot_and_a_bad_url_are_refused() {
    let error = PostgresStore::connect("mysql://db/lookerbot", 10).await.err().unwrap();
    assert!(
        matches!(&error, QueueError::InvalidConfig(why) if why.contains("postgres://")),
        "{error}"
    );
    let url = fresh_database();
    drop(PostgresStore::connect(&url, 10).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    client
        .batch_execute("INSERT INTO lookerbot_migrations (version) VALUES (99)")
        .await
        .unwrap();
    drop(client);
    let _ = connection.await;
    let error = PostgresStore::connect(&url, 10).await.err().unwrap().to_string();
    assert!(error.contains("newer lookerbot"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_delivered_to_two_replicas_is_handled_once() {
    let url = fresh_database();
    let first = PostgresStore::connect(&url, 10).await.unwrap();
    let second = PostgresStore::connect(&url, 10).await.unwrap();
    let ttl = Duration::from_secs(600);
    for n in 0..200 {
        let key = format!("Ev{n:04}");
        let (a, b) = tokio::join!(first.first_sighting(&key, ttl), second.first_sighting(&key, ttl));
        assert!(a.unwrap() ^ b.unwrap(), "exactly one replica handles event {key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_loses_nothing_acknowledged() {
    let mut cluster = Cluster::create();
    let recorder = Recorder::succeeding(Duration::from_millis(5));
    let replica = Replica::start(&cluster.url(), recorder.clone(), replica_config(2)).await;
    let enqueuer = replica.workers.enqueuer();
    let mut acknowledged = HashSet::new();
    for n in 0..50 {
        acknowledged.insert(enqueuer.enqueue(job(n)).await.unwrap().id());
    }

    tokio::task::block_in_place(|| cluster.stop());
    let refused = enqueuer.enqueue(job(1000)).await.unwrap_err();
    assert!(
        matches!(&refused, QueueError::Unavailable(why) if why.contains("PostgreSQL")),
        "while PostgreSQL is down, enqueues fail (webhooks get 503): {refused}"
    );
    tokio::task::block_in_place(|| cluster.start());

    // The first enqueues after the restart may still meet connections the restart closed.
    let deadline = Instant::now() + PATIENCE;
    for n in 50.. {
        match enqueuer.enqueue(job(n)).await {
            Ok(outcome) => {
                acknowledged.insert(outcome.id());
                break;
            }
            Err(error) => assert!(Instant::now() < deadline, "enqueues still fail: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 1000..1050 {
        acknowledged.insert(enqueuer.enqueue(job(n)).await.unwrap().id());
    }

    wait_until_drained(replica.store.as_ref(), PATIENCE).await;
    let delivered: HashSet<i64> = recorder.attempts_per_job().into_keys().collect();
    let lost: Vec<_> = acknowledged.difference(&delivered).collect();
    assert!(lost.is_empty(), "acknowledged but never delivered: {lost:?}");
    replica.workers.shutdown(Duration::from_secs(5)).await;
}
