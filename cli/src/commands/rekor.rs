//! `rekor get`, `rekor search`, `rekor verify` and `rekor loginfo`: the common rekor-cli tasks, with every
//! answer of the log checked against the trusted material (`--rekor-public-key`, `--trusted-root`, or the
//! embedded public-good root), never against a key the log hands out. The checks are in
//! `hsign_core::tlog::{lookup, state}`; this file fetches, maps errors to exit codes and prints.

use std::path::Path;

use serde_json::{Value, json};

use hsign_core::ArtifactDigest;
use hsign_core::digest::digest_reader;
use hsign_core::keys::{HashAlgorithm, PublicKey};
use hsign_core::rfc3339;
use hsign_core::tlog::body::{LoggedVerifier, verifier_from_pem};
use hsign_core::tlog::client::{ClientError, RekorClient};
use hsign_core::tlog::entry::{ApiEntry, uuid_leaf_hash};
use hsign_core::tlog::lookup::{self, EntryRef, LookupError, VerifiedLookup};
use hsign_core::tlog::state::{ConsistencyError, LogState};
use hsign_core::tlog::{TlogError, VerifiedEntry};
use hsign_core::trust::TrustedRoot;

use crate::args::{RekorCommand, RekorEntryArgs, RekorLogArgs, RekorLogInfoArgs, RekorSearchArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;
use crate::progress::Progress;

/// Runs a `rekor` subcommand.
pub fn run(command: &RekorCommand, out: Printer) -> Result<(), CliError> {
    match command {
        RekorCommand::Get(a) => get(a, out),
        RekorCommand::Search(a) => search(a, out),
        RekorCommand::Verify(a) => verify(a, out),
        RekorCommand::LogInfo(a) => log_info(a, out),
    }
}

/// `rekor get`: fetch one entry, check it is the one asked for, verify it, print it.
fn get(args: &RekorEntryArgs, out: Printer) -> Result<(), CliError> {
    let asked = entry_ref(args)?;
    let trust = trusted_root(&args.log)?;
    let client = client(&args.log.rekor_url);
    let found = fetch_verified(&client, &asked, &trust)?;
    if out.json() {
        let mut v = entry_json(&found);
        v["body"] = found.body_json();
        out.json_value(&v);
        return Ok(());
    }
    out.data(&entry_text(&found));
    Ok(())
}

/// `rekor verify`: `get`, then the log's current signed tree head, then the consistency proof between the
/// entry's tree and the current one.
fn verify(args: &RekorEntryArgs, out: Printer) -> Result<(), CliError> {
    let asked = entry_ref(args)?;
    let trust = trusted_root(&args.log)?;
    let client = client(&args.log.rekor_url);
    let found = fetch_verified(&client, &asked, &trust)?;
    // The entry verified, so its log is in the trusted material; the current tree head must be that log's.
    let log = trust.tlog_by_id(&found.entry.entry.log_id).ok_or_else(|| {
        lookup_error(&LookupError::Tlog(TlogError::UnknownLog {
            log_id: hex(&found.entry.entry.log_id),
        }))
    })?;
    let info = client
        .log_info()
        .map_err(|e| client_error("cannot read the log's signed tree head", &e))?;
    let current = LogState::verified(&info, log).map_err(|e| consistency_error(&e, client.url(), None))?;
    let sizes = current
        .proof_for_entry(&found.entry)
        .map_err(|e| consistency_error(&e, client.url(), None))?;
    let proof = match sizes {
        Some((first, second)) => client
            .consistency_proof(first, second)
            .map_err(|e| client_error("cannot fetch the consistency proof", &e))?,
        None => Vec::new(),
    };
    current
        .verify_entry_consistency(&found.entry, &proof)
        .map_err(|e| consistency_error(&e, client.url(), Some(&current)))?;

    let entry_size = found
        .entry
        .entry
        .inclusion_proof
        .as_ref()
        .map_or(0, |p| u64::try_from(p.tree_size).unwrap_or(0));
    let consistency = match sizes {
        Some((first, second)) => format!("consistency proof from tree size {first} to {second} verified"),
        None => "the entry's proof is for the current tree: no consistency proof needed".to_string(),
    };
    if out.json() {
        let mut v = entry_json(&found);
        v["entryTreeSize"] = json!(entry_size);
        v["currentTree"] = json!({
            "treeSize": current.tree_size,
            "rootHash": hex(&current.root_hash),
            "treeID": current.tree_id,
            "origin": current.origin,
        });
        v["consistencyProof"] = match sizes {
            Some((first, second)) => json!({"firstSize": first, "lastSize": second, "verified": true}),
            None => Value::Null,
        };
        v["inCurrentTree"] = json!(true);
        out.json_value(&v);
        return Ok(());
    }
    let mut text = entry_text(&found);
    text.push_str(&format!(
        "Entry tree:      size {entry_size}\nCurrent tree:    size {}, root {} (signed tree head verified)\nConsistency:     {consistency}\n",
        current.tree_size,
        hex(&current.root_hash)
    ));
    out.data(&text);
    out.info(&format!(
        "Verified: entry {} is in the log's current tree of {} entries",
        found.entry.uuid, current.tree_size
    ));
    Ok(())
}

/// `rekor search`: the search index's UUIDs, one per line.
fn search(args: &RekorSearchArgs, out: Printer) -> Result<(), CliError> {
    let query = &args.query;
    let digest = match (&query.sha, &query.artifact) {
        (Some(sha), _) => Some(parse_sha(sha)?),
        (None, Some(path)) => Some(hash_file(path, out.quiet)?),
        (None, None) => None,
    };
    let pem = query.public_key.as_deref().map(read_verifier_pem).transpose()?;
    if digest.is_none() && pem.is_none() {
        return Err(CliError::usage("pass --sha, --artifact or --public-key"));
    }
    let uuids = client(&args.rekor_url)
        .search(&lookup::search_query(digest.as_ref(), pem.as_deref()))
        .map_err(|e| client_error("search failed", &e))?;
    if uuids.is_empty() {
        let what = match (&digest, &query.public_key) {
            (Some(d), Some(k)) => format!("{d} signed with '{}'", k.display()),
            (Some(d), None) => d.to_string(),
            (None, Some(k)) => format!("the key in '{}'", k.display()),
            (None, None) => String::new(),
        };
        return Err(CliError::new(
            Exit::NotFound,
            format!("the log's search index has no entries for {what}"),
        )
        .hint("Rekor's search index is deprecated and may be incomplete: an entry can exist without being indexed"));
    }
    if out.json() {
        out.json_value(&json!(uuids));
    } else {
        out.data(&uuids.join("\n"));
        out.info(&format!(
            "{} entr{} found; search results are unverified: check one with `hsign rekor get --uuid <UUID>`",
            uuids.len(),
            if uuids.len() == 1 { "y" } else { "ies" }
        ));
    }
    Ok(())
}

/// `rekor loginfo`: the log's verified signed tree head; with `--state`, consistency with the saved one.
fn log_info(args: &RekorLogInfoArgs, out: Printer) -> Result<(), CliError> {
    let trust = trusted_root(&args.log)?;
    let client = client(&args.log.rekor_url);
    let info = client
        .log_info()
        .map_err(|e| client_error("cannot read the log's signed tree head", &e))?;
    let (current, log) =
        LogState::verified_by_trusted(&info, &trust).map_err(|e| consistency_error(&e, client.url(), None))?;

    // (the state file, what it held, and how the current tree head relates to it).
    let mut outcome = None;
    if let Some(path) = &args.state {
        let previous = read_state(path)?;
        let status = match &previous {
            None => StateStatus::FirstRun,
            Some(old) => {
                let in_file = |e: &ConsistencyError| state_error(e, client.url(), path, old, &current);
                let sizes = old.proof_to(&current).map_err(|e| in_file(&e))?;
                let proof = match sizes {
                    Some((first, second)) => client
                        .consistency_proof(first, second)
                        .map_err(|e| client_error("cannot fetch the consistency proof", &e))?,
                    None => Vec::new(),
                };
                old.verify_extended_by(&current, &proof).map_err(|e| in_file(&e))?;
                if sizes.is_some() {
                    StateStatus::Consistent
                } else {
                    StateStatus::Unchanged
                }
            }
        };
        fsio::write_atomic(path, current.to_json().as_bytes(), 0o644, true)?;
        outcome = Some((path, status, previous));
    }

    if out.json() {
        let mut v = json!({
            "logUrl": client.url(),
            "trustedLog": log.base_url,
            "treeSize": current.tree_size,
            "rootHash": hex(&current.root_hash),
            "treeID": current.tree_id,
            "origin": current.origin,
            "signedTreeHead": current.checkpoint,
            "verified": true,
        });
        if let Some((path, status, previous)) = &outcome {
            v["state"] = json!({
                "file": path,
                "status": status.name(),
                "previous": previous.as_ref().map(|p| json!({
                    "treeSize": p.tree_size,
                    "rootHash": hex(&p.root_hash),
                })),
            });
        }
        out.json_value(&v);
        return Ok(());
    }
    out.data(&format!(
        "Tree size:  {}\nRoot hash:  {}\nTree ID:    {}\nOrigin:     {}\n",
        current.tree_size,
        hex(&current.root_hash),
        current.tree_id,
        current.origin
    ));
    out.info(&format!(
        "Verified: the signed tree head is signed by the trusted log {}",
        display_log(&log.base_url)
    ));
    if let Some((path, status, previous)) = outcome {
        let path = path.display();
        out.info(&match (status, previous) {
            (StateStatus::Consistent, Some(p)) => format!(
                "Consistent: the log grew from {} to {} entries (consistency proof verified); saved to {path}",
                p.tree_size, current.tree_size
            ),
            (StateStatus::Unchanged, _) => format!("Unchanged since the saved tree head; saved to {path}"),
            _ => format!("No saved tree head yet: saved this one to {path}"),
        });
    }
    Ok(())
}

/// How the log's current tree head relates to the one in the state file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StateStatus {
    /// The file did not exist.
    FirstRun,
    /// The log grew, and the consistency proof verified.
    Consistent,
    /// The same tree head.
    Unchanged,
}

