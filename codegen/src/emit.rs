//! Writes the Rust module: a `pub mod` per Convex module, a typed reference per public
//! function, and the argument and result types its validators describe.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::names::{camel, screaming, snake};
use crate::spec::{Function, Kind, Spec};
use crate::validator::{Literal, Validator};
use crate::wire;

/// The alias generated modules use for `<crate path>::codegen_support`.
const SUPPORT: &str = "__convex";
/// rustfmt's default line width: longer `const` lines are broken after `=`.
const WIDTH: usize = 100;

/// Items of one Convex module, and the modules under it.
#[derive(Default)]
struct ModuleNode {
    items: Vec<String>,
    type_names: BTreeSet<String>,
    /// Each struct and enum written, by its text with the name left out: a second type of
    /// the same shape is an alias of the first (see [`Scope::declare`]).
    shapes: BTreeMap<String, String>,
    children: BTreeMap<String, ModuleNode>,
}

/// Emission state for one module: where it is (for `super::` paths) and what it holds.
struct Scope<'a> {
    depth: usize,
    node: &'a mut ModuleNode,
    tables: &'a mut BTreeSet<String>,
    /// What the generator could not type exactly, for its caller to print.
    warnings: &'a mut Vec<String>,
    /// The function whose types are being written (for warnings).
    function: String,
    /// The last type [`declare`](Self::declare)d: the type fields use, and its own name.
    last: Option<(String, String)>,
}

