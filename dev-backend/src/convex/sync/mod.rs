//! One sync-protocol WebSocket session, as the Convex backend runs it.
//!
//! Per socket: the query set and its version, the identity version, the last Transition's end
//! version. Mutations are answered with `MutationResponse` and then a Transition whose ts
//! covers the commit; every commit anywhere re-runs this session's queries and pushes the ones
//! whose result changed.
//!
//! - `outbox`: the socket's bounded writer.
//! - `wire`: arguments, results and chunked Transitions as the protocol carries them.

mod outbox;
mod wire;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use convex_yew_core::protocol::{
    AuthTokenType, ClientMessage, QuerySetModification, ServerMessage, StateModification,
    StateVersion, Ts,
};
use convex_yew_core::value::Value;
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use crate::clock::{now_ms, now_secs};

use super::deployment::Deployment;
use super::functions::{FunctionError, Identity, QueryOutput};
use outbox::Outbox;
use wire::{decode_args, looks_like_uuid, to_modification, Outcome};

pub use outbox::{HARD_QUEUED_BYTES, MAX_QUEUED_BYTES, STALL};
pub use wire::{split_transition, CHUNK_BYTES};

struct Subscription {
    path: String,
    args: Value,
    /// The last modification sent for it, as text, to detect changes.
    last_sent: Option<String>,
    /// The query's journal: sent by the client with Add, or kept from its first run.
    journal: Option<String>,
}

/// Where the session is in the protocol: only Connect is accepted before it is connected.
enum Phase {
    AwaitingConnect,
    Connected { session_id: String },
}

/// Who the session's functions run as, set by Authenticate.
enum Principal {
    Anonymous,
    /// The deployment's admin key: may run `_system/*` queries; functions see no identity.
    Admin,
    User(Identity),
}

impl Principal {
    /// The identity functions see.
    fn identity(&self) -> Option<&Identity> {
        match self {
            Principal::User(identity) => Some(identity),
            Principal::Anonymous | Principal::Admin => None,
        }
    }
}

struct Session {
    deployment: Arc<Deployment>,
    out: Outbox,
    chunks_supported: bool,
    phase: Phase,
    query_set_version: u32,
    identity_version: u32,
    principal: Principal,
    queries: BTreeMap<u32, Subscription>,
    last_end: StateVersion,
    /// `clientTs` of Connect minus the server's clock, in ms (echoed in every Transition).
    client_clock_skew: Option<i64>,
}

