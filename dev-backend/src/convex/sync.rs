//! One sync-protocol WebSocket session, as the Convex backend runs it.
//!
//! Per socket: the query set and its version, the identity version, the last Transition's end
//! version. Mutations are answered with `MutationResponse` and then a Transition whose ts
//! covers the commit; every commit anywhere re-runs this session's queries and pushes the ones
//! whose result changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use convex_yew_core::protocol::{
    AuthTokenType, ClientMessage, QuerySetModification, ServerMessage, StateModification,
    StateVersion, Ts,
};
use convex_yew_core::Value;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::mpsc;

use crate::clock::{now_ms, now_secs};

use super::deployment::Deployment;
use super::functions::{FunctionError, Identity};

/// Transitions larger than this are split into `TransitionChunk`s (the backend's limit).
pub const CHUNK_BYTES: usize = 5_000_000;

enum Out {
    Text(String),
    Close,
    /// A close frame with a code and a reason (test controls).
    CloseWith(u16, String),
}

struct Subscription {
    path: String,
    args: Value,
    /// The last modification sent for it, as text, to detect changes.
    last_sent: Option<String>,
    /// The query's journal: sent by the client with Add, or kept from its first run.
    journal: Option<String>,
}

/// A socket with more than this waiting to be written, and no write finished for
/// [`STALL`], is disconnected: its reader is not keeping up.
pub const MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;
/// How long a socket over [`MAX_QUEUED_BYTES`] may make no progress.
pub const STALL: Duration = Duration::from_secs(10);
/// Over this, a socket is disconnected at once, progress or not (the client itself refuses a
/// chunked transition over 256 MB).
pub const HARD_QUEUED_BYTES: usize = 512 * 1024 * 1024;

/// Frames waiting for the socket's writer, counted in bytes.
#[derive(Clone)]
struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
    queued: Arc<AtomicUsize>,
    /// When the writer last finished a frame (ms since the epoch).
    progress: Arc<AtomicU64>,
    overflowed: Arc<AtomicBool>,
}

impl Outbox {
    fn send(&self, out: Out) {
        if let Out::Text(t) = &out {
            let now = self.queued.fetch_add(t.len(), Ordering::SeqCst) + t.len();
            if now > HARD_QUEUED_BYTES {
                self.queued.fetch_sub(t.len(), Ordering::SeqCst);
                self.overflowed.store(true, Ordering::SeqCst);
                return;
            }
        }
        let _ = self.tx.send(out);
    }

    /// Over the soft limit with no write finished for [`STALL`].
    fn stalled(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > MAX_QUEUED_BYTES
            && now_ms().saturating_sub(self.progress.load(Ordering::SeqCst))
                > STALL.as_millis() as u64
    }
}

struct Session {
    d: Arc<Deployment>,
    out: Outbox,
    chunks_supported: bool,
    session_id: Option<String>,
    query_set_version: u32,
    identity_version: u32,
    identity: Option<Identity>,
    /// Authenticated with the deployment's admin key (may run `_system/*` queries).
    admin: bool,
    queries: BTreeMap<u32, Subscription>,
    last_end: StateVersion,
    /// `clientTs` of Connect minus the server's clock, in ms (echoed in every Transition).
    client_clock_skew: Option<i64>,
}