impl Scope<'_> {
    /// A type name not used yet in this module.
    fn fresh(&mut self, wanted: &str) -> String {
        unique(&mut self.node.type_names, wanted.to_owned(), "")
    }

    fn indent(&self) -> String {
        "    ".repeat(self.depth)
    }

    fn derive(&self) -> String {
        format!(
            "{i}#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n",
            i = self.indent()
        )
    }

    /// Adds the struct or enum `before name after` to the module, or, when the module has one
    /// of the same shape already (two functions returning `{numbers, viewer}`, say), an alias
    /// of it: `pub type Name = First;`. The name stays for the app; its wasm holds one type's
    /// serde and trait code instead of two. Returns the type fields should use: the first.
    fn declare(&mut self, name: String, before: &str, after: &str) -> String {
        let i = self.indent();
        let shape = format!("{before}\u{0}{after}");
        if let Some(first) = self.node.shapes.get(&shape).cloned() {
            // Broken after `=` when too long, as rustfmt writes it.
            let alias = assignment(&i, &format!("pub type {name}"), &first);
            self.node
                .items
                .push(format!("{i}/// The same shape as [`{first}`].\n{alias}"));
            self.last = Some((first.clone(), name));
            return first;
        }
        self.node.items.push(format!("{before}{name}{after}"));
        self.node.shapes.insert(shape, name.clone());
        self.last = Some((name.clone(), name.clone()));
        name
    }

    /// `ty` as a function's own signature names it: its own alias when its type was the last
    /// one declared as an alias (`SECOND: Query<SecondArgs, SecondReturns>`, not `FirstArgs`).
    fn own_name(&self, ty: String) -> String {
        match &self.last {
            Some((first, name)) if *first == ty => name.clone(),
            _ => ty,
        }
    }

    fn warn(&mut self, hint: &str, message: String) {
        self.warnings
            .push(format!("{} (type {hint}): {message}", self.function));
    }

    /// The Rust type for `v`; nested structs and enums are added to the module, named from
    /// `hint`.
    fn type_of(&mut self, v: &Validator, hint: &str) -> String {
        match v {
            Validator::Id(table) => {
                self.tables.insert(table.clone());
                format!(
                    "{SUPPORT}::Id<{}tables::{}>",
                    "super::".repeat(self.depth),
                    camel(table)
                )
            }
            Validator::Null => "()".into(),
            Validator::Number => "f64".into(),
            Validator::Int64 => "i64".into(),
            Validator::CommitTs => format!("{SUPPORT}::CommitTs"),
            Validator::Function => format!("{SUPPORT}::FunctionHandle"),
            Validator::Boolean => "bool".into(),
            Validator::String => "String".into(),
            Validator::Bytes => format!("{SUPPORT}::Bytes"),
            Validator::Any => format!("{SUPPORT}::Value"),
            Validator::Unknown(kind) => {
                self.warn(
                    hint,
                    format!("validator type {kind:?} is new to this generator: typed as Value"),
                );
                format!("{SUPPORT}::Value")
            }
            Validator::Literal(Literal::String(s)) => {
                self.string_enum(hint, std::slice::from_ref(s))
            }
            Validator::Literal(l) => literal_type(l),
            Validator::Array(e) => format!("Vec<{}>", self.type_of(e, &format!("{hint}Item"))),
            Validator::Record(k, val) => {
                let key = match k.as_ref() {
                    Validator::Id(_) => self.type_of(k, hint),
                    _ => "String".into(),
                };
                // A map leaves out a `None` value: a nullable value is an enum whose `Null`
                // variant goes out as `null`.
                let hint = format!("{hint}Value");
                let value = match val.as_ref() {
                    Validator::Union(members) => self.union(&hint, members, false),
                    other => self.type_of(other, &hint),
                };
                format!("::std::collections::BTreeMap<{key}, {value}>")
            }
            Validator::Object(fields) => self.object(hint, fields),
            Validator::Union(members) => self.union(hint, members, true),
        }
    }

    fn object(&mut self, hint: &str, fields: &BTreeMap<String, (Validator, bool)>) -> String {
        let name = self.fresh(hint);
        let i = self.indent();
        let mut body = String::new();
        let mut used = BTreeSet::new();
        for (field, (v, optional)) in fields {
            let rust = unique(&mut used, snake(field), "_");
            let ty = self.type_of(v, &format!("{name}{}", camel(field)));
            if rust != *field {
                let _ = writeln!(body, "{i}    #[serde(rename = {field:?})]");
            }
            // A nullable field is an `Option`; its `None` must go out as `null` (a plain
            // `Option` field is left out when `None`, as an optional field is).
            let nullable = nullable(v);
            match (optional, nullable) {
                (true, false) => {
                    let _ = writeln!(
                        body,
                        "{i}    #[serde(default, skip_serializing_if = \"Option::is_none\")]"
                    );
                }
                (true, true) => {
                    let one = format!(
                        "{i}    #[serde(default, skip_serializing_if = \"Option::is_none\", with = \"{SUPPORT}::optional_nullable\")]"
                    );
                    if one.len() <= WIDTH {
                        let _ = writeln!(body, "{one}");
                    } else {
                        let _ = writeln!(body, "{i}    #[serde(");
                        let _ = writeln!(body, "{i}        default,");
                        let _ = writeln!(
                            body,
                            "{i}        skip_serializing_if = \"Option::is_none\","
                        );
                        let _ =
                            writeln!(body, "{i}        with = \"{SUPPORT}::optional_nullable\"");
                        let _ = writeln!(body, "{i}    )]");
                    }
                }
                (false, true) => {
                    let _ = writeln!(
                        body,
                        "{i}    #[serde(serialize_with = \"{SUPPORT}::nullable::serialize\")]"
                    );
                }
                (false, false) => {}
            }
            if *optional {
                body.push_str(&field_line(
                    &i,
                    &format!("pub {rust}:"),
                    &format!("Option<{ty}>"),
                ));
            } else {
                body.push_str(&field_line(&i, &format!("pub {rust}:"), &ty));
            }
        }
        let before = format!("{}{i}pub struct ", self.derive());
        let after = if body.is_empty() {
            " {}\n".to_owned()
        } else {
            format!(" {{\n{body}{i}}}\n")
        };
        self.declare(name, &before, &after)
    }

    fn string_enum(&mut self, hint: &str, values: &[String]) -> String {
        let name = self.fresh(hint);
        let i = self.indent();
        let mut body = String::new();
        let mut used = BTreeSet::new();
        for value in values {
            let variant = unique(&mut used, camel(value), "");
            let _ = writeln!(body, "{i}    #[serde(rename = {value:?})]");
            let _ = writeln!(body, "{i}    {variant},");
        }
        let before = format!("{}{i}pub enum ", self.derive());
        self.declare(name, &before, &format!(" {{\n{body}{i}}}\n"))
    }

    /// Unions, by rule (`option`: a nullable union may be an `Option`):
    /// 1. only string literals: a plain enum, one variant per literal;
    /// 2. `null` among other members: `Option` of the others (one member's type, or a union
    ///    of them);
    /// 3. only objects that share a field holding a different string literal in each: an
    ///    internally tagged enum on that field, one variant (holding a struct) per member;
    /// 4. anything else: an enum whose variants are named by member kind, each value decoded
    ///    into the member whose wire form it has (see `wire.rs`). Members that cannot be told
    ///    apart from the wire make the union a `Value`, with a warning.
    fn union(&mut self, hint: &str, members: &[Validator], option: bool) -> String {
        let members = flatten(members);
        if members.is_empty() {
            self.warn(
                hint,
                "an empty union accepts no value: typed as Value".into(),
            );
            return format!("{SUPPORT}::Value");
        }
        let literals: Option<Vec<String>> = members
            .iter()
            .map(|m| match m {
                Validator::Literal(Literal::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        if let Some(values) = literals {
            let mut unique_values = Vec::new();
            for v in values {
                if !unique_values.contains(&v) {
                    unique_values.push(v);
                }
            }
            return self.string_enum(hint, &unique_values);
        }
        let non_null: Vec<Validator> = members
            .iter()
            .filter(|m| !matches!(m, Validator::Null))
            .cloned()
            .collect();
        if non_null.is_empty() {
            return "()".into();
        }
        if option && non_null.len() < members.len() {
            let inner = match non_null.as_slice() {
                [one] => self.type_of(one, hint),
                many => self.union(hint, many, false),
            };
            return format!("Option<{inner}>");
        }
        if let [one] = members.as_slice() {
            return self.type_of(one, hint);
        }
        if let Some((tag, tagged)) = discriminant(&members) {
            let name = self.fresh(hint);
            let i = self.indent();
            let mut body = String::new();
            let mut used = BTreeSet::new();
            for (value, fields) in tagged {
                let variant = unique(&mut used, camel(&value), "");
                let inner = self.object(&format!("{name}{variant}"), &fields);
                let _ = writeln!(body, "{i}    #[serde(rename = {value:?})]");
                body.push_str(&variant_line(&i, &variant, &inner));
            }
            self.node.items.push(format!(
                "{}{i}#[serde(tag = {tag:?})]\n{i}pub enum {name} {{\n{body}{i}}}\n",
                self.derive()
            ));
            return name;
        }
        let order = match wire::order(&members) {
            Ok(order) => order,
            Err((a, b)) => {
                self.warn(
                    hint,
                    format!(
                        "union members {a} and {b} cannot be told apart from the wire: typed as Value"
                    ),
                );
                return format!("{SUPPORT}::Value");
            }
        };
        let name = self.fresh(hint);
        let i = self.indent();
        let mut body = String::new();
        let mut used = BTreeSet::new();
        let mut arms = Vec::new();
        let mut json = Vec::new();
        for &m in &order {
            let m = &members[m];
            let variant = unique(&mut used, variant_name(m), "");
            json.push(m.to_json());
            if matches!(m, Validator::Null) {
                let _ = writeln!(body, "{i}    {variant},");
                arms.push((variant, false));
            } else {
                let ty = self.type_of(m, &format!("{name}{variant}"));
                body.push_str(&variant_line(&i, &variant, &ty));
                arms.push((variant, true));
            }
        }
        let derive = format!(
            "{i}#[derive(Debug, Clone, PartialEq, ::serde::Serialize)]\n{i}#[serde(untagged)]\n"
        );
        let members_json = serde_json::Value::Array(json).to_string();
        let d = format!("{i}        ");
        let mut de = String::new();
        let _ = writeln!(de, "{i}impl<'de> ::serde::Deserialize<'de> for {name} {{");
        let signature =
            "fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {";
        if i.len() + 4 + signature.len() <= WIDTH {
            let _ = writeln!(de, "{i}    {signature}");
        } else {
            let _ = writeln!(de, "{i}    fn deserialize<D: ::serde::Deserializer<'de>>(");
            let _ = writeln!(de, "{i}        d: D,");
            let _ = writeln!(de, "{i}    ) -> Result<Self, D::Error> {{");
        }
        de.push_str(&assignment(
            &d,
            "const MEMBERS: &str",
            &format!("r#\"{members_json}\"#"),
        ));
        de.push_str(&assignment(
            &d,
            &format!("static UNION: {SUPPORT}::UnionMembers"),
            &format!("{SUPPORT}::UnionMembers::new(MEMBERS)"),
        ));
        let _ = writeln!(de, "{d}match UNION.pick(d)? {{");
        let last = arms.len() - 1;
        for (n, (variant, holds)) in arms.iter().enumerate() {
            let pattern = if n == last {
                "_".to_owned()
            } else {
                n.to_string()
            };
            let v = if *holds { "v" } else { "_" };
            let value = if *holds {
                format!("{SUPPORT}::member(v).map(Self::{variant})")
            } else {
                format!("Ok(Self::{variant})")
            };
            let _ = writeln!(de, "{d}    ({pattern}, {v}) => {value},");
        }
        let _ = writeln!(de, "{d}}}");
        let _ = writeln!(de, "{i}    }}");
        let _ = writeln!(de, "{i}}}");
        self.node.items.push(format!(
            "{derive}{i}pub enum {name} {{\n{body}{i}}}\n\n{de}"
        ));
        name
    }
}

/// `head = rhs;` as rustfmt writes it: one line when it fits, else broken after `=` when
/// that makes it fit, else one line (a string literal cannot be broken).
/// A struct field `head ty,` one level in from `indent`, broken after `head` when too long,
/// as rustfmt writes it.
fn field_line(indent: &str, head: &str, ty: &str) -> String {
    let next = format!("{indent}        {ty},");
    wrapped(
        format!("{indent}    {head} {ty},"),
        &next,
        format!("{indent}    {head}\n{next}"),
    )
}

/// A tuple variant `Variant(ty),` one level in from `indent`, its type on a line of its own
/// when too long, as rustfmt writes it.
fn variant_line(indent: &str, variant: &str, ty: &str) -> String {
    let next = format!("{indent}        {ty},");
    wrapped(
        format!("{indent}    {variant}({ty}),"),
        &next,
        format!("{indent}    {variant}(\n{next}\n{indent}    ),"),
    )
}

fn assignment(indent: &str, head: &str, rhs: &str) -> String {
    let next = format!("{indent}    {rhs};");
    wrapped(
        format!("{indent}{head} = {rhs};"),
        &next,
        format!("{indent}{head} =\n{next}"),
    )
}

/// `one` as a line when it fits in [`WIDTH`] (or when the `broken` form's continuation
/// line `next` would not fit either, as rustfmt leaves such lines), else `broken`.
fn wrapped(one: String, next: &str, broken: String) -> String {
    if one.len() <= WIDTH || next.len() > WIDTH {
        one + "\n"
    } else {
        broken + "\n"
    }
}

/// Nested unions inlined (`v.union(v.union(a, b), c)` is `a | b | c`).
fn flatten(members: &[Validator]) -> Vec<Validator> {
    let mut out = Vec::new();
    for m in members {
        match m {
            Validator::Union(inner) => out.extend(flatten(inner)),
            other => out.push(other.clone()),
        }
    }
    out
}

/// Whether `v` is a union that holds `null` and something else (an `Option` in Rust).
fn nullable(v: &Validator) -> bool {
    match v {
        Validator::Union(members) => {
            let members = flatten(members);
            let literals_only = members
                .iter()
                .all(|m| matches!(m, Validator::Literal(Literal::String(_))));
            !literals_only
                && members.iter().any(|m| matches!(m, Validator::Null))
                && members.iter().any(|m| !matches!(m, Validator::Null))
        }
        _ => false,
    }
}

/// A union variant's name: a string literal's value, otherwise its kind.
fn variant_name(m: &Validator) -> String {
    match m {
        Validator::Literal(Literal::String(s)) if !camel(s).is_empty() => camel(s),
        Validator::Literal(Literal::Bool(true)) => "True".into(),
        Validator::Literal(Literal::Bool(false)) => "False".into(),
        Validator::Literal(Literal::Float64(_)) | Validator::Number => "Number".into(),
        Validator::Literal(Literal::Int64(_)) | Validator::Int64 => "Int64".into(),
        Validator::Literal(Literal::String(_)) | Validator::String => "String".into(),
        Validator::Id(_) => "Id".into(),
        Validator::Null => "Null".into(),
        Validator::CommitTs => "CommitTs".into(),
        Validator::Function => "Function".into(),
        Validator::Boolean => "Boolean".into(),
        Validator::Bytes => "Bytes".into(),
        Validator::Any | Validator::Unknown(_) => "Any".into(),
        Validator::Array(_) => "Array".into(),
        Validator::Record(..) => "Record".into(),
        Validator::Object(_) => "Object".into(),
        Validator::Union(_) => "Union".into(),
    }
}

/// The exact type of a boolean, float or int64 literal.
fn literal_type(l: &Literal) -> String {
    match l {
        Literal::String(_) => "String".into(),
        Literal::Bool(b) => format!("{SUPPORT}::LiteralBool<{b}>"),
        Literal::Int64(n) => format!("{SUPPORT}::LiteralInt64<{n}>"),
        Literal::Float64(f) => {
            let bits = if f.is_nan() {
                "f64::NAN.to_bits()".to_owned()
            } else if *f == f64::INFINITY {
                "f64::INFINITY.to_bits()".to_owned()
            } else if *f == f64::NEG_INFINITY {
                "f64::NEG_INFINITY.to_bits()".to_owned()
            } else if f.is_sign_negative() {
                format!("({f:?}f64).to_bits()")
            } else {
                format!("{f:?}f64.to_bits()")
            };
            format!("{SUPPORT}::LiteralFloat64<{{ {bits} }}>")
        }
    }
}

type Fields = BTreeMap<String, (Validator, bool)>;

/// `base`, or `base{sep}2`, `base{sep}3`, ... : the first not in `used` (then added to it).
fn unique(used: &mut BTreeSet<String>, base: String, sep: &str) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}{sep}{n}");
        n += 1;
    }
    name
}

