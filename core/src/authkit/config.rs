//! The AuthKit client configuration.

use crate::json::Quoted;

/// How the client reaches AuthKit and where users come back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthKitConfig {
    /// The WorkOS client id (`client_...`).
    pub client_id: String,
    /// API host: `api.workos.com` by default, a custom auth domain in production.
    pub api_hostname: String,
    /// `https` (default) or `http`.
    pub https: bool,
    /// A port to add to the API base URL.
    pub port: Option<u16>,
    /// Where AuthKit sends the user back; its path is how a callback page is recognised.
    pub redirect_uri: String,
    /// Dev mode keeps the refresh token in localStorage (no third-party cookie needed);
    /// production relies on the auth domain's HTTP-only cookie. Defaults to true on
    /// `localhost` / `127.0.0.1`, as authkit-js does.
    pub dev_mode: bool,
    /// Refresh when the token has less than this many seconds left (default 10).
    pub refresh_buffer_secs: u64,
}

/// A configuration that cannot work.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No client id.
    #[error("AuthKit needs a client_id")]
    MissingClientId,
    /// The API hostname is empty or has a scheme, path or spaces in it.
    #[error(
        "api_hostname {} must be a bare host name such as api.workos.com or auth.example.com", Quoted(.0)
    )]
    BadHostname(String),
    /// The redirect URI is not an absolute http(s) URL.
    #[error("redirect_uri {} must be an absolute http:// or https:// URL", Quoted(.0))]
    BadRedirectUri(String),
}

impl AuthKitConfig {
    /// A configuration with authkit-js's defaults: `api.workos.com` over https, redirect to
    /// `origin`, dev mode when `origin_hostname` is `localhost` or `127.0.0.1`.
    pub fn new(client_id: impl Into<String>, origin: &str, origin_hostname: &str) -> AuthKitConfig {
        AuthKitConfig {
            client_id: client_id.into(),
            api_hostname: "api.workos.com".into(),
            https: true,
            port: None,
            redirect_uri: origin.to_owned(),
            dev_mode: default_dev_mode(origin_hostname),
            refresh_buffer_secs: 10,
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::MissingClientId);
        }
        let h = &self.api_hostname;
        if h.is_empty() || h.contains('/') || h.contains(char::is_whitespace) {
            return Err(ConfigError::BadHostname(h.clone()));
        }
        let r = &self.redirect_uri;
        let rest = r
            .strip_prefix("https://")
            .or_else(|| r.strip_prefix("http://"));
        if rest.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
            return Err(ConfigError::BadRedirectUri(r.clone()));
        }
        Ok(())
    }

    /// `scheme://host[:port]`.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(p) => format!("{scheme}://{}:{p}", self.api_hostname),
            None => format!("{scheme}://{}", self.api_hostname),
        }
    }

    /// The localStorage key of the refresh token (dev mode).
    pub fn refresh_token_key(&self) -> String {
        format!("workos:refresh-token:{}", self.client_id)
    }

    /// The sessionStorage key of the organization used for refreshes.
    pub fn org_key(&self) -> String {
        format!("workos-org-id:{}", self.client_id)
    }
}

/// The sessionStorage key of the PKCE verifier (not scoped by client id, as in authkit-js).
pub const VERIFIER_KEY: &str = "workos:code-verifier";

/// Keys older authkit-js versions used, unscoped by client id: removed on sign-out too, so a
/// session they hold cannot outlive it. `(in localStorage, in sessionStorage)`.
pub(crate) const LEGACY_KEYS: (&str, &str) = ("workos:refresh-token", "workos_organization_id");

/// authkit-js turns dev mode on for exactly these host names.
pub fn default_dev_mode(hostname: &str) -> bool {
    hostname == "localhost" || hostname == "127.0.0.1"
}

debug_as_message!(ConfigError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = AuthKitConfig::new("client_1", "http://localhost:8080", "localhost");
        assert!(c.dev_mode);
        assert_eq!(c.base_url(), "https://api.workos.com");
        assert!(!AuthKitConfig::new("c", "https://app.example.com", "app.example.com").dev_mode);
        assert!(!default_dev_mode("[::1]"));
        assert_eq!(
            AuthKitConfig {
                client_id: " ".into(),
                ..c.clone()
            }
            .validate(),
            Err(ConfigError::MissingClientId)
        );
        assert!(AuthKitConfig {
            api_hostname: "https://x".into(),
            ..c.clone()
        }
        .validate()
        .is_err());
        assert!(AuthKitConfig {
            redirect_uri: "/callback".into(),
            ..c.clone()
        }
        .validate()
        .is_err());
        let local = AuthKitConfig {
            api_hostname: "127.0.0.1".into(),
            https: false,
            port: Some(3210),
            ..c
        };
        assert_eq!(local.base_url(), "http://127.0.0.1:3210");
        assert_eq!(local.validate(), Ok(()));
    }
}
