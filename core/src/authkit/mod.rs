//! The AuthKit session without I/O: what `@workos-inc/authkit-js` decides, as a state machine
//! ([`AuthKitSession`]) the browser runtime drives, and the pieces it is made of.
//!
//! Files (private; their items are re-exported here, so each has one path):
//! - `config.rs`: the client configuration and its defaults (dev mode, refresh buffer);
//! - `claims.rs`: the access token's claims (read one by one, not verified);
//! - `session.rs`: the authenticate response, expiry, refresh decisions and failure classes;
//! - `snapshot.rs`: what the app sees of a session;
//! - `errors.rs`: why an AuthKit call failed ([`AuthKitError`]);
//! - `machine/`: [`AuthKitSession`], the session of one tab (restore, single-flight refresh
//!   under the cross-tab lock, timers, sign-out, organization switch).
//!
//! Two modules stay public as namespaces of functions: [`pkce`] (the S256 verifier and
//! challenge) and [`urls`] (the authorize and logout URLs, callback detection, URL clean-up,
//! and [`SignInOptions`](urls::SignInOptions)).

mod claims;
mod config;
mod errors;
mod machine;
pub mod pkce;
mod session;
mod snapshot;
pub mod urls;

pub use claims::{Actor, Claims, ClaimsError, SessionTiming};
pub(crate) use config::LEGACY_KEYS;
pub use config::{default_dev_mode, AuthKitConfig, ConfigError, VERIFIER_KEY};
pub use errors::AuthKitError;
pub use machine::{
    AuthKitSession, OpId, PageLoad, Secret, SessionEvent, SessionIo, SessionTimeouts, StorageArea,
    TokenString, WaiterId,
};
pub use session::{AuthResponse, Impersonator, RefreshError, User};
pub use snapshot::AuthSnapshot;