/// Runs one socket to its end.
pub async fn run(socket: WebSocket, deployment: Arc<Deployment>, chunks_supported: bool) {
    let (sink, mut stream) = socket.split();
    let (out, writer) = Outbox::start(sink);
    let mut commits = deployment.commits.subscribe();
    let mut drop_signal = deployment.controls.drop_sockets.subscribe();
    let mut close_signal = deployment.controls.close_sockets.subscribe();
    let mut silence_signal = deployment.controls.silence_sockets.subscribe();
    // A silenced socket stays open but neither reads nor writes (a half-open connection).
    let mut silent = false;
    let mut session = Session {
        deployment,
        out,
        chunks_supported,
        phase: Phase::AwaitingConnect,
        query_set_version: 0,
        identity_version: 0,
        principal: Principal::Anonymous,
        queries: BTreeMap::new(),
        last_end: StateVersion::default(),
        client_clock_skew: None,
    };
    let mut idle = tokio::time::interval(Duration::from_secs(15));
    idle.tick().await;
    let mut watch = tokio::time::interval(Duration::from_secs(1));
    watch.tick().await;
    loop {
        if session.out.too_slow() {
            // A reader this slow would make the server buffer without bound: cut it off (the
            // client reconnects and catches up from a fresh Transition).
            eprintln!(
                "[sync] {} too slow: {} MB queued, disconnected",
                session.label(),
                session.out.queued_mib()
            );
            writer.abort();
            return;
        }
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(_)) if silent => {}
                Some(Ok(frame)) => {
                    if session.handle_frame(frame).await.is_break() {
                        break;
                    }
                }
                Some(Err(e)) => {
                    eprintln!("[sync] {} socket error: {e}", session.label());
                    break;
                }
                None => break,
            },
            commit = commits.recv() => {
                if let Err(RecvError::Closed) = commit {
                    break;
                }
                if !silent && session.push_update(false).is_break() {
                    break;
                }
            }
            _ = idle.tick() => if !silent { session.send(&ServerMessage::Ping) },
            _ = silence_signal.recv() => {
                eprintln!("[sync] {} silenced by the test controls", session.label());
                silent = true;
            }
            // Wakes the loop each second, so a stalled writer is noticed without traffic.
            _ = watch.tick() => {}
            close = close_signal.recv() => {
                if let Ok((code, reason)) = close {
                    eprintln!(
                        "[sync] {} closed by the test controls ({code} {reason})",
                        session.label()
                    );
                    session.out.close_with(code, reason);
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
        match &self.phase {
            Phase::Connected { session_id } => format!("session {session_id}"),
            Phase::AwaitingConnect => "session (before Connect)".into(),
        }
    }

    fn send(&self, msg: &ServerMessage) {
        self.out.send_text(msg.to_text());
    }

    /// Refuses an Authenticate: AuthError, then the socket closes (as Convex does).
    fn reject_auth(&self, error: String) -> ControlFlow<()> {
        eprintln!("[sync] {} AuthError: {error}", self.label());
        self.send(&ServerMessage::AuthError {
            error,
            base_version: Some(self.identity_version),
            auth_update_attempted: Some(true),
        });
        self.out.close();
        ControlFlow::Break(())
    }

    /// A protocol violation: FatalError, then the socket closes.
    fn fatal(&self, error: String) -> ControlFlow<()> {
        eprintln!("[sync] {} fatal error: {error}", self.label());
        self.send(&ServerMessage::FatalError { error });
        self.out.close();
        ControlFlow::Break(())
    }

    /// Handles one frame; `Break` ends the session.
    async fn handle_frame(&mut self, frame: Message) -> ControlFlow<()> {
        match frame {
            Message::Text(text) => self.handle_text(text.as_str()).await,
            Message::Binary(_) => {
                self.fatal("Received a binary frame; the sync protocol uses text frames".into())
            }
            Message::Close(_) => ControlFlow::Break(()),
            Message::Ping(_) | Message::Pong(_) => ControlFlow::Continue(()),
        }
    }

    /// Handles one protocol message; `Break` ends the session.
    async fn handle_text(&mut self, text: &str) -> ControlFlow<()> {
        let msg = match ClientMessage::parse(text) {
            Ok(m) => m,
            Err(e) => return self.fatal(format!("Received Invalid JSON on websocket: {e}")),
        };
        if matches!(self.phase, Phase::AwaitingConnect)
            && !matches!(msg, ClientMessage::Connect { .. })
        {
            return self.fatal("The first message on a socket must be Connect".into());
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
                    return self.fatal(format!("Invalid sessionId {session_id:?}: not a UUID"));
                }
                eprintln!(
                    "[sync] session {session_id} connected (connectionCount {connection_count}, \
                     lastCloseReason {})",
                    last_close_reason.as_deref().unwrap_or("null")
                );
                self.phase = Phase::Connected { session_id };
                // Any u64 a client sends: saturate, never overflow.
                self.client_clock_skew = client_ts.map(|c| {
                    i64::try_from(c)
                        .unwrap_or(i64::MAX)
                        .saturating_sub(i64::try_from(now_ms()).unwrap_or(i64::MAX))
                });
                ControlFlow::Continue(())
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
                let delay = self
                    .deployment
                    .controls
                    .mutation_delay_ms
                    .load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                self.check_identity()?;
                self.mutation(request_id, &udf_path, &args)
            }
            ClientMessage::Action {
                request_id,
                udf_path,
                args,
                ..
            } => {
                self.check_identity()?;
                self.action(request_id, udf_path, args);
                ControlFlow::Continue(())
            }
            ClientMessage::Authenticate {
                base_version,
                token_type,
                value,
                ..
            } => {
                self.deployment
                    .controls
                    .authenticate_count
                    .fetch_add(1, Ordering::SeqCst);
                self.authenticate(base_version, token_type, value).await
            }
            ClientMessage::Event { .. } => ControlFlow::Continue(()),
        }
    }

    fn modify_query_set(
        &mut self,
        base: u32,
        new: u32,
        modifications: Vec<QuerySetModification>,
    ) -> ControlFlow<()> {
        if base != self.query_set_version {
            return self.fatal(format!(
                "BaseVersionMismatch: ModifyQuerySet baseVersion {base} does not match the \
                 server's {}",
                self.query_set_version
            ));
        }
        if new <= base {
            return self.fatal(format!(
                "ModifyQuerySet newVersion {new} must be greater than baseVersion {base}"
            ));
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
        mods.extend(self.rerun_queries()?);
        self.send_transition(mods);
        ControlFlow::Continue(())
    }

    fn mutation(
        &mut self,
        request_id: u32,
        path: &str,
        args: &serde_json::Value,
    ) -> ControlFlow<()> {
        // Taken whatever the arguments: each injected failure answers one mutation.
        let injected = self.deployment.controls.take_mutation_failure();
        let session_id = match &self.phase {
            Phase::Connected { session_id } => session_id.as_str(),
            Phase::AwaitingConnect => "",
        };
        let outcome = match decode_args(args) {
            Ok(_) if injected => Err(FunctionError::new(
                "Uncaught Error: this mutation was made to fail (dev backend test control)",
            )),
            Ok(args) => self.deployment.run_mutation_once(
                Some((session_id, request_id)),
                path,
                &args,
                self.principal.identity(),
            ),
            Err(e) => Err(e),
        };
        let ts = outcome.as_ref().ok().map(|&(_, ts)| ts);
        let Outcome {
            success,
            result,
            error_data,
        } = outcome.map(|(value, _)| value).into();
        self.send(&ServerMessage::MutationResponse {
            request_id,
            success,
            result,
            ts,
            log_lines: vec![],
            error_data,
        });
        // The Transition that makes the mutation visible to this client.
        self.push_update(true)
    }

    /// Runs an action off the socket's task; its answer is queued whenever it finishes.
    fn action(&self, request_id: u32, path: String, args: serde_json::Value) {
        let deployment = self.deployment.clone();
        let out = self.out.clone();
        let identity = self.principal.identity().cloned();
        tokio::task::spawn_blocking(move || {
            let outcome = decode_args(&args).and_then(|args| {
                deployment
                    .registry
                    .run_action(&path, &args, &*deployment, identity.as_ref())
            });
            let Outcome {
                success,
                result,
                error_data,
            } = outcome.into();
            let msg = ServerMessage::ActionResponse {
                request_id,
                success,
                result,
                log_lines: vec![],
                error_data,
            };
            out.send_text(msg.to_text());
        });
    }

    /// Checks the identity's expiry (no leeway, as the backend does); an expired identity ends
    /// the session with `AuthError{authUpdateAttempted:false}`.
    fn check_identity(&self) -> ControlFlow<()> {
        match &self.principal {
            Principal::User(identity) if now_secs() >= identity.expires_at => {
                eprintln!("[sync] {} identity expired", self.label());
                self.send(&ServerMessage::AuthError {
                    error: "Convex token identity expired".into(),
                    base_version: Some(self.identity_version),
                    auth_update_attempted: Some(false),
                });
                self.out.close();
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    async fn authenticate(
        &mut self,
        base: u32,
        token_type: AuthTokenType,
        value: Option<String>,
    ) -> ControlFlow<()> {
        if base != self.identity_version {
            return self.fatal(format!(
                "Authenticate baseVersion {base} does not match the server's identity version {}",
                self.identity_version
            ));
        }
        let principal = match (token_type, value) {
            (AuthTokenType::None, _) => Principal::Anonymous,
            (AuthTokenType::Admin, Some(key)) if self.deployment.is_admin_key(&key) => {
                eprintln!("[sync] {} authenticated with the admin key", self.label());
                Principal::Admin
            }
            (AuthTokenType::Admin, _) => {
                return self.reject_auth("The admin key is not this deployment's".to_owned());
            }
            (AuthTokenType::User, Some(token)) => {
                match self.deployment.verifier.verify(&token).await {
                    Ok(identity) => {
                        eprintln!(
                            "[sync] {} authenticated as {}",
                            self.label(),
                            identity.token_identifier
                        );
                        Principal::User(identity)
                    }
                    Err(rejected) => return self.reject_auth(rejected.0),
                }
            }
            (other, _) => {
                return self.fatal(format!(
                    "Unsupported Authenticate tokenType {other:?} for convex-dev-backend"
                ));
            }
        };
        self.principal = principal;
        self.identity_version += 1;
        for q in self.queries.values_mut() {
            q.last_sent = None; // every query re-runs under the new identity
        }
        self.push_update(true)
    }

    /// Re-runs every query and returns the modifications for those whose result changed.
    /// `Break` when the identity expired (the session then ends with an AuthError).
    fn rerun_queries(&mut self) -> ControlFlow<(), Vec<StateModification>> {
        self.check_identity()?;
        let mut mods = Vec::new();
        for (&query_id, sub) in self.queries.iter_mut() {
            let result = if sub.path.starts_with("_system/") {
                match self.principal {
                    Principal::Admin => self.deployment.run_system_query(&sub.path),
                    Principal::Anonymous | Principal::User(_) => Err(FunctionError::new(format!(
                        "{} is a system function: it needs the admin key",
                        sub.path
                    ))),
                }
                .map(|value| QueryOutput {
                    value,
                    journal: None,
                    logs: Vec::new(),
                })
            } else {
                self.deployment
                    .run_query_journaled(
                        &sub.path,
                        &sub.args,
                        self.principal.identity(),
                        sub.journal.as_deref(),
                    )
                    .0
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
        ControlFlow::Continue(mods)
    }

    /// Sends a Transition with the changed queries; `force` sends one even without changes
    /// (to move ts or identity forward). `Break` ends the session.
    fn push_update(&mut self, force: bool) -> ControlFlow<()> {
        let mods = self.rerun_queries()?;
        if mods.is_empty() && !force {
            return ControlFlow::Continue(());
        }
        self.send_transition(mods);
        ControlFlow::Continue(())
    }

    fn send_transition(&mut self, modifications: Vec<StateModification>) {
        let ts: Ts = self
            .deployment
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
            self.out.send_text(text);
        }
    }
}
