//! The functions the dev backend serves, registered by canonical path.
//!
//! The seed app's `myFunctions` module, plus `testing:*` helpers the test suites use.

use std::collections::BTreeMap;

use convex_yew_core::protocol::udf_path;
use convex_yew_core::value::Object;
use convex_yew_core::Value;

use super::database::{Database, Transaction};
use super::Deployment;

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
    fn new(message: impl Into<String>) -> Self {
        FunctionError {
            message: message.into(),
            data: None,
        }
    }
}

type QueryFn = fn(&Object, &Database, Option<&Identity>) -> Result<Value, FunctionError>;
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

/// A query that reads its subscription's journal, and may write one and log.
type JournaledQueryFn =
    fn(&Object, &Database, Option<&Identity>, Option<&str>) -> Result<QueryOutput, FunctionError>;
type MutationFn = fn(&Object, &mut Transaction, Option<&Identity>) -> Result<Value, FunctionError>;
type ActionFn = fn(&Object, &Deployment, Option<&Identity>) -> Result<Value, FunctionError>;

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
    FunctionError::new(format!("Could not find public function for '{path}'. Did you forget to run `npx convex dev`? (no {kind} with this path is registered in convex-dev-backend)"))
}

fn canonical(path: &str) -> Result<String, FunctionError> {
    udf_path::parse(path).map_err(|e| FunctionError::new(e.to_string()))
}

impl Registry {
    /// The seed app's functions and the test helpers.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        r.queries.insert("myFunctions:listNumbers", list_numbers);
        r.journaled.insert(
            "myFunctions:listNumbersPaginated",
            super::pagination::list_numbers_paginated,
        );
        r.mutations.insert("myFunctions:addNumber", add_number);
        r.actions.insert("myFunctions:myAction", my_action);
        r.queries.insert("testing:whoami", whoami);
        r.journaled.insert("testing:logLines", log_lines);
        r.queries
            .insert("testing:throwConvexError", throw_convex_error);
        r.queries.insert("testing:bigResult", big_result);
        r.queries.insert("testing:sortedNumbers", sorted_numbers);
        r.mutations
            .insert("testing:failingMutation", failing_mutation);
        r.actions.insert("testing:echoAction", echo_action);
        r
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
        deployment: &Deployment,
        identity: Option<&Identity>,
    ) -> Result<Value, FunctionError> {
        let path = canonical(path)?;
        let f = self
            .actions
            .get(path.as_str())
            .ok_or_else(|| not_found("action", &path))?;
        f(args_object(&path, args)?, deployment, identity)
    }
}

fn number_arg(args: &Object, name: &str) -> Result<f64, FunctionError> {
    args.get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| FunctionError::new(format!("ArgumentValidationError: Object is missing the required field `{name}` of type number.")))
}

fn list_numbers(
    args: &Object,
    db: &Database,
    identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let count = number_arg(args, "count")?.max(0.0) as usize;
    let all = db.numbers();
    let numbers = all[all.len().saturating_sub(count)..]
        .iter()
        .map(|n| Value::Float64(*n))
        .collect();
    let mut o = Object::new();
    o.insert(
        "viewer".into(),
        identity
            .and_then(Identity::name)
            .map_or(Value::Null, |n| Value::String(n.into())),
    );
    o.insert("numbers".into(), Value::Array(numbers));
    Ok(Value::Object(o))
}

/// A paginated query over the numbers in ascending order, served as one page (the order a
/// sorted optimistic insert must match).
fn sorted_numbers(
    args: &Object,
    db: &Database,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    if !matches!(args.get("paginationOpts"), Some(Value::Object(_))) {
        return Err(FunctionError::new(
            "ArgumentValidationError: Object is missing the required field `paginationOpts`.",
        ));
    }
    let mut numbers = db.numbers().to_vec();
    numbers.sort_by(f64::total_cmp);
    let mut o = Object::new();
    o.insert(
        "page".into(),
        Value::Array(numbers.into_iter().map(Value::Float64).collect()),
    );
    o.insert("isDone".into(), Value::Boolean(true));
    o.insert("continueCursor".into(), Value::String("end".into()));
    Ok(Value::Object(o))
}

fn add_number(
    args: &Object,
    tx: &mut Transaction,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let value = number_arg(args, "value")?;
    tx.numbers.push(value);
    Ok(Value::Null)
}

fn my_action(
    args: &Object,
    d: &Deployment,
    identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let first = number_arg(args, "first")?;
    let _second = args
        .get("second")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut query_args = Object::new();
    query_args.insert("count".into(), Value::Float64(10.0));
    let (listed, _) = d.run_query(
        "myFunctions:listNumbers",
        &Value::Object(query_args),
        identity,
    );
    let listed = listed?;
    let mut mutation_args = Object::new();
    mutation_args.insert("value".into(), Value::Float64(first));
    d.run_mutation(
        "myFunctions:addNumber",
        &Value::Object(mutation_args),
        identity,
    )?;
    Ok(listed)
}

fn whoami(
    _args: &Object,
    _db: &Database,
    identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    Ok(identity.map_or(Value::Null, Identity::to_value))
}

fn throw_convex_error(
    args: &Object,
    _db: &Database,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let mut data = Object::new();
    data.insert(
        "code".into(),
        args.get("code")
            .cloned()
            .unwrap_or(Value::String("FORBIDDEN".into())),
    );
    Err(FunctionError {
        message: "Uncaught ConvexError: forbidden".into(),
        data: Some(Value::Object(data)),
    })
}

fn big_result(
    args: &Object,
    _db: &Database,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let size = number_arg(args, "size")?.clamp(0.0, 64.0 * 1024.0 * 1024.0) as usize;
    Ok(Value::String("x".repeat(size)))
}

fn failing_mutation(
    _args: &Object,
    tx: &mut Transaction,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    tx.numbers.push(-1.0); // never committed: the error drops the transaction
    Err(FunctionError {
        message: "Uncaught Error: this mutation always fails".into(),
        data: None,
    })
}

fn echo_action(
    args: &Object,
    _d: &Deployment,
    _identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    Ok(Value::Object(args.clone()))
}

/// Logs one line per call (`[LOG] 'hello <name>'`) and returns how many numbers there are.
fn log_lines(
    args: &Object,
    db: &Database,
    _identity: Option<&Identity>,
    _journal: Option<&str>,
) -> Result<QueryOutput, FunctionError> {
    let name = args.get("name").and_then(Value::as_str).unwrap_or("world");
    let name: String = name.chars().take(100).collect();
    Ok(QueryOutput {
        value: Value::Float64(db.numbers().len() as f64),
        journal: None,
        logs: vec![format!("[LOG] 'hello {name}'")],
    })
}
