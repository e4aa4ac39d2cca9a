//! Test controls: knobs the test suites turn over loopback, off unless `--test-controls`.
//!
//! - `POST /_test/drop_sockets`: every sync WebSocket is dropped without a close frame.
//! - `POST /_test/close_sockets` `{"code":N,"reason":R}`: every sync WebSocket is closed with
//!   this close code and reason (the client reconnects).
//! - `POST /_test/silence_sockets`: every open sync WebSocket goes silent: kept open, nothing
//!   sent (no Ping either), nothing read; new sockets work.
//! - `POST /_test/refresh_failures` `{"count":N,"status":S}`: the next N refresh grants fail
//!   with status S.
//! - `POST /_test/delay` `{"ms":N,"after"?:bool}`: AuthKit `authenticate` answers N ms late:
//!   before processing the request, or (`after`) once it is processed (the server consumed the
//!   token; only the answer is slow).
//! - `POST /_test/mutation_delay` `{"ms":N}`: mutations, on sync sockets and over HTTP, run
//!   N ms late (optimistic updates can be seen before the server's answer; queued HTTP
//!   mutations are told apart from one that skips the queue by time, not by luck).
//! - `POST /_test/mutation_failures` `{"count":N}`: the next N mutations on sync sockets fail
//!   without running (rollback of optimistic updates).
//! - `POST /_test/token_lifetime` `{"seconds":N}`: access tokens minted from now on expire
//!   after N s.
//! - `GET /_test/authenticate_count`: how many Authenticate messages the sync endpoint
//!   received.
//! - `POST /_test/issue_token` `{"email","lifetime"?}` and `POST /_test/issue_code`
//!   `{"email","code_challenge"}`: a session and tokens, or a sign-in code, without the hosted
//!   page (served by the AuthKit side: `authkit::test_routes`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

/// The shared knobs.
pub struct Controls {
    /// Access-token lifetime in seconds.
    pub token_lifetime: AtomicU64,
    /// Remaining injected refresh failures and their status.
    pub refresh_failures: Mutex<(u32, u16)>,
    /// Extra latency of `authenticate`, in ms.
    pub delay_ms: AtomicU64,
    /// Whether the latency comes after processing (a slow answer) rather than before.
    pub delay_after: std::sync::atomic::AtomicBool,
    /// Authenticate messages received on the sync endpoint.
    pub authenticate_count: AtomicU64,
    /// Extra latency before a sync socket runs a mutation, in ms.
    pub mutation_delay_ms: AtomicU64,
    /// How many of the next sync mutations fail without running.
    pub mutation_failures: AtomicU64,
    /// Fires to drop every sync socket.
    pub drop_sockets: broadcast::Sender<()>,
    /// Fires to close every sync socket with a code and a reason.
    pub close_sockets: broadcast::Sender<(u16, String)>,
    /// Fires to silence every open sync socket.
    pub silence_sockets: broadcast::Sender<()>,
}

impl Controls {
    /// Knobs at their defaults.
    pub fn new(token_lifetime: u64) -> Controls {
        Controls {
            token_lifetime: AtomicU64::new(token_lifetime),
            refresh_failures: Mutex::new((0, 500)),
            delay_ms: AtomicU64::new(0),
            delay_after: std::sync::atomic::AtomicBool::new(false),
            authenticate_count: AtomicU64::new(0),
            mutation_delay_ms: AtomicU64::new(0),
            mutation_failures: AtomicU64::new(0),
            drop_sockets: broadcast::channel(16).0,
            close_sockets: broadcast::channel(16).0,
            silence_sockets: broadcast::channel(16).0,
        }
    }

    /// Takes one injected mutation failure, if any is left.
    pub fn take_mutation_failure(&self) -> bool {
        self.mutation_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Takes one injected refresh failure, if any is left.
    pub fn take_refresh_failure(&self) -> Option<u16> {
        let mut f = self
            .refresh_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if f.0 == 0 {
            return None;
        }
        f.0 -= 1;
        Some(f.1)
    }
}

#[derive(Deserialize)]
struct Failures {
    count: u32,
    status: u16,
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

#[derive(Deserialize)]
struct Delay {
    ms: u64,
    #[serde(default)]
    after: bool,
}

#[derive(Deserialize)]
struct Lifetime {
    seconds: u64,
}

/// Refuses test-control calls from anywhere but loopback, whatever address the server binds.
pub async fn loopback_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    match peer {
        Some(ip) if ip.is_loopback() => next.run(request).await,
        _ => (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "test controls answer loopback callers only"})),
        )
            .into_response(),
    }
}

