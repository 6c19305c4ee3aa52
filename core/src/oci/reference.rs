//! Image references: `registry/repository[:tag][@sha256:<hex>]`, with Docker Hub's defaults
//! (`alpine` is `index.docker.io/library/alpine`).

use std::fmt;

/// The registry Docker Hub references resolve to, as go-containerregistry (and so cosign) names it.
pub const DOCKER_HUB: &str = "index.docker.io";

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry host, with port if any (`localhost:5000`, `ghcr.io`).
    pub registry: String,
    /// Repository path (`acme/app`).
    pub repository: String,
    /// Tag, if given.
    pub tag: Option<String>,
    /// Digest (`sha256:<hex>`), if given.
    pub digest: Option<String>,
}

/// Why a reference could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference '{reference}': {reason}")]
pub struct ReferenceError {
    /// The input.
    pub reference: String,
    /// What is wrong.
    pub reason: String,
}

impl ImageRef {
    /// Parses a reference. A reference with neither tag nor digest gets no tag here; callers decide whether
    /// to default to `latest`.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let err = |reason: &str| ReferenceError {
            reference: input.to_string(),
            reason: reason.to_string(),
        };
        if input.is_empty() || input.len() > 4096 || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("empty, too long, or contains whitespace"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => {
                if !is_digest(d) {
                    return Err(err("the digest must be sha256:<64 hex> or sha512:<128 hex>"));
                }
                (n, Some(d.to_ascii_lowercase()))
            }
            None => (input, None),
        };
        let last_slash = name_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => {
                let t = &name_tag[last_slash + i + 1..];
                if !is_tag(t) {
                    return Err(err(
                        "the tag may have up to 128 letters, digits, '_', '.', '-' and must not start with '.' or '-'",
                    ));
                }
                (&name_tag[..last_slash + i], Some(t.to_string()))
            }
            None => (name_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !is_repository(&repository) {
            return Err(err(
                "the repository must be lower-case path components of letters, digits and . _ - separators",
            ));
        }
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository`: the name cosign writes as `docker-reference`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The tag or digest to ask the registry for (`latest` when neither was given).
    pub fn reference(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// The same repository at `digest`.
    pub fn with_digest(&self, digest: &str) -> Self {
        Self {
            digest: Some(digest.to_string()),
            tag: None,
            ..self.clone()
        }
    }

    /// Another repository on the same or another registry, written `registry/repository`
    /// (for `COSIGN_REPOSITORY`).
    pub fn in_repository(&self, target: &str) -> Result<Self, ReferenceError> {
        let parsed = Self::parse(target)?;
        if parsed.tag.is_some() || parsed.digest.is_some() {
            return Err(ReferenceError {
                reference: target.into(),
                reason: "a repository takes no tag or digest".into(),
            });
        }
        Ok(Self {
            registry: parsed.registry,
            repository: parsed.repository,
            tag: self.tag.clone(),
            digest: self.digest.clone(),
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// True for `sha256:<64 hex>` or `sha512:<128 hex>`.
pub fn is_digest(s: &str) -> bool {
    let hex_len = |h: &str, n: usize| h.len() == n && h.bytes().all(|b| b.is_ascii_hexdigit());
    match s.split_once(':') {
        Some(("sha256", h)) => hex_len(h, 64),
        Some(("sha512", h)) => hex_len(h, 128),
        _ => false,
    }
}

fn is_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_repository(r: &str) -> bool {
    !r.is_empty()
        && r.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let d = "sha256:3a715037401075f1ba4d5e7a3a578cd9faa2425b63b2cdd808f6215bb2843a1a";
        let r = ImageRef::parse(&format!("localhost:5000/demo/app:v1@{d}")).unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost:5000", "demo/app")
        );
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.reference(), d);
        assert_eq!(r.name(), "localhost:5000/demo/app");
        let hub = ImageRef::parse("alpine").unwrap();
        assert_eq!(hub.name(), "index.docker.io/library/alpine");
        assert_eq!(hub.reference(), "latest");
        assert_eq!(
            ImageRef::parse("docker.io/acme/x:1").unwrap().name(),
            "index.docker.io/acme/x"
        );
        assert_eq!(ImageRef::parse("127.0.0.1:5001/a").unwrap().registry, "127.0.0.1:5001");
    }

    #[test]
    fn rejects_bad_references() {
        for bad in ["", "Upper/case", "a/b@sha256:12", "a/b:-tag", "a b", "a//b", "ghcr.io/"] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
