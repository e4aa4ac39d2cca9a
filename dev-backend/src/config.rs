//! Command-line configuration of the dev backend (parsed with clap; `--help` lists it).

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::Parser;

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
    /// Browser origins allowed to call with credentials, besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// The admin key the CLI presents (`npx convex function-spec --admin-key ...`).
    pub admin_key: String,
}

/// The admin key when none is given: fine on loopback, where the dev backend lives.
pub const DEFAULT_ADMIN_KEY: &str = "convex-dev-backend|local-admin-key";

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
            allowed_origins: vec![],
            admin_key: DEFAULT_ADMIN_KEY.into(),
        }
    }
}

/// A bad command line (or a request for `--help` / `--version`, which clap renders).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(#[from] clap::Error);

impl ConfigError {
    /// `--help` or `--version`: print and exit 0.
    pub fn is_help(&self) -> bool {
        matches!(
            self.0.kind(),
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
        )
    }
}

/// A local Convex deployment (sync WebSocket and HTTP API) and a WorkOS AuthKit stand-in, on
/// loopback, for the convex-yew demo and tests.
#[derive(Parser, Debug)]
#[command(name = "convex-dev-backend", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3210)]
    port: u16,
    /// Where the SQLite file and the signing key live.
    #[arg(
        long,
        default_value = ".data/convex-dev-backend",
        conflicts_with = "in_memory"
    )]
    data_dir: PathBuf,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long)]
    in_memory: bool,
    /// The AuthKit client id apps must use.
    #[arg(long, default_value = "client_local_dev", value_parser = non_empty)]
    client_id: String,
    /// Access-token lifetime in seconds (1 to 86400).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    token_lifetime: u64,
    /// An auth.config-style JSON file (default: trust the built-in AuthKit).
    #[arg(long)]
    auth_config: Option<PathBuf>,
    /// A redirect URI allowed besides loopback URLs (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A browser origin allowed to call with credentials besides loopback ones (repeatable).
    #[arg(long = "allow-origin")]
    allowed_origins: Vec<String>,
    /// The URL clients reach this server at (default http://HOST:PORT).
    #[arg(long)]
    public_url: Option<String>,
    /// Serve the /_test/* controls (loopback callers only).
    #[arg(long)]
    test_controls: bool,
    /// The admin key CLI tools present (e.g. `npx convex function-spec --admin-key KEY`).
    #[arg(long, default_value = DEFAULT_ADMIN_KEY, value_parser = non_empty)]
    admin_key: String,
}

fn non_empty(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s.to_owned())
    }
}

impl Config {
    /// Parses the command line (without the program name).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, ConfigError> {
        let cli =
            Cli::try_parse_from(std::iter::once("convex-dev-backend".to_owned()).chain(args))?;
        Ok(Config {
            host: cli.host,
            port: cli.port,
            data_dir: (!cli.in_memory).then_some(cli.data_dir),
            client_id: cli.client_id,
            token_lifetime: cli.token_lifetime,
            test_controls: cli.test_controls,
            auth_config: cli.auth_config,
            redirect_uris: cli.redirect_uris,
            public_url: cli.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            allowed_origins: cli.allowed_origins,
            admin_key: cli.admin_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, ConfigError> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_defaults_options_and_refuses_garbage() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.port, 3210);
        assert!(c.data_dir.is_some() && !c.test_controls);
        let c = parse(&[
            "--port",
            "0",
            "--in-memory",
            "--test-controls",
            "--redirect-uri",
            "https://a/cb",
            "--redirect-uri",
            "https://b/cb",
            "--allow-origin",
            "https://app.example",
        ])
        .unwrap();
        assert_eq!((c.port, c.data_dir, c.test_controls), (0, None, true));
        assert_eq!(c.redirect_uris.len(), 2);
        assert_eq!(c.allowed_origins, vec!["https://app.example"]);
        for bad in [
            &["--port", "70000"][..],
            &["--token-lifetime", "0"],
            &["--client-id", ""],
            &["--nope"],
            &["--host", "not-an-ip"],
        ] {
            let e = parse(bad).unwrap_err();
            assert!(!e.is_help(), "{bad:?}");
        }
        assert!(parse(&["--help"]).unwrap_err().is_help());
        assert!(parse(&["--help"])
            .unwrap_err()
            .to_string()
            .contains("--token-lifetime"));
    }
}
