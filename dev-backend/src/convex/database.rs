//! The deployment's data: the numbers table, kept in memory for reads and written through to
//! SQLite on commit. Every commit moves the timestamp forward.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use convex_yew_core::protocol::Ts;

use crate::storage::{Storage, StorageError};

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
        let appended = tx.numbers.get(self.numbers.len()..).unwrap_or_default();
        self.storage.append_numbers(appended)?;
        self.numbers = tx.numbers;
        self.ts = now_nanos().max(self.ts + 1).min(i64::MAX as u64);
        Ok(Ts(self.ts))
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
