//! Building signatures: a Sigstore bundle v0.3 over an artifact digest (streamed by the caller), or over the
//! whole artifact for signers that need the message (Ed25519), and DSSE envelopes.

use crate::ArtifactDigest;
use crate::bundle::{Bundle, BundleVersion, KeyMaterial, MessageSignature, SignatureContent};
use crate::dsse::{Envelope, EnvelopeSignature};
use crate::encoding::to_b64;
use hsign_keys::{HashAlgorithm, KeyError, PublicKey, Signer};

/// The key hint hsign writes into bundles: base64 of SHA-256 of the PKIX DER, as sigstore-go's key pairs do.
pub fn public_key_hint(key: &PublicKey) -> String {
    to_b64(&key.fingerprint())
}

/// Signs an artifact digest and returns a v0.3 message-signature bundle with a public-key hint. The digest
/// must be of the signer's signing hash (see [`Signer::signing_hash`]).
pub fn sign_digest(signer: &dyn Signer, digest: &ArtifactDigest) -> Result<Bundle, KeyError> {
    let signature = signer.sign_digest(digest.algorithm, &digest.bytes)?;
    Ok(message_bundle(signer, digest.clone(), signature))
}

/// Signs a whole artifact held in memory (needed for Ed25519) and returns a v0.3 message-signature bundle
/// whose recorded digest is SHA-256 of the artifact.
pub fn sign_message(signer: &dyn Signer, message: &[u8]) -> Result<Bundle, KeyError> {
    let signature = signer.sign_message(message)?;
    let digest = ArtifactDigest::of(signer.signing_hash().unwrap_or(HashAlgorithm::Sha256), message);
    Ok(message_bundle(signer, digest, signature))
}

fn message_bundle(signer: &dyn Signer, digest: ArtifactDigest, signature: Vec<u8>) -> Bundle {
    Bundle {
        version: BundleVersion::V0_3,
        key_material: KeyMaterial::PublicKey {
            hint: public_key_hint(&signer.public_key()),
        },
        tlog_entries: Vec::new(),
        rfc3161_timestamps: Vec::new(),
        content: SignatureContent::Message(MessageSignature {
            digest: Some(digest),
            signature,
        }),
    }
}

/// Signs `payload` as a DSSE envelope with one signature over its PAE.
pub fn sign_envelope(signer: &dyn Signer, payload_type: &str, payload: Vec<u8>) -> Result<Envelope, KeyError> {
    // Signers that sign digests get the PAE's digest, computed without copying the payload; Ed25519 signs
    // the PAE itself.
    let sig = match signer.signing_hash() {
        Some(alg) => signer.sign_digest(alg, &crate::dsse::pae_digest(alg, payload_type, &payload))?,
        None => signer.sign_message(&crate::dsse::pae(payload_type, &payload))?,
    };
    Ok(Envelope {
        payload_type: payload_type.to_string(),
        payload,
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig,
        }],
    })
}

/// Wraps a signed envelope in a v0.3 bundle with a public-key hint.
pub fn envelope_bundle(signer: &dyn Signer, envelope: Envelope) -> Bundle {
    Bundle {
        version: BundleVersion::V0_3,
        key_material: KeyMaterial::PublicKey {
            hint: public_key_hint(&signer.public_key()),
        },
        tlog_entries: Vec::new(),
        rfc3161_timestamps: Vec::new(),
        content: SignatureContent::Dsse(envelope),
    }
}
