//! Policy documents written by people: JSON when the first non-blank character is `{`, YAML otherwise, with
//! the same YAML options everywhere (1.2 core booleans, and `0755` or `1_000` staying strings as in JSON).

use serde::de::DeserializeOwned;

/// Why a document did not parse into its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// `JSON` or `YAML`.
    pub format: &'static str,
    /// The parser's one-line message, naming the key and the line.
    pub message: String,
}

/// Parses `data` (a UTF-8 BOM allowed) as JSON or YAML into `T`.
pub(crate) fn parse<T: DeserializeOwned>(data: &[u8]) -> Result<T, SyntaxError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.trim_ascii_start().starts_with(b"{") {
        return serde_json::from_slice(data).map_err(|e| SyntaxError {
            format: "JSON",
            message: e.to_string(),
        });
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        with_snippet: false,
    };
    serde_saphyr::from_slice_with_options(data, options).map_err(|e| SyntaxError {
        format: "YAML",
        message: e.to_string(),
    })
}