impl StateStatus {
    /// The name in JSON output.
    fn name(self) -> &'static str {
        match self {
            Self::FirstRun => "first run",
            Self::Consistent => "consistent",
            Self::Unchanged => "unchanged",
        }
    }
}

/// The entry the flags name; a malformed UUID is a usage error (nothing is asked of the log).
fn entry_ref(args: &RekorEntryArgs) -> Result<EntryRef, CliError> {
    match (&args.uuid, args.log_index) {
        (Some(u), _) => {
            let u = u.trim();
            if uuid_leaf_hash(u).is_none() {
                return Err(CliError::usage(format!(
                    "--uuid '{u}' is not an entry UUID: expected 64 hex digits, or 80 with the tree id in front"
                )));
            }
            Ok(EntryRef::Uuid(u.to_string()))
        }
        (None, Some(i)) => Ok(EntryRef::Index(i)),
        (None, None) => Err(CliError::usage("pass --uuid or --log-index")),
    }
}

/// Fetches the entry and verifies it is the one asked for and what the log promised about it.
fn fetch_verified(client: &RekorClient, asked: &EntryRef, trust: &TrustedRoot) -> Result<VerifiedLookup, CliError> {
    let answer: ApiEntry = match asked {
        EntryRef::Uuid(u) => client.get_by_uuid(u),
        EntryRef::Index(i) => client.get_by_index(*i),
    }
    .map_err(|e| client_error("transparency log lookup failed", &e))?;
    lookup::verify_lookup(asked, answer, trust).map_err(|e| lookup_error(&e))
}

