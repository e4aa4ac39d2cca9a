//! [`ConvexHttpClient`]: one-shot queries, mutations and actions over `/api/*`, for code outside
//! a live session.

use std::cell::RefCell;

use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};

use convex_yew_core::protocol::udf_path::{Action, Mutation, Query};
use convex_yew_core::value::{from_value, Value};
use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use super::logger::{LogLevel, Logger};
use crate::error::ClientError;

/// Settings of a [`ConvexHttpClient`] (the JS `ConvexHttpClient`'s options).
#[derive(Debug, Clone)]
pub struct HttpClientOptions {
    /// An auth token to send from the start (`Authorization: Bearer`); `set_auth` changes it.
    pub auth: Option<String>,
    /// Where the functions' log lines (`[CONVEX Q(path)] …`) go (default: the console;
    /// [`Logger::silent`] for none).
    pub logger: Logger,
    /// Run mutations one at a time, in call order (default `true`, the JS queue).
    pub queue_mutations: bool,
    /// Accept a `.convex.site` URL too (a proxy; the JS `skipConvexDeploymentUrlCheck`).
    pub skip_convex_deployment_url_check: bool,
}

impl Default for HttpClientOptions {
    fn default() -> Self {
        HttpClientOptions {
            auth: None,
            logger: Logger::console(),
            queue_mutations: true,
            skip_convex_deployment_url_check: false,
        }
    }
}

/// Options of one mutation call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutationOptions {
    /// Send at once, not after the mutations queued before it (the JS `skipQueue`).
    pub skip_queue: bool,
}

/// A stateless client for `POST /api/query|mutation|action`.
///
/// ```no_run
/// # async fn run() -> Result<(), convex_yew::ClientError> {
/// use convex_yew::ConvexHttpClient;
/// use convex_yew::core::protocol::udf_path::Query;
/// let http = ConvexHttpClient::new("https://happy-otter-123.convex.cloud")?;
/// let who: convex_yew::Value = http.query(&Query::<(), _>::new("users:me"), &()).await?;
/// # Ok(()) }
/// ```
pub struct ConvexHttpClient {
    base: String,
    token: RefCell<Option<String>>,
    logger: Logger,
    /// Run mutations one at a time, in call order (the JS client's default).
    queue_mutations: bool,
    /// Resolves when the latest queued mutation has finished (or was dropped).
    last_mutation: RefCell<Option<Shared<oneshot::Receiver<()>>>>,
}

/// Says whether a token is set, never the token.
impl std::fmt::Debug for ConvexHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvexHttpClient")
            .field("base", &self.base)
            .field("authenticated", &self.token.borrow().is_some())
            .finish()
    }
}

impl ConvexHttpClient {
    /// A client for a deployment URL (`http(s)://...`).
    pub fn new(deployment_url: &str) -> Result<ConvexHttpClient, ClientError> {
        ConvexHttpClient::with_options(deployment_url, HttpClientOptions::default())
    }

    /// A client with options: auth and logger set at construction.
    ///
    /// ```no_run
    /// use convex_yew::{ConvexHttpClient, HttpClientOptions};
    /// use convex_yew::Logger;
    /// # fn run(token: String) -> Result<(), convex_yew::ClientError> {
    /// let http = ConvexHttpClient::with_options(
    ///     "https://happy-otter-123.convex.cloud",
    ///     HttpClientOptions { auth: Some(token), logger: Logger::silent(), ..Default::default() },
    /// )?;
    /// assert_eq!(http.url(), "https://happy-otter-123.convex.cloud");
    /// # Ok(()) }
    /// ```
    pub fn with_options(
        deployment_url: &str,
        options: HttpClientOptions,
    ) -> Result<ConvexHttpClient, ClientError> {
        // The same validation as the live client.
        super::url::sync_url_with(deployment_url, options.skip_convex_deployment_url_check)?;
        Ok(ConvexHttpClient {
            base: deployment_url.trim_end_matches('/').to_owned(),
            token: RefCell::new(options.auth),
            logger: options.logger,
            queue_mutations: options.queue_mutations,
            last_mutation: RefCell::new(None),
        })
    }

    /// The deployment URL (without a trailing `/`).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Whether mutations run one at a time in call order (default `true`, as the JS client's
    /// queue); `false` sends each at once (the JS `skipQueue`).
    pub fn with_mutation_queue(mut self, queue: bool) -> ConvexHttpClient {
        self.queue_mutations = queue;
        self
    }

