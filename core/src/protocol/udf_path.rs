//! Function paths: the canonical `module:function` form and typed function references.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::json::Quoted;

/// Canonicalises a function path as the official client does for queries: no `:` means the
/// default export, a trailing `.js` on the module is removed.
///
/// ```
/// use convex_yew_core::protocol::udf_path::canonicalize;
/// assert_eq!(canonicalize("messages"), "messages:default");
/// assert_eq!(canonicalize("messages.js:list"), "messages:list");
/// assert_eq!(canonicalize("dir/sub/file:fn"), "dir/sub/file:fn");
/// ```
pub fn canonicalize(path: &str) -> String {
    let (module, function) = match path.rfind(':') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (path, "default"),
    };
    let module = module.strip_suffix(".js").unwrap_or(module);
    format!("{module}:{function}")
}

/// Why a function path is not one the backend accepts.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UdfPathError {
    /// The module part is empty or not a relative path of plain components.
    #[error("invalid module path {}", Quoted(.0))]
    InvalidModule(String),
    /// The module has an extension other than `.js`.
    #[error("module path {} has an extension that isn't 'js'", Quoted(.0))]
    BadExtension(String),
    /// The function name is not an identifier of at most 64 characters.
    #[error("invalid function name {}", Quoted(.0))]
    InvalidFunction(String),
}

/// Checks a path the way the backend parses it, returning its canonical form.
pub fn parse(path: &str) -> Result<String, UdfPathError> {
    let canonical = canonicalize(path);
    let (module, function) = canonical.rsplit_once(':').unwrap_or((&canonical, ""));
    let components_ok = !module.is_empty()
        && !module.starts_with('/')
        && module
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if !components_ok {
        return Err(UdfPathError::InvalidModule(module.to_owned()));
    }
    if let Some(last) = module.rsplit('/').next() {
        if let Some((_, ext)) = last.rsplit_once('.') {
            if ext != "js" {
                return Err(UdfPathError::BadExtension(path.to_owned()));
            }
        }
    }
    let ident_ok = !function.is_empty()
        && function.len() <= 64
        && function
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && function
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident_ok {
        return Err(UdfPathError::InvalidFunction(function.to_owned()));
    }
    Ok(canonical)
}

macro_rules! function_ref {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        pub struct $name<Args = crate::value::Value, Output = crate::value::Value> {
            path: Cow<'static, str>,
            _types: PhantomData<fn(Args) -> Output>,
        }

        impl<Args, Output> $name<Args, Output> {
            /// A reference to the function at `path` (`"module:function"`), usable in a `const`.
            pub const fn new(path: &'static str) -> Self {
                Self { path: Cow::Borrowed(path), _types: PhantomData }
            }

            /// A reference built at run time.
            pub fn from_string(path: String) -> Self {
                Self { path: Cow::Owned(path), _types: PhantomData }
            }

            /// The path as written.
            pub fn path(&self) -> &str {
                &self.path
            }

            /// The kind of function: `"query"`, `"mutation"` or `"action"`.
            pub const fn kind(&self) -> &'static str {
                $kind
            }
        }

        impl<Args, Output> Clone for $name<Args, Output> {
            fn clone(&self) -> Self {
                Self { path: self.path.clone(), _types: PhantomData }
            }
        }

        impl<Args, Output> PartialEq for $name<Args, Output> {
            fn eq(&self, other: &Self) -> bool {
                self.path == other.path
            }
        }

        impl<Args, Output> std::fmt::Debug for $name<Args, Output> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.path)
            }
        }
    };
}

function_ref!(
    /// A typed reference to a Convex query: `Args` serialises to its argument object and its
    /// result deserialises to `Output`. The defaults (`Value`, `Value`) give an untyped
    /// reference for dynamic use.
    ///
    /// ```
    /// use convex_yew_core::protocol::udf_path::Query;
    /// #[derive(serde::Serialize)]
    /// struct ListArgs { count: u32 }
    /// #[derive(serde::Deserialize)]
    /// struct ListResult { viewer: Option<String>, numbers: Vec<f64> }
    /// const LIST_NUMBERS: Query<ListArgs, ListResult> = Query::new("myFunctions:listNumbers");
    /// assert_eq!(LIST_NUMBERS.path(), "myFunctions:listNumbers");
    /// ```
    Query,
    "query"
);
function_ref!(
    /// A typed reference to a paginated Convex query (one that takes `paginationOpts` and
    /// returns a page): `Args` are its arguments *without* `paginationOpts`, which the
    /// paginator adds, and `Output` is the type of one item of the page.
    ///
    /// ```
    /// use convex_yew_core::protocol::udf_path::PaginatedQuery;
    /// #[derive(serde::Serialize)]
    /// struct FeedArgs { channel: String }
    /// #[derive(serde::Deserialize)]
    /// struct Message { body: String }
    /// const FEED: PaginatedQuery<FeedArgs, Message> = PaginatedQuery::new("messages:feed");
    /// assert_eq!(FEED.kind(), "query");
    /// ```
    PaginatedQuery,
    "query"
);
function_ref!(
    /// A typed reference to a Convex mutation (see [`Query`] for the type parameters).
    Mutation,
    "mutation"
);
function_ref!(
    /// A typed reference to a Convex action (see [`Query`] for the type parameters).
    Action,
    "action"
);

debug_as_message!(UdfPathError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rules() {
        assert_eq!(parse("messages").unwrap(), "messages:default");
        assert_eq!(parse("a/b.js:f_1").unwrap(), "a/b:f_1");
        assert!(matches!(
            parse("messages.ts:send"),
            Err(UdfPathError::BadExtension(_))
        ));
        assert!(parse(":f").is_err());
        assert!(parse("../x:f").is_err());
        assert!(parse("/abs:f").is_err());
        assert!(parse("m:1f").is_err());
        assert!(parse("m:").is_err());
        assert!(parse(&format!("m:{}", "a".repeat(65))).is_err());
    }
}
