//! Convex values: the data model shared by arguments, results and documents.
//!
//! [`Value`] mirrors Convex's types one to one (null, boolean, int64, float64, string, bytes,
//! array, object). The `convex_encoded_json` wire encoding (with the `$integer`, `$float` and
//! `$bytes` wrappers) is [`Value::to_json`] / [`Value::from_json`] and [`args_to_wire`];
//! [`to_value`] and [`from_value`] let callers pass and receive plain Rust types (the table
//! of how Rust types meet Convex validators is in `serde.rs`); [`from_encoded_json`] decodes
//! wire text straight into a Rust type; [`ResultValue`] is a query result kept as the
//! server's text. `exact.rs` holds what generated code needs (re-exported once, in
//! `codegen_support`).
//!
//! Files: `json.rs` (wire encoding), `encoded.rs` (wire text to Rust types), `serde.rs`
//! (Rust types to and from `Value`), `typed.rs` (`Id`, `Bytes`), `exact.rs` (literals,
//! unions), `compare.rs` (Convex's ordering), `result_value.rs`, `model.rs` ([`Value`], [`Object`],
//! [`ValueError`], the field-name rules).

mod compare;
mod encoded;
pub(crate) mod exact;
mod json;
mod model;
mod result_value;
mod serde;
mod typed;

pub use self::serde::{from_value, to_args, to_value};
pub use compare::compare_values;
pub use encoded::from_encoded_json;
pub use json::{args_to_text, args_to_wire};
pub use model::{validate_field_name, validate_object, Object, Value, ValueError};
pub use result_value::ResultValue;
pub use typed::{Bytes, Id, TableName};