/// The trusted material the flags name, read as the verifying commands read it.
fn trusted_root(log: &RekorLogArgs) -> Result<TrustedRoot, CliError> {
    super::trust::load_root(
        log.rekor_public_key.as_deref(),
        log.trusted_root.as_deref(),
        log.staging,
        &log.rekor_url,
    )
}

/// A client for `url`, with the shared per-request timeout (`HSIGN_REKOR_TIMEOUT`).
fn client(url: &str) -> RekorClient {
    super::trust::log_client(url)
}

/// A failed request: not found is exit 11, anything else (unreachable, 5xx after the retries, a malformed
/// answer) exit 1.
fn client_error(context: &str, err: &ClientError) -> CliError {
    let exit = match err {
        ClientError::NotFound { .. } => Exit::NotFound,
        _ => Exit::Failure,
    };
    let e = CliError::new(exit, format!("{context}: {err}"));
    match err {
        ClientError::Transport { .. } => {
            e.hint("check --rekor-url; HSIGN_REKOR_TIMEOUT sets the timeout of one request")
        }
        _ => e,
    }
}

/// An entry that is not the one asked for, or does not verify: exit 12.
fn lookup_error(err: &LookupError) -> CliError {
    let e = CliError::new(
        Exit::NoMatchingSignature,
        format!("log entry verification failed: {err}"),
    );
    match err {
        LookupError::Tlog(TlogError::UnknownLog { .. }) => e.hint(
            "the entry's log is not in the trusted material: pass its key with --rekor-public-key (or SIGSTORE_REKOR_PUBLIC_KEY) or a trusted_root.json with --trusted-root",
        ),
        _ => e,
    }
}