/// Runs one socket to its end.
pub async fn run(socket: WebSocket, d: Arc<Deployment>, chunks_supported: bool) {
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let queued = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(AtomicU64::new(now_ms()));
    let (sent, progressed) = (queued.clone(), progress.clone());
    let writer = tokio::spawn(async move {
        while let Some(out) = out_rx.recv().await {
            let result = match out {
                Out::Text(t) => {
                    let len = t.len();
                    let r = sink.send(Message::Text(t.into())).await;
                    sent.fetch_sub(len, Ordering::SeqCst);
                    progressed.store(now_ms(), Ordering::SeqCst);
                    r
                }
                Out::Close => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
                Out::CloseWith(code, reason) => {
                    let frame = axum::extract::ws::CloseFrame {
                        code,
                        reason: reason.into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
            };
            if result.is_err() {
                break;
            }
        }
    });
    let mut commits = d.commits.subscribe();
    let mut drop_signal = d.controls.drop_sockets.subscribe();
    let mut close_signal = d.controls.close_sockets.subscribe();
    let mut silence_signal = d.controls.silence_sockets.subscribe();
    // A silenced socket stays open but neither reads nor writes (a half-open connection).
    let mut silent = false;
    let mut session = Session {
        d,
        out: Outbox {
            tx: out_tx,
            queued,
            progress,
            overflowed: Arc::new(AtomicBool::new(false)),
        },
        chunks_supported,
        session_id: None,
        query_set_version: 0,
        identity_version: 0,
        identity: None,
        admin: false,
        queries: BTreeMap::new(),
        last_end: StateVersion::default(),
        client_clock_skew: None,
    };
    let mut idle = tokio::time::interval(Duration::from_secs(15));
    idle.tick().await;
    let mut watch = tokio::time::interval(Duration::from_secs(1));
    watch.tick().await;
    loop {
        if session.out.overflowed.load(Ordering::SeqCst) || session.out.stalled() {
            // A reader this slow would make the server buffer without bound: cut it off (the
            // client reconnects and catches up from a fresh Transition).
            eprintln!(
                "[sync] {} too slow: {} MB queued, disconnected",
                session.label(),
                session.out.queued.load(Ordering::SeqCst) / (1024 * 1024)
            );
            writer.abort();
            return;
        }
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(_)) if silent => {}
                Some(Ok(Message::Text(text))) => {
                    if !session.handle_text(text.as_str()).await {
                        break;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    session.fatal("Received a binary frame; the sync protocol uses text frames".into());
                    break;
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    eprintln!("[sync] {} socket error: {e}", session.label());
                    break;
                }
            },
            commit = commits.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = commit {
                    break;
                }
                if !silent && !session.push_update(false) {
                    break;
                }
            }
            _ = idle.tick() => if !silent { session.send(&ServerMessage::Ping) },
            _ = silence_signal.recv() => {
                eprintln!("[sync] {} silenced by the test controls", session.label());
                silent = true;
            }
            _ = watch.tick() => {}
            close = close_signal.recv() => {
                if let Ok((code, reason)) = close {
                    eprintln!("[sync] {} closed by the test controls ({code} {reason})", session.label());
                    let _ = session.out.tx.send(Out::CloseWith(code, reason));
                    break;
                }
            }
            _ = drop_signal.recv() => {
                // Like a network failure: no close frame (the browser reports 1006).
                eprintln!("[sync] {} dropped by the test controls", session.label());
                writer.abort();
                return;
            }
        }
    }
    eprintln!("[sync] {} closed", session.label());
    drop(session);
    let _ = writer.await;
}

impl Session {
    fn label(&self) -> String {
        match &self.session_id {
            Some(id) => format!("session {id}"),
            None => "session (before Connect)".into(),
        }
    }

    fn send(&self, msg: &ServerMessage) {
        self.out.send(Out::Text(msg.to_text()));
    }

    fn close(&self) {
        self.out.send(Out::Close);
    }

    /// Refuses an Authenticate: AuthError, then the socket closes (as Convex does).
    fn reject_auth(&self, error: String) {
        eprintln!("[sync] {} AuthError: {error}", self.label());
        self.send(&ServerMessage::AuthError {
            error,
            base_version: Some(self.identity_version),
            auth_update_attempted: Some(true),
        });
        self.close();
    }

    fn fatal(&self, error: String) {
        eprintln!("[sync] {} fatal error: {error}", self.label());
        self.send(&ServerMessage::FatalError { error });
        self.close();
    }

