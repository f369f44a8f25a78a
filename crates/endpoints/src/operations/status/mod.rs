//! `/status`: a page for operators, off unless `LOOKERBOT_STATUS_TOKEN` is set. Logging in with the token (compared
//! in constant time) sets an HttpOnly, SameSite=Strict session cookie; every form that changes something also
//! carries the session's CSRF token. The page is plain server-rendered HTML and works without JavaScript.

mod html;
mod sessions;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use queue::{JobSelection, ListFilter};
use serde::Deserialize;

pub(super) use sessions::Sessions;

use super::Operations;
use super::ready::probe_all;
use sessions::{COOKIE, Session};

/// How long a wrong login waits before its answer.
const WRONG_TOKEN_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// How many failed and waiting deliveries the page lists.
const LISTED: usize = 50;

#[derive(Deserialize)]
pub(super) struct Login {
    token: String,
}

#[derive(Deserialize)]
pub(super) struct Retry {
    id: i64,
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct Logout {
    csrf: String,
}

pub(super) async fn page(State(ops): State<Operations>, headers: HeaderMap) -> Response {
    if ops.status_token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(session) = ops.sessions.find(&headers) else {
        return Html(html::login_page(None)).into_response();
    };
    let view = gather(&ops, &session, None).await;
    no_store(Html(html::status_page(&view)).into_response())
}

pub(super) async fn login(State(ops): State<Operations>, Form(form): Form<Login>) -> Response {
    let Some(expected) = &ops.status_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !sessions::same_token(form.token.trim(), expected.expose()) {
        tracing::warn!("refused a status page login with a wrong token");
        // Slows down guessing; the comparison itself takes the same time whatever the guess.
        tokio::time::sleep(WRONG_TOKEN_DELAY).await;
        let page = html::login_page(Some("That is not the status token (LOOKERBOT_STATUS_TOKEN)."));
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    let session = ops.sessions.open();
    let cookie = format!(
        "{COOKIE}={}; Path=/status; HttpOnly; SameSite=Strict; Max-Age={}",
        session.id,
        sessions::LIFETIME.as_secs()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/status")).into_response()
}

pub(super) async fn logout(State(ops): State<Operations>, headers: HeaderMap, Form(form): Form<Logout>) -> Response {
    if let Some(session) = ops.sessions.find(&headers)
        && session.csrf_matches(&form.csrf)
    {
        ops.sessions.close(&session);
    }
    let expired = format!("{COOKIE}=; Path=/status; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, expired)], Redirect::to("/status")).into_response()
}

/// Puts a failed delivery back in the queue, like `lookerbot deliveries --retry ID`.
pub(super) async fn retry(State(ops): State<Operations>, headers: HeaderMap, Form(form): Form<Retry>) -> Response {
    if ops.status_token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(session) = ops.sessions.find(&headers) else {
        return (StatusCode::UNAUTHORIZED, Html(html::login_page(Some("Log in again.")))).into_response();
    };
    if !session.csrf_matches(&form.csrf) {
        tracing::warn!("refused a status page retry without the session's CSRF token");
        return (StatusCode::FORBIDDEN, "The form is stale: reload the status page.").into_response();
    }
    let notice = match ops.queue.requeue_failed(form.id).await {
        Ok(()) => {
            tracing::info!(job = form.id, "delivery queued again from the status page");
            format!("Delivery {} is queued again.", form.id)
        }
        Err(e) => format!("Delivery {} was not queued again: {e}", form.id),
    };
    let view = gather(&ops, &session, Some(notice)).await;
    no_store(Html(html::status_page(&view)).into_response())
}

/// Everything the page shows.
async fn gather(ops: &Operations, session: &Session, notice: Option<String>) -> html::View {
    let (connections, checks, counts, failed, waiting) = tokio::join!(
        probe_all(ops),
        ops.probes.checks(),
        ops.queue.counts(),
        ops.queue.list(ListFilter::new(JobSelection::Failed, LISTED)),
        ops.queue.list(ListFilter::new(JobSelection::Pending, LISTED)),
    );
    html::View {
        csrf: session.csrf.clone(),
        notice,
        connections,
        checks,
        counts: counts.map_err(|e| e.to_string()),
        failed: failed.map_err(|e| e.to_string()),
        waiting: waiting.map_err(|e| e.to_string()),
        problems: ops.probes.recent_problems(),
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}
