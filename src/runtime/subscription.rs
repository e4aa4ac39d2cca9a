//! [`Subscription`]: one query's live result, as a value, a callback and a `Stream`; and the
//! typed façade that makes one ([`ConvexClient::subscribe`], [`ConvexClient::query`]), built on
//! the client's [`Watch`] (this file depends on the client, never the other way).

use std::cell::RefCell;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use std::future::Future;

use convex_yew_core::protocol::udf_path::Query;
use convex_yew_core::sync::QueryId;
use convex_yew_core::value::Object;
use futures::channel::mpsc;
use futures::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{ConvexClient, Watch};
use super::codec::encode_args;
use crate::error::ClientError;

impl ConvexClient {
    /// Subscribes to a query. The returned [`Subscription`] holds the latest result, notifies
    /// on change (callback or `Stream`), and unsubscribes when dropped.
    pub fn subscribe<A: Serialize, R: DeserializeOwned>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> Result<Subscription<R>, ClientError> {
        let args = encode_args(query.path(), args)?;
        Ok(Subscription::new(self.clone(), query.path(), args))
    }

    /// Runs a query once: subscribes, resolves with the first result, and unsubscribes (a
    /// result the client already holds resolves at once).
    pub fn query<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let subscription = self.subscribe(query, args);
        async move {
            use futures::StreamExt;
            let mut subscription = subscription?;
            if let Some(first) = subscription.latest() {
                return first;
            }
            subscription
                .next()
                .await
                .unwrap_or_else(|| Err(ClientError::closed()))
        }
    }
}

type Callbacks = Rc<RefCell<Vec<Rc<dyn Fn()>>>>;

/// A live query. Dropping it unsubscribes (the server query goes away with its last
/// subscriber).
pub struct Subscription<R> {
    watch: Watch,
    callbacks: Callbacks,
    changes: mpsc::UnboundedReceiver<()>,
    _result: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> Subscription<R> {
    pub(crate) fn new(client: ConvexClient, path: &str, args: Object) -> Subscription<R> {
        let (tx, rx) = mpsc::unbounded();
        let callbacks: Callbacks = Rc::new(RefCell::new(Vec::new()));
        let cbs = callbacks.clone();
        let notify: Rc<dyn Fn(QueryId)> = Rc::new(move |_| {
            let _ = tx.unbounded_send(());
            let list: Vec<_> = cbs.borrow().clone();
            for cb in list {
                cb();
            }
        });
        let watch = client.watch(path, &args, notify);
        Subscription {
            watch,
            callbacks,
            changes: rx,
            _result: PhantomData,
        }
    }

    /// The latest result: `None` while loading, then the value or the query's error.
    pub fn latest(&self) -> Option<Result<R, ClientError>> {
        self.watch.decoded()
    }

    /// Calls `callback` after every change of [`latest`](Self::latest).
    pub fn on_update(&self, callback: impl Fn() + 'static) {
        self.callbacks.borrow_mut().push(Rc::new(callback));
    }

    /// The query's id (shared by identical subscriptions).
    pub fn query_id(&self) -> QueryId {
        self.watch.query_id()
    }
}

impl<R: DeserializeOwned> Stream for Subscription<R> {
    type Item = Result<R, ClientError>;

    /// Yields each new result (skipping changes that have no result yet).
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.changes).poll_next(cx) {
                Poll::Ready(Some(())) => {
                    // Coalesce a burst of changes into the latest result.
                    while self.changes.try_recv().is_ok() {}
                    if let Some(r) = self.latest() {
                        return Poll::Ready(Some(r));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
