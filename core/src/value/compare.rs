//! [`compare_values`]: the total order Convex sorts values by (convex-js's `compareValues`),
//! so an optimistic insert lands where the server's index will put the item.
//!
//! Kinds first: `null` < int64 < float64 < boolean < string < bytes < array < object. Within a
//! kind: int64s and float64s by value (`-0` before `0`, a NaN by its sign and bits: a
//! negative NaN before every number, a positive one after), strings by their UTF-8 bytes,
//! bytes byte by byte, arrays element by element then by length, objects as the arrays of
//! their `[key, value]` pairs in key order.

use std::cmp::Ordering;

use super::model::Value;

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 1,
        Value::Int64(_) => 2,
        Value::Float64(_) => 3,
        Value::Boolean(_) => 4,
        Value::String(_) => 5,
        Value::Bytes(_) => 6,
        Value::Array(_) => 7,
        Value::Object(_) => 9,
    }
}

/// Compares two values in Convex's total order (convex-js's `compareValues`): kinds first,
/// `null` < int64 < float64 < boolean < string < bytes < array < object; within a kind by
/// value (`-0` before `0`, a NaN by its sign and bits), strings by their UTF-8 bytes, arrays
/// and objects (as their `[key, value]` pairs in key order) element by element, then by
/// length.
///
/// ```
/// use std::cmp::Ordering;
/// use convex_yew_core::value::compare_values;
/// use convex_yew_core::value::Value;
/// assert_eq!(compare_values(&Value::Int64(7), &Value::Float64(1.0)), Ordering::Less);
/// assert_eq!(compare_values(&Value::Float64(-0.0), &Value::Float64(0.0)), Ordering::Less);
/// assert_eq!(compare_values(&Value::String("a".into()), &Value::String("b".into())), Ordering::Less);
/// ```
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Int64(x), Value::Int64(y)) => x.cmp(y),
        (Value::Float64(x), Value::Float64(y)) => compare_floats(*x, *y),
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        // Rust compares strings by their UTF-8 bytes, as `compareUTF8` does.
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (i, j) in x.iter().zip(y) {
                let c = compare_values(i, j);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                let c = k1.cmp(k2).then_with(|| compare_values(v1, v2));
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// convex-js's `compareNumbers`: NaNs by sign and bits, `-0` before `0`.
fn compare_floats(x: f64, y: f64) -> Ordering {
    let bits = |f: f64| f.to_bits() as i64;
    let negative = |f: f64| bits(f) < 0;
    match (x.is_nan(), y.is_nan()) {
        (true, false) => {
            if negative(x) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if negative(y) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (true, true) => match (negative(x), negative(y)) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => bits(x).cmp(&bits(y)),
        },
        (false, false) => {
            if x.to_bits() == y.to_bits() {
                Ordering::Equal
            } else if x == 0.0 && y == 0.0 {
                // -0 and 0: -0 first.
                if x.is_sign_negative() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            } else {
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j).unwrap()
    }

    #[test]
    fn kinds_then_values_as_convex_orders_them() {
        let ordered = [
            Value::Null,
            Value::Int64(i64::MIN),
            Value::Int64(5),
            Value::Float64(f64::from_bits(0xfff8_0000_0000_0001)), // a negative NaN
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(-1.0),
            Value::Float64(-0.0),
            Value::Float64(0.0),
            Value::Float64(1.5),
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NAN),
            Value::Boolean(false),
            Value::Boolean(true),
            Value::String("".into()),
            Value::String("Z".into()),
            Value::String("a".into()),
            Value::String("é".into()),
            Value::String("😀".into()),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0, 1]),
            Value::Bytes(vec![1]),
            v(json!([])),
            v(json!([1.0])),
            v(json!([1.0, null])),
            v(json!([2.0])),
            v(json!({})),
            v(json!({"a": 1.0})),
            v(json!({"a": 2.0})),
            v(json!({"b": 0.0})),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(compare_values(a, b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
    }
}
