//! A Rekor v1 REST client: upload an entry, look entries up by UUID, index, proposed entry or search
//! index, read the log's signed tree head and consistency proofs. Transient failures (transport errors,
//! 408, 429, 5xx) are retried a bounded number of times with backoff; every answer is size-limited.

use std::time::Duration;

use serde_json::{Value, json};

use super::entry::ApiEntry;
use crate::error::FormatError;

/// Public-good Rekor.
pub const PUBLIC_GOOD_URL: &str = "https://rekor.sigstore.dev";

/// Attempts per request (one try and up to three retries).
const ATTEMPTS: u32 = 4;
/// Largest answer read.
const MAX_ANSWER: u64 = 32 * 1024 * 1024;

/// A log request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The log could not be reached, or the connection failed or timed out.
    #[error("transparency log {url}: {reason} (after {attempts} attempts)")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The log answered with an error status.
    #[error("transparency log {url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The log's message.
        message: String,
    },
    /// The answer is not what the API specifies.
    #[error("transparency log {url} sent a malformed answer: {error}")]
    Malformed {
        /// The URL.
        url: String,
        /// What is wrong.
        error: FormatError,
    },
    /// The entry asked for does not exist.
    #[error("transparency log {url}: no such entry ({what})")]
    NotFound {
        /// The URL.
        url: String,
        /// What was looked up.
        what: String,
    },
}

/// The log's current state (`GET /api/v1/log`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogInfo {
    /// The root hash of the active tree.
    pub root_hash: Vec<u8>,
    /// The size of the active tree.
    pub tree_size: u64,
    /// The signed checkpoint of the active tree.
    pub signed_tree_head: String,
    /// The active tree's id.
    pub tree_id: String,
}

/// A Rekor v1 client for one log.
#[derive(Clone, Debug)]
pub struct RekorClient {
    base: String,
    agent: ureq::Agent,
    retry_delay: Duration,
}

use crate::http::{self, Answer};

