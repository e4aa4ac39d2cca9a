//! The browser runtime: moves bytes and timers between the browser and the sans-IO core.

pub mod socket;
pub mod url;
