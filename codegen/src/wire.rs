//! Which values a validator accepts, as wire forms: what tells a union's members apart.
//!
//! A union's generated enum matches a value to the first member (in the order chosen here)
//! whose [`Shape`](../../convex_yew_core/value/exact/enum.Shape.html) it has, so a member is
//! tried before every member that accepts all its values (a literal before its kind, an
//! object with more required fields before one where they are optional). Two members that
//! share a value without one containing the other cannot be told apart from the wire: the
//! generator says so and types the union as `Value`. The one exception is the empty array or
//! object two members may both accept: it goes to the first of them (and encodes back the
//! same whichever it is).

use std::collections::BTreeMap;

use crate::validator::{Literal, Validator};

/// A validator reduced to its wire form: ids and function handles are strings, commit
/// timestamps int64s, unknown kinds anything.
#[derive(Debug, Clone, PartialEq)]
enum Wire {
    Any,
    Null,
    Bool(Option<bool>),
    Float(Option<u64>),
    Int(Option<i64>),
    Str(Option<String>),
    Bytes,
    Array(Box<Wire>),
    Record(Box<Wire>, Box<Wire>),
    Object(BTreeMap<String, (Wire, bool)>),
    Union(Vec<Wire>),
}

fn wire(v: &Validator) -> Wire {
    match v {
        Validator::Any | Validator::Unknown(_) => Wire::Any,
        Validator::Null => Wire::Null,
        Validator::Boolean => Wire::Bool(None),
        Validator::Number => Wire::Float(None),
        Validator::Int64 | Validator::CommitTs => Wire::Int(None),
        Validator::String | Validator::Id(_) | Validator::Function => Wire::Str(None),
        Validator::Bytes => Wire::Bytes,
        Validator::Literal(Literal::String(s)) => Wire::Str(Some(s.clone())),
        Validator::Literal(Literal::Bool(b)) => Wire::Bool(Some(*b)),
        Validator::Literal(Literal::Float64(f)) => Wire::Float(Some(float_key(*f))),
        Validator::Literal(Literal::Int64(n)) => Wire::Int(Some(*n)),
        Validator::Array(e) => Wire::Array(Box::new(wire(e))),
        Validator::Record(k, v) => Wire::Record(Box::new(wire(k)), Box::new(wire(v))),
        Validator::Object(fields) => Wire::Object(
            fields
                .iter()
                .map(|(k, (v, optional))| (k.clone(), (wire(v), *optional)))
                .collect(),
        ),
        Validator::Union(ms) => Wire::Union(ms.iter().map(wire).collect()),
    }
}