/// A close code and reason for `/_test/close_sockets`.
#[derive(Deserialize)]
struct CloseWith {
    code: u16,
    reason: String,
}

/// The `/_test/*` routes.
pub fn routes(controls: Arc<Controls>) -> Router {
    Router::new()
        .route(
            "/_test/drop_sockets",
            post(|State(controls): State<Arc<Controls>>| async move {
                let dropped = controls.drop_sockets.send(()).unwrap_or(0);
                eprintln!("[test-controls] dropping {dropped} sync sockets");
                Json(json!({"dropped": dropped}))
            }),
        )
        .route(
            "/_test/close_sockets",
            post(
                |State(controls): State<Arc<Controls>>, Json(close): Json<CloseWith>| async move {
                    let reason: String = close.reason.chars().take(120).collect();
                    let closed = controls
                        .close_sockets
                        .send((close.code, reason))
                        .unwrap_or(0);
                    Json(json!({"closed": closed}))
                },
            ),
        )
        .route(
            "/_test/refresh_failures",
            post(
                |State(controls): State<Arc<Controls>>, Json(failures): Json<Failures>| async move {
                    if !(400..=599).contains(&failures.status) {
                        return (
                            StatusCode::BAD_REQUEST,
                            Json(json!({"error": "status must be 400-599"})),
                        );
                    }
                    *controls
                        .refresh_failures
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = (failures.count, failures.status);
                    (StatusCode::OK, Json(json!({"ok": true})))
                },
            ),
        )
        .route(
            "/_test/silence_sockets",
            post(|State(controls): State<Arc<Controls>>| async move {
                let silenced = controls.silence_sockets.send(()).unwrap_or(0);
                Json(json!({ "silenced": silenced }))
            }),
        )
        .route(
            "/_test/mutation_failures",
            post(
                |State(controls): State<Arc<Controls>>, Json(count): Json<Count>| async move {
                    controls
                        .mutation_failures
                        .store(count.count.min(1000), Ordering::SeqCst);
                    Json(json!({"ok": true}))
                },
            ),
        )
        .route(
            "/_test/mutation_delay",
            post(
                |State(controls): State<Arc<Controls>>, Json(delay): Json<Delay>| async move {
                    controls
                        .mutation_delay_ms
                        .store(delay.ms.min(60_000), Ordering::SeqCst);
                    Json(json!({"ok": true}))
                },
            ),
        )
        .route(
            "/_test/delay",
            post(
                |State(controls): State<Arc<Controls>>, Json(delay): Json<Delay>| async move {
                    controls
                        .delay_ms
                        .store(delay.ms.min(60_000), Ordering::SeqCst);
                    controls.delay_after.store(delay.after, Ordering::SeqCst);
                    Json(json!({"ok": true}))
                },
            ),
        )
        .route(
            "/_test/token_lifetime",
            post(
                |State(controls): State<Arc<Controls>>, Json(lifetime): Json<Lifetime>| async move {
                    controls
                        .token_lifetime
                        .store(lifetime.seconds.clamp(1, 86_400), Ordering::SeqCst);
                    Json(json!({"ok": true}))
                },
            ),
        )
        .route(
            "/_test/authenticate_count",
            get(|State(controls): State<Arc<Controls>>| async move {
                Json(json!({"count": controls.authenticate_count.load(Ordering::SeqCst)}))
            }),
        )
        .with_state(controls)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn call_from(peer: &str) -> StatusCode {
        let app =
            routes(Arc::new(Controls::new(300))).layer(axum::middleware::from_fn(loopback_only));
        let mut request = Request::get("/_test/authenticate_count")
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        app.oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn only_loopback_callers_reach_the_controls() {
        assert_eq!(call_from("127.0.0.1:5000").await, StatusCode::OK);
        assert_eq!(call_from("[::1]:5000").await, StatusCode::OK);
        // In-process requests with a made-up peer address: no traffic leaves the process.
        assert_eq!(call_from("10.1.2.3:5000").await, StatusCode::FORBIDDEN);
        assert_eq!(call_from("203.0.113.7:5000").await, StatusCode::FORBIDDEN);
    }
}
