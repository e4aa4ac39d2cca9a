//! The deployment's data: the numbers table, kept in memory for reads and written through to
//! SQLite on commit. Every commit moves the timestamp forward.

use std::sync::Arc;

use convex_yew_core::protocol::Ts;

use crate::clock::now_nanos;
use crate::storage::{MutationRecord, Storage, StorageError};

/// All tables of the deployment.
pub struct Database {
    numbers: Vec<f64>,
    ts: u64,
    storage: Arc<Storage>,
}

/// Pending writes of one mutation; dropped without a commit, they vanish.
#[derive(Debug)]
pub struct Transaction {
    /// The numbers table as the mutation sees it.
    pub numbers: Vec<f64>,
}

impl Database {
    /// Loads the tables from storage.
    pub fn load(storage: Arc<Storage>) -> Result<Database, StorageError> {
        let numbers = storage.numbers()?;
        Ok(Database {
            numbers,
            ts: now_nanos(),
            storage,
        })
    }

    /// The timestamp of the latest commit.
    pub fn ts(&self) -> Ts {
        Ts(self.ts)
    }

    /// The numbers table, oldest first.
    pub fn numbers(&self) -> &[f64] {
        &self.numbers
    }

    /// Starts a transaction on a snapshot.
    pub fn begin(&self) -> Transaction {
        Transaction {
            numbers: self.numbers.clone(),
        }
    }

    /// Commits a transaction; returns its timestamp (strictly increasing, nanoseconds).
    pub fn commit(&mut self, tx: Transaction) -> Result<Ts, StorageError> {
        self.commit_recorded(tx, None, |_| String::new())
    }

    /// Commits a transaction and records its result under `(session, request id)` in the
    /// same storage transaction; `result` renders the record once the timestamp is known.
    pub fn commit_recorded(
        &mut self,
        tx: Transaction,
        key: Option<(&str, u32)>,
        result: impl FnOnce(Ts) -> String,
    ) -> Result<Ts, StorageError> {
        let ts = now_nanos()
            .max(self.ts.saturating_add(1))
            .min(i64::MAX as u64);
        let appended = tx.numbers.get(self.numbers.len()..).unwrap_or_default();
        let text;
        let record = match key {
            Some((session_id, request_id)) => {
                text = result(Ts(ts));
                Some(MutationRecord {
                    session_id,
                    request_id,
                    result: &text,
                    ts,
                })
            }
            None => None,
        };
        self.storage.commit_mutation(appended, record)?;
        self.numbers = tx.numbers;
        self.ts = ts;
        Ok(Ts(self.ts))
    }

    /// The recorded result of a committed mutation.
    pub fn recorded(&self, session_id: &str, request_id: u32) -> Option<(String, u64)> {
        self.storage
            .mutation_result(session_id, request_id)
            .ok()
            .flatten()
    }
}
