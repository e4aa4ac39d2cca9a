//! Command-line configuration of the dev backend.

use std::net::{IpAddr, Ipv4Addr};

/// How the dev backend runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; loopback by default.
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3210,
        }
    }
}

/// A bad command line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An option this program does not know.
    #[error("unknown option {0:?} (options: --host ADDR, --port N)")]
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

impl Config {
    /// Parses `--host ADDR --port N`.
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
                _ => return Err(ConfigError::Unknown(opt)),
            }
        }
        Ok(config)
    }
}
