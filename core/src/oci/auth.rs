//! Registry credentials as `docker` and `podman` store them: `$REGISTRY_AUTH_FILE` (or
//! `$XDG_RUNTIME_DIR/containers/auth.json`), then `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`);
//! in each, `credHelpers`, then `auths`, then `credsStore`. Credential helpers are run as
//! `docker-credential-<name> get` with the registry on standard input.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// User name and password (or token used as password).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// An OAuth2 refresh token (docker's `identitytoken`).
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Self::IdentityToken(_) => write!(f, "IdentityToken(***)"),
        }
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The credential files consulted, in order.
fn config_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        files.push(PathBuf::from(p));
    } else if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(d).join("containers/auth.json"));
    }
    match std::env::var_os("DOCKER_CONFIG") {
        Some(d) => files.push(PathBuf::from(d).join("config.json")),
        None => {
            if let Some(h) = std::env::var_os("HOME") {
                files.push(PathBuf::from(h).join(".docker/config.json"));
            }
        }
    }
    files
}

/// The keys a registry may be stored under.
fn keys_for(registry: &str) -> Vec<String> {
    let mut keys = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ];
    if registry == super::reference::DOCKER_HUB || registry == "docker.io" {
        keys.extend([
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ]);
    }
    keys
}

/// Finds the credential for `registry`, or `None` (anonymous access).
pub fn lookup(registry: &str) -> Option<Credential> {
    for file in config_files() {
        let Ok(text) = std::fs::read(&file) else { continue };
        let Ok(config) = serde_json::from_slice::<ConfigFile>(&text) else {
            continue;
        };
        let keys = keys_for(registry);
        if let Some(helper) = keys.iter().find_map(|k| config.cred_helpers.get(k))
            && let Some(c) = run_helper(helper, registry)
        {
            return Some(c);
        }
        if let Some(entry) = keys.iter().find_map(|k| config.auths.get(k))
            && let Some(c) = from_entry(entry)
        {
            return Some(c);
        }
        if let Some(store) = &config.creds_store
            && let Some(c) = run_helper(store, registry)
        {
            return Some(c);
        }
    }
    None
}

fn from_entry(e: &AuthEntry) -> Option<Credential> {
    if let Some(t) = e.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Some(Credential::IdentityToken(t.to_string()));
    }
    if let Some(a) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD.decode(a.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (u, p) = text.split_once(':')?;
        return Some(Credential::Basic {
            username: u.to_string(),
            password: p.to_string(),
        });
    }
    match (&e.username, &e.password) {
        (Some(u), Some(p)) if !u.is_empty() => Some(Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        }),
        _ => None,
    }
}

fn run_helper(name: &str, registry: &str) -> Option<Credential> {
    #[derive(Deserialize)]
    struct HelperOut {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let mut child = Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(registry.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let h: HelperOut = serde_json::from_slice(&out.stdout).ok()?;
    if h.username == "<token>" {
        Some(Credential::IdentityToken(h.secret))
    } else {
        Some(Credential::Basic {
            username: h.username,
            password: h.secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auth_and_username_password_entries() {
        let e = AuthEntry {
            auth: Some("dXNlcjpwYTpzcw==".into()),
            ..Default::default()
        };
        assert_eq!(
            from_entry(&e),
            Some(Credential::Basic {
                username: "user".into(),
                password: "pa:ss".into()
            })
        );
        let e = AuthEntry {
            username: Some("u".into()),
            password: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(
            from_entry(&e),
            Some(Credential::Basic {
                username: "u".into(),
                password: "p".into()
            })
        );
        assert_eq!(format!("{:?}", from_entry(&e).unwrap()), "Basic(u, ***)");
    }
}
