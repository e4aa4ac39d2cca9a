//! # convex-yew-codegen
//!
//! Typed Rust function references and types for [convex-yew](https://crates.io/crates/convex-yew)
//! from a Convex deployment's function spec (what `npx convex function-spec` prints): a
//! `pub mod` per Convex module, a `Query` / `Mutation` / `Action` / `PaginatedQuery` constant
//! per public function, and its argument and result types derived from the validators. A
//! renamed function or a changed argument then breaks the build instead of failing at run time.
//!
//! | validator | Rust |
//! |---|---|
//! | `v.object({..})` | a struct; camelCase fields renamed with serde; optional fields are `Option` and left out when `None` |
//! | `v.union(v.literal("a"), ..)` (string literals only) | an enum with one variant per literal |
//! | `v.union(x, v.null())` | `Option<X>` |
//! | `v.union(..)` of objects sharing a string-literal field | an enum tagged by that field (`#[serde(tag)]`) |
//! | any other `v.union(..)` | an enum, variants named by kind; a value goes to the member whose wire form it has (an `int64` never to a `v.number()` member, an object never to a member lacking some of its fields), so it encodes back to the same wire text |
//! | a union whose members cannot be told apart from the wire (`v.id("a") \| v.id("b")`) | `Value`, with a warning |
//! | `v.id("t")` | `Id<tables::T>` (one marker type per table) |
//! | `v.string()`, `v.number()`, `v.int64()`, `v.boolean()`, `v.null()` | `String`, `f64`, `i64`, `bool`, `()` |
//! | `v.literal(x)` | a string: a one-variant enum; a boolean, number or bigint: `LiteralBool<B>`, `LiteralFloat64<BITS>`, `LiteralInt64<N>` (only that exact value decodes) |
//! | `v.commitTs()` (Convex 1.43+) | `CommitTs` (an int64 timestamp) |
//! | `v.function()` (Convex 1.49+) | `FunctionHandle` (a string) |
//! | `v.bytes()` | `Bytes` |
//! | `v.array(x)`, `v.record(k, x)` | `Vec<X>`, `BTreeMap<String, X>` (or `Id` keys) |
//! | `v.any()`, no `returns`, no `args` | `Value` |
//! | a validator kind newer than this generator | `Value`, with a warning naming it (never a failed build) |
//!
//! A nullable field (`v.union(x, v.null())`) is an `Option` whose `None` goes out as `null`
//! (an optional one, `Option<Option<X>>`: absent, `null` or a value, each kept).
//!
//! Within one module, a struct or string enum of a shape written already is an alias of the
//! first (`pub type MyActionReturns = ListNumbersReturns;`): every name stays, and the app's
//! wasm holds one copy of that type's serde and trait code instead of one per function
//! (about 1 KB gzip in the demo, whose `listNumbers` and `myAction` return the same object).
//! A function's constant names its own argument and result types; a type inside them (the
//! item of a `Vec`, say) may be named by the first of its shape, an alias of the same type.
//! A new function of the same shape can turn a struct into an alias: an app that implemented
//! one of its own traits for both names then has two impls for one type.
//!
//! Internal functions and HTTP actions are skipped. The output is deterministic (the same
//! spec gives the same bytes) and `rustfmt`-clean.
//!
//! From a `build.rs`:
//!
//! ```no_run
//! // build.rs: `fn main()` of the build script calls
//! convex_yew_codegen::build("convex/function_spec.json", "api.rs").expect("generate the api");
//! // src/main.rs: mod api { include!(concat!(env!("OUT_DIR"), "/api.rs")); }
//! ```
//!
//! The types hold: with the module generated from `tests/fixtures/every_validator.json`,
//! arguments of the right types build...
//!
//! ```
//! # #[allow(dead_code)]
//! # mod api { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/every_validator.rs")); }
//! use convex_yew_core::value::Id;
//! let args = api::messages::SendArgs {
//!     attachment: None,
//!     body: "hello".into(),
//!     channel: Id::new("ch1"),
//!     format: None,
//!     priority: 1,
//! };
//! assert!(convex_yew_core::value::to_value(&args).is_ok());
//! ```
//!
//! ...and the same call with a number where the function takes a string does not:
//!
//! ```compile_fail,E0308
//! # #[allow(dead_code)]
//! # mod api { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/every_validator.rs")); }
//! use convex_yew_core::value::Id;
//! let args = api::messages::SendArgs {
//!     attachment: None,
//!     body: 42,
//!     channel: Id::new("ch1"),
//!     format: None,
//!     priority: 1,
//! };
//! ```
//!
//! nor does an id of the wrong table:
//!
//! ```compile_fail,E0308
//! # #[allow(dead_code)]
//! # mod api { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/every_validator.rs")); }
//! use convex_yew_core::value::Id;
//! let message: Id<api::tables::Messages> = Id::new("m1");
//! let args = api::messages::SendArgs {
//!     attachment: None,
//!     body: "hello".into(),
//!     channel: message,
//!     format: None,
//!     priority: 1,
//! };
//! ```
//!
//! Or as text:
//!
//! ```
//! let spec = r#"{"functions": [{"identifier": "messages.js:list", "functionType": "Query",
//!     "visibility": {"kind": "public"}, "args": {"type": "object", "value": {}},
//!     "returns": {"type": "array", "value": {"type": "string"}}}]}"#;
//! let code = convex_yew_codegen::generate(spec, &Default::default()).unwrap();
//! assert!(code.contains("pub const LIST: __convex::Query<ListArgs, Vec<String>>"));
//! ```
#![warn(missing_docs)]

