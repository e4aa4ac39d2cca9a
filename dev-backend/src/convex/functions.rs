//! The function framework: what a function sees ([`Identity`]), how it fails
//! ([`FunctionError`]), what a query returns ([`QueryOutput`]), what an action may call
//! ([`ActionCtx`]), and the [`Registry`] that finds functions by canonical path.
//!
//! The functions themselves, and `Registry::builtin` which registers them, are the app's:
//! [`super::app`].

use std::collections::BTreeMap;

use convex_yew_core::protocol::udf_path;
use convex_yew_core::value::Object;
use convex_yew_core::value::Value;

use super::database::{Database, Transaction};

/// What `ctx.auth.getUserIdentity()` returns: the verified token's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `"<iss>|<sub>"`.
    pub token_identifier: String,
    /// `sub`.
    pub subject: String,
    /// `iss`.
    pub issuer: String,
    /// Every other claim, flattened with dots, as Convex does for custom JWTs.
    pub claims: BTreeMap<String, Value>,
    /// `exp`, in seconds since the epoch.
    pub expires_at: u64,
}

impl Identity {
    /// The identity as the object a function sees.
    pub fn to_value(&self) -> Value {
        let mut o = Object::new();
        for (k, v) in &self.claims {
            o.insert(k.clone(), v.clone());
        }
        o.insert(
            "tokenIdentifier".into(),
            Value::String(self.token_identifier.clone()),
        );
        o.insert("subject".into(), Value::String(self.subject.clone()));
        o.insert("issuer".into(), Value::String(self.issuer.clone()));
        Value::Object(o)
    }

    /// The `name` claim, if any.
    pub fn name(&self) -> Option<&str> {
        self.claims.get("name").and_then(Value::as_str)
    }
}

/// A function failed: `data` is set when it threw a `ConvexError`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionError {
    /// The error message the client sees.
    pub message: String,
    /// The `ConvexError` payload.
    pub data: Option<Value>,
}

impl FunctionError {
    /// A plain error (no `ConvexError` data).
    pub fn new(message: impl Into<String>) -> Self {
        FunctionError {
            message: message.into(),
            data: None,
        }
    }
}

/// What a query produced besides its value.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    /// The result.
    pub value: Value,
    /// The journal to keep with the subscription (paginated queries pin their end in it).
    pub journal: Option<String>,
    /// Lines the function logged, as Convex formats them (`[LOG] 'text'`).
    pub logs: Vec<String>,
}

/// What an action may call, as `ctx.runQuery` / `ctx.runMutation` do. The deployment
/// implements it; the trait lets the registry hold actions without knowing the deployment
/// that holds the registry.
pub trait ActionCtx {
    /// Runs a query at the current state.
    fn run_query(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError>;

    /// Runs a mutation and commits it.
    fn run_mutation(
        &self,
        path: &str,
        args: &Value,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError>;
}

/// A query: reads the database.
pub type QueryFn = fn(&Object, &Database, Option<&Identity>) -> Result<Value, FunctionError>;
/// A query that reads its subscription's journal, and may write one and log.
pub type JournaledQueryFn =
    fn(&Object, &Database, Option<&Identity>, Option<&str>) -> Result<QueryOutput, FunctionError>;
/// A mutation: writes into a transaction that commits only if it succeeds.
pub type MutationFn =
    fn(&Object, &mut Transaction, Option<&Identity>) -> Result<Value, FunctionError>;
/// An action: may run queries and mutations.
pub type ActionFn = fn(&Object, &dyn ActionCtx, Option<&Identity>) -> Result<Value, FunctionError>;

/// The registered functions.
#[derive(Default)]
pub struct Registry {
    queries: BTreeMap<&'static str, QueryFn>,
    journaled: BTreeMap<&'static str, JournaledQueryFn>,
    mutations: BTreeMap<&'static str, MutationFn>,
    actions: BTreeMap<&'static str, ActionFn>,
}

fn args_object<'a>(path: &str, args: &'a Value) -> Result<&'a Object, FunctionError> {
    args.as_object().ok_or_else(|| {
        FunctionError::new(format!(
            "ArgumentValidationError: arguments of {path} must be an object"
        ))
    })
}

fn not_found(kind: &str, path: &str) -> FunctionError {
    FunctionError::new(format!(
        "Could not find public function for '{path}'. Did you forget to run `npx convex dev`? \
         (no {kind} with this path is registered in convex-dev-backend)"
    ))
}

fn canonical(path: &str) -> Result<String, FunctionError> {
    udf_path::parse(path).map_err(|e| FunctionError::new(e.to_string()))
}

impl Registry {
    /// Registers a query under its canonical path (`module:name`).
    pub fn query(&mut self, path: &'static str, f: QueryFn) {
        self.queries.insert(path, f);
    }

    /// Registers a query that reads and writes its subscription's journal.
    pub fn journaled_query(&mut self, path: &'static str, f: JournaledQueryFn) {
        self.journaled.insert(path, f);
    }

    /// Registers a mutation.
    pub fn mutation(&mut self, path: &'static str, f: MutationFn) {
        self.mutations.insert(path, f);
    }

    /// Registers an action.
    pub fn action(&mut self, path: &'static str, f: ActionFn) {
        self.actions.insert(path, f);
    }

    /// The canonical path of every registered function.
    pub fn paths(&self) -> Vec<String> {
        self.queries
            .keys()
            .chain(self.journaled.keys())
            .chain(self.mutations.keys())
            .chain(self.actions.keys())
            .map(|p| p.to_string())
            .collect()
    }

    /// Runs a query by path.
    pub fn run_query(
        &self,
        path: &str,
        args: &Value,
        db: &Database,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        self.run_query_journaled(path, args, db, identity, None)
            .map(|o| o.value)
    }

    /// Runs a query by path with its subscription's journal; returns the journal to keep.
    pub fn run_query_journaled(
        &self,
        path: &str,
        args: &Value,
        db: &Database,
        identity: Option<&Identity>,
        journal: Option<&str>,
    ) -> Result<QueryOutput, FunctionError> {
        let path = canonical(path)?;
        let args = args_object(&path, args)?;
        if let Some(f) = self.journaled.get(path.as_str()) {
            return f(args, db, identity, journal);
        }
        let f = self
            .queries
            .get(path.as_str())
            .ok_or_else(|| not_found("query", &path))?;
        Ok(QueryOutput {
            value: f(args, db, identity)?,
            journal: None,
            logs: Vec::new(),
        })
    }

    /// Runs a mutation by path inside `tx`.
    pub fn run_mutation(
        &self,
        path: &str,
        args: &Value,
        tx: &mut Transaction,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        let path = canonical(path)?;
        let f = self
            .mutations
            .get(path.as_str())
            .ok_or_else(|| not_found("mutation", &path))?;
        f(args_object(&path, args)?, tx, identity)
    }

    /// Runs an action by path.
    pub fn run_action(
        &self,
        path: &str,
        args: &Value,
        ctx: &dyn ActionCtx,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        let path = canonical(path)?;
        let f = self
            .actions
            .get(path.as_str())
            .ok_or_else(|| not_found("action", &path))?;
        f(args_object(&path, args)?, ctx, identity)
    }
}
