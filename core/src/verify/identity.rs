//! Who must have signed, for keyless signatures: the certificate's subject (SAN email, URI or otherName) and
//! OIDC issuer, each matched exactly or by a regular expression that must match the WHOLE value (cosign matches
//! unanchored, so `https://github.com/org/` also accepts `https://github.com/org/evil`), and optional Fulcio
//! extension values (GitHub workflow claims).

use std::collections::BTreeMap;

/// Matches a string exactly or by a whole-string regular expression.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// Equal to this string.
    Exact(String),
    /// Matched in full by this expression (anchored: `^(?:…)$`).
    Regex {
        /// The expression as given.
        source: String,
        /// The anchored, compiled expression.
        regex: regex_lite::Regex,
    },
}

impl Matcher {
    /// A whole-string regex matcher; the error names the expression.
    pub fn regex(source: &str) -> Result<Self, String> {
        // Compiled alone first: `a)|(b` is invalid by itself but valid once wrapped, and would escape the anchors.
        regex_lite::Regex::new(source).map_err(|e| format!("'{source}' is not a valid regular expression: {e}"))?;
        let regex = regex_lite::Regex::new(&format!("^(?:{source})$"))
            .map_err(|e| format!("'{source}' is not a valid regular expression: {e}"))?;
        Ok(Self::Regex {
            source: source.to_string(),
            regex,
        })
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regex { regex, .. } => regex.is_match(value),
        }
    }

    /// The matcher as text, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Exact(s) => format!("'{s}'"),
            Self::Regex { source, .. } => format!("the expression '{source}' (whole value)"),
        }
    }
}

/// Fulcio's GitHub workflow claims (cosign's `--certificate-github-workflow-*`), by the v1 extension OID, with
/// the v2 OID that carries the same value where Fulcio has one.
pub const GITHUB_CLAIMS: &[(&str, &str, Option<&str>)] = &[
    ("trigger", "1.3.6.1.4.1.57264.1.2", Some("1.3.6.1.4.1.57264.1.20")),
    ("sha", "1.3.6.1.4.1.57264.1.3", Some("1.3.6.1.4.1.57264.1.13")),
    ("name", "1.3.6.1.4.1.57264.1.4", None),
    ("repository", "1.3.6.1.4.1.57264.1.5", None),
    ("ref", "1.3.6.1.4.1.57264.1.6", Some("1.3.6.1.4.1.57264.1.14")),
];

/// The identity a keyless signature must carry.
#[derive(Clone, Debug)]
pub struct CertificateIdentity {
    /// The subject: a SAN email address, URI or otherName.
    pub subject: Matcher,
    /// The OIDC issuer.
    pub issuer: Matcher,
    /// GitHub workflow claims that must hold: claim name (`trigger`, `sha`, `name`, `repository`, `ref`) to value.
    pub github: BTreeMap<String, String>,
}

impl CertificateIdentity {
    /// Checks a certificate's subjects, issuer and extensions; the error says what differs.
    pub fn check(
        &self,
        sans: &[String],
        issuer: Option<&str>,
        extensions: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        match issuer {
            Some(i) if self.issuer.matches(i) => {}
            Some(i) => {
                return Err(format!(
                    "the certificate's OIDC issuer is '{i}', expected {}",
                    self.issuer.describe()
                ));
            }
            None => return Err("the certificate has no OIDC issuer extension".into()),
        }
        if !sans.iter().any(|s| self.subject.matches(s)) {
            return Err(format!(
                "the certificate's identity is {}, expected {}",
                if sans.is_empty() {
                    "empty".to_string()
                } else {
                    sans.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                },
                self.subject.describe()
            ));
        }
        for (claim, expected) in &self.github {
            let Some((_, v1, v2)) = GITHUB_CLAIMS.iter().find(|(n, ..)| n == claim) else {
                return Err(format!("unknown GitHub workflow claim '{claim}'"));
            };
            let found = extensions.get(*v1).or_else(|| v2.and_then(|o| extensions.get(o)));
            if found.map(String::as_str) != Some(expected.as_str()) {
                return Err(format!(
                    "the certificate's GitHub workflow {claim} is {}, expected '{expected}'",
                    found.map(|f| format!("'{f}'")).unwrap_or_else(|| "missing".into())
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_match_the_whole_value() {
        let m = Matcher::regex("https://github.com/org/").unwrap();
        assert!(!m.matches("https://github.com/org/evil/.github/workflows/x.yml@refs/heads/main"));
        let m = Matcher::regex("https://github.com/org/.*").unwrap();
        assert!(m.matches("https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main"));
        assert!(!m.matches("xhttps://github.com/org/repo"));
        assert!(Matcher::regex("(").is_err());
        // An expression that closes the anchoring group is refused, not matched anywhere.
        assert!(Matcher::regex("https://github\\.com/org/app/.*)|(.*").is_err());
        // Alternation stays inside the anchors.
        let m = Matcher::regex("a|b").unwrap();
        assert!(m.matches("a") && m.matches("b") && !m.matches("ab") && !m.matches("xa"));
    }

    #[test]
    fn identity_issuer_and_claims_are_checked() {
        let id = CertificateIdentity {
            subject: Matcher::Exact("me@example.com".into()),
            issuer: Matcher::Exact("https://issuer".into()),
            github: BTreeMap::from([("ref".to_string(), "refs/heads/main".to_string())]),
        };
        let ext = BTreeMap::from([("1.3.6.1.4.1.57264.1.14".to_string(), "refs/heads/main".to_string())]);
        let sans = vec!["me@example.com".to_string()];
        id.check(&sans, Some("https://issuer"), &ext).unwrap();
        assert!(
            id.check(&sans, Some("https://other"), &ext)
                .unwrap_err()
                .contains("OIDC issuer")
        );
        assert!(id.check(&sans, None, &ext).is_err());
        assert!(
            id.check(&["you@example.com".into()], Some("https://issuer"), &ext)
                .unwrap_err()
                .contains("identity")
        );
        assert!(
            id.check(&sans, Some("https://issuer"), &BTreeMap::new())
                .unwrap_err()
                .contains("missing")
        );
    }
}
