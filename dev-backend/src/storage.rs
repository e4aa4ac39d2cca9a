//! Durable state in SQLite: the numbers table, AuthKit users, sessions and refresh tokens,
//! and the signing key. A file in the data directory by default (demo data survives a
//! restart); in memory for tests.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite refused.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A user of the AuthKit side.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    /// `user_...`
    pub id: String,
    /// Email, unique.
    pub email: String,
    /// SHA-256 of salt + password, hex.
    pub password_hash: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// One AuthKit session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// `session_...`
    pub id: String,
    /// Whose.
    pub user_id: String,
    /// The organization it is scoped to.
    pub organization_id: Option<String>,
    /// Signed out.
    pub revoked: bool,
}

/// The SQLite database.
pub struct Storage {
    conn: Mutex<Connection>,
    /// How many mutation results the dedup record keeps.
    mutation_log_limit: i64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS numbers (id INTEGER PRIMARY KEY AUTOINCREMENT, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS mutations (session_id TEXT NOT NULL, request_id INTEGER NOT NULL, result TEXT NOT NULL,
  ts INTEGER NOT NULL, PRIMARY KEY (session_id, request_id));
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
  first_name TEXT, last_name TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, organization_id TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (token TEXT PRIMARY KEY, session_id TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0);
";

/// How many mutation results the dedup record keeps.
pub const MUTATION_LOG_LIMIT: i64 = 10_000;

/// A committed mutation's result, recorded with its writes.
#[derive(Debug, Clone, Copy)]
pub struct MutationRecord<'a> {
    /// The client's session.
    pub session_id: &'a str,
    /// The client's request id.
    pub request_id: u32,
    /// The result, as JSON.
    pub result: &'a str,
    /// The commit timestamp.
    pub ts: u64,
}

impl Storage {
    /// Opens `data_dir/convex-dev-backend.sqlite3`, or an in-memory database for `None`.
    pub fn open(data_dir: Option<&Path>) -> Result<Storage, StorageError> {
        let conn = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Connection::open(dir.join("convex-dev-backend.sqlite3"))?
            }
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(SCHEMA)?;
        Ok(Storage {
            conn: Mutex::new(conn),
            mutation_log_limit: MUTATION_LOG_LIMIT,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StorageError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }

    /// Every number, oldest first.
    pub fn numbers(&self) -> Result<Vec<f64>, StorageError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT value FROM numbers ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Appends numbers in one transaction.
    pub fn append_numbers(&self, values: &[f64]) -> Result<(), StorageError> {
        self.commit_mutation(values, None)
    }

    /// Appends a mutation's numbers and, in the same SQLite transaction, records its result
    /// under `(session, request id)`: a mutation is either committed and recorded, or neither.
    /// The record of mutations is bounded: the oldest beyond [`MUTATION_LOG_LIMIT`] are
    /// forgotten (a client re-sends only what it has not seen answered).
    pub fn commit_mutation(
        &self,
        values: &[f64],
        record: Option<MutationRecord<'_>>,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        for v in values {
            tx.execute("INSERT INTO numbers (value) VALUES (?1)", params![v])?;
        }
        if let Some(r) = record {
            tx.execute(
                "INSERT INTO mutations (session_id, request_id, result, ts) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![r.session_id, r.request_id, r.result, r.ts as i64],
            )?;
            tx.execute(
                "DELETE FROM mutations WHERE ts <= \
                 (SELECT ts FROM mutations ORDER BY ts DESC LIMIT 1 OFFSET ?1)",
                params![self.mutation_log_limit],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The recorded result of a committed mutation: (result JSON, commit ts).
    pub fn mutation_result(
        &self,
        session_id: &str,
        request_id: u32,
    ) -> Result<Option<(String, u64)>, StorageError> {
        self.with(|c| {
            c.query_row(
                "SELECT result, ts FROM mutations WHERE session_id = ?1 AND request_id = ?2",
                params![session_id, request_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)),
            )
            .optional()
        })
    }

    /// How many mutation results are recorded.
    pub fn mutation_log_len(&self) -> Result<u64, StorageError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM mutations", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }

    /// A stored setting.
    pub fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.with(|c| {
            c.query_row("SELECT value FROM kv WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// Stores a setting.
    pub fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map(|_| ())
        })
    }

    /// Adds a user; false when the email is taken.
    pub fn insert_user(&self, user: &UserRow) -> Result<bool, StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO users \
                 (id, email, password_hash, first_name, last_name, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    user.id,
                    user.email,
                    user.password_hash,
                    user.first_name,
                    user.last_name,
                    user.created_at
                ],
            )
            .map(|n| n == 1)
        })
    }

    fn user_where(&self, clause: &str, arg: &str) -> Result<Option<UserRow>, StorageError> {
        let sql = format!(
            "SELECT id, email, password_hash, first_name, last_name, created_at \
             FROM users WHERE {clause} = ?1"
        );
        self.with(|c| {
            c.query_row(&sql, params![arg], |r| {
                Ok(UserRow {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    password_hash: r.get(2)?,
                    first_name: r.get(3)?,
                    last_name: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })
            .optional()
        })
    }

    /// The user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StorageError> {
        self.user_where("email", &email.to_ascii_lowercase())
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Result<Option<UserRow>, StorageError> {
        self.user_where("id", id)
    }

    /// Creates a session.
    pub fn insert_session(&self, s: &SessionRow) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO sessions (id, user_id, organization_id, revoked) \
                 VALUES (?1, ?2, ?3, 0)",
                params![s.id, s.user_id, s.organization_id],
            )
            .map(|_| ())
        })
    }

    /// A session by id.
    pub fn session(&self, id: &str) -> Result<Option<SessionRow>, StorageError> {
        self.with(|c| {
            c.query_row(
                "SELECT id, user_id, organization_id, revoked FROM sessions WHERE id = ?1",
                params![id],
                |r| {
                    Ok(SessionRow {
                        id: r.get(0)?,
                        user_id: r.get(1)?,
                        organization_id: r.get(2)?,
                        revoked: r.get::<_, i64>(3)? != 0,
                    })
                },
            )
            .optional()
        })
    }

    /// Moves a session to another organization.
    pub fn set_session_org(&self, id: &str, org: Option<&str>) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "UPDATE sessions SET organization_id = ?2 WHERE id = ?1",
                params![id, org],
            )
            .map(|_| ())
        })
    }

    /// Revokes a session and its refresh tokens; false when there was no such session.
    pub fn revoke_session(&self, id: &str) -> Result<bool, StorageError> {
        self.with(|c| {
            c.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE session_id = ?1",
                params![id],
            )?;
            c.execute("UPDATE sessions SET revoked = 1 WHERE id = ?1", params![id])
                .map(|n| n == 1)
        })
    }

    /// Stores a new refresh token.
    pub fn insert_refresh_token(&self, token: &str, session_id: &str) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO refresh_tokens (token, session_id, used) VALUES (?1, ?2, 0)",
                params![token, session_id],
            )
            .map(|_| ())
        })
    }

    /// The session of a refresh token that was already used, if it is one.
    pub fn used_refresh_token_session(&self, token: &str) -> Result<Option<String>, StorageError> {
        self.with(|c| {
            c.query_row(
                "SELECT session_id FROM refresh_tokens WHERE token = ?1 AND used = 1",
                params![token],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// The session of an unused refresh token, without using it.
    pub fn peek_refresh_token(&self, token: &str) -> Result<Option<String>, StorageError> {
        self.with(|c| {
            c.query_row(
                "SELECT session_id FROM refresh_tokens WHERE token = ?1 AND used = 0",
                params![token],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Uses a refresh token once: returns its session id, or `None` when it is unknown or
    /// was already used (rotation: each token works once).
    pub fn use_refresh_token(&self, token: &str) -> Result<Option<String>, StorageError> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE token = ?1 AND used = 0",
                params![token],
            )?;
            if n == 0 {
                return Ok(None);
            }
            c.query_row(
                "SELECT session_id FROM refresh_tokens WHERE token = ?1",
                params![token],
                |r| r.get(0),
            )
            .optional()
        })
    }
}

#[cfg(test)]
mod mutation_log_tests {
    use super::*;

    #[test]
    fn the_mutation_record_is_kept_with_its_writes_and_bounded() {
        let mut s = Storage::open(None).unwrap();
        s.mutation_log_limit = 100;
        let n = 150;
        for i in 0..n {
            s.commit_mutation(
                &[i as f64],
                Some(MutationRecord {
                    session_id: "s",
                    request_id: i,
                    result: "null",
                    ts: 1_000 + i as u64,
                }),
            )
            .unwrap();
        }
        assert_eq!(s.mutation_log_len().unwrap(), 100);
        assert_eq!(s.mutation_result("s", 0).unwrap(), None, "the oldest went");
        assert_eq!(
            s.mutation_result("s", n - 1).unwrap(),
            Some(("null".into(), 1_000 + n as u64 - 1))
        );
        assert_eq!(s.numbers().unwrap().len(), n as usize);
        // A duplicate record fails the whole transaction: its numbers are not written.
        assert!(s
            .commit_mutation(
                &[1e9],
                Some(MutationRecord {
                    session_id: "s",
                    request_id: n - 1,
                    result: "null",
                    ts: 5,
                }),
            )
            .is_err());
        assert!(!s.numbers().unwrap().contains(&1e9));
    }
}
