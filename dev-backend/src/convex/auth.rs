//! Token verification as Convex does it for `customJwt` providers (`auth.config.ts`).
//!
//! The config file is the JSON form of auth.config.ts:
//! ```json
//! {"providers": [{"type": "customJwt",
//!                 "issuer": "https://api.workos.com/user_management/client_x",
//!                 "jwks": "https://api.workos.com/sso/jwks/client_x", "algorithm": "RS256",
//!                 "applicationID": "optional audience"}]}
//! ```
//! Steps: route the token to the first provider whose issuer matches (and whose
//! `applicationID` is in `aud`, when set), fetch the JWKS (cached), verify the RS256 signature by
//! `kid`, check issuer, audience and times with 5 s leeway, then build the identity.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use convex_yew_core::value::Value;
use rsa::RsaPublicKey;
use serde::Deserialize;
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::functions::Identity;
use crate::clock::now_secs;
use crate::jwt::{public_key_from_jwk, Untrusted};

/// The leeway of time checks, as the Convex backend uses.
pub const LEEWAY_SECS: u64 = 5;
const JWKS_CACHE: Duration = Duration::from_secs(300);

/// One provider from the config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Provider {
    /// Must be `customJwt`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The `iss` it accepts.
    pub issuer: String,
    /// The JWKS URL (`http://` or `data:`).
    pub jwks: String,
    /// Only `RS256` is supported.
    pub algorithm: String,
    /// When set, must appear in `aud`.
    #[serde(rename = "applicationID", default)]
    pub application_id: Option<String>,
}

/// The whole config.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
pub struct AuthConfig {
    /// Providers, tried in order.
    pub providers: Vec<Provider>,
}

/// A config that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// Unreadable file.
    #[error("cannot read auth config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not the expected JSON.
    #[error(
        "auth config is not valid: {0} (expected {{\"providers\": [{{\"type\": \"customJwt\", \
         \"issuer\", \"jwks\", \"algorithm\": \"RS256\", \"applicationID\"?}}]}})"
    )]
    Parse(String),
    /// A provider kind or algorithm this backend does not implement.
    #[error("provider {issuer:?}: {reason}")]
    Unsupported {
        /// Which provider.
        issuer: String,
        /// What is unsupported.
        reason: String,
    },
}

impl AuthConfig {
    /// Parses and checks a config.
    pub fn parse(text: &str) -> Result<AuthConfig, AuthConfigError> {
        let config: AuthConfig =
            serde_json::from_str(text).map_err(|e| AuthConfigError::Parse(e.to_string()))?;
        for p in &config.providers {
            if p.kind != "customJwt" {
                return Err(AuthConfigError::Unsupported {
                    issuer: p.issuer.clone(),
                    reason: format!("type {:?} is not supported; use customJwt", p.kind),
                });
            }
            if p.algorithm != "RS256" {
                return Err(AuthConfigError::Unsupported {
                    issuer: p.issuer.clone(),
                    reason: format!("algorithm {:?} is not supported; use RS256", p.algorithm),
                });
            }
        }
        Ok(config)
    }

    /// Reads a config file.
    pub fn load(path: &std::path::Path) -> Result<AuthConfig, AuthConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        AuthConfig::parse(&text)
    }
}

/// Why a token was rejected; the message is what the client receives in its AuthError.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenRejected(pub String);

/// Why a JWKS could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JwksError(pub String);

/// Verifies tokens against a config, caching JWKS documents.
pub struct Verifier {
    config: AuthConfig,
    cache: Mutex<HashMap<String, (Instant, Json)>>,
}

fn normalize_issuer(iss: &str) -> String {
    let with_scheme = if iss.contains("://") {
        iss.to_string()
    } else {
        format!("https://{iss}")
    };
    with_scheme.trim_end_matches('/').to_string()
}

