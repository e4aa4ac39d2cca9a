//! Rust names from Convex names: stable, idiomatic, never a keyword.

/// Splits `listNumbers`, `list_numbers`, `ListNumbers2`, `my-module` into lowercase words.
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || (chars[i - 1].is_ascii_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// A snake_case identifier (modules, fields).
pub fn snake(s: &str) -> String {
    let mut name = words(s).join("_");
    if name.is_empty() {
        name = "field".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// An UpperCamelCase identifier (types, variants).
pub fn camel(s: &str) -> String {
    let mut name: String = words(s)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    if name.is_empty() {
        name = "Value".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" {
        name.push('_');
    }
    name
}

/// A SCREAMING_SNAKE_CASE identifier (constants).
pub fn screaming(s: &str) -> String {
    let name = snake(s).trim_end_matches('_').to_ascii_uppercase();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("listNumbers"), "list_numbers");
        assert_eq!(snake("_creationTime"), "creation_time");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("v2Api"), "v2_api");
        assert_eq!(snake("9lives"), "_9lives");
        assert_eq!(camel("my-functions"), "MyFunctions");
        assert_eq!(camel("listNumbers"), "ListNumbers");
        assert_eq!(camel("in progress"), "InProgress");
        assert_eq!(camel("42"), "V42");
        assert_eq!(screaming("listNumbersPaginated"), "LIST_NUMBERS_PAGINATED");
        assert_eq!(screaming("type"), "TYPE");
    }
}
