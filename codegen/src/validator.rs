//! Convex validators as the function spec writes them (the JSON of `convex/values`
//! validators), parsed into a tree the emitter walks. A kind this version does not know is
//! kept as [`Validator::Unknown`] (typed as `Value`, with a warning), never an error.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value as Json;

use crate::CodegenError;

/// A `v.literal(..)` value, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// A `number` (a JSON number, or `{"$float": ..}` for NaN, the infinities and `-0`).
    Float64(f64),
    /// A `bigint` (`{"$integer": ..}`).
    Int64(i64),
}

impl Literal {
    fn parse(json: &Json) -> Result<Literal, String> {
        let wrapped = |key: &str| -> Option<Result<[u8; 8], String>> {
            let o = json.as_object().filter(|o| o.len() == 1)?;
            let text = o.get(key)?.as_str()?;
            Some(
                STANDARD
                    .decode(text)
                    .map_err(|e| format!("`{key}` is not base64: {e}"))
                    .and_then(|b| {
                        <[u8; 8]>::try_from(b.as_slice())
                            .map_err(|_| format!("`{key}` must hold 8 bytes"))
                    }),
            )
        };
        match json {
            Json::String(s) => Ok(Literal::String(s.clone())),
            Json::Bool(b) => Ok(Literal::Bool(*b)),
            Json::Number(n) => n
                .as_f64()
                .map(Literal::Float64)
                .ok_or_else(|| format!("literal number {n} is not a float64")),
            _ => {
                if let Some(bytes) = wrapped("$integer") {
                    return bytes.map(|b| Literal::Int64(i64::from_le_bytes(b)));
                }
                if let Some(bytes) = wrapped("$float") {
                    return bytes.map(|b| Literal::Float64(f64::from_le_bytes(b)));
                }
                Err(format!(
                    "a literal must be a string, boolean, number or bigint, not {json}"
                ))
            }
        }
    }
}

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
    /// `v.commitTs()` (Convex 1.43+): a commit timestamp, an int64 on the wire.
    CommitTs,
    /// `v.function(..)` (Convex 1.49+): a function handle, a string on the wire.
    Function,
    /// `v.boolean()`
    Boolean,
    /// `v.string()`
    String,
    /// `v.bytes()`
    Bytes,
    /// `v.any()`
    Any,
    /// `v.literal(value)`
    Literal(Literal),
    /// `v.array(element)`
    Array(Box<Validator>),
    /// `v.record(keys, values)`
    Record(Box<Validator>, Box<Validator>),
    /// `v.object({...})`: fields in name order, each with whether it is optional.
    Object(BTreeMap<String, (Validator, bool)>),
    /// `v.union(...)`
    Union(Vec<Validator>),
    /// A kind this version does not know (from a newer Convex): typed as `Value`.
    Unknown(String),
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
            "commitTs" => Validator::CommitTs,
            "function" => Validator::Function,
            "boolean" => Validator::Boolean,
            "string" => Validator::String,
            "bytes" => Validator::Bytes,
            "any" => Validator::Any,
            "literal" => Validator::Literal(
                Literal::parse(
                    json.get("value")
                        .ok_or_else(|| bad("`literal` needs a `value`".into()))?,
                )
                .map_err(bad)?,
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
            other => Validator::Unknown(other.to_owned()),
        })
    }
}

impl Validator {
    /// The validator's JSON, as `convex/values` writes it (what the generated code keeps to
    /// tell a union's members apart at run time).
    pub fn to_json(&self) -> Json {
        use serde_json::json;
        let b64 = |bytes: [u8; 8]| STANDARD.encode(bytes);
        match self {
            Validator::Id(t) => json!({"type": "id", "tableName": t}),
            Validator::Null => json!({"type": "null"}),
            Validator::Number => json!({"type": "number"}),
            Validator::Int64 => json!({"type": "bigint"}),
            Validator::CommitTs => json!({"type": "commitTs"}),
            Validator::Function => json!({"type": "function"}),
            Validator::Boolean => json!({"type": "boolean"}),
            Validator::String => json!({"type": "string"}),
            Validator::Bytes => json!({"type": "bytes"}),
            Validator::Any => json!({"type": "any"}),
            Validator::Unknown(kind) => json!({"type": kind}),
            Validator::Literal(l) => {
                let value = match l {
                    Literal::String(s) => json!(s),
                    Literal::Bool(b) => json!(b),
                    Literal::Int64(n) => json!({"$integer": b64(n.to_le_bytes())}),
                    Literal::Float64(f)
                        if f.is_finite() && !(*f == 0.0 && f.is_sign_negative()) =>
                    {
                        json!(f)
                    }
                    Literal::Float64(f) => json!({"$float": b64(f.to_le_bytes())}),
                };
                json!({"type": "literal", "value": value})
            }
            Validator::Array(e) => json!({"type": "array", "value": e.to_json()}),
            Validator::Record(k, v) => json!({"type": "record", "keys": k.to_json(),
                "values": {"fieldType": v.to_json(), "optional": false}}),
            Validator::Object(fields) => {
                let value: serde_json::Map<String, Json> = fields
                    .iter()
                    .map(|(k, (v, optional))| {
                        (
                            k.clone(),
                            json!({"fieldType": v.to_json(), "optional": optional}),
                        )
                    })
                    .collect();
                json!({"type": "object", "value": value})
            }
            Validator::Union(ms) => {
                json!({"type": "union", "value": ms.iter().map(Validator::to_json).collect::<Vec<_>>()})
            }
        }
    }
}
