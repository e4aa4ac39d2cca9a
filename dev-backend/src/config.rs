//! Command-line configuration of the dev backend.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// How the dev backend runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; loopback by default.
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    pub port: u16,
    /// Where the SQLite file and the signing key live; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// The AuthKit client id apps must use.
    pub client_id: String,
    /// Access-token lifetime in seconds.
    pub token_lifetime: u64,
    /// Serve the `/_test/*` controls.
    pub test_controls: bool,
    /// An auth.config-style JSON file; by default the built-in AuthKit is trusted.
    pub auth_config: Option<PathBuf>,
    /// Redirect URIs allowed besides loopback URLs.
    pub redirect_uris: Vec<String>,
    /// The URL clients reach this server at (defaults to `http://HOST:PORT`).
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3210,
            data_dir: Some(PathBuf::from(".data/convex-dev-backend")),
            client_id: "client_local_dev".into(),
            token_lifetime: 300,
            test_controls: false,
            auth_config: None,
            redirect_uris: vec![],
            public_url: None,
        }
    }
}

/// A bad command line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An option this program does not know.
    #[error("unknown option {0:?}\n{USAGE}")]
    Unknown(String),
    /// An option without its value.
    #[error("option {0} needs a value")]
    MissingValue(String),
    /// A value that does not parse.
    #[error("bad value {value:?} for {option}")]
    BadValue {
        /// The option.
        option: String,
        /// The value given.
        value: String,
    },
}

/// The options.
pub const USAGE: &str =
    "usage: convex-dev-backend [--host ADDR] [--port N] [--data-dir DIR | --in-memory]
  [--client-id ID] [--token-lifetime SECS] [--auth-config FILE] [--redirect-uri URI]...
  [--public-url URL] [--test-controls]";

impl Config {
    /// Parses the command line (without the program name).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut args = args.into_iter();
        while let Some(opt) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| ConfigError::MissingValue(opt.clone()))
            };
            let bad = |value: String| ConfigError::BadValue {
                option: opt.clone(),
                value,
            };
            match opt.as_str() {
                "--host" => {
                    let v = value()?;
                    config.host = v.parse().map_err(|_| bad(v))?;
                }
                "--port" => {
                    let v = value()?;
                    config.port = v.parse().map_err(|_| bad(v))?;
                }
                "--token-lifetime" => {
                    let v = value()?;
                    config.token_lifetime = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=86_400).contains(n))
                        .ok_or_else(|| bad(v))?;
                }
                "--data-dir" => config.data_dir = Some(PathBuf::from(value()?)),
                "--in-memory" => config.data_dir = None,
                "--client-id" => {
                    let v = value()?;
                    if v.is_empty() {
                        return Err(bad(v));
                    }
                    config.client_id = v;
                }
                "--auth-config" => config.auth_config = Some(PathBuf::from(value()?)),
                "--redirect-uri" => config.redirect_uris.push(value()?),
                "--public-url" => {
                    config.public_url = Some(value()?.trim_end_matches('/').to_string())
                }
                "--test-controls" => config.test_controls = true,
                _ => return Err(ConfigError::Unknown(opt)),
            }
        }
        Ok(config)
    }
}
