//! Convex validators as the function spec writes them (the JSON of `convex/values`
//! validators), parsed into a tree the emitter walks.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::CodegenError;

/// One validator.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    /// `v.id("table")`
    Id(String),
    /// `v.null()`
    Null,
    /// `v.number()` / `v.float64()`
    Number,
    /// `v.int64()` (`bigint` in the JSON)
    Int64,
    /// `v.boolean()`
    Boolean,
    /// `v.string()`
    String,
    /// `v.bytes()`
    Bytes,
    /// `v.any()`
    Any,
    /// `v.literal(value)`
    Literal(Json),
    /// `v.array(element)`
    Array(Box<Validator>),
    /// `v.record(keys, values)`
    Record(Box<Validator>, Box<Validator>),
    /// `v.object({...})`: fields in name order, each with whether it is optional.
    Object(BTreeMap<String, (Validator, bool)>),
    /// `v.union(...)`
    Union(Vec<Validator>),
}

impl Validator {
    /// Reads a validator from its JSON (or from a string holding that JSON, as the deployment's
    /// analysed functions carry it).
    pub fn parse(json: &Json, at: &str) -> Result<Validator, CodegenError> {
        if let Json::String(text) = json {
            let inner: Json = serde_json::from_str(text).map_err(|e| CodegenError::Spec {
                at: at.to_owned(),
                message: format!("validator string is not JSON: {e}"),
            })?;
            return Validator::parse(&inner, at);
        }
        let bad = |message: String| CodegenError::Spec {
            at: at.to_owned(),
            message,
        };
        let ty = json
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("a validator needs a string `type`".into()))?;
        Ok(match ty {
            "id" => Validator::Id(
                json.get("tableName")
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("`id` needs a `tableName`".into()))?
                    .to_owned(),
            ),
            "null" => Validator::Null,
            "number" | "float64" => Validator::Number,
            "bigint" | "int64" => Validator::Int64,
            "boolean" => Validator::Boolean,
            "string" => Validator::String,
            "bytes" => Validator::Bytes,
            "any" => Validator::Any,
            "literal" => Validator::Literal(
                json.get("value")
                    .cloned()
                    .ok_or_else(|| bad("`literal` needs a `value`".into()))?,
            ),
            "array" => Validator::Array(Box::new(Validator::parse(
                json.get("value")
                    .ok_or_else(|| bad("`array` needs a `value`".into()))?,
                &format!("{at}[]"),
            )?)),
            "record" => {
                let keys = json
                    .get("keys")
                    .ok_or_else(|| bad("`record` needs `keys`".into()))?;
                let values = json
                    .get("values")
                    .ok_or_else(|| bad("`record` needs `values`".into()))?;
                // `values` is a field: `{ fieldType, optional }` (older specs: the validator).
                let values = values.get("fieldType").unwrap_or(values);
                Validator::Record(
                    Box::new(Validator::parse(keys, &format!("{at}{{keys}}"))?),
                    Box::new(Validator::parse(values, &format!("{at}{{values}}"))?),
                )
            }
            "object" => {
                let fields = json
                    .get("value")
                    .and_then(Json::as_object)
                    .ok_or_else(|| bad("`object` needs a `value` object".into()))?;
                let mut out = BTreeMap::new();
                for (name, field) in fields {
                    let at = format!("{at}.{name}");
                    let ty = field.get("fieldType").ok_or_else(|| CodegenError::Spec {
                        at: at.clone(),
                        message: "a field needs a `fieldType`".into(),
                    })?;
                    let optional = field
                        .get("optional")
                        .and_then(Json::as_bool)
                        .unwrap_or(false);
                    out.insert(name.clone(), (Validator::parse(ty, &at)?, optional));
                }
                Validator::Object(out)
            }
            "union" => {
                let members = json
                    .get("value")
                    .and_then(Json::as_array)
                    .ok_or_else(|| bad("`union` needs a `value` array".into()))?;
                Validator::Union(
                    members
                        .iter()
                        .enumerate()
                        .map(|(i, m)| Validator::parse(m, &format!("{at}|{i}")))
                        .collect::<Result<_, _>>()?,
                )
            }
            other => return Err(bad(format!("unknown validator type {other:?}"))),
        })
    }
}