/// The field every member object carries as a distinct string literal, with each member's
/// literal and its other fields.
fn discriminant(members: &[Validator]) -> Option<(String, Vec<(String, Fields)>)> {
    let objects: Vec<&Fields> = members
        .iter()
        .map(|m| match m {
            Validator::Object(f) => Some(f),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let first = objects.first()?;
    'candidates: for tag in first.keys() {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for fields in &objects {
            match fields.get(tag) {
                Some((Validator::Literal(Literal::String(s)), false)) if seen.insert(s.clone()) => {
                    let mut rest = (*fields).clone();
                    rest.remove(tag);
                    out.push((s.clone(), rest));
                }
                _ => continue 'candidates,
            }
        }
        return Some((tag.clone(), out));
    }
    None
}

/// `(args without paginationOpts, item)` when `f` is a paginated query.
fn paginated(f: &Function) -> Option<(Fields, Option<Validator>)> {
    if f.kind != Kind::Query {
        return None;
    }
    let Some(Validator::Object(args)) = &f.args else {
        return None;
    };
    if !args.contains_key("paginationOpts") {
        return None;
    }
    let mut rest = args.clone();
    rest.remove("paginationOpts");
    let item = match &f.returns {
        Some(Validator::Object(r)) => match r.get("page") {
            Some((Validator::Array(item), false)) => Some((**item).clone()),
            _ => return None,
        },
        Some(_) => return None,
        None => None,
    };
    Some((rest, item))
}

