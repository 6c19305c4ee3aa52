//! Image globs of deploy policies: patterns over `registry/repository` where `*` and `?` stay inside one path
//! segment and `**` spans segments. Validated when the policy loads, so a typo is an error, not a rule that
//! never matches.

use std::fmt;

/// A validated glob over an image's `registry/repository`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageGlob {
    written: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of whole segments, none included.
    Any,
    /// One segment: literal characters, `*` and `?`.
    One(Vec<Piece>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Char(char),
    Star,
    Question,
}

impl ImageGlob {
    /// Parses and validates a glob; the error says what is wrong in words a policy author can act on.
    pub fn parse(written: &str) -> Result<Self, String> {
        let refuse = |why: &str| Err(format!("'{written}' is not a valid image glob: {why}"));
        if written.is_empty() {
            return refuse("it is empty");
        }
        if written.contains('@') {
            return refuse("globs match registry/repository; a digest ('@') is not part of it");
        }
        if let Some(c) = written
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:*?".contains(*c)))
        {
            return if c.is_ascii_uppercase() {
                refuse("repository names are lowercase")
            } else {
                refuse(&format!("'{c}' is not allowed (letters, digits, . _ - / : * ? only)"))
            };
        }
        let parts: Vec<&str> = written.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return refuse("it has an empty path segment (a leading, trailing or doubled '/')");
        }
        if parts[1..].iter().any(|p| p.contains(':')) {
            return refuse("a tag (':') is not part of it; only the registry may have a ':port'");
        }
        let first = parts[0];
        let first_is_wild = first.contains('*') || first.contains('?');
        let is_registry = first.contains('.') || first.contains(':') || first == "localhost";
        if !first_is_wild && !is_registry {
            return refuse(&format!(
                "it does not start with a registry; write e.g. 'docker.io/library/{written}' or 'docker.io/{written}'"
            ));
        }
        let mut segments = Vec::with_capacity(parts.len());
        let registry = (!first_is_wild).then(|| canonical_registry(first));
        for (i, part) in parts.into_iter().enumerate() {
            let part = match (&registry, i) {
                (Some(r), 0) => r.as_str(),
                _ => part,
            };
            if part == "**" {
                if segments.last() == Some(&Segment::Any) {
                    return refuse("'**/**' is the same as '**'");
                }
                segments.push(Segment::Any);
                continue;
            }
            if part.contains("**") {
                return refuse("'**' must be a whole path segment ('a/**/b'); use '*' inside a segment");
            }
            segments.push(Segment::One(
                part.chars()
                    .map(|c| match c {
                        '*' => Piece::Star,
                        '?' => Piece::Question,
                        c => Piece::Char(c),
                    })
                    .collect(),
            ));
        }
        Ok(Self {
            written: written.to_string(),
            segments,
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// Whether the glob matches `name` (`registry/repository`, as [`crate::oci::ImageRef::name`] gives it).
    /// Registries compare in their canonical form (see [`canonical_registry`]), on both sides.
    pub fn matches(&self, name: &str) -> bool {
        let mut parts: Vec<&str> = name.split('/').collect();
        let registry = canonical_registry(parts[0]);
        parts[0] = &registry;
        match_segments(&self.segments, &parts)
    }
}

impl fmt::Display for ImageGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// The one spelling of a registry host that globs and image names are compared in: lowercase, without a
/// trailing dot or the default `:443`, and Docker Hub's aliases (`index.docker.io`, `registry-1.docker.io`)
/// as `docker.io`. Without it `ghcr.io:443/acme/app` would slip past a rule for `ghcr.io/acme/*`.
pub fn canonical_registry(registry: &str) -> String {
    let mut r = registry.to_ascii_lowercase();
    if let Some(host) = r.strip_suffix(":443") {
        r = host.to_string();
    }
    while r.ends_with('.') {
        r.pop();
    }
    if let Some((host, port)) = r.split_once(':') {
        let host = host.trim_end_matches('.');
        r = format!("{host}:{port}");
    }
    match r.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".to_string(),
        _ => r,
    }
}

/// Segment matching: `table[i][j]` says whether glob segments `i..` match name parts `j..`, filled from the
/// end, so `**` costs (segments x parts) and never backtracks exponentially.
fn match_segments(glob: &[Segment], parts: &[&str]) -> bool {
    let (g, n) = (glob.len(), parts.len());
    let mut table = vec![vec![false; n + 1]; g + 1];
    table[g][n] = true;
    for i in (0..g).rev() {
        for j in (0..=n).rev() {
            table[i][j] = match &glob[i] {
                Segment::Any => table[i + 1][j] || (j < n && table[i][j + 1]),
                Segment::One(pieces) => {
                    j < n && table[i + 1][j + 1] && match_pieces(pieces, &parts[j].chars().collect::<Vec<_>>())
                }
            };
        }
    }
    table[0][0]
}

/// Matches one segment: `*` any run of characters, `?` exactly one.
fn match_pieces(pieces: &[Piece], text: &[char]) -> bool {
    // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pieces.get(p) {
            Some(Piece::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Piece::Question) => {
                p += 1;
                t += 1;
            }
            Some(Piece::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pieces[p..].iter().all(|x| *x == Piece::Star)
}

#[cfg(test)]
mod tests {
    use super::ImageGlob;

    fn m(glob: &str, name: &str) -> bool {
        ImageGlob::parse(glob).unwrap().matches(name)
    }

    #[test]
    fn star_stays_in_its_segment() {
        assert!(m("ghcr.io/acme/*", "ghcr.io/acme/app"));
        assert!(!m("ghcr.io/acme/*", "ghcr.io/acme/team/app"));
        assert!(m("ghcr.io/acme/app-*", "ghcr.io/acme/app-web"));
        assert!(!m("ghcr.io/acme/app-*", "ghcr.io/acme/other"));
        assert!(m("ghcr.io/acme/a?c", "ghcr.io/acme/abc"));
        assert!(!m("ghcr.io/acme/a?c", "ghcr.io/acme/ac"));
    }

    #[test]
    fn double_star_spans_segments() {
        assert!(m("ghcr.io/acme/**", "ghcr.io/acme/app"));
        assert!(m("ghcr.io/acme/**", "ghcr.io/acme/team/app"));
        assert!(!m("ghcr.io/acme/**", "ghcr.io/other/app"));
        assert!(m("**/base", "docker.io/library/base"));
        assert!(m("**", "localhost:5000/x"));
        assert!(m("*/acme/**/app", "ghcr.io/acme/app"));
        assert!(m("*/acme/**/app", "ghcr.io/acme/a/b/app"));
        assert!(!m("*/acme/**/app", "ghcr.io/acme/a/b/web"));
    }

    #[test]
    fn registries_compare_in_one_spelling() {
        assert!(m("ghcr.io/acme/app", "GHCR.io/acme/app"));
        assert!(m("ghcr.io/acme/*", "ghcr.io:443/acme/app"));
        assert!(m("ghcr.io/acme/*", "ghcr.io./acme/app"));
        assert!(!m("ghcr.io/acme/*", "ghcr.io:8443/acme/app"));
        assert!(m("ghcr.io:443/acme/*", "ghcr.io/acme/app"));
        // Docker Hub: as ImageRef names it, and as people write it.
        for name in [
            "index.docker.io/library/busybox",
            "docker.io/library/busybox",
            "registry-1.docker.io/library/busybox",
        ] {
            assert!(m("docker.io/library/busybox", name), "{name}");
            assert!(m("index.docker.io/library/*", name), "{name}");
        }
        let short = crate::oci::ImageRef::parse("busybox:1").unwrap();
        assert!(m("docker.io/library/busybox", &short.name()));
    }

    #[test]
    fn bad_globs_are_refused_with_a_reason() {
        for (glob, why) in [
            ("", "empty"),
            ("nginx", "does not start with a registry"),
            ("ghcr.io/acme/app:1.0", "a tag"),
            ("ghcr.io/acme/app@sha256:00", "digest"),
            ("ghcr.io//app", "empty path segment"),
            ("ghcr.io/acme/", "empty path segment"),
            ("ghcr.io/ac**me", "whole path segment"),
            ("ghcr.io/Acme", "lowercase"),
            ("ghcr.io/[ab]", "'[' is not allowed"),
            ("**/**", "same as"),
        ] {
            let e = ImageGlob::parse(glob).unwrap_err();
            assert!(e.contains(why), "{glob}: {e}");
        }
    }

    #[test]
    fn pathological_stars_stay_fast() {
        let glob = format!("ghcr.io/{}b", "*a".repeat(40));
        let name = format!("ghcr.io/{}", "a".repeat(200));
        assert!(!m(&glob, &name));
        // Many `**` over a long name: polynomial, not exponential.
        let glob = "ghcr.io/**/a/**/a/**/a/**/a/**/b";
        let name = format!("ghcr.io/{}", vec!["a"; 1500].join("/"));
        let t = std::time::Instant::now();
        assert!(!m(glob, &name));
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }
}
