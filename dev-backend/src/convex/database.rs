//! The deployment's data. In memory for now; every commit moves the timestamp forward.

use std::time::{SystemTime, UNIX_EPOCH};

use convex_yew_core::protocol::Ts;

/// All tables of the deployment.
#[derive(Debug, Default)]
pub struct Database {
    numbers: Vec<f64>,
    ts: u64,
}

/// Pending writes of one mutation; dropped without a commit, they vanish.
#[derive(Debug)]
pub struct Transaction {
    /// The numbers table as the mutation sees it.
    pub numbers: Vec<f64>,
}

impl Database {
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
    pub fn commit(&mut self, tx: Transaction) -> Ts {
        self.numbers = tx.numbers;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        self.ts = now.max(self.ts + 1).min(i64::MAX as u64);
        Ts(self.ts)
    }
}
