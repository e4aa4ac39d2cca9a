//! The function spec: what `npx convex function-spec` prints (the system query
//! `_system/cli/modules:apiSpec` of a deployment), read into [`Function`]s.

use serde_json::Value as Json;

use crate::validator::Validator;
use crate::CodegenError;

/// Query, mutation or action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A query.
    Query,
    /// A mutation.
    Mutation,
    /// An action.
    Action,
}

/// One public function of the deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The module path without extension, e.g. `myFunctions` or `lib/messages`.
    pub module: String,
    /// The function's name in its module.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its arguments (`None`: not validated, any object).
    pub args: Option<Validator>,
    /// What it returns (`None`: not declared).
    pub returns: Option<Validator>,
}

impl Function {
    /// The path the client calls it by: `module:name`.
    pub fn path(&self) -> String {
        format!("{}:{}", self.module, self.name)
    }
}

/// The deployment's public queries, mutations and actions, sorted by module and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The deployment URL the spec was read from, if it says.
    pub url: Option<String>,
    /// The functions. Internal functions and HTTP actions are left out.
    pub functions: Vec<Function>,
}

impl Spec {
    /// Reads `{ "url": …, "functions": [...] }` or a bare array of functions.
    pub fn parse(text: &str) -> Result<Spec, CodegenError> {
        let json: Json = serde_json::from_str(text).map_err(|e| CodegenError::Spec {
            at: "spec".into(),
            message: format!("not JSON: {e}"),
        })?;
        let (url, list) = match &json {
            Json::Array(list) => (None, list),
            Json::Object(o) => (
                o.get("url").and_then(Json::as_str).map(str::to_owned),
                o.get("functions")
                    .and_then(Json::as_array)
                    .ok_or_else(|| CodegenError::Spec {
                        at: "spec".into(),
                        message: "expected a `functions` array".into(),
                    })?,
            ),
            _ => {
                return Err(CodegenError::Spec {
                    at: "spec".into(),
                    message: "expected an object or an array".into(),
                })
            }
        };
        let mut functions = Vec::new();
        for (i, f) in list.iter().enumerate() {
            if let Some(function) = read_function(f, i)? {
                functions.push(function);
            }
        }
        functions.sort_by(|a, b| (&a.module, &a.name).cmp(&(&b.module, &b.name)));
        for pair in functions.windows(2) {
            if pair[0].module == pair[1].module && pair[0].name == pair[1].name {
                return Err(CodegenError::Spec {
                    at: pair[0].path(),
                    message: "listed twice".into(),
                });
            }
        }
        Ok(Spec { url, functions })
    }
}

fn read_function(f: &Json, i: usize) -> Result<Option<Function>, CodegenError> {
    let at = format!("functions[{i}]");
    let bad = |message: &str| CodegenError::Spec {
        at: at.clone(),
        message: message.to_owned(),
    };
    let identifier = f
        .get("identifier")
        .and_then(Json::as_str)
        .ok_or_else(|| bad("needs an `identifier`"))?;
    let kind = match f.get("functionType").and_then(Json::as_str) {
        Some("Query") => Kind::Query,
        Some("Mutation") => Kind::Mutation,
        Some("Action") => Kind::Action,
        Some("HttpAction") => return Ok(None),
        _ => {
            return Err(bad(
                "`functionType` must be Query, Mutation, Action or HttpAction",
            ))
        }
    };
    let public = match f.get("visibility") {
        None | Some(Json::Null) => true,
        Some(v) => v.get("kind").and_then(Json::as_str) == Some("public"),
    };
    if !public {
        return Ok(None);
    }
    let (module, name) = identifier
        .split_once(':')
        .unwrap_or((identifier, "default"));
    let module = module
        .strip_suffix(".js")
        .or_else(|| module.strip_suffix(".ts"))
        .unwrap_or(module);
    if module.is_empty() || name.is_empty() {
        return Err(bad("`identifier` must be `module:function`"));
    }
    let at = format!("{module}:{name}");
    let validator = |key: &str| -> Result<Option<Validator>, CodegenError> {
        match f.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => Validator::parse(v, &format!("{at} {key}")).map(Some),
        }
    };
    Ok(Some(Function {
        module: module.to_owned(),
        name: name.to_owned(),
        kind,
        args: validator("args")?,
        returns: validator("returns")?,
    }))
}
