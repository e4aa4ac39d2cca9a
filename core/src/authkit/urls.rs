//! The authorize and logout URLs, and the callback page.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::config::AuthKitConfig;
use crate::json::JsonError;

/// The app's `state` through a sign-in: any JSON value, carried to the authorize page and back
/// to the callback page as JSON text (authkit-js's `state`, any JSON-serialisable value). It
/// comes back untrusted: check a return URL in it is same-origin before using it.
///
/// ```
/// use convex_yew_core::authkit::urls::SignInState;
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Return { to: String }
/// let state = SignInState::new(&Return { to: "/docs".into() }).unwrap();
/// assert_eq!(state.as_json(), r#"{"to":"/docs"}"#);
/// assert_eq!(state.get::<Return>().unwrap(), Return { to: "/docs".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInState(String);

impl SignInState {
    /// `value` as JSON text.
    ///
    /// # Errors
    /// [`JsonError`] when `value` has no JSON form (a map with non-string keys, say).
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<SignInState, JsonError> {
        crate::json::try_to_string(value).map(SignInState)
    }

    /// The state read as `T` (your own type, or `serde_json::Value` for any JSON).
    ///
    /// # Errors
    /// [`JsonError`] when the state does not have `T`'s shape.
    pub fn get<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        crate::json::from_str(&self.0)
    }

    /// The JSON text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// JSON text from a callback page, without the whitespace around it; `None` when it is
    /// not JSON.
    fn from_json(text: &str) -> Option<SignInState> {
        let text = text.trim_matches([' ', '\t', '\n', '\r']);
        crate::json::validate(text)
            .ok()
            .map(|()| SignInState(text.to_owned()))
    }

    /// JavaScript's truthiness of the value: authkit-js sends only a truthy `state`.
    fn truthy(&self) -> bool {
        match self.0.as_bytes().first() {
            Some(b'n' | b'f') => false,
            Some(b'"') => self.0 != r#""""#,
            Some(b'-' | b'0'..=b'9') => crate::json::read_f64(&self.0).is_some_and(|f| f != 0.0),
            _ => true,
        }
    }
}

/// Options of `sign_in` / `sign_up`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignInOptions {
    /// Any JSON value; comes back to the app after the redirect (untrusted).
    pub state: Option<SignInState>,
    /// Pre-fills the email field.
    pub login_hint: Option<String>,
    /// Signs into this organization.
    pub organization_id: Option<String>,
    /// Accepts an invitation.
    pub invitation_token: Option<String>,
    /// Continues a password reset.
    pub password_reset_token: Option<String>,
}

/// `application/x-www-form-urlencoded`, as `URLSearchParams` writes it.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes one form-encoded component (`+` is a space); invalid escapes stay as written.
pub fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A hex digit's value.
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a query string (with or without the leading `?`) into ordered pairs.
pub fn parse_query(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(kv), String::new()),
        })
        .collect()
}

fn join(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The authorize URL authkit-js builds: keys sorted, empty values left out.
pub fn authorize_url(
    config: &AuthKitConfig,
    options: &SignInOptions,
    code_challenge: &str,
    sign_up: bool,
) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("client_id", config.client_id.clone()),
        ("code_challenge", code_challenge.to_owned()),
        ("code_challenge_method", "S256".into()),
        (
            "invitation_token",
            options.invitation_token.clone().unwrap_or_default(),
        ),
        ("login_hint", options.login_hint.clone().unwrap_or_default()),
        (
            "organization_id",
            options.organization_id.clone().unwrap_or_default(),
        ),
        (
            "password_reset_token",
            options.password_reset_token.clone().unwrap_or_default(),
        ),
        ("provider", "authkit".into()),
        ("redirect_uri", config.redirect_uri.clone()),
        ("response_type", "code".into()),
        (
            "screen_hint",
            if sign_up {
                "sign-up".into()
            } else {
                String::new()
            },
        ),
        (
            "state",
            options
                .state
                .as_ref()
                .filter(|s| s.truthy())
                .map(|s| s.0.clone())
                .unwrap_or_default(),
        ),
    ];
    // Written in key order (a test checks it): no sort is compiled in.
    pairs.retain(|(_, v)| !v.is_empty());
    format!(
        "{}/user_management/authorize?{}",
        config.base_url(),
        join(&pairs)
    )
}

/// The logout URL for a session; `return_to` only when given.
pub fn logout_url(config: &AuthKitConfig, session_id: &str, return_to: Option<&str>) -> String {
    let mut pairs = vec![("session_id", session_id.to_owned())];
    if let Some(r) = return_to {
        pairs.push(("return_to", r.to_owned()));
    }
    format!(
        "{}/user_management/sessions/logout?{}",
        config.base_url(),
        join(&pairs)
    )
}

