//! The server's side of the query set: the results it sent, the version it is at, and the
//! newest timestamp it has shown (the official `RemoteQuerySet`). A Transition moves it from
//! one version to the next; one that does not start where the client is breaks the protocol.

use super::io::LogSource;
use super::query_set::{QueryId, QueryResult, QuerySet};
use crate::protocol::transition::{Change, Transition};
use crate::protocol::{StateVersion, Ts};
use crate::sorted_map::SortedMap;

/// The results the server sent, at its version.
#[derive(Debug, Default)]
pub(crate) struct RemoteQuerySet {
    version: StateVersion,
    results: SortedMap<QueryId, QueryResult>,
    /// The newest timestamp the server has shown (a Transition's end or a mutation's commit),
    /// sent in the next `Connect` so the new socket never goes back in time.
    max_observed_ts: Option<Ts>,
}

/// What a Transition changed.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// The queries whose server result changed, with the result they had before.
    pub(crate) changed: SortedMap<QueryId, Option<QueryResult>>,
    /// Log lines the queries printed, in the Transition's order.
    pub(crate) logs: Vec<(LogSource, Vec<String>)>,
}

impl RemoteQuerySet {
    /// A new socket: the server starts from the initial version. Results stay (shown until
    /// the new socket's first Transition replaces them).
    pub(crate) fn restart(&mut self) {
        self.version = StateVersion::default();
    }

    /// The version the server is at on this socket.
    pub(crate) fn version(&self) -> StateVersion {
        self.version
    }

    /// Applies a Transition to the results of the queries still wanted (`queries`, whose
    /// journals and log lines it updates). A Transition that does not start at the current
    /// version is refused with the reason, and changes nothing.
    pub(crate) fn apply(
        &mut self,
        transition: Transition,
        queries: &mut QuerySet,
    ) -> Result<Changes, String> {
        let Transition {
            start,
            end,
            changes,
        } = transition;
        if start != self.version {
            return Err(format!(
                "Transition startVersion {start} does not match the client's {}",
                self.version
            ));
        }
        self.observe(end.ts);
        let mut applied = Changes::default();
        for change in changes {
            let (id, result, journal, log_lines) = match change {
                Change::Updated {
                    query_id,
                    value,
                    log_lines,
                    journal,
                } => (
                    QueryId(query_id),
                    QueryResult::Value(value),
                    journal,
                    log_lines,
                ),
                Change::Failed {
                    query_id,
                    message,
                    data,
                    log_lines,
                    journal,
                } => (
                    QueryId(query_id),
                    QueryResult::Error { message, data },
                    journal,
                    log_lines,
                ),
                Change::Removed { query_id } => {
                    // Still subscribed: its result is unknown again (loading), as the
                    // official client shows it.
                    let id = QueryId(query_id);
                    if let Some(previous) = self.results.remove(&id) {
                        if queries.contains(id) {
                            applied.changed.insert(id, Some(previous));
                        }
                    }
                    continue;
                }
            };
            let Some(path) = queries.get(id).map(|q| q.path.clone()) else {
                continue; // unsubscribed meanwhile: ignore
            };
            if !log_lines.is_empty() {
                applied
                    .logs
                    .push((LogSource::Query { id, path }, log_lines.clone()));
            }
            queries.set_result_meta(id, journal, log_lines);
            if self.results.get(&id) != Some(&result) {
                let previous = self.results.insert(id, result);
                applied.changed.insert(id, previous);
            }
        }
        self.version = end;
        Ok(applied)
    }

    /// The server showed timestamp `ts`.
    pub(crate) fn observe(&mut self, ts: Ts) {
        if self.max_observed_ts.is_none_or(|m| ts > m) {
            self.max_observed_ts = Some(ts);
        }
    }

    /// The newest timestamp the server has shown.
    pub(crate) fn max_observed_ts(&self) -> Option<Ts> {
        self.max_observed_ts
    }

    /// The server's result for a query.
    pub(crate) fn result(&self, id: QueryId) -> Option<&QueryResult> {
        self.results.get(&id)
    }

    /// Every result, for replaying optimistic updates over them.
    pub(crate) fn results(&self) -> &SortedMap<QueryId, QueryResult> {
        &self.results
    }

    /// The query was unsubscribed: its result goes.
    pub(crate) fn forget(&mut self, id: QueryId) {
        self.results.remove(&id);
    }

    /// The queries with a result.
    pub(crate) fn ids(&self) -> impl Iterator<Item = QueryId> + '_ {
        self.results.keys().copied()
    }
}
