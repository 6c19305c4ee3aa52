//! Command-line arguments: clap definitions only (strings and paths, no I/O). Each flag's help sits with it;
//! flag names follow cosign's where cosign has the same flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// hsign: sign and verify container images and release artifacts, compatible with cosign.
#[derive(Debug, Parser)]
#[command(name = "hsign", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format: human-readable text, or one JSON document on stdout.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,
    /// No progress bar and no informational messages on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable text.
    Text,
    /// JSON on stdout.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an ECDSA P-256 key pair: PREFIX.key (encrypted, mode 0600) and PREFIX.pub.
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Encrypt an existing PEM or DER private key (PKCS#1, SEC1, PKCS#8) into cosign's format.
    ImportKeyPair(ImportKeyPairArgs),
    /// Print the public key of a private key (encrypted cosign key, or unencrypted PEM/DER).
    PublicKey(PublicKeyArgs),
    /// Sign a file (streamed, any size) and write a Sigstore bundle and/or the base64 signature.
    SignBlob(SignBlobArgs),
    /// Verify a file, or a `sha256:<hex>` digest, against a bundle or signature and a public key.
    VerifyBlob(VerifyBlobArgs),
    /// Verify an in-toto attestation (DSSE envelope or bundle) of a file with a public key.
    VerifyBlobAttestation(VerifyBlobAttestationArgs),
    /// Sign container images in their registry (a bundle referrer by default, `--legacy` for `.sig` tags).
    Sign(SignArgs),
    /// Verify the signatures of container images (both formats) with a public key.
    Verify(VerifyArgs),
    /// List what is attached to an image: signatures, attestations, SBOMs, referrers.
    Tree(ImageArgs),
    /// Print what is attached to an image.
    #[command(subcommand)]
    Download(DownloadCommand),
    /// Print where the signatures (or other attachments) of an image are stored.
    Triangulate(TriangulateArgs),
    /// Attest images: sign an in-toto statement with a predicate (SBOM, provenance, VEX, ...) about them.
    Attest(AttestArgs),
    /// Verify the attestations of images, optionally against a predicate policy file.
    VerifyAttestation(VerifyAttestationArgs),
    /// Attest a file: a DSSE envelope (and/or bundle) of an in-toto statement about it.
    AttestBlob(AttestBlobArgs),
    /// Attach documents to an image.
    #[command(subcommand)]
    Attach(AttachCommand),
    /// Look up and verify entries of a Rekor transparency log.
    #[command(subcommand)]
    Rekor(RekorCommand),
    /// Refresh the public-good trusted root through TUF into the local cache that verification then uses.
    Initialize(InitializeArgs),
    /// Copy an image with its signatures, attestations and SBOMs (both formats) to another repository.
    Copy(CopyArgs),
    /// Save an image with everything attached to it into an OCI image layout directory.
    Save(SaveArgs),
    /// Push an OCI image layout written by `save` (image and attachments) to a repository.
    Load(LoadArgs),
}

/// Which attachments `copy`, `save` and `load` carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Attachment {
    /// Signatures: `.sig` tags and signature bundles among the referrers.
    Sig,
    /// Attestations: `.att` tags and attestation bundles among the referrers.
    Att,
    /// SBOMs attached with `attach sbom` (`.sbom` tags).
    Sbom,
}

/// `copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Carry only these attachments (comma-separated); everything attached when omitted.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub only: Vec<Attachment>,
    /// Move a destination tag that already points to another digest.
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image to copy (a tag or a digest).
    #[arg(value_name = "SRC")]
    pub source: String,
    /// The destination repository, optionally with a tag (`registry/repo[:tag]`).
    #[arg(value_name = "DST")]
    pub destination: String,
}

/// `save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The OCI image layout directory to write (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Carry only these attachments (comma-separated); everything attached when omitted.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub only: Vec<Attachment>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image to save (a tag or a digest).
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// `load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The OCI image layout directory written by `save`.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Move a destination tag that already points to another digest.
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The destination repository, optionally with a tag (`registry/repo[:tag]`).
    #[arg(value_name = "DST")]
    pub destination: String,
}