    /// Handles one frame; false ends the session.
    async fn handle_text(&mut self, text: &str) -> bool {
        let msg = match ClientMessage::parse(text) {
            Ok(m) => m,
            Err(e) => {
                self.fatal(format!("Received Invalid JSON on websocket: {e}"));
                return false;
            }
        };
        if self.session_id.is_none() && !matches!(msg, ClientMessage::Connect { .. }) {
            self.fatal("The first message on a socket must be Connect".into());
            return false;
        }
        match msg {
            ClientMessage::Connect {
                session_id,
                connection_count,
                last_close_reason,
                client_ts,
                ..
            } => {
                if !looks_like_uuid(&session_id) {
                    self.fatal(format!("Invalid sessionId {session_id:?}: not a UUID"));
                    return false;
                }
                eprintln!(
                    "[sync] session {session_id} connected (connectionCount {connection_count}, lastCloseReason {})",
                    last_close_reason.as_deref().unwrap_or("null")
                );
                self.session_id = Some(session_id);
                // Any u64 a client sends: saturate, never overflow.
                self.client_clock_skew = client_ts.map(|c| {
                    i64::try_from(c)
                        .unwrap_or(i64::MAX)
                        .saturating_sub(i64::try_from(now_ms()).unwrap_or(i64::MAX))
                });
                true
            }
            ClientMessage::ModifyQuerySet {
                base_version,
                new_version,
                modifications,
            } => self.modify_query_set(base_version, new_version, modifications),
            ClientMessage::Mutation {
                request_id,
                udf_path,
                args,
                ..
            } => {
                let delay = self.d.controls.mutation_delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                self.identity_still_valid() && self.mutation(request_id, &udf_path, &args)
            }
            ClientMessage::Action {
                request_id,
                udf_path,
                args,
                ..
            } => {
                if !self.identity_still_valid() {
                    return false;
                }
                self.action(request_id, udf_path, args);
                true
            }
            ClientMessage::Authenticate {
                base_version,
                token_type,
                value,
                ..
            } => {
                self.d
                    .controls
                    .authenticate_count
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                self.authenticate(base_version, token_type, value).await
            }
            ClientMessage::Event { .. } => true,
        }
    }

    fn modify_query_set(
        &mut self,
        base: u32,
        new: u32,
        modifications: Vec<QuerySetModification>,
    ) -> bool {
        if base != self.query_set_version {
            self.fatal(format!(
                "BaseVersionMismatch: ModifyQuerySet baseVersion {base} does not match the server's {}",
                self.query_set_version
            ));
            return false;
        }
        if new <= base {
            self.fatal(format!(
                "ModifyQuerySet newVersion {new} must be greater than baseVersion {base}"
            ));
            return false;
        }
        let mut removed = Vec::new();
        for m in modifications {
            match m {
                QuerySetModification::Add {
                    query_id,
                    udf_path,
                    args,
                    journal,
                    ..
                } => {
                    let args = decode_args(&args).unwrap_or(Value::Null);
                    self.queries.insert(
                        query_id,
                        Subscription {
                            path: udf_path,
                            args,
                            last_sent: None,
                            journal,
                        },
                    );
                }
                QuerySetModification::Remove { query_id } => {
                    self.queries.remove(&query_id);
                    removed.push(query_id);
                }
            }
        }
        self.query_set_version = new;
        let mut mods: Vec<StateModification> = removed
            .into_iter()
            .map(|query_id| StateModification::QueryRemoved { query_id })
            .collect();
        let Some(updates) = self.rerun_queries() else {
            return false;
        };
        mods.extend(updates);
        self.send_transition(mods);
        true
    }

    fn mutation(&mut self, request_id: u32, path: &str, args: &serde_json::Value) -> bool {
        let session = self.session_id.clone().unwrap_or_default();
        let injected = self.d.controls.take_mutation_failure();
        let outcome = match decode_args(args) {
            Ok(_) if injected => Err(FunctionError {
                message:
                    "Uncaught Error: this mutation was made to fail (dev backend test control)"
                        .into(),
                data: None,
            }),
            Ok(args) => self.d.run_mutation_once(
                Some((&session, request_id)),
                path,
                &args,
                self.identity.as_ref(),
            ),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((value, ts)) => {
                self.send(&ServerMessage::MutationResponse {
                    request_id,
                    success: true,
                    result: value.to_json(),
                    ts: Some(ts),
                    log_lines: vec![],
                    error_data: None,
                });
            }
            Err(e) => self.send(&ServerMessage::MutationResponse {
                request_id,
                success: false,
                result: serde_json::Value::String(e.message),
                ts: None,
                log_lines: vec![],
                error_data: e.data.map(|d| d.to_json()),
            }),
        }
        // The Transition that makes the mutation visible to this client.
        self.push_update(true)
    }