/// A tree head that does not verify, or two that are not one log. A fork or rollback of the log at `url` is
/// exit 12 and said loudly, with the log's current signed tree head as evidence; another tree is exit 1
/// (nothing could be checked).
fn consistency_error(err: &ConsistencyError, url: &str, current: Option<&LogState>) -> CliError {
    match err {
        ConsistencyError::Fork { .. } | ConsistencyError::Rollback { .. } => {
            let mut e = CliError::new(
                Exit::NoMatchingSignature,
                format!("LOG FORK DETECTED: the transparency log {url} is not append-only"),
            );
            e.causes.push(err.to_string());
            if let Some(c) = current {
                e.causes.push(format!("the log's current signed tree head: {:?}", c.checkpoint));
            }
            e.hint("keep both signed tree heads as evidence and report this to the log's operator")
        }
        ConsistencyError::OtherTree { .. } => CliError::new(Exit::Failure, err.to_string()),
        ConsistencyError::UnknownLog { .. } => CliError::new(Exit::NoMatchingSignature, err.to_string()).hint(
            "pass the log's key with --rekor-public-key (or SIGSTORE_REKOR_PUBLIC_KEY) or a trusted_root.json with --trusted-root",
        ),
        _ => CliError::new(Exit::NoMatchingSignature, err.to_string()),
    }
}

/// A failed check against the state file: names the file, which is left unchanged.
fn state_error(err: &ConsistencyError, url: &str, path: &Path, old: &LogState, current: &LogState) -> CliError {
    let mut e = consistency_error(err, url, Some(current));
    let at = usize::from(!e.causes.is_empty());
    e.causes.insert(
        at,
        format!(
            "the saved tree head in '{}': size {}, root {}",
            path.display(),
            old.tree_size,
            hex(&old.root_hash)
        ),
    );
    let kept = format!("'{}' was left unchanged", path.display());
    e.hint = Some(match (err, e.hint.take()) {
        (ConsistencyError::OtherTree { .. }, _) => format!(
            "{kept}; a sharded log that started a new tree cannot be checked against the old one: check the old shard separately, or remove the file to start over with the new tree"
        ),
        (_, Some(h)) => format!("{kept}; {h}"),
        (_, None) => kept,
    });
    e
}

/// The saved tree head, or `None` when the file does not exist yet.
fn read_state(path: &Path) -> Result<Option<LogState>, CliError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::io(path, "state file", &e)),
        Ok(_) => {}
    }
    let data = fsio::read_document(path, "state file")?;
    LogState::from_json(&data)
        .map(Some)
        .map_err(|e| CliError::format(path, &e))
}

/// `--sha`: `alg:hex`, or bare hex taken as SHA-256.
fn parse_sha(s: &str) -> Result<ArtifactDigest, CliError> {
    let s = s.trim();
    let text = if s.contains(':') {
        s.to_string()
    } else {
        format!("sha256:{s}")
    };
    ArtifactDigest::parse(&text).ok_or_else(|| {
        CliError::usage(format!(
            "--sha '{s}' is not a digest: expected sha256:<64 hex digits> (or sha384:, sha512:)"
        ))
    })
}

/// SHA-256 of a file, streamed.
fn hash_file(path: &Path, quiet: bool) -> Result<ArtifactDigest, CliError> {
    let (file, len) = fsio::open(path, "artifact")?;
    let name = path.display().to_string();
    let mut progress = Progress::new(&name, Some(len), quiet);
    let digests = digest_reader(file, &[HashAlgorithm::Sha256], |n| progress.update(n))
        .map_err(|e| CliError::io(path, "cannot read artifact", &e))?;
    progress.finish();
    digests
        .into_iter()
        .next()
        .ok_or_else(|| CliError::new(Exit::Failure, format!("hashing '{name}' gave no digest")))
}

