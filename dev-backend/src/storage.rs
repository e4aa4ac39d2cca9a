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
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS numbers (id INTEGER PRIMARY KEY AUTOINCREMENT, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
  first_name TEXT, last_name TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, organization_id TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (token TEXT PRIMARY KEY, session_id TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0);
";

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
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        for v in values {
            tx.execute("INSERT INTO numbers (value) VALUES (?1)", params![v])?;
        }
        tx.commit()?;
        Ok(())
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
                "INSERT OR IGNORE INTO users (id, email, password_hash, first_name, last_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![user.id, user.email, user.password_hash, user.first_name, user.last_name, user.created_at],
            )
            .map(|n| n == 1)
        })
    }

    fn user_where(&self, clause: &str, arg: &str) -> Result<Option<UserRow>, StorageError> {
        let sql = format!("SELECT id, email, password_hash, first_name, last_name, created_at FROM users WHERE {clause} = ?1");
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
                "INSERT INTO sessions (id, user_id, organization_id, revoked) VALUES (?1, ?2, ?3, 0)",
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

    /// Uses a refresh token once: returns its session id, or `None` when it is unknown or
    /// was already used (rotation: each token works once).
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
