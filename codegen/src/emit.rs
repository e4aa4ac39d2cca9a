//! Writes the Rust module: a `pub mod` per Convex module, a typed reference per public
//! function, and the argument and result types its validators describe.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::names::{camel, screaming, snake};
use crate::spec::{Function, Kind, Spec};
use crate::validator::Validator;

/// The alias generated modules use for `<crate path>::codegen_support`.
const SUPPORT: &str = "__convex";
/// rustfmt's default line width: longer `const` lines are broken after `=`.
const WIDTH: usize = 100;

/// Items of one Convex module, and the modules under it.
#[derive(Default)]
struct ModuleNode {
    items: Vec<String>,
    type_names: BTreeSet<String>,
    children: BTreeMap<String, ModuleNode>,
}

/// Emission state for one module: where it is (for `super::` paths) and what it holds.
struct Scope<'a> {
    depth: usize,
    node: &'a mut ModuleNode,
    tables: &'a mut BTreeSet<String>,
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
            Validator::Boolean => "bool".into(),
            Validator::String => "String".into(),
            Validator::Bytes => format!("{SUPPORT}::Bytes"),
            Validator::Any => format!("{SUPPORT}::Value"),
            Validator::Literal(Json::String(s)) => self.string_enum(hint, std::slice::from_ref(s)),
            Validator::Literal(Json::Bool(_)) => "bool".into(),
            Validator::Literal(Json::Number(_)) => "f64".into(),
            Validator::Literal(_) => "()".into(),
            Validator::Array(e) => format!("Vec<{}>", self.type_of(e, &format!("{hint}Item"))),
            Validator::Record(k, val) => {
                let key = match k.as_ref() {
                    Validator::Id(_) => self.type_of(k, hint),
                    _ => "String".into(),
                };
                let value = self.type_of(val, &format!("{hint}Value"));
                format!("::std::collections::BTreeMap<{key}, {value}>")
            }
            Validator::Object(fields) => self.object(hint, fields),
            Validator::Union(members) => self.union(hint, members),
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
            if *optional {
                let _ = writeln!(
                    body,
                    "{i}    #[serde(default, skip_serializing_if = \"Option::is_none\")]"
                );
                let _ = writeln!(body, "{i}    pub {rust}: Option<{ty}>,");
            } else {
                let _ = writeln!(body, "{i}    pub {rust}: {ty},");
            }
        }
        let item = if body.is_empty() {
            format!("{}{i}pub struct {name} {{}}\n", self.derive())
        } else {
            format!("{}{i}pub struct {name} {{\n{body}{i}}}\n", self.derive())
        };
        self.node.items.push(item);
        name
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
        self.node.items.push(format!(
            "{}{i}pub enum {name} {{\n{body}{i}}}\n",
            self.derive()
        ));
        name
    }

    /// Unions, by rule:
    /// 1. only string literals: a plain enum, one variant per literal;
    /// 2. one member and `null`: `Option` of that member;
    /// 3. only objects that share a field holding a different string literal in each: an
    ///    internally tagged enum on that field, one variant (holding a struct) per member;
    /// 4. anything else: an untagged enum whose variants are named by member kind, tried in
    ///    the spec's order.
    fn union(&mut self, hint: &str, members: &[Validator]) -> String {
        let literals: Option<Vec<String>> = members
            .iter()
            .map(|m| match m {
                Validator::Literal(Json::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        if let Some(values) = literals.filter(|l| !l.is_empty()) {
            return self.string_enum(hint, &values);
        }
        let non_null: Vec<&Validator> = members
            .iter()
            .filter(|m| !matches!(m, Validator::Null))
            .collect();
        if non_null.len() == 1 && members.len() == 2 {
            return format!("Option<{}>", self.type_of(non_null[0], hint));
        }
        if let Some((tag, tagged)) = discriminant(members) {
            let name = self.fresh(hint);
            let i = self.indent();
            let mut body = String::new();
            let mut used = BTreeSet::new();
            for (value, fields) in tagged {
                let variant = unique(&mut used, camel(&value), "");
                let inner = self.object(&format!("{name}{variant}"), &fields);
                let _ = writeln!(body, "{i}    #[serde(rename = {value:?})]");
                let _ = writeln!(body, "{i}    {variant}({inner}),");
            }
            self.node.items.push(format!(
                "{}{i}#[serde(tag = {tag:?})]\n{i}pub enum {name} {{\n{body}{i}}}\n",
                self.derive()
            ));
            return name;
        }
        let name = self.fresh(hint);
        let i = self.indent();
        let mut body = String::new();
        let mut used = BTreeSet::new();
        for m in members {
            let kind = match m {
                Validator::Id(_) => "Id",
                Validator::Null => "Null",
                Validator::Number | Validator::Literal(Json::Number(_)) => "Number",
                Validator::Int64 => "Int64",
                Validator::Boolean | Validator::Literal(Json::Bool(_)) => "Boolean",
                Validator::String | Validator::Literal(Json::String(_)) => "String",
                Validator::Bytes => "Bytes",
                Validator::Any => "Any",
                Validator::Literal(_) => "Null",
                Validator::Array(_) => "Array",
                Validator::Record(..) => "Record",
                Validator::Object(_) => "Object",
                Validator::Union(_) => "Union",
            };
            let variant = unique(&mut used, kind.to_owned(), "");
            if matches!(m, Validator::Null | Validator::Literal(Json::Null)) {
                let _ = writeln!(body, "{i}    {variant},");
            } else {
                let ty = self.type_of(m, &format!("{name}{variant}"));
                let _ = writeln!(body, "{i}    {variant}({ty}),");
            }
        }
        self.node.items.push(format!(
            "{}{i}#[serde(untagged)]\n{i}pub enum {name} {{\n{body}{i}}}\n",
            self.derive()
        ));
        name
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
                Some((Validator::Literal(Json::String(s)), false)) if seen.insert(s.clone()) => {
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
        let item_ty = match &item {
            Some(v) => scope.type_of(v, &format!("{base}Item")),
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
    let returns_ty = match &f.returns {
        Some(v) => scope.type_of(v, &format!("{base}Returns")),
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

/// The whole generated file.
pub fn emit(spec: &Spec, crate_path: &str) -> String {
    let mut root = ModuleNode::default();
    let mut tables = BTreeSet::new();
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
    out
}