fn const_item(indent: &str, name: &str, ty: &str, ctor: &str, path: &str) -> String {
    let one = format!("{indent}pub const {name}: {ty} = {ctor}::new({path:?});");
    if one.len() <= WIDTH {
        format!("{one}\n")
    } else {
        format!("{indent}pub const {name}: {ty} =\n{indent}    {ctor}::new({path:?});\n")
    }
}

fn emit_function(scope: &mut Scope<'_>, f: &Function) {
    let base = camel(&f.name);
    let i = scope.indent();
    let path = f.path();
    let const_name = screaming(&f.name);
    if let Some((args, item)) = paginated(f) {
        let args_ty = scope.object(&format!("{base}Args"), &args);
        let args_ty = scope.own_name(args_ty);
        let item_ty = match &item {
            Some(v) => {
                let ty = scope.type_of(v, &format!("{base}Item"));
                scope.own_name(ty)
            }
            None => format!("{SUPPORT}::Value"),
        };
        let doc = format!(
            "{i}/// `{path}` (paginated query): use with `use_paginated_query`; the arguments leave out `paginationOpts`.\n"
        );
        let ty = format!("{SUPPORT}::PaginatedQuery<{args_ty}, {item_ty}>");
        let ctor = format!("{SUPPORT}::PaginatedQuery");
        scope
            .node
            .items
            .push(doc + &const_item(&i, &const_name, &ty, &ctor, &path));
        return;
    }
    let args_ty = match &f.args {
        Some(Validator::Object(fields)) => scope.object(&format!("{base}Args"), fields),
        Some(other) => scope.type_of(other, &format!("{base}Args")),
        None => format!("{SUPPORT}::Value"),
    };
    let args_ty = scope.own_name(args_ty);
    let returns_ty = match &f.returns {
        Some(v) => {
            let ty = scope.type_of(v, &format!("{base}Returns"));
            scope.own_name(ty)
        }
        None => format!("{SUPPORT}::Value"),
    };
    let (kind, ctor) = match f.kind {
        Kind::Query => ("query", "Query"),
        Kind::Mutation => ("mutation", "Mutation"),
        Kind::Action => ("action", "Action"),
    };
    let doc = format!("{i}/// `{path}` ({kind}).\n");
    let ty = format!("{SUPPORT}::{ctor}<{args_ty}, {returns_ty}>");
    let ctor = format!("{SUPPORT}::{ctor}");
    scope
        .node
        .items
        .push(doc + &const_item(&i, &const_name, &ty, &ctor, &path));
}

