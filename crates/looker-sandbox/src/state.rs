//! Everything the running sandbox holds: data, content, saved queries, tokens, render tasks and test knobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::Tokens;
use crate::chart::{self, ChartKind};
use crate::content::Content;
use crate::faults::Knobs;
use crate::query::{self, Executed, QueryDef, QueryError};
use crate::render_tasks::RenderTasks;
use crate::resources::StoredQuery;
use crate::timing::Timings;
use crate::users::{Directory, User};

/// How many query results the cache keeps before it starts over.
const MAX_CACHED_RESULTS: usize = 256;

/// Larger results are run again each time, so that the cache stays small.
const MAX_CACHED_ROWS: usize = 1000;

/// A query's results, when they ran, and whether this answer came from the cache.
#[derive(Clone)]
pub struct Results {
    pub executed: Arc<Executed>,
    pub ran_at: DateTime<Utc>,
    pub from_cache: bool,
}

pub struct State {
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
    pub web_url: String,
    pub today: NaiveDate,
    db: Mutex<Connection>,
    /// Results of queries run before, as Looker's query cache keeps them: the data never changes after start-up.
    results: Mutex<HashMap<String, Results>>,
    pub content: Content,
    /// Every saved query; content queries first (id = index + 1).
    queries: Mutex<Vec<StoredQuery>>,
    pub tokens: Tokens,
    pub knobs: Knobs,
    pub timings: Timings,
    pub render_tasks: RenderTasks,
    pub data_actions: Mutex<Vec<Value>>,
    /// The id of the user who performed each data action, in order.
    pub data_action_users: Mutex<Vec<String>>,
    /// How many queries each user (by id) was allowed to run.
    runs_by_user: Mutex<HashMap<String, u64>>,
    /// The users as they are now.
    pub users: Directory,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    pub fn new(
        client_id: String,
        client_secret: String,
        token_lifetime: Duration,
        web_url: String,
        today: NaiveDate,
    ) -> rusqlite::Result<State> {
        let content = Content::build();
        let queries = content
            .queries
            .iter()
            .enumerate()
            .map(|(i, def)| StoredQuery::new((i + 1).to_string(), def.clone()))
            .collect();
        Ok(State {
            client_id,
            client_secret,
            token_lifetime,
            web_url,
            today,
            db: Mutex::new(crate::data::build(today)?),
            results: Mutex::new(HashMap::new()),
            content,
            queries: Mutex::new(queries),
            tokens: Tokens::default(),
            knobs: Knobs::default(),
            timings: Timings::default(),
            render_tasks: RenderTasks::default(),
            data_actions: Mutex::new(Vec::new()),
            data_action_users: Mutex::new(Vec::new()),
            runs_by_user: Mutex::new(HashMap::new()),
            users: Directory::default(),
        })
    }

    pub fn query(&self, id: &str) -> Option<StoredQuery> {
        lock(&self.queries).iter().find(|q| q.id == id).cloned()
    }

    pub fn query_by_slug(&self, slug: &str) -> Option<StoredQuery> {
        lock(&self.queries).iter().find(|q| q.slug == slug).cloned()
    }

    /// Saves a query, returning the existing one when an identical query was saved before (as Looker does).
    pub fn save_query(&self, def: QueryDef) -> StoredQuery {
        let mut queries = lock(&self.queries);
        if let Some(existing) = queries.iter().find(|q| q.def == def) {
            return existing.clone();
        }
        let stored = StoredQuery::new((queries.len() + 1).to_string(), def);
        queries.push(stored.clone());
        stored
    }

    /// The query as `user` may run it (counted as one of their runs), or `None` when they have no data access.
    pub fn runnable(&self, user: &User, def: &QueryDef) -> Option<QueryDef> {
        let restricted = user.restrict(def)?;
        *lock(&self.runs_by_user).entry(user.id.to_owned()).or_default() += 1;
        Some(restricted)
    }

    /// The API key (client id, secret) of the user `user_id`: the configured admin key with the user's id added.
    pub fn api_key_of(&self, user_id: &str) -> (String, String) {
        let suffix = format!("-user-{user_id}");
        (
            format!("{}{suffix}", self.client_id),
            format!("{}{suffix}", self.client_secret),
        )
    }

    pub fn runs_by(&self, user_id: &str) -> u64 {
        lock(&self.runs_by_user).get(user_id).copied().unwrap_or_default()
    }

    /// A query's results, from the cache unless `cache` is false (the run endpoint's `cache` parameter; Looker
    /// answers from its cache by default). Failures are not cached.
    pub fn results(&self, def: &QueryDef, limit: Option<usize>, cache: bool) -> Result<Results, QueryError> {
        let key = format!("{def:?} limit {limit:?}");
        if cache && let Some(cached) = lock(&self.results).get(&key) {
            return Ok(Results {
                from_cache: true,
                ..cached.clone()
            });
        }
        let executed = Arc::new(query::execute(&lock(&self.db), def, self.today, limit)?);
        let fresh = Results {
            executed,
            ran_at: Utc::now(),
            from_cache: false,
        };
        if fresh.executed.rows.len() <= MAX_CACHED_ROWS {
            let mut cached = lock(&self.results);
            if cached.len() >= MAX_CACHED_RESULTS {
                cached.clear();
            }
            cached.insert(key, fresh.clone());
        }
        Ok(fresh)
    }

    /// A query's results, from the cache when there.
    pub fn run(&self, def: &QueryDef, limit: Option<usize>) -> Result<Arc<Executed>, QueryError> {
        self.results(def, limit, true).map(|results| results.executed)
    }

    /// Counts rows of raw SQL over the sandbox tables (for tests comparing with hand-written SQL).
    pub fn sql_count(&self, sql: &str) -> rusqlite::Result<i64> {
        lock(&self.db).query_row(sql, [], |row| row.get(0))
    }

    /// The first column of raw SQL's rows, as text (suggestions).
    pub fn sql_strings(&self, sql: &str) -> rusqlite::Result<Vec<String>> {
        let db = lock(&self.db);
        let mut statement = db.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        rows.collect()
    }

    /// A PNG chart of a query, following its visualization type.
    pub fn chart(&self, def: &QueryDef, width: u32, height: u32) -> Result<Vec<u8>, QueryError> {
        let result = self.run(def, None)?;
        let (_, values) = result.chart_series();
        Ok(chart::render(
            ChartKind::for_vis(def.vis_type()),
            &values,
            width,
            height,
        ))
    }
}