mod emit;
mod names;
pub mod spec;
pub mod validator;
mod wire;

use std::path::{Path, PathBuf};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The spec is not what `npx convex function-spec` prints.
    #[error("function spec, at {at}: {message}")]
    Spec {
        /// Where in the spec.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `--check`: the file on disk is not what the spec generates.
    #[error("{0} is out of date with the function spec: regenerate it")]
    OutOfDate(PathBuf),
}

/// Generation settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The path of the crate the generated code refers to (`codegen_support` is looked up
    /// under it): `::convex_yew::core` for apps (the default), `::convex_yew_core` for code
    /// that uses the core alone.
    pub crate_path: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            crate_path: "::convex_yew::core".into(),
        }
    }
}

/// What generation produced: the module, and what it could not type exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The Rust module.
    pub code: String,
    /// One line per position typed as `Value` instead of its validator's exact type (a
    /// validator kind newer than this generator, a union whose members cannot be told apart
    /// from the wire), naming the function and the type.
    pub warnings: Vec<String>,
}

/// Generates the Rust module for a function spec (its JSON text). What could not be typed
/// exactly is typed as `Value`: see [`generate_with_warnings`] for the list.
pub fn generate(spec_json: &str, options: &Options) -> Result<String, CodegenError> {
    generate_with_warnings(spec_json, options).map(|g| g.code)
}

/// [`generate`], with the warnings.
pub fn generate_with_warnings(
    spec_json: &str,
    options: &Options,
) -> Result<Generated, CodegenError> {
    let spec = spec::Spec::parse(spec_json)?;
    let (code, warnings) = emit::emit(&spec, &options.crate_path);
    Ok(Generated { code, warnings })
}

fn read(path: &Path) -> Result<String, CodegenError> {
    std::fs::read_to_string(path).map_err(|source| CodegenError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The module the spec file at `spec` generates; warnings go to stderr (as `cargo:warning=`
/// lines in a build script).
fn generate_from(spec: &Path, options: &Options) -> Result<String, CodegenError> {
    let generated = generate_with_warnings(&read(spec)?, options)?;
    let in_build_script = std::env::var_os("OUT_DIR").is_some()
        && std::env::var_os("CARGO_MANIFEST_DIR").is_some()
        && std::env::var_os("CARGO_PKG_NAME").is_some();
    for w in &generated.warnings {
        if in_build_script {
            println!("cargo:warning=convex-yew-codegen: {w}");
        } else {
            eprintln!("convex-yew-codegen: warning: {w}");
        }
    }
    Ok(generated.code)
}

/// Generates `out` from the spec file at `spec`, writing only when the bytes change (so
/// builds that depend on it are not redone for nothing).
pub fn generate_file(
    spec: impl AsRef<Path>,
    out: impl AsRef<Path>,
    options: &Options,
) -> Result<(), CodegenError> {
    let code = generate_from(spec.as_ref(), options)?;
    let out = out.as_ref();
    if read(out).ok().as_deref() == Some(code.as_str()) {
        return Ok(());
    }
    std::fs::write(out, code).map_err(|source| CodegenError::Io {
        path: out.to_owned(),
        source,
    })
}

/// Fails with [`CodegenError::OutOfDate`] unless `out` is exactly what `spec` generates.
pub fn check_file(
    spec: impl AsRef<Path>,
    out: impl AsRef<Path>,
    options: &Options,
) -> Result<(), CodegenError> {
    let code = generate_from(spec.as_ref(), options)?;
    let out = out.as_ref();
    if read(out)? == code {
        Ok(())
    } else {
        Err(CodegenError::OutOfDate(out.to_owned()))
    }
}

/// For a `build.rs`: generates `$OUT_DIR/<file_name>` from the spec file (a path relative to
/// the package) and tells cargo to rerun when the spec changes.
pub fn build(spec: impl AsRef<Path>, file_name: &str) -> Result<(), CodegenError> {
    let spec = spec.as_ref();
    println!("cargo:rerun-if-changed={}", spec.display());
    let out_dir = std::env::var_os("OUT_DIR").ok_or_else(|| CodegenError::Io {
        path: PathBuf::from("$OUT_DIR"),
        source: std::io::Error::other("OUT_DIR is not set: call this from a build script"),
    })?;
    generate_file(
        spec,
        Path::new(&out_dir).join(file_name),
        &Options::default(),
    )
}
