//! The Convex side of the dev backend, and its routes (the sync WebSocket, versioned and
//! not, and `/version`).
//!
//! - [`deployment`]: the deployment: data, functions, commit fan-out.
//! - [`database`]: the data and the commit timestamp.
//! - [`functions`]: the function framework (identity, errors, the registry).
//! - [`app`]: the registered functions (the seed app's and the test helpers).
//! - [`pagination`]: the paginated list, with real cursors and journals.
//! - [`api_spec`]: the function spec the CLI reads.
//! - [`sync`]: one WebSocket session speaking the sync protocol.
//! - [`http_api`]: `POST /api/query|mutation|action`.
//! - [`auth`]: token verification for `customJwt` providers.

pub mod api_spec;
pub mod app;
pub mod auth;
pub mod database;
pub mod deployment;
pub mod functions;
pub mod http_api;
pub mod pagination;
pub mod sync;

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use deployment::Deployment;

/// The Convex routes: the sync WebSocket under `/api/sync` and `/api/<version>/sync`.
pub fn routes(deployment: Arc<Deployment>) -> Router {
    Router::new()
        .route("/api/sync", get(sync_unversioned))
        .route("/api/{version}/sync", get(sync_versioned))
        .route("/version", get(|| async { "convex-dev-backend" }))
        .merge(http_api::routes())
        .with_state(deployment)
}

async fn sync_unversioned(
    ws: WebSocketUpgrade,
    State(deployment): State<Arc<Deployment>>,
) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| sync::run(socket, deployment, false))
}

async fn sync_versioned(
    Path(version): Path<String>,
    ws: WebSocketUpgrade,
    State(deployment): State<Arc<Deployment>>,
) -> Response {
    if !is_semver(&version) {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            format!("InvalidVersion: {version:?} is not a semver"),
        )
            .into_response();
    }
    let chunks = version_at_least(&version, (1, 28, 0));
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| sync::run(socket, deployment, chunks))
}

/// Largest client frame accepted: the 16 MiB argument limit plus room for the envelope.
pub const MAX_FRAME_BYTES: usize = 17 * 1024 * 1024;

fn version_at_least(v: &str, min: (u64, u64, u64)) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let n: Vec<u64> = core.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    (
        n.first().copied().unwrap_or(0),
        n.get(1).copied().unwrap_or(0),
        n.get(2).copied().unwrap_or(0),
    ) >= min
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}
