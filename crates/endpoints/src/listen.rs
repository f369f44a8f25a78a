//! The accept loop, in place of `axum::serve`, for what that leaves unbounded: how many connections are open, how
//! long a client may take to send its headers, and how long an idle keep-alive connection stays open.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The bounds of the listener.
#[derive(Debug, Clone, Copy)]
pub struct ListenLimits {
    /// Connections open at once; past it new ones wait unaccepted (in the kernel's listen queue) until one closes,
    /// so that descriptors remain for outbound calls and the queue file.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, counted from the end of the previous request on a
    /// keep-alive connection: it is also how long an idle connection stays open.
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
}

impl Default for ListenLimits {
    fn default() -> ListenLimits {
        ListenLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in progress finish (up to the grace).
pub async fn serve(listener: TcpListener, app: Router, limits: ListenLimits, shutdown: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // A connection slot first: past the cap, new connections wait unaccepted in the kernel's queue, holding none
        // of the bot's descriptors, and are served as soon as one frees up (a burst of real requests is answered,
        // late, rather than cut off).
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors, typically: give the connections in progress a moment to finish.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // Nearly full, a connection serves one request and closes: an idle keep-alive connection would otherwise
        // hold its slot until the header timeout while new ones wait.
        let crowded = slots.available_permits() < limits.max_connections / 4;
        let connection = if crowded {
            http.clone()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
        } else {
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
        };
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress at shutdown were cut off");
    }
}
