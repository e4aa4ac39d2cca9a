//! The local dev backend as a library, so native tests can run it in-process.
//!
//! - [`convex`]: the Convex side: sync WebSocket, HTTP API, functions, reactivity, token
//!   verification.
//! - [`authkit`]: the WorkOS AuthKit side: hosted sign-in, code exchange, refresh, logout, JWKS.
//! - [`jwt`]: RS256 signing and verification shared by both.
//! - [`storage`]: the SQLite tables.
//! - [`clock`]: the wall clock, read in one place.
//! - [`controls`]: test knobs (`--test-controls`).
//! - [`config`]: the command line.

pub mod authkit;
pub mod clock;
pub mod config;
pub mod controls;
pub mod convex;
pub mod jwt;
pub mod storage;

use std::sync::Arc;

use axum::Router;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

pub use config::{Config, ConfigError};
use convex::auth::{AuthConfig, AuthConfigError, Provider, Verifier};

/// Why the backend could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Storage could not be opened.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// The auth config is unusable.
    #[error(transparent)]
    AuthConfig(#[from] AuthConfigError),
    /// The listener failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The providers trusted when no `--auth-config` is given: the built-in AuthKit, in the two
/// forms Convex's WorkOS template configures (issuer with `aud`, and the newer
/// `user_management/<client_id>` issuer without it).
pub fn default_auth_config(base_url: &str, client_id: &str) -> AuthConfig {
    let jwks = format!("{base_url}/sso/jwks/{client_id}");
    AuthConfig {
        providers: vec![
            Provider {
                kind: "customJwt".into(),
                issuer: format!("{base_url}/"),
                jwks: jwks.clone(),
                algorithm: "RS256".into(),
                application_id: Some(client_id.into()),
            },
            Provider {
                kind: "customJwt".into(),
                issuer: authkit::issuer(base_url, client_id),
                jwks,
                algorithm: "RS256".into(),
                application_id: None,
            },
        ],
    }
}

/// Whether a browser page at `origin` may call the backend: a loopback `http(s)` origin, or
/// one of `allowed` (exact, as `scheme://host[:port]`).
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    match url::Url::parse(origin) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.username().is_empty()
                && authkit::is_loopback_host(u.host())
        }
        Err(_) => false,
    }
}

/// Builds the whole HTTP application for a server reachable at `base_url`.
pub fn app(mut config: Config, base_url: String) -> Result<Router, StartError> {
    // The deployment reports this URL (e.g. to the CLI's `function-spec`).
    config.public_url.get_or_insert_with(|| base_url.clone());
    let storage = Arc::new(storage::Storage::open(config.data_dir.as_deref())?);
    let controls = Arc::new(controls::Controls::new(config.token_lifetime));
    let auth_config = match &config.auth_config {
        Some(path) => AuthConfig::load(path)?,
        None => default_auth_config(&base_url, &config.client_id),
    };
    let authkit = Arc::new(authkit::AuthKit::new(
        config.client_id.clone(),
        base_url,
        config.redirect_uris.clone(),
        storage.clone(),
        controls.clone(),
    )?);
    let test_controls = config.test_controls;
    // Browsers may call with credentials only from loopback pages and the origins the
    // command line names (and those of its redirect URIs and public URL): never any origin.
    let mut origins: Vec<String> = config.allowed_origins.clone();
    origins.extend(
        config
            .redirect_uris
            .iter()
            .chain(config.public_url.iter())
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization()),
    );
    let deployment = Arc::new(convex::Deployment::new(
        config,
        storage,
        Verifier::new(auth_config),
        controls.clone(),
    )?);
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin_allowed(origin.to_str().unwrap_or(""), &origins)
        }))
        .allow_headers(AllowHeaders::mirror_request())
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::OPTIONS,
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86400));
    let mut router = convex::routes(deployment).merge(authkit::routes(authkit.clone()));
    if test_controls {
        router = router.merge(
            controls::routes(controls)
                .merge(authkit::test_routes(authkit))
                .layer(axum::middleware::from_fn(controls::loopback_only)),
        );
    }
    Ok(router.layer(cors))
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> Result<(), StartError> {
    let base_url = match &config.public_url {
        Some(u) => u.clone(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let router = app(config, base_url)?;
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
