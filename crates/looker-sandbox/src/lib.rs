//! A stand-in for Looker API 4.0, for tests, benchmarks and demos.
//!
//! [`Sandbox::start`] serves on 127.0.0.1 the operations lookerbot uses, validated against the official spec
//! (`data/Looker.4.0.oas.json`) so that code working here works against real Looker. Query results are computed
//! for real, in SQL over deterministic e-commerce data in an embedded SQLite; charts are real PNGs. Test knobs
//! count calls, inject faults and latency, and record spec violations.

mod api;
mod auth;
mod chart;
pub mod content;
mod content_commands;
mod data;
mod data_actions;
mod detail;
mod faults;
mod field_api;
mod filters;
mod format;
mod model;
mod output;
mod query;
mod quirks;
mod render_tasks;
mod resources;
mod run;
mod search;
mod server;
pub mod shape;
#[doc(hidden)]
pub mod spec;
mod state;
mod timing;
pub mod users;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, Quirk, Violation};
pub use timing::HandlerSpan;

use state::State;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Token lifetime in seconds.
    pub expires_in: u64,
    /// 0 picks any free port.
    pub port: u16,
    /// Added to every API call.
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: "sandbox-client".into(),
            client_secret: "sandbox-secret".into(),
            expires_in: 3600,
            port: 0,
            latency: Duration::ZERO,
        }
    }
}

/// A running sandbox. Clones share the same server.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("web_url", &self.web_url())
            .finish_non_exhaustive()
    }
}

struct Inner {
    state: Arc<State>,
    addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Sandbox {
    /// Binds 127.0.0.1 and serves until [`Sandbox::shutdown`].
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Sandbox::start_on(config, chrono::Utc::now().date_naive()).await
    }