    fn action(&self, request_id: u32, path: String, args: serde_json::Value) {
        let d = self.d.clone();
        let out = self.out.clone();
        let identity = self.identity.clone();
        tokio::task::spawn_blocking(move || {
            let outcome = decode_args(&args)
                .and_then(|args| d.registry.run_action(&path, &args, &*d, identity.as_ref()));
            let msg = match outcome {
                Ok(value) => ServerMessage::ActionResponse {
                    request_id,
                    success: true,
                    result: value.to_json(),
                    log_lines: vec![],
                    error_data: None,
                },
                Err(e) => ServerMessage::ActionResponse {
                    request_id,
                    success: false,
                    result: serde_json::Value::String(e.message),
                    log_lines: vec![],
                    error_data: e.data.map(|d| d.to_json()),
                },
            };
            out.send(Out::Text(msg.to_text()));
        });
    }

    /// Checks the identity's expiry (no leeway, as the backend does); an expired identity ends
    /// the session with `AuthError{authUpdateAttempted:false}`.
    fn identity_still_valid(&mut self) -> bool {
        let now = now_secs();
        match &self.identity {
            Some(identity) if now >= identity.expires_at => {
                eprintln!("[sync] {} identity expired", self.label());
                self.send(&ServerMessage::AuthError {
                    error: "Convex token identity expired".into(),
                    base_version: Some(self.identity_version),
                    auth_update_attempted: Some(false),
                });
                self.close();
                false
            }
            _ => true,
        }
    }

    async fn authenticate(
        &mut self,
        base: u32,
        token_type: AuthTokenType,
        value: Option<String>,
    ) -> bool {
        if base != self.identity_version {
            self.fatal(format!(
                "Authenticate baseVersion {base} does not match the server's identity version {}",
                self.identity_version
            ));
            return false;
        }
        let mut admin = false;
        let identity = match (token_type, value) {
            (AuthTokenType::None, _) => None,
            (AuthTokenType::Admin, Some(key)) if self.d.is_admin_key(&key) => {
                eprintln!("[sync] {} authenticated with the admin key", self.label());
                admin = true;
                None
            }
            (AuthTokenType::Admin, _) => {
                self.reject_auth("The admin key is not this deployment's".to_owned());
                return false;
            }
            (AuthTokenType::User, Some(token)) => match self.d.verifier.verify(&token).await {
                Ok(identity) => {
                    eprintln!(
                        "[sync] {} authenticated as {}",
                        self.label(),
                        identity.token_identifier
                    );
                    Some(identity)
                }
                Err(rejected) => {
                    self.reject_auth(rejected.0);
                    return false;
                }
            },
            (other, _) => {
                self.fatal(format!(
                    "Unsupported Authenticate tokenType {other:?} for convex-dev-backend"
                ));
                return false;
            }
        };
        self.identity = identity;
        self.admin = admin;
        self.identity_version += 1;
        for q in self.queries.values_mut() {
            q.last_sent = None; // every query re-runs under the new identity
        }
        self.push_update(true)
    }

    /// Re-runs every query and returns the modifications for those whose result changed.
    /// `None` when the identity expired (the session then ends with an AuthError).
    fn rerun_queries(&mut self) -> Option<Vec<StateModification>> {
        if !self.identity_still_valid() {
            return None;
        }
        let mut mods = Vec::new();
        for (&query_id, sub) in self.queries.iter_mut() {
            let (result, _) = if sub.path.starts_with("_system/") {
                let result = if self.admin {
                    self.d.run_system_query(&sub.path)
                } else {
                    Err(FunctionError {
                        message: format!(
                            "{} is a system function: it needs the admin key",
                            sub.path
                        ),
                        data: None,
                    })
                };
                (
                    result.map(|value| super::functions::QueryOutput {
                        value,
                        journal: None,
                        logs: Vec::new(),
                    }),
                    (),
                )
            } else {
                let (r, _) = self.d.run_query_journaled(
                    &sub.path,
                    &sub.args,
                    self.identity.as_ref(),
                    sub.journal.as_deref(),
                );
                (r, ())
            };
            let mut logs = Vec::new();
            let result = result.map(|out| {
                if out.journal.is_some() {
                    sub.journal = out.journal;
                }
                logs = out.logs;
                out.value
            });
            let m = to_modification(query_id, result, sub.journal.clone(), logs);
            let text = serde_json::to_string(&m).unwrap_or_default();
            if sub.last_sent.as_deref() != Some(text.as_str()) {
                sub.last_sent = Some(text);
                mods.push(m);
            }
        }
        Some(mods)
    }