/// `--public-key`: a public key (PEM or DER, sent as PEM) or a PEM certificate (sent as it is).
fn read_verifier_pem(path: &Path) -> Result<Vec<u8>, CliError> {
    let data = fsio::read_document(path, "public key file")?;
    match PublicKey::from_pem_or_der(&data) {
        Ok(key) => Ok(key.to_pem().into_bytes()),
        Err(key_err) => match verifier_from_pem(&data) {
            Ok(LoggedVerifier::Certificate(_)) => Ok(data),
            _ => Err(CliError::key(path, &key_err)),
        },
    }
}

/// What was verified, for people: `SET, inclusion proof, checkpoint`.
fn verified_text(v: &VerifiedEntry) -> String {
    let mut parts = Vec::new();
    if v.set_verified {
        parts.push("SET");
    }
    if v.proof_verified {
        parts.extend(["inclusion proof", "checkpoint"]);
    }
    parts.join(", ")
}

/// An entry for people.
fn entry_text(found: &VerifiedLookup) -> String {
    let entry = &found.entry.entry;
    let summary = &found.summary;
    let mut text = format!(
        "UUID:            {}\nLog index:       {}\n",
        found.entry.uuid, entry.log_index
    );
    if let Some(t) = found.verified.integrated_time {
        text.push_str(&format!("Integrated time: {}\n", rfc3339::format(t)));
    }
    text.push_str(&format!("Kind:            {} {}\n", summary.kind, summary.version));
    match (summary.recorded_digest(), &summary.body) {
        (Some((name, digest)), _) => {
            let label = if name == "digest" { "Digest:" } else { "Payload hash:" };
            text.push_str(&format!("{label:<17}{digest}\n"));
        }
        (None, Err(e)) => text.push_str(&format!("Body:            not read ({e})\n")),
        (None, Ok(_)) => {}
    }
    for signer in summary.signers() {
        text.push_str(&format!("Signer:          {signer}\n"));
    }
    text.push_str(&format!(
        "Log:             {} (log id {})\n",
        display_log(&found.verified.log_url),
        hex(&entry.log_id)
    ));
    text.push_str(&format!("Verified:        {}\n", verified_text(&found.verified)));
    text
}

/// An entry as JSON (without its body).
fn entry_json(found: &VerifiedLookup) -> Value {
    let entry = &found.entry.entry;
    let summary = &found.summary;
    let mut v = json!({
        "uuid": found.entry.uuid,
        "logIndex": entry.log_index,
        "integratedTime": found.verified.integrated_time.map(rfc3339::format),
        "kind": summary.kind,
        "apiVersion": summary.version,
        "signers": summary.signers().iter().map(|s| json!({
            "certificate": s.certificate,
            "keyFingerprint": s.key_fingerprint,
        })).collect::<Vec<_>>(),
        "logId": hex(&entry.log_id),
        "logUrl": found.verified.log_url,
        "verified": {
            "signedEntryTimestamp": found.verified.set_verified,
            "inclusionProof": found.verified.proof_verified,
            "checkpoint": found.verified.proof_verified,
        },
    });
    if let Some((name, digest)) = summary.recorded_digest() {
        v[name] = json!(digest.to_string());
    }
    if let Err(e) = &summary.body {
        v["bodyError"] = json!(e.to_string());
    }
    if let Some(p) = &entry.inclusion_proof {
        v["inclusionProof"] = json!({
            "logIndex": p.log_index,
            "treeSize": p.tree_size,
            "rootHash": hex(&p.root_hash),
        });
    }
    v
}

