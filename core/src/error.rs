//! The error every parser in this crate returns: which document, which field, and what was wrong.

use thiserror::Error;

/// A document could not be read: it is not the format expected, or a field has the wrong shape.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{document}{}: {reason}", field_suffix(.field))]
pub struct FormatError {
    /// The kind of document (`Sigstore bundle`, `DSSE envelope`).
    pub document: &'static str,
    /// The JSON path of the offending field, empty for the document as a whole.
    pub field: String,
    /// What was expected, and what was found.
    pub reason: String,
}

fn field_suffix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(" field '{field}'")
    }
}

impl FormatError {
    /// A new error about `field` of `document`.
    pub fn new(document: &'static str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            document,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An error from serde_json, with its line and column.
    pub(crate) fn json(document: &'static str, e: &serde_json::Error) -> Self {
        let reason = if e.is_syntax() || e.is_eof() {
            format!("not valid JSON: {e}")
        } else {
            format!("JSON of the wrong shape: {e}")
        };
        Self::new(document, "", reason)
    }
}