    /// Sends `Authorization: Bearer <token>` from now on (`None` for anonymous).
    pub fn set_auth(&self, token: Option<String>) {
        *self.token.borrow_mut() = token;
    }

    /// Runs a query.
    pub async fn query<A: Serialize, R: DeserializeOwned>(
        &self,
        q: &Query<A, R>,
        args: &A,
    ) -> Result<R, ClientError> {
        self.call("query", q.path(), args).await
    }

    /// Runs a mutation. By default mutations run one at a time, in call order: each waits for
    /// the one before it to finish (see [`with_mutation_queue`](Self::with_mutation_queue)).
    pub async fn mutation<A: Serialize, R: DeserializeOwned>(
        &self,
        m: &Mutation<A, R>,
        args: &A,
    ) -> Result<R, ClientError> {
        self.mutation_with(m, args, MutationOptions::default())
            .await
    }

    /// [`mutation`](Self::mutation) with per-call options: `skip_queue` sends this one at
    /// once, past the queued ones.
    pub async fn mutation_with<A: Serialize, R: DeserializeOwned>(
        &self,
        m: &Mutation<A, R>,
        args: &A,
        options: MutationOptions,
    ) -> Result<R, ClientError> {
        if !self.queue_mutations || options.skip_queue {
            return self.call("mutation", m.path(), args).await;
        }
        // Dropping this future (or finishing) drops `done`, which lets the next one go.
        let (_done, finished) = oneshot::channel::<()>();
        let previous = self.last_mutation.replace(Some(finished.shared()));
        if let Some(previous) = previous {
            let _ = previous.await;
        }
        self.call("mutation", m.path(), args).await
    }

    /// Runs an action.
    pub async fn action<A: Serialize, R: DeserializeOwned>(
        &self,
        a: &Action<A, R>,
        args: &A,
    ) -> Result<R, ClientError> {
        self.call("action", a.path(), args).await
    }

    async fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        kind: &str,
        path: &str,
        args: &A,
    ) -> Result<R, ClientError> {
        let args = super::codec::encode_args(path, args)?;
        let body = json!({"path": path, "format": "convex_encoded_json", "args": [Value::Object(args).to_json()]});
        let mut request = Request::post(&format!("{}/api/{kind}", self.base))
            .header("Content-Type", "application/json")
            .header(
                "Convex-Client",
                &format!("npm-{}", convex_yew_core::protocol::PROTOCOL_CLIENT_VERSION),
            );
        if let Some(token) = self.token.borrow().as_deref() {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let response = request
            .body(convex_yew_core::json::to_string(&body))
            .map_err(|e| ClientError::network(e.to_string()))?
            .send()
            .await
            .map_err(|e| ClientError::network(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::network(e.to_string()))?;
        let json: serde_json::Value =
            convex_yew_core::json::from_str(&text).unwrap_or(serde_json::Value::Null);
        // The function's log lines, as the live client prints them.
        let tag = match kind {
            "query" => 'Q',
            "mutation" => 'M',
            _ => 'A',
        };
        for line in json
            .get("logLines")
            .and_then(|l| l.as_array())
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str())
        {
            self.logger
                .log(LogLevel::Info, &format!("[CONVEX {tag}({path})] {line}"));
        }
        if !(status == 200 || status == 560) {
            let code = json
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_owned();
            let message = json
                .get("message")
                .and_then(|c| c.as_str())
                .map_or_else(|| text.chars().take(200).collect(), str::to_owned);
            return Err(ClientError::http(status, code, message));
        }
        match json.get("status").and_then(|s| s.as_str()) {
            Some("success") => {
                let value = Value::from_json(json.get("value").unwrap_or(&serde_json::Value::Null))
                    .map_err(ClientError::decode)?;
                from_value(value).map_err(ClientError::decode)
            }
            Some("error") => {
                let message = json
                    .get("errorMessage")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .to_owned();
                let data = json.get("errorData").and_then(|d| Value::from_json(d).ok());
                Err(ClientError::from_function(
                    path,
                    convex_yew_core::sync::FunctionError::Failed { message, data },
                ))
            }
            _ => Err(ClientError::network(format!(
                "unexpected response: {}",
                text.chars().take(200).collect::<String>()
            ))),
        }
    }
}
