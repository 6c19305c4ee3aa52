//! OLPC canonical JSON, the byte form TUF signs: object keys sorted by their UTF-8 bytes, no insignificant
//! whitespace, integers only, and in strings only `"` and `\` escaped (every other character, control
//! characters included, is written as is). This is what securesystemslib and go-securesystemslib produce.

use serde_json::Value;

/// Encodes `value` as canonical JSON. A number that is not an integer has no canonical form; the error names
/// the JSON path of the first one.
pub fn encode(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(1024);
    write(value, &mut out, &mut String::from("signed"))?;
    Ok(out)
}

fn write(value: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(format!(
                    "'{path}' is the non-integer number {n}, which canonical JSON cannot encode"
                ));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write(item, out, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                let len = path.len();
                path.push('.');
                path.push_str(k);
                write(v, out, path)?;
                path.truncate(len);
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn sorts_keys_drops_whitespace_and_escapes_only_quote_and_backslash() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, -2, true, null], "a": "q\"\\\n\u00e9", "A": {"z": 0, "y": "x"} }"#)
                .unwrap();
        let got = String::from_utf8(encode(&v).unwrap()).unwrap();
        assert_eq!(
            got,
            "{\"A\":{\"y\":\"x\",\"z\":0},\"a\":\"q\\\"\\\\\n\u{e9}\",\"b\":[1,-2,true,null]}"
        );
    }

    #[test]
    fn refuses_floats_naming_the_field() {
        let v: serde_json::Value = serde_json::from_str(r#"{"meta": {"x": [1.5]}}"#).unwrap();
        let err = encode(&v).unwrap_err();
        assert!(err.contains("signed.meta.x[0]"), "{err}");
    }
}
