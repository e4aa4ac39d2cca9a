//! The queries the client wants: deduplicated by (canonical path, args), reference counted.

use crate::protocol::transition::Journal;
use crate::protocol::udf_path::canonicalize;
use crate::sorted_map::SortedMap;
use crate::value::args_to_text;
use crate::value::ResultValue;
use crate::value::{Object, Value};

/// Identifies one subscribed query (the protocol's `queryId`). Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueryId(pub u32);

#[derive(Debug)]
pub(crate) struct LocalQuery {
    pub(crate) path: String,
    /// The arguments (optimistic updates list a function's queries with them).
    pub(crate) args: Object,
    pub(crate) subscribers: u32,
    pub(crate) journal: Option<String>,
    /// The log lines of the current result.
    pub(crate) logs: Vec<String>,
}

/// The wanted query set.
#[derive(Debug, Default)]
pub(crate) struct QuerySet {
    by_token: SortedMap<String, QueryId>,
    queries: SortedMap<QueryId, (String, LocalQuery)>,
    next_id: u32,
}

/// The identity of a (canonical path, args) pair: the path and the arguments' wire text. Keys
/// are sorted in `Object`, so equal arguments give equal tokens. Written directly, with no JSON
/// tree: a page mounting 500 subscriptions computes a few tokens for each.
fn token(path: &str, args: &Object) -> String {
    let args = args_to_text(args);
    let mut token = String::with_capacity(path.len() + 1 + args.len());
    token.push_str(path);
    token.push('\u{0}');
    token.push_str(&args);
    token
}

/// The encoded argument array (`[{...}]`) a token ends with (see [`token`]): after the last
/// NUL, since a path may hold one but JSON text never does (it escapes U+0000).
pub(crate) fn wire_args(token: &str) -> &str {
    token.rsplit_once('\u{0}').map_or("[{}]", |(_, args)| args)
}

/// The token of a (path, args) pair as the caller wrote them (the path is canonicalised).
pub(crate) fn token_of(path: &str, args: &Object) -> String {
    token(&canonicalize(path), args)
}

impl QuerySet {
    /// The subscribed query with these path and arguments, if any.
    pub(crate) fn find(&self, path: &str, args: &Object) -> Option<QueryId> {
        self.by_token.get(&token_of(path, args)).copied()
    }

    /// Adds a subscriber; returns the id and whether the query is new.
    pub(crate) fn subscribe(&mut self, path: &str, args: &Object) -> (QueryId, bool) {
        let path = canonicalize(path);
        let token = token(&path, args);
        if let Some(&id) = self.by_token.get(&token) {
            if let Some((_, q)) = self.queries.get_mut(&id) {
                q.subscribers += 1;
            }
            return (id, false);
        }
        let id = QueryId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.by_token.insert(token.clone(), id);
        self.queries.insert(
            id,
            (
                token,
                LocalQuery {
                    path,
                    args: args.clone(),
                    subscribers: 1,
                    journal: None,
                    logs: Vec::new(),
                },
            ),
        );
        (id, true)
    }

    /// Removes a subscriber; true when it was the last one and the query is gone.
    pub(crate) fn unsubscribe(&mut self, id: QueryId) -> bool {
        let Some((_, q)) = self.queries.get_mut(&id) else {
            return false;
        };
        q.subscribers = q.subscribers.saturating_sub(1);
        if q.subscribers > 0 {
            return false;
        }
        if let Some((token, _)) = self.queries.remove(&id) {
            self.by_token.remove(&token);
        }
        true
    }

    pub(crate) fn contains(&self, id: QueryId) -> bool {
        self.queries.contains_key(&id)
    }

    pub(crate) fn get(&self, id: QueryId) -> Option<&LocalQuery> {
        self.queries.get(&id).map(|(_, q)| q)
    }

    /// The token of a subscribed query.
    pub(crate) fn token(&self, id: QueryId) -> Option<&str> {
        self.queries.get(&id).map(|(t, _)| t.as_str())
    }

    /// The subscribed query with this token.
    pub(crate) fn by_token(&self, token: &str) -> Option<QueryId> {
        self.by_token.get(token).copied()
    }

    /// Every subscribed query, with its token, in token order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, QueryId, &LocalQuery)> + '_ {
        self.by_token
            .iter()
            .filter_map(|(t, &id)| self.queries.get(&id).map(|(_, q)| (t.as_str(), id, q)))
    }

    /// Keeps the journal and log lines that came with a new result.
    pub(crate) fn set_result_meta(&mut self, id: QueryId, journal: Journal, logs: Vec<String>) {
        if let Some((_, q)) = self.queries.get_mut(&id) {
            if let Journal::Set(journal) = journal {
                q.journal = journal;
            }
            q.logs = logs;
        }
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = QueryId> + '_ {
        self.queries.keys().copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.queries.len()
    }
}

/// One query's latest result as the server reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    /// The query returned this value (kept as the server's text, decoded on demand).
    Value(ResultValue),
    /// The query threw.
    Error {
        /// The error message.
        message: String,
        /// The `ConvexError` payload, when the function threw one.
        data: Option<Value>,
    },
}

impl QueryResult {
    /// The value, if the query succeeded and its value decodes.
    pub fn value(&self) -> Option<&Value> {
        match self {
            QueryResult::Value(v) => v.value().ok(),
            QueryResult::Error { .. } => None,
        }
    }
}

impl From<Value> for QueryResult {
    fn from(v: Value) -> Self {
        QueryResult::Value(ResultValue::new(v))
    }
}
