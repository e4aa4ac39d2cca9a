//! The Convex functions the demo calls: generated at build time from
//! `convex/function_spec.json` (see `build.rs`). Nothing here is written by hand.

include!(concat!(env!("OUT_DIR"), "/api.rs"));