/// The path part of an absolute URL (`/` when there is none).
pub fn path_of(url: &str) -> &str {
    let rest = crate::split_once_text(url, "://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// What a callback page carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The one-time code.
    pub code: String,
    /// The app's state (absent when missing or not JSON).
    pub state: Option<SignInState>,
}

/// A page is a callback when it has `?code=` and its path is the redirect URI's path (with or
/// without one trailing `/`).
pub fn callback(config: &AuthKitConfig, pathname: &str, search: &str) -> Option<Callback> {
    let want = path_of(&config.redirect_uri);
    let same = |a: &str, b: &str| {
        a == b || a.strip_suffix('/') == Some(b) || b.strip_suffix('/') == Some(a)
    };
    if !same(pathname, want) {
        return None;
    }
    let q = parse_query(search);
    let code = q
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .filter(|c| !c.is_empty())?;
    let state = q
        .iter()
        .find(|(k, _)| k == "state")
        .and_then(|(_, v)| SignInState::from_json(v));
    Some(Callback { code, state })
}

/// The query string without `code` and `state` (other parameters stay), for `replaceState`.
pub fn clean_search(search: &str) -> String {
    let kept: Vec<String> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| {
            let key = form_decode(kv.split('=').next().unwrap_or(""));
            key != "code" && key != "state"
        })
        .map(str::to_owned)
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(v: serde_json::Value) -> Option<SignInState> {
        Some(SignInState::new(&v).unwrap())
    }

    fn config() -> AuthKitConfig {
        AuthKitConfig {
            client_id: "client_01ABC".into(),
            api_hostname: "auth.example.test".into(),
            https: true,
            port: None,
            redirect_uri: "https://app.example.test/callback".into(),
            dev_mode: false,
            refresh_buffer_secs: 10,
        }
    }

    #[test]
    fn authorize_url_matches_authkit_js() {
        let opts = SignInOptions {
            state: state(json!({"returnTo": "/docs"})),
            ..Default::default()
        };
        let url = authorize_url(&config(), &opts, "q1w2", true);
        assert_eq!(
            url,
            "https://auth.example.test/user_management/authorize?client_id=client_01ABC&code_challenge=q1w2&code_challenge_method=S256&provider=authkit&redirect_uri=https%3A%2F%2Fapp.example.test%2Fcallback&response_type=code&screen_hint=sign-up&state=%7B%22returnTo%22%3A%22%2Fdocs%22%7D"
        );
        let plain = authorize_url(
            &config(),
            &SignInOptions {
                login_hint: Some("a b@c".into()),
                state: state(json!(false)),
                ..Default::default()
            },
            "x",
            false,
        );
        assert!(plain.contains("login_hint=a+b%40c"));
        assert!(!plain.contains("screen_hint") && !plain.contains("state="));
    }

    #[test]
    fn authorize_url_keys_are_sorted_with_every_option() {
        let every = SignInOptions {
            state: state(json!("s")),
            login_hint: Some("l".into()),
            organization_id: Some("o".into()),
            invitation_token: Some("i".into()),
            password_reset_token: Some("p".into()),
        };
        let url = authorize_url(&config(), &every, "c", true);
        let keys: Vec<&str> = url
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|pair| pair.split_once('=').unwrap().0)
            .collect();
        assert_eq!(keys.len(), 12, "{url}");
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn callbacks_and_clean_up() {
        let c = config();
        let cb = callback(&c, "/callback/", "?code=abc&state=%7B%22x%22%3A1%7D&keep=1").unwrap();
        assert_eq!(cb.code, "abc");
        assert_eq!(cb.state, state(json!({"x": 1})));
        assert_eq!(
            cb.state.unwrap().get::<serde_json::Value>().unwrap(),
            json!({"x": 1})
        );
        assert_eq!(callback(&c, "/other", "?code=abc"), None);
        assert_eq!(callback(&c, "/callback", "?state=1"), None);
        assert_eq!(
            callback(&c, "/callback", "?code=abc&state=not-json")
                .unwrap()
                .state,
            None
        );
        // Whitespace around the state is not part of it: " 0" is 0, falsy, so not sent again.
        let spaced = callback(&c, "/callback", "?code=abc&state=%200%0A").unwrap();
        assert_eq!(spaced.state.as_ref().map(SignInState::as_json), Some("0"));
        let again = SignInOptions {
            state: spaced.state,
            ..Default::default()
        };
        assert!(!authorize_url(&c, &again, "x", false).contains("state="));
        assert_eq!(clean_search("?code=abc&state=x&keep=1"), "?keep=1");
        assert_eq!(clean_search("?code=abc"), "");
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
        // As `URLSearchParams` decodes: `+` is a space, `%` needs two hex digits (a sign is
        // not one), bytes that are not UTF-8 become U+FFFD.
        assert_eq!(form_decode("%+f%-1a+b%41%e9%C3%A9"), "% f%-1a bA\u{fffd}é");
    }

    /// A state is sent only when JavaScript would find it truthy, as authkit-js does.
    #[test]
    fn only_a_truthy_state_is_sent() {
        for (value, sent) in [
            (json!(null), false),
            (json!(false), false),
            (json!(0), false),
            (json!(-0.0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!(true), true),
            (json!(1), true),
            (json!(-0.5), true),
            (json!("0"), true),
            (json!([]), true),
            (json!({}), true),
        ] {
            let options = SignInOptions {
                state: state(value.clone()),
                ..Default::default()
            };
            let url = authorize_url(&config(), &options, "c", false);
            assert_eq!(url.contains("&state="), sent, "{value}: {url}");
        }
    }

    #[test]
    fn logout_url_shape() {
        assert_eq!(
            logout_url(&config(), "session_1", Some("https://app.example.test/")),
            "https://auth.example.test/user_management/sessions/logout?session_id=session_1&return_to=https%3A%2F%2Fapp.example.test%2F"
        );
    }
}
