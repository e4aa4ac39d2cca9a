//! AuthKit session logic without I/O: what `@workos-inc/authkit-js` decides, as pure functions
//! the browser runtime calls.
//!
//! - [`config`]: the client configuration and its defaults (dev mode, refresh buffer).
//! - [`pkce`]: the S256 verifier and challenge.
//! - [`urls`]: the authorize and logout URLs, callback detection, URL clean-up.
//! - [`claims`]: the access token's claims (decoded with jwt-compact, not verified).
//! - [`session`]: the authenticate response, expiry on the local clock, refresh decisions and
//!   failure classes.
//! - [`snapshot`]: what the app sees of a session.
//! - [`errors`]: why an AuthKit call failed ([`AuthKitError`]).
//! - [`machine`]: [`AuthKitSession`], the session of one tab as a sans-IO state machine
//!   (restore, single-flight refresh under the cross-tab lock, timers, sign-out, org switch).

pub mod claims;
pub mod config;
pub mod errors;
pub mod machine;
pub mod pkce;
pub mod session;
pub mod snapshot;
pub mod urls;

pub use claims::Claims;
pub use config::{AuthKitConfig, ConfigError};
pub use errors::AuthKitError;
pub use machine::AuthKitSession;
pub use session::{AuthResponse, Impersonator, RefreshError, User};
pub use snapshot::AuthSnapshot;