/// Float literals compare by bits, every NaN as one.
fn float_key(f: f64) -> u64 {
    if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

/// Whether every value `a` accepts, `b` accepts too.
fn subset(a: &Wire, b: &Wire) -> bool {
    use Wire::*;
    match (a, b) {
        (_, Any) => true,
        (Any, _) => false,
        (Union(ms), _) => ms.iter().all(|m| subset(m, b)),
        (_, Union(ms)) => ms.iter().any(|m| subset(a, m)),
        (Null, Null) | (Bytes, Bytes) => true,
        (Bool(x), Bool(y)) => y.is_none() || x == y,
        (Float(x), Float(y)) => y.is_none() || x == y,
        (Int(x), Int(y)) => y.is_none() || x == y,
        (Str(x), Str(y)) => y.is_none() || x == y,
        (Array(x), Array(y)) => subset(x, y),
        (Record(k1, v1), Record(k2, v2)) => subset(k1, k2) && subset(v1, v2),
        (Object(fa), Object(fb)) => {
            fa.iter().all(|(k, (t, optional))| {
                fb.get(k)
                    .is_some_and(|(u, opt_b)| subset(t, u) && (*opt_b || !optional))
            }) && fb
                .iter()
                .all(|(k, (_, optional))| *optional || fa.get(k).is_some_and(|(_, o)| !o))
        }
        (Object(fa), Record(k, v)) => fa
            .iter()
            .all(|(name, (t, _))| subset(&Str(Some(name.clone())), k) && subset(t, v)),
        _ => false,
    }
}

/// Whether some value other than an empty array or object is accepted by both.
fn overlaps(a: &Wire, b: &Wire) -> bool {
    use Wire::*;
    match (a, b) {
        (Any, _) | (_, Any) => true,
        (Union(ms), other) | (other, Union(ms)) => ms.iter().any(|m| overlaps(m, other)),
        (Null, Null) | (Bytes, Bytes) => true,
        (Bool(x), Bool(y)) => x.is_none() || y.is_none() || x == y,
        (Float(x), Float(y)) => x.is_none() || y.is_none() || x == y,
        (Int(x), Int(y)) => x.is_none() || y.is_none() || x == y,
        (Str(x), Str(y)) => x.is_none() || y.is_none() || x == y,
        (Array(x), Array(y)) => overlaps(x, y),
        (Record(k1, v1), Record(k2, v2)) => overlaps(k1, k2) && overlaps(v1, v2),
        (Object(fa), Object(fb)) => {
            let required = |f: &BTreeMap<String, (Wire, bool)>| {
                f.iter()
                    .filter(|(_, (_, optional))| !optional)
                    .map(|(k, _)| k.clone())
                    .collect::<Vec<_>>()
            };
            let needed: Vec<String> = required(fa).into_iter().chain(required(fb)).collect();
            let shared = |k: &String| match (fa.get(k), fb.get(k)) {
                (Some((x, _)), Some((y, _))) => overlaps(x, y),
                _ => false,
            };
            needed.iter().all(shared) && (!needed.is_empty() || fa.keys().any(shared))
        }
        (Object(f), Record(k, v)) | (Record(k, v), Object(f)) => {
            let fits =
                |name: &String, t: &Wire| overlaps(&Str(Some(name.clone())), k) && overlaps(t, v);
            let required: Vec<_> = f.iter().filter(|(_, (_, o))| !o).collect();
            if required.is_empty() {
                f.iter().any(|(name, (t, _))| fits(name, t))
            } else {
                required.iter().all(|(name, (t, _))| fits(name, t))
            }
        }
        _ => false,
    }
}

/// A union's members in the order they must be tried (each before those that contain it),
/// or the first pair (by position in the spec) that cannot be told apart.
pub(crate) fn order(members: &[Validator]) -> Result<Vec<usize>, (usize, usize)> {
    let wires: Vec<Wire> = members.iter().map(wire).collect();
    let n = wires.len();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&wires[i], &wires[j]);
            if overlaps(a, b) && (!(subset(a, b) ^ subset(b, a))) {
                return Err((i, j));
            }
        }
    }
    // Stable: a member moves before another only when it is contained in it.
    let mut out: Vec<usize> = Vec::with_capacity(n);
    for i in 0..n {
        let pos = out
            .iter()
            .position(|&j| subset(&wires[i], &wires[j]) && !subset(&wires[j], &wires[i]))
            .unwrap_or(out.len());
        out.insert(pos, i);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(fields: &[(&str, Validator, bool)]) -> Validator {
        Validator::Object(
            fields
                .iter()
                .map(|(k, v, o)| (k.to_string(), (v.clone(), *o)))
                .collect(),
        )
    }

    #[test]
    fn specific_members_go_first_and_twins_are_refused() {
        use Validator::*;
        let small = obj(&[("id", String, false)]);
        let big = obj(&[("id", String, false), ("name", String, false)]);
        assert_eq!(
            order(&[small.clone(), big.clone()]),
            Ok(vec![0, 1]),
            "disjoint"
        );
        let loose = obj(&[("id", String, false), ("name", String, true)]);
        assert_eq!(
            order(&[loose, big]),
            Ok(vec![1, 0]),
            "required before optional"
        );
        assert_eq!(
            order(&[Number, Int64]),
            Ok(vec![0, 1]),
            "disjoint on the wire"
        );
        let lit = Literal(crate::validator::Literal::String("a".into()));
        assert_eq!(order(&[String, lit]), Ok(vec![1, 0]));
        assert_eq!(order(&[Any, Number]), Ok(vec![1, 0]));
        assert_eq!(order(&[Id("a".into()), Id("b".into())]), Err((0, 1)));
        assert_eq!(
            order(&[Array(Box::new(String)), Array(Box::new(Number))]),
            Ok(vec![0, 1]),
            "only the empty array is shared"
        );
        let a = obj(&[("x", String, false), ("y", String, true)]);
        let b = obj(&[("x", String, false), ("z", String, true)]);
        assert_eq!(order(&[a, b]), Err((0, 1)), "{{x}} fits both");
    }
}