/// `attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The private key: a cosign encrypted key, or an unencrypted PEM/DER key. Without it, sign keyless.
    #[arg(short, long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessSignArgs,
    /// The predicate file (JSON; raw text for `custom` and tag-value `spdx`).
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// The predicate type: a cosign shortcut (slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, openvex, vuln, link, custom) or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// With --legacy: replace earlier attestations of the same predicate type.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub tlog: TlogUploadArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Images to attest.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `verify-attestation`.
#[derive(Debug, Args)]
pub struct VerifyAttestationArgs {
    /// The public key (PEM or DER); or verify keyless with --certificate-identity and --certificate-oidc-issuer.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"])]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Only attestations of this predicate type (shortcut or URI); all types when omitted.
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: Option<String>,
    /// A predicate policy (YAML or JSON): required types and field conditions.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Images to verify.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `attest-blob`.
#[derive(Debug, Args)]
pub struct AttestBlobArgs {
    /// The private key: a cosign encrypted key, or an unencrypted PEM/DER key. Without it, sign keyless.
    #[arg(short, long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessSignArgs,
    /// The predicate file.
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// The predicate type (shortcut or URI).
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// Write the DSSE envelope here (printed on stdout when neither this nor --bundle is given).
    #[arg(long, value_name = "FILE")]
    pub output_signature: Option<PathBuf>,
    /// Write a Sigstore bundle (v0.3) holding the envelope here.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub tlog: TlogUploadArgs,
    /// The file the attestation is about (streamed).
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// `attach`.
#[derive(Debug, Subcommand)]
pub enum AttachCommand {
    /// Attach an SBOM as the `sha256-<hex>.sbom` tag (unsigned; attest it to sign it).
    Sbom(AttachSbomArgs),
}

/// `attach sbom`.
#[derive(Debug, Args)]
pub struct AttachSbomArgs {
    /// The SBOM document.
    #[arg(long, value_name = "FILE")]
    pub sbom: PathBuf,
    /// Its kind.
    #[arg(long = "type", value_parser = ["spdx", "cyclonedx", "syft"], default_value = "spdx")]
    pub kind: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// Which of cosign's storage formats to write.
#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArgs {
    /// Write cosign's legacy format (`.sig`/`.att` tags) instead of a bundle referrer.
    #[arg(long, conflicts_with = "new_bundle_format")]
    pub legacy: bool,
    /// cosign's spelling: `--new-bundle-format=false` is `--legacy`.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub new_bundle_format: Option<bool>,
}

impl FormatArgs {
    /// True when the legacy format was asked for, in either spelling.
    pub fn is_legacy(&self) -> bool {
        self.legacy || self.new_bundle_format == Some(false)
    }
}

/// Keyless signing: without --key, an ephemeral key is certified by Fulcio for the OIDC identity of a token.
#[derive(Debug, Args, Clone)]
pub struct KeylessSignArgs {
    /// The OIDC identity token, or a file holding it (else SIGSTORE_ID_TOKEN, else the GitHub Actions token).
    #[arg(long, value_name = "TOKEN|FILE", conflicts_with = "key")]
    pub identity_token: Option<String>,
    /// The Fulcio certificate authority.
    #[arg(long, value_name = "URL", default_value = "https://fulcio.sigstore.dev")]
    pub fulcio_url: String,
}

/// Transparency-log upload flags of the signing commands.
#[derive(Debug, Args, Clone)]
pub struct TlogUploadArgs {
    /// The Rekor transparency log to record signatures in.
    #[arg(long, value_name = "URL", default_value = "https://rekor.sigstore.dev")]
    pub rekor_url: String,
    /// Record the signature in the transparency log (`--tlog-upload=false` to skip; verifiers then need
    /// --insecure-ignore-tlog).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value_t = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub tlog_upload: bool,
    /// An RFC 3161 timestamping authority (e.g. https://timestamp.sigstore.dev/api/v1/timestamp): the
    /// signature is timestamped and the timestamp stored in the bundle.
    #[arg(long, value_name = "URL")]
    pub timestamp_server_url: Option<String>,
    /// A Sigstore signing_config.json (v0.2): the Fulcio, Rekor and timestamp authority to use, for each the
    /// first valid now; flags given explicitly win.
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
}

/// Trusted material and transparency-log flags of the verifying commands.
#[derive(Debug, Args, Clone)]
pub struct TrustArgs {
    /// Do not require or check a transparency log entry. Unsafe: a signature made any time with the key
    /// verifies.
    #[arg(long)]
    pub insecure_ignore_tlog: bool,
    /// The transparency log's public key (PEM): entries must be from this log (instead of the trusted root's).
    #[arg(
        long,
        value_name = "FILE",
        env = "SIGSTORE_REKOR_PUBLIC_KEY",
        conflicts_with = "trusted_root"
    )]
    pub rekor_public_key: Option<PathBuf>,
    /// A Sigstore trusted_root.json: the logs (and authorities) to trust. No network is needed for it.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The Rekor log to look up signatures in that carry no log entry (legacy `.sig` without a bundle
    /// annotation).
    #[arg(long, value_name = "URL", default_value = "https://rekor.sigstore.dev")]
    pub rekor_url: String,
    /// Never contact the transparency log: signatures without an embedded entry fail instead of being
    /// looked up.
    #[arg(long)]
    pub offline: bool,
    /// Trust the public-good staging instance (its trusted root is built in) instead of production.
    #[arg(long, conflicts_with_all = ["trusted_root", "rekor_public_key"])]
    pub staging: bool,
}