    /// Sends a Transition with the changed queries; `force` sends one even without changes
    /// (to move ts or identity forward). False ends the session.
    fn push_update(&mut self, force: bool) -> bool {
        let Some(mods) = self.rerun_queries() else {
            return false;
        };
        let ts = self.d.db.lock().unwrap_or_else(|p| p.into_inner()).ts();
        if mods.is_empty() && !force && ts == self.last_end.ts {
            return true;
        }
        if mods.is_empty() && !force {
            return true;
        }
        self.send_transition(mods);
        true
    }

    fn send_transition(&mut self, modifications: Vec<StateModification>) {
        let ts: Ts = self
            .d
            .db
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ts()
            .max(self.last_end.ts);
        let end = StateVersion {
            query_set: self.query_set_version,
            identity: self.identity_version,
            ts,
        };
        let msg = ServerMessage::Transition {
            start_version: self.last_end,
            end_version: end,
            modifications,
            client_clock_skew: self.client_clock_skew,
            server_ts: Some(now_ms() as i64 * 1_000_000),
        };
        self.last_end = end;
        let text = msg.to_text();
        if self.chunks_supported && text.len() > CHUNK_BYTES {
            for chunk in split_transition(&text, CHUNK_BYTES) {
                self.send(&chunk);
            }
        } else {
            self.out.send(Out::Text(text));
        }
    }
}

fn to_modification(
    query_id: u32,
    result: Result<Value, FunctionError>,
    journal: Option<String>,
    log_lines: Vec<String>,
) -> StateModification {
    match result {
        Ok(value) => StateModification::QueryUpdated {
            query_id,
            value: value.to_json(),
            log_lines,
            journal,
        },
        Err(e) => StateModification::QueryFailed {
            query_id,
            error_message: e.message,
            log_lines,
            journal,
            error_data: e.data.map(|d| d.to_json()),
        },
    }
}

/// Decodes the one-element argument array (or a bare object, which the backend also accepts).
fn decode_args(args: &serde_json::Value) -> Result<Value, FunctionError> {
    let inner =
        match args {
            serde_json::Value::Array(items) if items.len() == 1 => &items[0],
            serde_json::Value::Object(_) => args,
            _ => return Err(FunctionError {
                message:
                    "ArgumentValidationError: args must be a one-element array holding an object"
                        .into(),
                data: None,
            }),
        };
    let value = Value::from_json(inner).map_err(|e| FunctionError {
        message: format!("ArgumentValidationError: {e}"),
        data: None,
    })?;
    if value.as_object().is_none() {
        return Err(FunctionError {
            message: "ArgumentValidationError: args must be an object".into(),
            data: None,
        });
    }
    Ok(value)
}

static NEXT_TRANSITION_ID: AtomicU64 = AtomicU64::new(1);

/// Splits a serialised Transition into chunks of at most `max` bytes at character boundaries.
pub fn split_transition(text: &str, max: usize) -> Vec<ServerMessage> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max.max(4));
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let total = parts.len() as u32;
    // Unique per transition (two transitions of one length must not be confused).
    let id = NEXT_TRANSITION_ID
        .fetch_add(1, Ordering::SeqCst)
        .to_string();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| ServerMessage::TransitionChunk {
            chunk: chunk.to_owned(),
            part_number: i as u32,
            total_parts: total,
            transition_id: id.clone(),
        })
        .collect()
}

fn looks_like_uuid(s: &str) -> bool {
    let groups: Vec<_> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