/// A trusted log's URL, or a note when the trusted material gives none (a bare `--rekor-public-key` does).
fn display_log(url: &str) -> &str {
    if url.is_empty() {
        "(no URL in the trusted material)"
    } else {
        url
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::args::{Cli, Command};

    fn parse(args: &[&str]) -> Result<RekorCommand, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("hsign").chain(args.iter().copied()))?;
        let Command::Rekor(c) = cli.command else {
            panic!("not a rekor command")
        };
        Ok(c)
    }

    #[test]
    fn get_and_verify_take_exactly_one_of_uuid_and_log_index() {
        let RekorCommand::Get(a) = parse(&["rekor", "get", "--log-index", "7"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.log_index, Some(7));
        assert_eq!(a.log.rekor_url, "https://rekor.sigstore.dev");
        assert_eq!(entry_ref(&a).unwrap(), EntryRef::Index(7));
        let RekorCommand::Verify(a) = parse(&["rekor", "verify", "--uuid", &"ab".repeat(32)]).unwrap() else {
            panic!()
        };
        assert!(matches!(entry_ref(&a).unwrap(), EntryRef::Uuid(_)));
        assert!(parse(&["rekor", "get"]).is_err());
        assert!(parse(&["rekor", "get", "--uuid", "ab", "--log-index", "1"]).is_err());
        assert!(parse(&["rekor", "get", "--log-index", "-1"]).is_err());
        // A malformed UUID is refused before asking the log.
        let RekorCommand::Get(a) = parse(&["rekor", "get", "--uuid", "xyz"]).unwrap() else {
            panic!()
        };
        assert_eq!(entry_ref(&a).unwrap_err().exit, Exit::Usage);
    }

    #[test]
    fn trust_flags_exclude_each_other_and_name_the_files_they_read() {
        let RekorCommand::LogInfo(a) = parse(&[
            "rekor",
            "loginfo",
            "--rekor-url",
            "http://127.0.0.1:1",
            "--rekor-public-key",
            "k.pub",
            "--state",
            "s.json",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(a.state.as_deref(), Some(Path::new("s.json")));
        assert_eq!(a.log.rekor_url, "http://127.0.0.1:1");
        assert_eq!(a.log.rekor_public_key.as_deref(), Some(Path::new("k.pub")));
        // A key file that is not there is named, with nothing asked of the log.
        let e = trusted_root(&a.log).unwrap_err();
        assert!(e.message.contains("k.pub"), "{}", e.message);
        assert!(parse(&["rekor", "loginfo", "--rekor-public-key", "k", "--trusted-root", "r"]).is_err());
        assert!(matches!(
            parse(&["rekor", "log-info"]).unwrap(),
            RekorCommand::LogInfo(_)
        ));
    }

    #[test]
    fn search_needs_a_query_and_takes_one_digest_source() {
        assert!(parse(&["rekor", "search"]).is_err());
        assert!(parse(&["rekor", "search", "--sha", "x", "--artifact", "f"]).is_err());
        let RekorCommand::Search(a) = parse(&["rekor", "search", "--artifact", "f", "--public-key", "k"]).unwrap()
        else {
            panic!()
        };
        assert!(a.query.artifact.is_some() && a.query.public_key.is_some());
        assert!(parse(&["rekor", "search", "--rekor-url", "http://x"]).is_err());
        let hex64 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(parse_sha(hex64).unwrap().to_string(), format!("sha256:{hex64}"));
        assert_eq!(
            parse_sha(&format!("sha256:{hex64}")).unwrap().to_string(),
            format!("sha256:{hex64}")
        );
        assert_eq!(parse_sha("sha256:abc").unwrap_err().exit, Exit::Usage);
        assert_eq!(parse_sha("md5:00").unwrap_err().exit, Exit::Usage);
    }

    #[test]
    fn forks_are_exit_12_and_other_trees_exit_1() {
        let fork = ConsistencyError::Rollback {
            old_size: 5,
            new_size: 4,
        };
        let e = consistency_error(&fork, "https://log", None);
        assert_eq!(e.exit, Exit::NoMatchingSignature);
        assert!(e.message.starts_with("LOG FORK DETECTED"), "{}", e.message);
        assert!(e.causes[0].contains("shrank from 5 to 4"), "{:?}", e.causes);
        let other = ConsistencyError::OtherTree {
            what: "tree id",
            old: "1".into(),
            new: "2".into(),
        };
        assert_eq!(consistency_error(&other, "https://log", None).exit, Exit::Failure);
        let not_found = ClientError::NotFound {
            url: "u".into(),
            what: "w".into(),
        };
        assert_eq!(client_error("x", &not_found).exit, Exit::NotFound);
    }
}
