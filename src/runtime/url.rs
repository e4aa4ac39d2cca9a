//! Deployment URL handling: from `https://x.convex.cloud` to the sync WebSocket URL.

use convex_yew_core::protocol::PROTOCOL_CLIENT_VERSION;

use crate::error::DeploymentUrlError;

/// Maps a deployment URL to its sync WebSocket URL, as the official client does:
/// `http` → `ws`, `https` → `wss`, then `/api/<version>/sync`. A trailing `/` is dropped:
/// `https://happy-otter-123.convex.cloud` gives
/// `wss://happy-otter-123.convex.cloud/api/1.49.0/sync`.
#[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
pub fn sync_url(deployment_url: &str) -> Result<String, DeploymentUrlError> {
    sync_url_with(deployment_url, false)
}

/// [`sync_url`], accepting a `.convex.site` host when `skip_check` (a proxy in front of the
/// deployment, the JS client's `skipConvexDeploymentUrlCheck`).
pub fn sync_url_with(deployment_url: &str, skip_check: bool) -> Result<String, DeploymentUrlError> {
    let trimmed = deployment_url.trim_end_matches('/');
    let (scheme, rest) = convex_yew_core::split_once_text(trimmed, "://")
        .ok_or_else(|| DeploymentUrlError::BadScheme(deployment_url.to_owned()))?;
    let ws = match scheme {
        "http" => "ws",
        "https" => "wss",
        _ => return Err(DeploymentUrlError::BadScheme(deployment_url.to_owned())),
    };
    if rest.is_empty() {
        return Err(DeploymentUrlError::NoHost(deployment_url.to_owned()));
    }
    if !skip_check
        && rest
            .split('/')
            .next()
            .is_some_and(|h| h.ends_with(".convex.site"))
    {
        return Err(DeploymentUrlError::ConvexSite(deployment_url.to_owned()));
    }
    Ok(format!("{ws}://{rest}/api/{PROTOCOL_CLIENT_VERSION}/sync"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_urls_map_to_sync_urls() {
        assert_eq!(
            sync_url("https://happy-otter-123.convex.cloud/").unwrap(),
            "wss://happy-otter-123.convex.cloud/api/1.49.0/sync"
        );
        assert!(sync_url("ftp://x").is_err());
    }
}
