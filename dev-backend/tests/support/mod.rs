//! A real dev backend on an ephemeral loopback port, and blocking clients for it.
#![allow(dead_code)]

use std::net::TcpStream;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use convex_dev_backend::Config;
use convex_yew_core::protocol::{ClientMessage, ServerMessage};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub struct Backend {
    pub url: String,
    pub port: u16,
}

/// Starts a backend (in memory, test controls on) on its own runtime thread.
pub fn start() -> Backend {
    start_with(Config {
        data_dir: None,
        test_controls: true,
        port: 0,
        ..Config::default()
    })
}

pub fn start_with(config: Config) -> Backend {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
                .await
                .unwrap();
            let port = listener.local_addr().unwrap().port();
            tx.send(port).unwrap();
            convex_dev_backend::serve(listener, config).await.unwrap();
        });
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("backend started");
    Backend {
        url: format!("http://127.0.0.1:{port}"),
        port,
    }
}

/// A second backend that trusts `b`'s AuthKit only for tokens with audience `audience`
/// (which `b` never issues).
pub fn start_requiring_audience(b: &Backend, audience: &str) -> Backend {
    let dir = std::env::temp_dir().join(format!("cdb-aud-{}-{audience}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("auth.json");
    std::fs::write(&path, json!({"providers": [{"type": "customJwt", "issuer": format!("{}/user_management/client_local_dev", b.url), "jwks": format!("{}/sso/jwks/client_local_dev", b.url), "algorithm": "RS256", "applicationID": audience}]}).to_string()).unwrap();
    start_with(Config {
        data_dir: None,
        test_controls: true,
        port: 0,
        auth_config: Some(path),
        ..Config::default()
    })
}

pub const SESSION: &str = "0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90";

pub struct Ws {
    pub ws: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub fn open(b: &Backend, path: &str) -> Ws {
        let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{}{path}", b.port))
            .expect("websocket opens");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        }
        Ws { ws }
    }

    /// Opens and sends Connect.
    pub fn connect(b: &Backend, session: &str) -> Ws {
        let mut ws = Ws::open(b, "/api/1.49.0/sync");
        ws.send(&ClientMessage::Connect {
            session_id: session.into(),
            connection_count: 0,
            last_close_reason: Some("InitialConnect".into()),
            max_observed_timestamp: None,
            client_ts: Some(0),
        });
        ws
    }

    pub fn send(&mut self, m: &ClientMessage) {
        self.ws.send(Message::Text(m.to_text().into())).unwrap();
    }

    pub fn send_raw(&mut self, m: Message) {
        self.ws.send(m).unwrap();
    }

    /// The next server message (skipping Pings); `None` once the socket closed.
    pub fn recv(&mut self) -> Option<ServerMessage> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    let m = ServerMessage::parse(t.as_str()).expect("server frames parse");
                    if m != ServerMessage::Ping {
                        return Some(m);
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Reads until a message matches.
    pub fn until(&mut self, mut f: impl FnMut(&ServerMessage) -> bool) -> ServerMessage {
        loop {
            let m = self
                .recv()
                .expect("socket closed before the expected message");
            if f(&m) {
                return m;
            }
        }
    }
}

pub fn http() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(10))
        .build()
}

/// (status, body) of any response, error statuses included.
pub fn call(r: Result<ureq::Response, ureq::Error>) -> (u16, String, Option<String>) {
    match r {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => {
            let status = resp.status();
            let location = resp.header("location").map(str::to_owned);
            (status, resp.into_string().unwrap_or_default(), location)
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

pub fn post_json(b: &Backend, path: &str, body: Value) -> (u16, Value) {
    let (status, text, _) = call(http().post(&format!("{}{path}", b.url)).send_json(body));
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn verifier() -> (String, String) {
    let verifier = "v".repeat(43) + &"x".repeat(85);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Signs in through the hosted page; returns the code from the redirect.
pub fn sign_in_code(b: &Backend, email: &str, challenge: &str, state: &str) -> String {
    let request = serde_urlencoded::to_string([
        ("client_id", "client_local_dev"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("provider", "authkit"),
        ("redirect_uri", "http://127.0.0.1:8080/callback"),
        ("response_type", "code"),
        ("state", state),
    ])
    .unwrap();
    let (status, page, _) = call(
        http()
            .get(&format!("{}/user_management/authorize?{request}", b.url))
            .call(),
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<form"));
    let (status, body, location) = call(
        http()
            .post(&format!("{}/user_management/authorize", b.url))
            .send_form(&[
                ("request", &request),
                ("mode", "sign-in"),
                ("email", email),
                ("password", "password"),
            ]),
    );
    assert_eq!(status, 302, "{body}");
    let location = location.expect("redirect");
    assert!(
        location.starts_with("http://127.0.0.1:8080/callback?code="),
        "{location}"
    );
    let query: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
    assert_eq!(query.get("state").map(String::as_str), Some(state));
    query["code"].clone()
}

/// A full sign-in: (access token, refresh token, response).
pub fn sign_in(b: &Backend, email: &str) -> (String, String, Value) {
    let (verifier, challenge) = verifier();
    let code = sign_in_code(b, email, &challenge, "s");
    let (status, body) = post_json(
        b,
        "/user_management/authenticate",
        json!({"client_id": "client_local_dev", "grant_type": "authorization_code", "code": code, "code_verifier": verifier}),
    );
    assert_eq!(status, 200, "{body}");
    (
        body["access_token"].as_str().unwrap().into(),
        body["refresh_token"].as_str().unwrap().into(),
        body,
    )
}
