//! `convex-dev-backend`: a local Convex deployment and WorkOS AuthKit stand-in on loopback.
//!
//! ```text
//! convex-dev-backend [--port 3210] [--data-dir DIR | --in-memory] [--test-controls] ...
//! ```
//! Prints `listening on http://HOST:PORT` once it accepts connections; `--help` lists the options.

use std::net::SocketAddr;

use convex_dev_backend::{serve, Config};

#[tokio::main]
async fn main() {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) if e.is_help() => {
            print!("{e}");
            return;
        }
        Err(e) => {
            eprint!("{e}");
            std::process::exit(2);
        }
    };
    let addr = SocketAddr::new(config.host, config.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("convex-dev-backend: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    println!("listening on http://{bound}");
    if let Err(e) = serve(listener, config).await {
        eprintln!("convex-dev-backend: {e}");
        std::process::exit(1);
    }
}