/// Keyless verification: who the signing certificate must name. cosign's flags; regular expressions here must
/// match the WHOLE value (cosign's match anywhere in it).
#[derive(Debug, Args, Clone, Default)]
pub struct IdentityArgs {
    /// The identity the certificate must name (SAN email address or URI), exactly.
    #[arg(long, value_name = "ID", conflicts_with_all = ["certificate_identity_regexp", "key"])]
    pub certificate_identity: Option<String>,
    /// A regular expression the whole identity must match (anchored, unlike cosign).
    #[arg(long, value_name = "REGEX", conflicts_with = "key")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the certificate must name, exactly (e.g. https://token.actions.githubusercontent.com).
    #[arg(long, value_name = "URL", conflicts_with = "certificate_oidc_issuer_regexp")]
    pub certificate_oidc_issuer: Option<String>,
    /// A regular expression the whole OIDC issuer must match.
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// The GitHub workflow trigger the certificate must name (e.g. push).
    #[arg(long, value_name = "EVENT")]
    pub certificate_github_workflow_trigger: Option<String>,
    /// The commit SHA the certificate must name.
    #[arg(long, value_name = "SHA")]
    pub certificate_github_workflow_sha: Option<String>,
    /// The workflow name the certificate must name.
    #[arg(long, value_name = "NAME")]
    pub certificate_github_workflow_name: Option<String>,
    /// The repository (owner/name) the certificate must name.
    #[arg(long, value_name = "REPO")]
    pub certificate_github_workflow_repository: Option<String>,
    /// The git ref the certificate must name (e.g. refs/heads/main).
    #[arg(long, value_name = "REF")]
    pub certificate_github_workflow_ref: Option<String>,
    /// Do not require a certificate transparency SCT in the certificate (private CAs without a CT log).
    #[arg(long)]
    pub insecure_ignore_sct: bool,
}

/// Registry access flags.
#[derive(Debug, Args, Clone, Copy)]
pub struct RegistryArgs {
    /// Talk plain HTTP to registries (needed for local test registries; never for production).
    #[arg(long)]
    pub allow_http_registry: bool,
    /// Skip TLS verification, and fall back to plain HTTP when a registry does not speak TLS.
    #[arg(long)]
    pub allow_insecure_registry: bool,
}