    /// Like [`Sandbox::start`], with a fixed "today" so relative dates in data and filters are deterministic.
    #[doc(hidden)]
    pub async fn start_on(config: SandboxConfig, today: NaiveDate) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let web_url = format!("http://{addr}");
        let state = State::new(
            config.client_id,
            config.client_secret,
            Duration::from_secs(config.expires_in),
            web_url,
            today,
        )
        .map_err(std::io::Error::other)?;
        state.knobs.set_latency(config.latency);
        let state = Arc::new(state);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = server::router(state.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stop_rx.await;
            });
            if let Err(e) = served.await {
                tracing::warn!(error = %e, "Looker sandbox server stopped with an error");
            }
        });
        let inner = Inner {
            state,
            addr,
            stop: Mutex::new(Some(stop_tx)),
            task: Mutex::new(Some(task)),
        };
        Ok(Sandbox { inner: Arc::new(inner) })
    }

    fn state(&self) -> &State {
        &self.inner.state
    }

    /// The Looker web URL, e.g. `http://127.0.0.1:PORT`.
    pub fn web_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// The API base URL: the web URL + `/api/4.0`.
    pub fn api_url(&self) -> String {
        format!("{}/api/4.0", self.web_url())
    }

    pub fn client_id(&self) -> &str {
        &self.state().client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.state().client_secret
    }

    /// How the bot reaches this sandbox: its addresses and API credentials, custom commands in the command folder.
    #[cfg(feature = "test-support")]
    pub fn looker_instance(&self) -> config::LookerInstance {
        config::LookerInstance::parse(&self.web_url(), &self.api_url(), self.client_id(), self.client_secret())
            .expect("the sandbox's own addresses parse")
            .with_command_folder(content::CUSTOM_COMMAND_FOLDER_ID)
    }

    /// Requests seen so far that broke the spec.
    pub fn violations(&self) -> Vec<Violation> {
        self.state().knobs.violations()
    }

    /// How many calls an operation (by spec operationId: "login", "look", "run_query", ...) received.
    pub fn calls(&self, operation_id: &str) -> u64 {
        self.state().knobs.calls(operation_id)
    }

    pub fn total_calls(&self) -> u64 {
        self.state().knobs.total_calls()
    }

    pub fn reset_counters(&self) {
        self.state().knobs.reset_counters();
    }

    /// Every call's time inside the sandbox, oldest first (the most recent 100,000 or more).
    pub fn handler_spans(&self) -> Vec<HandlerSpan> {
        self.state().timings.spans()
    }

    pub fn clear_handler_spans(&self) {
        self.state().timings.clear();
    }

    /// Delay added to every API call from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.state().knobs.set_latency(latency);
    }

    /// Makes the next `times` calls of an operation fail with `fault` (`None`: until [`Sandbox::clear_faults`]).
    pub fn inject_fault(&self, operation_id: &str, fault: Fault, times: Option<u32>) {
        self.state().knobs.inject(operation_id, fault, times);
    }

    pub fn clear_faults(&self) {
        self.state().knobs.clear_faults();
    }

    /// Answers with these habits of real Lookers from now on, on top of the spec-complete shapes (see [`Quirk`]);
    /// an empty list turns them off.
    pub fn set_quirks(&self, quirks: &[Quirk]) {
        self.state().knobs.set_quirks(quirks);
    }

    /// The Looker users of this sandbox (see [`users`]): an admin, people with and without data access, a
    /// `region` attribute behind an access filter, a disabled account.
    pub fn users(&self) -> &'static [users::User] {
        users::all()
    }

    /// Disables a user, as an admin would in Looker: their tokens stop working, `login_user` refuses them and
    /// `search_users` shows them disabled.
    pub fn disable_user(&self, user_id: &str) {
        self.state().users.disable(user_id);
    }

    /// Deletes a user: their tokens stop working and Looker knows them no more.
    pub fn delete_user(&self, user_id: &str) {
        self.state().users.delete(user_id);
    }

    /// The API key (client id, client secret) of a user who is not the admin, for logging in as them.
    pub fn api_key_of(&self, user_id: &str) -> (String, String) {
        self.state().api_key_of(user_id)
    }

    /// How many queries (runs, renders) this user was allowed to run so far.
    pub fn queries_run_by(&self, user_id: &str) -> u64 {
        self.state().runs_by(user_id)
    }

    /// Bodies received by `POST /data_actions`, in order.
    pub fn performed_data_actions(&self) -> Vec<serde_json::Value> {
        self.state()
            .data_actions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The id of the Looker user who performed each data action, in order.
    pub fn data_action_performers(&self) -> Vec<String> {
        self.state()
            .data_action_users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Invalidates every token issued so far (the next call gets 401, and the client must log in again).
    pub fn expire_tokens(&self) {
        self.state().tokens.expire_all();
    }

    /// The PNG the API returns for this query at this size (empty if the query is unknown or cannot run).
    pub fn render_png(&self, query_id: &str, width: u32, height: u32) -> Vec<u8> {
        let state = self.state();
        state
            .query(query_id)
            .and_then(|q| state.chart(&q.def, width, height).ok())
            .unwrap_or_default()
    }

    /// The PNG a dashboard render task returns, with dashboard filters in URL query form (`State=Texas`).
    pub fn render_dashboard_png(&self, dashboard_id: &str, filters: &str, width: u32, height: u32) -> Vec<u8> {
        let state = self.state();
        state
            .content
            .dashboard(dashboard_id)
            .and_then(|d| run::render_dashboard(state, users::admin(), d, filters, width, height).ok())
            .unwrap_or_default()
    }

    /// The JSON body Looker would POST to a webhook for a scheduled Look in `format` (`wysiwyg_png`, `csv`,
    /// `txt`, `json`, `json_detail`, `inline_json`), with this sandbox's data; `None` for an unknown Look or format.
    pub fn scheduled_look_webhook(&self, look_id: &str, format: &str) -> Option<serde_json::Value> {
        webhooks::scheduled_look_payload(self.state(), look_id, format)
    }

    /// Runs raw SQL returning one integer over the sandbox tables (users, products, orders, order_items).
    #[doc(hidden)]
    pub fn sql_count(&self, sql: &str) -> i64 {
        self.state()
            .sql_count(sql)
            .unwrap_or_else(|e| panic!("sql_count failed: {e}\n{sql}"))
    }

    /// The "today" the data and relative date filters are computed from.
    #[doc(hidden)]
    pub fn today(&self) -> NaiveDate {
        self.state().today
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        let stop = self.inner.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.inner.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            // Graceful shutdown waits for open connections; do not hang on a client that keeps one open.
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }
}