fn write_node(out: &mut String, node: &ModuleNode, depth: usize, support: &str) {
    let i = "    ".repeat(depth);
    let mut first = true;
    if !node.items.is_empty() {
        let _ = writeln!(out, "{i}use {support} as {SUPPORT};");
        first = false;
    }
    for item in &node.items {
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(item);
    }
    for (name, child) in &node.children {
        if !first {
            out.push('\n');
        }
        first = false;
        let _ = writeln!(out, "{i}#[allow(dead_code)]");
        let _ = writeln!(out, "{i}pub mod {name} {{");
        write_node(out, child, depth + 1, support);
        let _ = writeln!(out, "{i}}}");
    }
}

/// The whole generated file, and what could not be typed exactly.
pub fn emit(spec: &Spec, crate_path: &str) -> (String, Vec<String>) {
    let mut root = ModuleNode::default();
    let mut tables = BTreeSet::new();
    let mut warnings = Vec::new();
    for f in &spec.functions {
        let mut node = &mut root;
        let mut depth = 0;
        for part in f.module.split('/') {
            node = node.children.entry(snake(part)).or_default();
            depth += 1;
        }
        let mut scope = Scope {
            depth,
            node,
            tables: &mut tables,
            warnings: &mut warnings,
            function: f.path(),
            last: None,
        };
        emit_function(&mut scope, f);
    }
    let support = format!("{crate_path}::codegen_support");
    let mut out = String::new();
    let source = spec.url.as_deref().unwrap_or("a function spec");
    let _ = writeln!(
        out,
        "// @generated by convex-yew-codegen {} from {source}. Do not edit: regenerate.",
        env!("CARGO_PKG_VERSION")
    );
    if !tables.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "/// Marker types of the tables that ids point into.");
        let _ = writeln!(out, "#[allow(dead_code)]");
        let _ = writeln!(out, "pub mod tables {{");
        let mut first = true;
        for t in &tables {
            if !first {
                out.push('\n');
            }
            first = false;
            let name = camel(t);
            let _ = writeln!(out, "    /// The `{t}` table.");
            let _ = writeln!(out, "    pub enum {name} {{}}");
            out.push('\n');
            let _ = writeln!(out, "    impl {support}::TableName for {name} {{");
            let _ = writeln!(out, "        const NAME: &'static str = {t:?};");
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "}}");
    }
    if !root.children.is_empty() {
        out.push('\n');
        write_node(&mut out, &root, 0, &support);
    }
    (out, warnings)
}