/// `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The private key: a cosign encrypted key, or an unencrypted PEM/DER key. Without it, sign keyless.
    #[arg(short, long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessSignArgs,
    /// Signed annotation `key=value` (repeatable).
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// For an image index, also sign every platform manifest it lists.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub tlog: TlogUploadArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Images to sign (`registry/repository:tag` or `@sha256:...`).
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The public key (PEM or DER); or verify keyless with --certificate-identity and --certificate-oidc-issuer.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp", "policy"])]
    pub key: Option<PathBuf>,
    /// A deploy policy (YAML or JSON): per image pattern, who must have signed and which attestations must
    /// exist. Replaces --key, the identity flags and -a.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "key", "certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer",
        "certificate_oidc_issuer_regexp", "certificate_github_workflow_trigger", "certificate_github_workflow_sha",
        "certificate_github_workflow_name", "certificate_github_workflow_repository",
        "certificate_github_workflow_ref", "annotations",
    ])]
    pub policy: Option<PathBuf>,
    /// With --policy: let images that match no rule pass (they are rejected by default).
    #[arg(long, requires = "policy")]
    pub allow_unmatched: bool,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Require the signed annotation `key=value` (repeatable).
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Images to verify; verified concurrently.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// Commands that take one image.
#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// `download`.
#[derive(Debug, Subcommand)]
pub enum DownloadCommand {
    /// Print every signature of an image, one JSON document per line (bundles as stored).
    Signature(ImageArgs),
    /// Print the SBOM attached with `attach sbom`.
    Sbom(ImageArgs),
    /// Print every attestation of an image (DSSE envelopes, one JSON document per line).
    Attestation(ImageArgs),
}

/// `triangulate`.
#[derive(Debug, Args)]
pub struct TriangulateArgs {
    /// What to locate.
    #[arg(long = "type", value_enum, default_value_t = AttachmentKind::Signature)]
    pub kind: AttachmentKind,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// An attachment kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AttachmentKind {
    /// The legacy signature tag (`.sig`).
    Signature,
    /// The legacy attestation tag (`.att`).
    Attestation,
    /// The legacy SBOM tag (`.sbom`).
    Sbom,
    /// The referrers fallback tag (`sha256-<hex>`).
    Referrers,
    /// The image digest.
    Digest,
}

/// `generate-key-pair`.
#[derive(Debug, Args)]
pub struct GenerateKeyPairArgs {
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub output_key_prefix: PathBuf,
    /// Overwrite existing key files.
    #[arg(short, long)]
    pub force: bool,
}

/// `import-key-pair`.
#[derive(Debug, Args)]
pub struct ImportKeyPairArgs {
    /// The unencrypted private key to import (PEM or DER).
    #[arg(short, long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "import-cosign")]
    pub output_key_prefix: PathBuf,
    /// Overwrite existing key files.
    #[arg(short, long)]
    pub force: bool,
}

/// `public-key`.
#[derive(Debug, Args)]
pub struct PublicKeyArgs {
    /// The private key (encrypted cosign key, or unencrypted PEM/DER).
    #[arg(short, long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write the PEM to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub outfile: Option<PathBuf>,
}

/// `sign-blob`.
#[derive(Debug, Args)]
pub struct SignBlobArgs {
    /// The private key: a cosign encrypted key, or an unencrypted PEM/DER key. Without it, sign keyless.
    #[arg(short, long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessSignArgs,
    /// Write a Sigstore bundle (v0.3) here.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Write the base64 signature here.
    #[arg(long, value_name = "FILE")]
    pub output_signature: Option<PathBuf>,
    #[command(flatten)]
    pub tlog: TlogUploadArgs,
    /// The file to sign; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// `verify-blob`.
#[derive(Debug, Args)]
pub struct VerifyBlobArgs {
    /// The public key (PEM or DER); or verify keyless with --certificate-identity and --certificate-oidc-issuer.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"])]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// A Sigstore bundle (any version) or a cosign legacy `--bundle` file.
    #[arg(long, value_name = "FILE", required_unless_present = "signature")]
    pub bundle: Option<PathBuf>,
    /// A detached base64 signature.
    #[arg(long, value_name = "FILE", conflicts_with = "bundle")]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The file to verify, `-` for standard input, or `sha256:<hex>` to verify a digest without the file.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// `verify-blob-attestation`.
#[derive(Debug, Args)]
pub struct VerifyBlobAttestationArgs {
    /// The public key (PEM or DER); or verify keyless with --certificate-identity and --certificate-oidc-issuer.
    #[arg(short, long, value_name = "FILE", required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"])]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// A DSSE envelope file (as `attest-blob --output-signature` writes).
    #[arg(long, value_name = "FILE", required_unless_present = "bundle")]
    pub signature: Option<PathBuf>,
    /// A Sigstore bundle holding a DSSE envelope.
    #[arg(long, value_name = "FILE", conflicts_with = "signature")]
    pub bundle: Option<PathBuf>,
    /// The predicate type required: a cosign shortcut (slsaprovenance, spdxjson, cyclonedx, openvex, ...) or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Verify against this hex digest instead of a file.
    #[arg(long, value_name = "HEX", conflicts_with = "file")]
    pub digest: Option<String>,
    /// The algorithm of --digest.
    #[arg(
        long = "digestAlg",
        value_name = "ALG",
        default_value = "sha256",
        requires = "digest"
    )]
    pub digest_alg: String,
    /// The file the attestation is about.
    #[arg(value_name = "FILE", required_unless_present = "digest")]
    pub file: Option<String>,
}

