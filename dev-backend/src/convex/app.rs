//! The app this deployment serves: the demo's `myFunctions` module and the `testing:*`
//! helpers the test suites call, registered by [`Registry::builtin`]. The paginated list
//! lives in [`super::pagination`]; the spec the CLI reads of these functions is
//! [`super::api_spec`].

use convex_yew_core::value::Object;
use convex_yew_core::value::Value;

use super::database::{Database, Transaction};
use super::functions::{ActionCtx, FunctionError, Identity, QueryOutput, Registry};
use super::pagination;

impl Registry {
    /// The seed app's functions and the test helpers.
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        registry.query("myFunctions:listNumbers", list_numbers);
        registry.journaled_query(
            "myFunctions:listNumbersPaginated",
            pagination::list_numbers_paginated,
        );
        registry.mutation("myFunctions:addNumber", add_number);
        registry.action("myFunctions:myAction", my_action);
        registry.query("testing:whoami", whoami);
        registry.journaled_query("testing:logLines", log_lines);
        registry.query("testing:throwConvexError", throw_convex_error);
        registry.query("testing:bigResult", big_result);
        registry.query("testing:sortedNumbers", sorted_numbers);
        registry.mutation("testing:failingMutation", failing_mutation);
        registry.action("testing:echoAction", echo_action);
        registry
    }
}

fn number_arg(args: &Object, name: &str) -> Result<f64, FunctionError> {
    args.get(name).and_then(Value::as_f64).ok_or_else(|| {
        FunctionError::new(format!(
            "ArgumentValidationError: Object is missing the required field `{name}` of type \
                 number."
        ))
    })
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
    ctx: &dyn ActionCtx,
    identity: Option<&Identity>,
) -> Result<Value, FunctionError> {
    let first = number_arg(args, "first")?;
    let _second = args
        .get("second")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut query_args = Object::new();
    query_args.insert("count".into(), Value::Float64(10.0));
    let listed = ctx.run_query(
        "myFunctions:listNumbers",
        &Value::Object(query_args),
        identity,
    )?;
    let mut mutation_args = Object::new();
    mutation_args.insert("value".into(), Value::Float64(first));
    ctx.run_mutation(
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
    _ctx: &dyn ActionCtx,
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
