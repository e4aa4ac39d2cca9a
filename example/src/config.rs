//! Build-time configuration: environment variables read by the compiler, defaulting to the
//! local dev backend. The same code runs against a real Convex deployment and WorkOS when
//! built with them set:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CONVEX_URL` | `http://127.0.0.1:3210` | the deployment URL (`https://<name>.convex.cloud`) |
//! | `WORKOS_CLIENT_ID` | `client_local_dev` | the WorkOS client id |
//! | `WORKOS_API_HOSTNAME` | the dev backend's host, else `api.workos.com` | AuthKit API host (custom auth domain in production) |
//! | `WORKOS_API_PORT` | the dev backend's port | AuthKit API port |
//! | `WORKOS_API_HTTPS` | `false` locally, else `true` | scheme of the AuthKit API |
//! | `WORKOS_REDIRECT_URI` | the page's origin | where AuthKit sends users back |

/// The demo's settings.
pub struct Config {
    pub convex_url: &'static str,
    pub client_id: &'static str,
    pub api_hostname: String,
    pub api_port: Option<u16>,
    pub api_https: bool,
    pub redirect_uri: Option<&'static str>,
}

pub fn config() -> Config {
    let convex_url = option_env!("CONVEX_URL").unwrap_or("http://127.0.0.1:3210");
    // Locally the dev backend is also the AuthKit API.
    let local = convex_url
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'));
    let (local_host, local_port) = match local.and_then(|hp| hp.split_once(':')) {
        Some((h, p)) => (Some(h.to_string()), p.parse().ok()),
        None => (None, None),
    };
    Config {
        convex_url,
        client_id: option_env!("WORKOS_CLIENT_ID").unwrap_or("client_local_dev"),
        api_hostname: option_env!("WORKOS_API_HOSTNAME")
            .map(str::to_owned)
            .or(local_host)
            .unwrap_or_else(|| "api.workos.com".into()),
        api_port: option_env!("WORKOS_API_PORT")
            .and_then(|p| p.parse().ok())
            .or(local_port),
        api_https: option_env!("WORKOS_API_HTTPS")
            .map_or(local.is_none(), |v| v == "true" || v == "1"),
        redirect_uri: option_env!("WORKOS_REDIRECT_URI"),
    }
}