/// `rekor`: the Rekor transparency log, without rekor-cli.
#[derive(Debug, Subcommand)]
pub enum RekorCommand {
    /// Fetch an entry by UUID or log index and verify it: its UUID is its body's hash, its SET and its
    /// inclusion proof under a checkpoint signed by the trusted log.
    Get(RekorEntryArgs),
    /// Find entry UUIDs by artifact digest or signer key in Rekor's search index. The index is deprecated and
    /// may be incomplete; the UUIDs are unverified hints: check each with `hsign rekor get`.
    Search(RekorSearchArgs),
    /// Prove an entry is in the log's current tree: verify it as `get` does, verify the log's current signed
    /// tree head, and verify a consistency proof between the entry's tree and the current one.
    Verify(RekorEntryArgs),
    /// Print and verify the log's signed tree head; with --state, prove the log only grew since the last run
    /// (exit 12 if it forked or rolled back).
    #[command(name = "loginfo", visible_alias = "log-info")]
    LogInfo(RekorLogInfoArgs),
}

/// The log and the trusted material of the `rekor` commands. The log's key comes from the trusted material,
/// never from the log itself.
#[derive(Debug, Args, Clone)]
pub struct RekorLogArgs {
    /// The Rekor log to ask.
    #[arg(long, value_name = "URL", default_value = "https://rekor.sigstore.dev")]
    pub rekor_url: String,
    /// The log's public key (PEM): trust this log's signatures (instead of the embedded public-good root's
    /// logs).
    #[arg(
        long,
        value_name = "FILE",
        env = "SIGSTORE_REKOR_PUBLIC_KEY",
        conflicts_with = "trusted_root"
    )]
    pub rekor_public_key: Option<PathBuf>,
    /// A Sigstore trusted_root.json whose transparency logs to trust (instead of the embedded public-good
    /// root).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Trust the built-in public-good staging root instead of production.
    #[arg(long, conflicts_with_all = ["trusted_root", "rekor_public_key"])]
    pub staging: bool,
}

/// `rekor get` and `rekor verify`: one entry, by UUID or by log index.
#[derive(Debug, Args)]
#[group(id = "entry", required = true, multiple = false, args = ["uuid", "log_index"])]
pub struct RekorEntryArgs {
    /// The entry UUID: 64 hex digits (the leaf hash), or 80 with the tree id in front.
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<String>,
    /// The entry's global log index.
    #[arg(long, value_name = "N")]
    pub log_index: Option<u64>,
    #[command(flatten)]
    pub log: RekorLogArgs,
}

/// `rekor search`.
#[derive(Debug, Args)]
pub struct RekorSearchArgs {
    #[command(flatten)]
    pub query: RekorSearchQuery,
    /// The Rekor log to ask.
    #[arg(long, value_name = "URL", default_value = "https://rekor.sigstore.dev")]
    pub rekor_url: String,
}

