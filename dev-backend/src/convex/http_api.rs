//! The HTTP function API: `POST /api/query`, `/api/mutation`, `/api/action`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use convex_yew_core::value::Value;
use serde_json::{json, Value as JsonValue};

use super::deployment::Deployment;
use super::functions::{FunctionError, Identity};

#[derive(Clone, Copy)]
enum Kind {
    Query,
    Mutation,
    Action,
}

/// The routes (merged into the deployment's router).
pub fn routes() -> Router<Arc<Deployment>> {
    Router::new()
        .route("/api/query", post(|s, h, b| run(s, h, b, Kind::Query)))
        .route(
            "/api/mutation",
            post(|s, h, b| run(s, h, b, Kind::Mutation)),
        )
        .route("/api/action", post(|s, h, b| run(s, h, b, Kind::Action)))
}

fn rejected(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

async fn identity(
    deployment: &Deployment,
    headers: &HeaderMap,
) -> Result<Option<Identity>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            rejected(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthHeader",
                "Header must begin with `bearer `".into(),
            )
        })?;
    deployment
        .verifier
        .verify(token)
        .await
        .map(Some)
        .map_err(|e| rejected(StatusCode::UNAUTHORIZED, "Unauthenticated", e.0))
}

async fn run(
    State(deployment): State<Arc<Deployment>>,
    headers: HeaderMap,
    body: Bytes,
    kind: Kind,
) -> Response {
    let request: JsonValue = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return rejected(
                StatusCode::BAD_REQUEST,
                "BadJsonBody",
                format!("The request body is not JSON: {e}"),
            )
        }
    };
    let Some(path) = request
        .get("path")
        .and_then(JsonValue::as_str)
        .map(str::to_owned)
    else {
        return rejected(
            StatusCode::BAD_REQUEST,
            "BadJsonBody",
            "missing \"path\"".into(),
        );
    };
    if let Some(f) = request.get("format").and_then(JsonValue::as_str) {
        if !matches!(f, "convex_encoded_json" | "convex_json") {
            return rejected(
                StatusCode::BAD_REQUEST,
                "BadFormat",
                format!(
                    "format {f:?} is not supported by convex-dev-backend; use convex_encoded_json"
                ),
            );
        }
    }
    let raw_args = match request.get("args") {
        Some(JsonValue::Array(items)) if items.len() == 1 => items[0].clone(),
        Some(a @ JsonValue::Object(_)) => a.clone(),
        None => json!({}),
        _ => {
            return rejected(
                StatusCode::BAD_REQUEST,
                "BadJsonBody",
                "args must be an object or a one-element array".into(),
            )
        }
    };
    let args = match Value::from_json(&raw_args) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return rejected(
                StatusCode::BAD_REQUEST,
                "BadJsonBody",
                "args must be an object".into(),
            )
        }
        Err(e) => return rejected(StatusCode::BAD_REQUEST, "BadConvexValue", e.to_string()),
    };
    // `Authorization: Convex <admin key>`: the CLI's system queries.
    let admin = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Convex "));
    if let Some(key) = admin {
        if !deployment.is_admin_key(key) {
            return rejected(
                StatusCode::UNAUTHORIZED,
                "BadAdminKey",
                "The admin key is not this deployment's".into(),
            );
        }
        if path.starts_with("_system/") {
            return match (kind, deployment.run_system_query(&path)) {
                (Kind::Query, Ok(v)) => {
                    Json(json!({"status": "success", "value": v.to_json()})).into_response()
                }
                (_, Err(e)) => {
                    Json(json!({"status": "error", "errorMessage": e.message})).into_response()
                }
                (_, Ok(_)) => rejected(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "system functions are queries".into(),
                ),
            };
        }
    } else if path.starts_with("_system/") {
        return rejected(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            format!("{path} is a system function: it needs the admin key"),
        );
    }
    let identity = match admin {
        Some(_) => None,
        None => match identity(&deployment, &headers).await {
            Ok(i) => i,
            Err(r) => return r,
        },
    };
    // The lines a query logged go back with its answer (`logLines`), as Convex's HTTP API
    // sends them; the dev functions log only in queries.
    let mut log_lines: Vec<String> = Vec::new();
    if matches!(kind, Kind::Mutation) {
        let delay = deployment
            .controls
            .mutation_delay_ms
            .load(std::sync::atomic::Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        }
    }
    let outcome = match kind {
        Kind::Query => deployment
            .run_query_journaled(&path, &args, identity.as_ref(), None)
            .0
            .map(|o| {
                log_lines = o.logs;
                o.value
            }),
        Kind::Mutation => deployment
            .run_mutation(&path, &args, identity.as_ref())
            .map(|(v, _)| v),
        Kind::Action => {
            let deployment = deployment.clone();
            tokio::task::spawn_blocking(move || {
                deployment
                    .registry
                    .run_action(&path, &args, &*deployment, identity.as_ref())
            })
            .await
            .unwrap_or_else(|_| Err(FunctionError::new("InternalServerError")))
        }
    };
    match outcome {
        Ok(v) => Json(json!({"status": "success", "value": v.to_json(), "logLines": log_lines}))
            .into_response(),
        Err(e) => {
            let mut body =
                json!({"status": "error", "errorMessage": e.message, "logLines": log_lines});
            if let Some(data) = e.data {
                body["errorData"] = data.to_json();
            }
            Json(body).into_response()
        }
    }
}
