//! One deployment: its data, its functions, the fan-out of commits to live sessions, and
//! the way functions are run against them (queries at the current state, mutations exactly
//! once, system queries for admins).

use std::sync::{Arc, Mutex};

use convex_yew_core::protocol::Ts;
use convex_yew_core::value::Value;
use tokio::sync::broadcast;

use crate::config::Config;
use crate::controls::Controls;
use crate::storage::{Storage, StorageError};

use super::api_spec;
use super::auth::Verifier;
use super::database::Database;
use super::functions::{ActionCtx, FunctionError, Identity, QueryOutput, Registry};

/// One deployment: its data, functions and the fan-out of commits to live sessions.
pub struct Deployment {
    /// The configuration it was started with.
    pub config: Config,
    /// The data.
    pub db: Mutex<Database>,
    /// The functions.
    pub registry: Registry,
    /// Every commit's timestamp, to every session.
    pub commits: broadcast::Sender<Ts>,
    /// Verifies tokens.
    pub verifier: Verifier,
    /// Test knobs.
    pub controls: Arc<Controls>,
}

impl Deployment {
    /// A deployment over `storage` with the built-in functions.
    pub fn new(
        config: Config,
        storage: Arc<Storage>,
        verifier: Verifier,
        controls: Arc<Controls>,
    ) -> Result<Deployment, StorageError> {
        let (commits, _) = broadcast::channel(1024);
        Ok(Deployment {
            config,
            db: Mutex::new(Database::load(storage)?),
            registry: Registry::builtin(),
            commits,
            verifier,
            controls,
        })
    }

    /// Runs a system query (`_system/...`), which only an admin may call: the function spec
    /// and the deployment's URL, as the Convex CLI asks for them.
    pub fn run_system_query(&self, path: &str) -> Result<Value, FunctionError> {
        let json = match path {
            "_system/cli/modules:apiSpec" => api_spec::api_spec(),
            "_system/cli/convexUrl:cloudUrl" => serde_json::Value::String(self.base_url()),
            other => {
                return Err(FunctionError::new(format!(
                    "Could not find system function '{other}' in convex-dev-backend"
                )))
            }
        };
        Value::from_json(&json).map_err(|e| FunctionError::new(e.to_string()))
    }

    /// The URL clients reach this deployment at.
    pub fn base_url(&self) -> String {
        self.config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}:{}", self.config.host, self.config.port))
    }

    /// Whether `key` is this deployment's admin key (compared in constant time).
    pub fn is_admin_key(&self, key: &str) -> bool {
        let want = self.config.admin_key.as_bytes();
        let got = key.as_bytes();
        want.len() == got.len() && want.iter().zip(got).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Runs a query at the current state.
    pub fn run_query(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> (Result<Value, FunctionError>, Ts) {
        let (result, ts) = self.run_query_journaled(path, args, identity, None);
        (result.map(|o| o.value), ts)
    }

    /// Runs a query with the journal of its subscription; returns the result with the
    /// journal to keep (paginated queries pin their page end in it).
    pub fn run_query_journaled(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
        journal: Option<&str>,
    ) -> (Result<QueryOutput, FunctionError>, Ts) {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let ts = db.ts();
        let result = self
            .registry
            .run_query_journaled(path, args, &db, identity, journal);
        (result, ts)
    }

    /// Runs a mutation and commits it; returns the result and commit timestamp.
    pub fn run_mutation(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<(Value, Ts), FunctionError> {
        self.run_mutation_once(None, path, args, identity)
    }

    /// Runs a mutation exactly once per `(session, request id)`: under the database lock (so
    /// two sockets re-sending it at once cannot both run it), a recorded result is returned as
    /// is; otherwise it runs, and its writes and its result are committed together (so a
    /// replay after a restart finds it).
    pub fn run_mutation_once(
        &self,
        key: Option<(&str, u32)>,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<(Value, Ts), FunctionError> {
        let internal = |what: &str| FunctionError::new(format!("InternalServerError: {what}"));
        let outcome = {
            let mut db = self.db.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((session, request)) = key {
                if let Some((text, ts)) = db.recorded(session, request) {
                    let json: serde_json::Value =
                        serde_json::from_str(&text).map_err(|_| internal("a bad record"))?;
                    let value =
                        Value::from_json_owned(json).map_err(|_| internal("a bad record"))?;
                    return Ok((value, Ts(ts)));
                }
            }
            let mut tx = db.begin();
            let value = self.registry.run_mutation(path, args, &mut tx, identity)?;
            let json = value.to_json().to_string();
            let ts = db.commit_recorded(tx, key, |_| json).map_err(|e| {
                eprintln!("[convex] commit failed: {e}");
                internal("the commit failed")
            })?;
            (value, ts)
        };
        let _ = self.commits.send(outcome.1);
        Ok(outcome)
    }
}

impl ActionCtx for Deployment {
    fn run_query(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        Deployment::run_query(self, path, args, identity).0
    }

    fn run_mutation(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        Deployment::run_mutation(self, path, args, identity).map(|(value, _)| value)
    }
}
