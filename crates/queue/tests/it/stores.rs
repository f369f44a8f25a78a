//! One behaviour suite, two stores: each test of the store's contract is written once, over a [`Backend`], and run
//! against SQLite (a temporary file) and PostgreSQL (a fresh database on the testbed's real server).

use std::sync::Arc;

use queue::{PostgresStore, Pruned, QueueError, Retention, SqliteStore, Store};
use tempfile::TempDir;

/// Which store a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's store keeps its data, so that it can be opened again as after a restart.
enum Place {
    File(TempDir),
    Database(String),
}

/// A store opened for one test, on data nobody else uses.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    place: Place,
    capacity: usize,
    retention: Retention,
    prune: Pruner,
}

enum Pruner {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

impl Backend {
    pub async fn open(self, capacity: usize) -> TestStore {
        self.open_with_retention(capacity, Retention::default()).await
    }

    pub async fn open_with_retention(self, capacity: usize, retention: Retention) -> TestStore {
        let place = match self {
            Backend::Sqlite => Place::File(tempfile::tempdir().expect("temporary directory")),
            Backend::Postgres => Place::Database(testbed::postgres::fresh_database()),
        };
        let (store, prune) = open_at(&place, capacity, retention).await.expect("open the store");
        TestStore {
            store,
            place,
            capacity,
            retention,
            prune,
        }
    }
}

impl TestStore {
    /// The same data opened again, as by a restarted process or another replica.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        open_at(&self.place, self.capacity, self.retention)
            .await
            .expect("reopen the store")
            .0
    }

    pub async fn prune_now(&self) -> Result<Pruned, QueueError> {
        match &self.prune {
            Pruner::Sqlite(store) => store.prune_now().await,
            Pruner::Postgres(store) => store.prune_now().await,
        }
    }
}

async fn open_at(place: &Place, capacity: usize, retention: Retention) -> Result<(Arc<dyn Store>, Pruner), QueueError> {
    Ok(match place {
        Place::File(dir) => {
            let path = SqliteStore::default_path(dir.path());
            let store = Arc::new(SqliteStore::open_with_retention(&path, capacity, retention)?);
            (store.clone(), Pruner::Sqlite(store))
        }
        Place::Database(url) => {
            let store = Arc::new(PostgresStore::connect_with_retention(url, capacity, retention).await?);
            (store.clone(), Pruner::Postgres(store))
        }
    })
}

/// Writes each named `async fn NAME(backend: Backend)` of the enclosing module as two tests, `sqlite::NAME` and
/// `postgres::NAME`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::stores::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::stores::Backend::Postgres).await
            })*
        }
    };
}
