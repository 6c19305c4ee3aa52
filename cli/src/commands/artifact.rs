//! The artifact argument: a file, `-` for standard input, or `sha256:<hex>` when no such file exists
//! (as cosign accepts). Files are streamed through the hashes the verification needs, in one pass.

use std::io::Read;
use std::path::PathBuf;

use hsign_core::ArtifactDigest;
use hsign_core::digest::digest_reader;
use hsign_core::keys::HashAlgorithm;
use hsign_core::verify::Artifact;

use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::progress::Progress;

/// Files up to this size are read into memory rather than streamed.
const SMALL_FILE: u64 = 1 << 20;

/// Where an artifact comes from.
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
    /// Only its digest.
    Digest(ArtifactDigest),
}

impl Source {
    /// Interprets the positional argument.
    pub fn resolve(arg: &str) -> Result<Self, CliError> {
        if arg == "-" {
            return Ok(Self::Stdin);
        }
        let path = PathBuf::from(arg);
        if path.exists() {
            return Ok(Self::File(path));
        }
        if let Some(d) = ArtifactDigest::parse(arg) {
            return Ok(Self::Digest(d));
        }
        if arg.contains(':') && !arg.contains('/') {
            return Err(CliError::new(
                Exit::Input,
                format!("'{arg}' is neither a file nor a digest of the form sha256:<64 hex digits>"),
            ));
        }
        Err(CliError::new(Exit::Failure, format!("artifact '{arg}': no such file")))
    }

    /// Interprets the argument of a command that reads the artifact itself (signing): a file or `-`, never a
    /// bare digest.
    pub fn resolve_input(arg: &str) -> Result<Self, CliError> {
        match Self::resolve(arg)? {
            Self::Digest(_) => Err(CliError::new(Exit::Failure, format!("artifact '{arg}': no such file"))),
            source => Ok(source),
        }
    }

    /// A name for messages.
    pub fn name(&self) -> String {
        match self {
            Self::Stdin => "standard input".into(),
            Self::File(p) => p.display().to_string(),
            Self::Digest(d) => d.to_string(),
        }
    }

    /// Streams the artifact through `algorithms` (or reads it whole when `whole` is set, for Ed25519, or when
    /// the file is small).
    pub fn load(&self, algorithms: &[HashAlgorithm], whole: bool, quiet: bool) -> Result<Artifact, CliError> {
        let (reader, size): (Box<dyn Read>, Option<u64>) = match self {
            Self::Digest(d) => {
                if whole {
                    return Err(CliError::new(
                        Exit::Input,
                        "an Ed25519 signature covers the whole file, so a digest alone cannot be verified",
                    ));
                }
                if !algorithms.contains(&d.algorithm) {
                    let needed: Vec<_> = algorithms.iter().map(|a| a.name()).collect();
                    return Err(CliError::new(
                        Exit::Input,
                        format!(
                            "the signature needs a {} digest, but a {} digest was given",
                            needed.join(" or "),
                            d.algorithm.name()
                        ),
                    ));
                }
                return Ok(Artifact::Digests(vec![d.clone()]));
            }
            Self::Stdin => (Box::new(std::io::stdin().lock()), None),
            Self::File(p) => {
                let (f, len) = fsio::open(p, "artifact")?;
                (Box::new(f), Some(len))
            }
        };
        let read_err = |e: std::io::Error| CliError::new(Exit::Failure, format!("reading {}: {e}", self.name()));
        // A small file is read whole: the verifier then checks ECDSA signatures over the message, which is
        // several times faster than over a digest.
        if whole || size.is_some_and(|n| n <= SMALL_FILE) {
            let mut buf = Vec::new();
            let mut reader = reader;
            reader.read_to_end(&mut buf).map_err(read_err)?;
            return Ok(Artifact::Bytes(buf));
        }
        let mut progress = Progress::new(&self.name(), size, quiet);
        let digests = digest_reader(reader, algorithms, |n| progress.update(n)).map_err(read_err)?;
        progress.finish();
        Ok(Artifact::Digests(digests))
    }
}
