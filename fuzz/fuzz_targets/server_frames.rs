//! Feeds arbitrary bytes, split into frames, to a connected client: it must never panic.
#![no_main]

use convex_yew_core::sync::{ClientConfig, Io, SyncClient};
use convex_yew_core::time::Instant;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Instant::from_millis(1_000_000);
    let mut client = SyncClient::new(ClientConfig::new("0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90", 1), now);
    client.set_auth(now);
    let mut socket = None;
    while let Some(io) = client.poll_io() {
        if let Io::Connect { socket: s } = io {
            socket = Some(s);
        }
    }
    let Some(socket) = socket else { return };
    client.handle_open(socket, now);
    for (i, frame) in data.split(|b| *b == 0).enumerate() {
        let text = String::from_utf8_lossy(frame);
        client.handle_message(socket, &text, Instant::from_millis(1_000_000 + i as u64 * 1000));
        while client.poll_io().is_some() {}
        while client.poll_event().is_some() {}
    }
    client.handle_timeout(Instant::from_millis(10_000_000));
});