impl RekorClient {
    /// A client for the log at `base_url` (`https://rekor.sigstore.dev`), with a per-request `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_string(),
            agent: http::agent(timeout),
            retry_delay: Duration::from_millis(250),
        }
    }

    /// The log's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, ClientError> {
        let url = format!("{}{path}", self.base);
        let payload = body.filter(|_| method == "POST").map(|b| b.to_string());
        let exchange = http::Exchange {
            url: &url,
            headers: &http::JSON,
            body: payload.as_deref().map(str::as_bytes),
            limit: MAX_ANSWER,
        };
        http::send(&self.agent, &exchange, ATTEMPTS, self.retry_delay).map_err(|reason| ClientError::Transport {
            url: url.clone(),
            reason,
            attempts: ATTEMPTS,
        })
    }

    fn json(&self, answer: &Answer, what: &str) -> Result<Value, ClientError> {
        serde_json::from_slice(&answer.body).map_err(|e| ClientError::Malformed {
            url: self.base.clone(),
            error: FormatError::new("Rekor answer", what, format!("not valid JSON: {e}")),
        })
    }

    fn status_error(&self, answer: &Answer) -> ClientError {
        ClientError::Status {
            url: self.base.clone(),
            status: answer.status,
            message: http::message(&answer.body),
        }
    }

    fn entries(&self, answer: &Answer, what: &str) -> Result<Vec<ApiEntry>, ClientError> {
        let v = self.json(answer, what)?;
        ApiEntry::from_map(v).map_err(|error| ClientError::Malformed {
            url: self.base.clone(),
            error,
        })
    }

    /// Uploads a proposed entry and returns the logged entry. When the log already holds an identical
    /// entry (409), that entry is fetched and returned.
    pub fn create_entry(&self, proposed: &Value) -> Result<ApiEntry, ClientError> {
        let answer = self.request("POST", "/api/v1/log/entries", Some(proposed))?;
        match answer.status {
            201 | 200 => self.single(&answer, "created entry"),
            409 => {
                let uuid = answer
                    .location
                    .as_deref()
                    .and_then(|l| l.rsplit('/').next())
                    .map(str::to_string)
                    .ok_or_else(|| self.status_error(&answer))?;
                self.get_by_uuid(&uuid)
            }
            _ => Err(self.status_error(&answer)),
        }
    }

    fn single(&self, answer: &Answer, what: &str) -> Result<ApiEntry, ClientError> {
        let mut entries = self.entries(answer, what)?;
        if entries.len() != 1 {
            return Err(ClientError::Malformed {
                url: self.base.clone(),
                error: FormatError::new(
                    "Rekor answer",
                    what,
                    format!("holds {} entries, expected 1", entries.len()),
                ),
            });
        }
        Ok(entries.remove(0))
    }

    /// The entry with this UUID (64 or 80 hex digits).
    pub fn get_by_uuid(&self, uuid: &str) -> Result<ApiEntry, ClientError> {
        if super::entry::uuid_leaf_hash(uuid).is_none() {
            return Err(ClientError::NotFound {
                url: self.base.clone(),
                what: format!("'{uuid}' is not a 64 or 80 hex digit entry UUID"),
            });
        }
        let answer = self.request("GET", &format!("/api/v1/log/entries/{uuid}"), None)?;
        match answer.status {
            200 => self.single(&answer, "entry"),
            404 => Err(ClientError::NotFound {
                url: self.base.clone(),
                what: format!("UUID {uuid}"),
            }),
            _ => Err(self.status_error(&answer)),
        }
    }

    /// The entry at this global log index.
    pub fn get_by_index(&self, index: u64) -> Result<ApiEntry, ClientError> {
        let answer = self.request("GET", &format!("/api/v1/log/entries?logIndex={index}"), None)?;
        match answer.status {
            200 => self.single(&answer, "entry"),
            404 => Err(ClientError::NotFound {
                url: self.base.clone(),
                what: format!("log index {index}"),
            }),
            _ => Err(self.status_error(&answer)),
        }
    }

    /// The logged entries equal to these proposed entries (`POST /api/v1/log/entries/retrieve`), as cosign
    /// looks up a signature that carries no log bundle.
    pub fn retrieve(&self, proposed: &[Value]) -> Result<Vec<ApiEntry>, ClientError> {
        let answer = self.request(
            "POST",
            "/api/v1/log/entries/retrieve",
            Some(&json!({ "entries": proposed })),
        )?;
        if answer.status != 200 {
            return Err(self.status_error(&answer));
        }
        let v = self.json(&answer, "retrieve")?;
        let Value::Array(items) = v else {
            return Err(ClientError::Malformed {
                url: self.base.clone(),
                error: FormatError::new("Rekor answer", "retrieve", "is not a JSON array"),
            });
        };
        let mut out = Vec::new();
        for item in items {
            out.extend(ApiEntry::from_map(item).map_err(|error| ClientError::Malformed {
                url: self.base.clone(),
                error,
            })?);
        }
        Ok(out)
    }

    /// UUIDs from the search index (`POST /api/v1/index/retrieve`) for `query` (`{"hash": "sha256:..."}` or
    /// `{"publicKey": {...}}`).
    pub fn search(&self, query: &Value) -> Result<Vec<String>, ClientError> {
        let answer = self.request("POST", "/api/v1/index/retrieve", Some(query))?;
        if answer.status != 200 {
            return Err(self.status_error(&answer));
        }
        serde_json::from_slice::<Vec<String>>(&answer.body).map_err(|e| ClientError::Malformed {
            url: self.base.clone(),
            error: FormatError::new("Rekor answer", "index", format!("is not a list of UUIDs: {e}")),
        })
    }

    /// The log's current signed tree head.
    pub fn log_info(&self) -> Result<LogInfo, ClientError> {
        let answer = self.request("GET", "/api/v1/log", None)?;
        if answer.status != 200 {
            return Err(self.status_error(&answer));
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            root_hash: String,
            tree_size: u64,
            signed_tree_head: String,
            #[serde(rename = "treeID")]
            tree_id: String,
        }
        let raw: Raw = serde_json::from_slice(&answer.body).map_err(|e| ClientError::Malformed {
            url: self.base.clone(),
            error: FormatError::json("Rekor log info", &e),
        })?;
        Ok(LogInfo {
            root_hash: crate::encoding::from_hex(&raw.root_hash).ok_or_else(|| ClientError::Malformed {
                url: self.base.clone(),
                error: FormatError::new("Rekor log info", "rootHash", "is not hex"),
            })?,
            tree_size: raw.tree_size,
            signed_tree_head: raw.signed_tree_head,
            tree_id: raw.tree_id,
        })
    }

    /// The consistency proof hashes from tree size `first` to `last` of the active tree.
    pub fn consistency_proof(&self, first: u64, last: u64) -> Result<Vec<Vec<u8>>, ClientError> {
        let answer = self.request(
            "GET",
            &format!("/api/v1/log/proof?firstSize={first}&lastSize={last}"),
            None,
        )?;
        if answer.status != 200 {
            return Err(self.status_error(&answer));
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            hashes: Vec<String>,
        }
        let raw: Raw = serde_json::from_slice(&answer.body).map_err(|e| ClientError::Malformed {
            url: self.base.clone(),
            error: FormatError::json("Rekor consistency proof", &e),
        })?;
        raw.hashes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                crate::encoding::from_hex(h).ok_or_else(|| ClientError::Malformed {
                    url: self.base.clone(),
                    error: FormatError::new("Rekor consistency proof", format!("hashes[{i}]"), "is not hex"),
                })
            })
            .collect()
    }

    /// The log's public key (PEM).
    pub fn public_key_pem(&self) -> Result<Vec<u8>, ClientError> {
        let answer = self.request("GET", "/api/v1/log/publicKey", None)?;
        if answer.status != 200 {
            return Err(self.status_error(&answer));
        }
        Ok(answer.body)
    }
}