fn audiences(claims: &Json) -> Vec<String> {
    match claims.get("aud") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

fn flatten(prefix: &str, v: &Json, out: &mut BTreeMap<String, Value>) {
    match v {
        Json::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            let value =
                Value::from_json(other).unwrap_or_else(|_| Value::String(other.to_string()));
            out.insert(prefix.to_string(), value);
        }
    }
}

impl Verifier {
    /// A verifier for `config`.
    pub fn new(config: AuthConfig) -> Verifier {
        Verifier {
            config,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The configured providers.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Verifies a token and returns the identity functions will see, or the error message
    /// the client gets in its AuthError.
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenRejected> {
        self.verify_inner(token).await.map_err(TokenRejected)
    }

    async fn verify_inner(&self, token: &str) -> Result<Identity, String> {
        let t = Untrusted::parse(token).map_err(|e| format!("Could not parse JWT: {e}"))?;
        let iss = t
            .claims
            .get("iss")
            .and_then(Json::as_str)
            .ok_or("Missing issuer claim ('iss') in JWT")?
            .to_string();
        let aud = audiences(&t.claims);
        let provider = self.provider_for(&iss, &aud)?;
        let kid = t
            .kid()
            .ok_or("Could not decode token: the JWT header has no 'kid'")?
            .to_string();
        let jwks = self.jwks(&provider.jwks).await?;
        let key = key_for(&jwks, &kid, &provider.jwks)?;
        t.verify(&key)
            .map_err(|e| format!("Could not decode token: {e}"))?;
        let exp = check_times(|name| t.claims.get(name), now_secs())?;
        let sub = t
            .claims
            .get("sub")
            .and_then(Json::as_str)
            .ok_or("Missing subject claim ('sub') in JWT")?
            .to_string();
        let mut claims = BTreeMap::new();
        for (k, v) in t.claims.as_object().into_iter().flatten() {
            if !matches!(
                k.as_str(),
                "iss" | "sub" | "aud" | "exp" | "nbf" | "iat" | "jti" | "fva"
            ) {
                flatten(k, v, &mut claims);
            }
        }
        Ok(Identity {
            token_identifier: format!("{iss}|{sub}"),
            subject: sub,
            issuer: iss,
            claims,
            expires_at: exp,
        })
    }

    /// The first provider whose issuer matches and, when it names an application id, whose
    /// audience includes it; otherwise the error, listing what is configured.
    fn provider_for(&self, iss: &str, aud: &[String]) -> Result<&Provider, String> {
        let matches = |p: &&Provider| {
            normalize_issuer(&p.issuer) == normalize_issuer(iss)
                && p.application_id.as_ref().is_none_or(|id| aud.contains(id))
        };
        if let Some(provider) = self.config.providers.iter().find(matches) {
            return Ok(provider);
        }
        let configured = if self.config.providers.is_empty() {
            "No auth providers are configured.".to_string()
        } else {
            let providers: Vec<String> = self
                .config
                .providers
                .iter()
                .map(|p| {
                    format!(
                        "{{issuer: {:?}, applicationID: {:?}}}",
                        p.issuer, p.application_id
                    )
                })
                .collect();
            format!("Configured providers: {}", providers.join(", "))
        };
        Err(format!(
            "No auth provider found matching the given token (iss: {iss:?}, aud: {aud:?}). \
             {configured}"
        ))
    }

    async fn jwks(&self, url: &str) -> Result<Json, String> {
        if let Some((at, doc)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(url)
        {
            if at.elapsed() < JWKS_CACHE {
                return Ok(doc.clone());
            }
        }
        let doc = fetch_jwks_inner(url)
            .await
            .map_err(|e| format!("Could not fetch the JWKS at {url}: {e}"))?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(url.to_string(), (Instant::now(), doc.clone()));
        Ok(doc)
    }
}

/// The key with id `kid` in the JWKS document fetched from `jwks_url`.
fn key_for(jwks: &Json, kid: &str, jwks_url: &str) -> Result<RsaPublicKey, String> {
    let jwk = jwks
        .get("keys")
        .and_then(Json::as_array)
        .and_then(|keys| {
            keys.iter()
                .find(|k| k.get("kid").and_then(Json::as_str) == Some(kid))
        })
        .ok_or_else(|| {
            format!(
                "Could not decode token. The JWT's 'kid' {kid:?} does not match any key in the \
                 JWKS at {jwks_url}; does this key match the provider's JWKS?"
            )
        })?;
    public_key_from_jwk(jwk).map_err(|e| format!("Could not decode token: {e}"))
}

/// Fetches a JWKS: `data:application/json,...` / `data:...;base64,...` inline, or plain
/// `http://` (this backend runs on loopback; it has no TLS client).
pub async fn fetch_jwks(url: &str) -> Result<Json, JwksError> {
    fetch_jwks_inner(url).await.map_err(JwksError)
}

async fn fetch_jwks_inner(url: &str) -> Result<Json, String> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',').ok_or("malformed data: URL")?;
        let bytes = if meta.ends_with(";base64") {
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| e.to_string())?
        } else {
            percent_decode(data).into_bytes()
        };
        return serde_json::from_slice(&bytes).map_err(|e| e.to_string());
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// and data: JWKS URLs are supported by convex-dev-backend")?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let fetch = async {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| e.to_string())?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\n\
             Connection: close\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(5), fetch)
        .await
        .map_err(|_| "timed out".to_string())??;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let mut body = response[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        return Err(format!("HTTP status {status}"));
    }
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type:"))
        .map(str::trim)
        .unwrap_or("");
    if !(content_type.starts_with("application/json")
        || content_type.starts_with("application/jwk-set+json"))
    {
        return Err(format!(
            "content type {content_type:?} is not application/json"
        ));
    }
    if head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"))
    {
        body = dechunk(&body).ok_or("malformed chunked body")?;
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(
            std::str::from_utf8(&body[..line_end])
                .ok()?
                .split(';')
                .next()?
                .trim(),
            16,
        )
        .ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks `exp`, `iat` and `nbf` against `now` (seconds) with the leeway; returns `exp`. Any
/// number a token may hold (huge, negative, fractional) is handled without overflow.
pub fn check_times<'a>(claim: impl Fn(&str) -> Option<&'a Json>, now: u64) -> Result<u64, String> {
    let num = |name: &str| claim(name).and_then(Json::as_f64).map(|f| f as u64);
    let exp = num("exp").ok_or("Missing expiry claim ('exp') in JWT")?;
    if now > exp.saturating_add(LEEWAY_SECS) {
        return Err("Could not validate token: the token has expired".into());
    }
    if num("iat").is_some_and(|iat| iat > now.saturating_add(LEEWAY_SECS))
        || num("nbf").is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err("Could not validate token: the token is not valid yet".into());
    }
    Ok(exp)
}

#[cfg(test)]
mod time_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hostile_time_claims_never_overflow() {
        let claims = |exp: Json, iat: Json| {
            let m: serde_json::Map<String, Json> =
                [("exp".to_string(), exp), ("iat".to_string(), iat)]
                    .into_iter()
                    .collect();
            m
        };
        for (exp, iat, now) in [
            (json!(u64::MAX), json!(0), u64::MAX),
            (json!(1.8e19), json!(-5), u64::MAX - 1),
            (json!(-1), json!(1e300), 1_000),
            (json!(f64::MAX), json!(u64::MAX), 0),
        ] {
            let m = claims(exp, iat);
            let _ = check_times(|k| m.get(k), now);
        }
        let ok = claims(json!(2_000), json!(1_000));
        assert_eq!(check_times(|k| ok.get(k), 1_500), Ok(2_000));
        assert!(
            check_times(|k| ok.get(k), 2_006).is_err(),
            "expired past the leeway"
        );
    }
}
