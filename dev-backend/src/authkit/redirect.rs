//! Sending the browser back: where it may be sent (the redirect allow-list) and how (`302`
//! with query parameters), for sign-in codes, authorize errors and logout.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Where sign-in codes and logout may send the browser: a loopback `http(s)` URL, or one of
/// the URIs given with `--redirect-uri` (compared exactly). Parsed with a real URL parser:
/// userinfo (`http://localhost:1@evil.example/`), fragments, and anything but a host of
/// `127.0.0.1`, `localhost` or `[::1]` are refused.
pub fn redirect_allowed(uri: &str, extra: &[String]) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return false;
    }
    if extra.iter().any(|u| u == uri) {
        return true;
    }
    matches!(url.scheme(), "http" | "https") && is_loopback_host(url.host())
}

/// `127.0.0.1` (any of 127/8), `localhost` or `[::1]`.
pub fn is_loopback_host(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A `302 Found` redirect, as WorkOS answers.
pub(super) fn found(uri: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, uri.to_string())]).into_response()
}

/// `uri` with `params` appended to its query.
pub(super) fn with_query(uri: &str, params: &[(&str, String)]) -> String {
    let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{encoded}")
}
