//! JSON written the way Go's `encoding/json` writes it, for documents whose bytes must match cosign's: compact,
//! struct fields in declaration order (the caller's order), map keys sorted, and `<`, `>`, `&`, U+2028 and
//! U+2029 escaped as `\u003c`-style sequences.

use std::collections::BTreeMap;

/// Appends `s` as a Go-escaped JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A Go-escaped JSON string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}

/// A `map[string]string` as Go writes it: keys sorted.
pub fn string_map(m: &BTreeMap<String, String>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(&mut out, k);
        out.push(':');
        push_str(&mut out, v);
    }
    out.push('}');
    out
}

/// A JSON object from already-encoded `(key, value)` pairs, in the given order.
pub fn object(fields: &[(&str, String)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(&mut out, k);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    out
}

/// A JSON array of already-encoded values.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(string("a<b>&\"\\\n\u{1}"), r#""a\u003cb\u003e\u0026\"\\\n\u0001""#);
        // Go 1.22 and later write \b and \f as short escapes.
        assert_eq!(string("\u{8}\u{c}"), r#""\b\f""#);
        let mut m = BTreeMap::new();
        m.insert("z".to_string(), "1".to_string());
        m.insert("a".to_string(), "2".to_string());
        assert_eq!(string_map(&m), r#"{"a":"2","z":"1"}"#);
        assert_eq!(object(&[("b", "1".into()), ("a", string("x"))]), r#"{"b":1,"a":"x"}"#);
    }
}