/// What `rekor search` looks for: a digest (given or computed from a file) and/or a signer key.
#[derive(Debug, Args)]
#[group(id = "query", required = true, multiple = true)]
pub struct RekorSearchQuery {
    /// Entries for this digest: `sha256:<hex>` (also sha384, sha512), or bare hex for SHA-256.
    #[arg(long, value_name = "DIGEST", conflicts_with = "artifact")]
    pub sha: Option<String>,
    /// Entries for this file (hashed with SHA-256, streamed).
    #[arg(long, value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// Entries signed with this public key or certificate (PEM, or a DER key). With --sha or --artifact,
    /// entries matching both.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

/// `rekor loginfo`.
#[derive(Debug, Args)]
pub struct RekorLogInfoArgs {
    /// The last tree head seen (JSON). Read when it exists: the log must prove, with a consistency proof, that
    /// its current tree extends it. Written (atomically) with the new tree head once verified; left untouched
    /// when the log forked.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub log: RekorLogArgs,
}

/// `initialize`.
#[derive(Debug, Args)]
pub struct InitializeArgs {
    /// The TUF mirror: by default the one the cache was last updated from, else the public-good one
    /// (staging's with --staging).
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// A trusted root.json to start from instead of the cached or embedded one (a private TUF repository,
    /// or a reset of the cache).
    #[arg(long, value_name = "FILE")]
    pub root: Option<PathBuf>,
    /// Use the public-good staging repository (cached apart, in the `staging` subdirectory).
    #[arg(long)]
    pub staging: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("hsign").chain(args.iter().copied()))
    }

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn generate_key_pair_defaults_to_cosign_prefix() {
        let Command::GenerateKeyPair(a) = parse(&["generate-key-pair"]).unwrap().command else {
            panic!()
        };
        assert_eq!(a.output_key_prefix, PathBuf::from("cosign"));
        assert!(!a.force);
    }

    #[test]
    fn verify_blob_needs_bundle_or_signature_not_both() {
        assert!(parse(&["verify-blob", "--key", "k", "f"]).is_err());
        assert!(parse(&["verify-blob", "--key", "k", "--bundle", "b", "--signature", "s", "f"]).is_err());
        let cli = parse(&[
            "verify-blob",
            "--key",
            "k",
            "--bundle",
            "b",
            "--insecure-ignore-tlog",
            "sha256:00",
        ])
        .unwrap();
        let Command::VerifyBlob(a) = cli.command else { panic!() };
        assert!(a.trust.insecure_ignore_tlog);
        assert_eq!(a.file, "sha256:00");
    }

    #[test]
    fn sign_takes_annotations_and_cosigns_bundle_flag() {
        let cli = parse(&[
            "sign",
            "--key",
            "k",
            "-a",
            "a=b",
            "-a",
            "c=d",
            "--new-bundle-format=false",
            "r/x:1",
        ])
        .unwrap();
        let Command::Sign(a) = cli.command else { panic!() };
        assert_eq!(a.annotations, ["a=b", "c=d"]);
        assert_eq!(a.format.new_bundle_format, Some(false));
        assert!(a.format.is_legacy());
        assert!(parse(&["sign", "--key", "k", "--legacy", "--new-bundle-format", "r/x"]).is_err());
        assert!(parse(&["sign", "--key", "k"]).is_err());
    }

    #[test]
    fn verify_takes_many_images_and_registry_flags() {
        let cli = parse(&["verify", "--key", "k", "--allow-http-registry", "a/b", "c/d"]).unwrap();
        let Command::Verify(a) = cli.command else { panic!() };
        assert_eq!(a.images.len(), 2);
        assert!(a.registry.allow_http_registry);
    }

    #[test]
    fn output_json_is_global() {
        let cli = parse(&["public-key", "--key", "k", "-o", "json"]).unwrap();
        assert_eq!(cli.global.output, OutputFormat::Json);
    }

    #[test]
    fn verify_blob_attestation_takes_type_and_digest() {
        let cli = parse(&[
            "verify-blob-attestation",
            "--key",
            "k",
            "--signature",
            "s",
            "--type",
            "slsaprovenance",
            "--digest",
            "ab",
        ])
        .unwrap();
        let Command::VerifyBlobAttestation(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.predicate_type, "slsaprovenance");
        assert_eq!(a.digest.as_deref(), Some("ab"));
    }
}
