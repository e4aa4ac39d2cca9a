//! The local dev backend as a library, so native tests can run it in-process.
//!
//! - [`convex`]: the Convex side: sync WebSocket, functions, reactivity.
//! - [`config`]: command-line configuration.

pub mod config;
pub mod convex;

use std::sync::Arc;

use axum::Router;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

pub use config::{Config, ConfigError};

/// Builds the whole HTTP application.
pub fn app(config: Config) -> Router {
    let state = Arc::new(convex::Deployment::new(config));
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::OPTIONS,
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86400));
    convex::routes(state).layer(cors)
}

/// Serves the application on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    axum::serve(listener, app(config)).await
}
