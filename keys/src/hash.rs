//! Hash algorithms used by Sigstore signatures, and an incremental hasher over them.

use sha2::Digest as _;

/// A hash algorithm a signature or digest can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (the default everywhere in cosign).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Length of a digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The lower-case name used in `alg:hex` digests and in Rekor (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The protobuf enum name used in Sigstore bundles (`SHA2_256`).
    pub fn bundle_name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA2_256",
            Self::Sha384 => "SHA2_384",
            Self::Sha512 => "SHA2_512",
        }
    }

    /// Parses a name as written in `alg:hex` digests (`sha256`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Parses a protobuf enum name as written in bundles (`SHA2_256`).
    pub fn from_bundle_name(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" => Some(Self::Sha256),
            "SHA2_384" => Some(Self::Sha384),
            "SHA2_512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Hashes `data` in one call.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = Hasher::new(self);
        h.update(data);
        h.finalize()
    }
}

/// An incremental hasher for one [`HashAlgorithm`].
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// Starts a hash with the given algorithm.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        Self(match algorithm {
            HashAlgorithm::Sha256 => Inner::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha384 => Inner::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha512 => Inner::Sha512(sha2::Sha512::new()),
        })
    }

    /// The algorithm of this hasher.
    pub fn algorithm(&self) -> HashAlgorithm {
        match self.0 {
            Inner::Sha256(_) => HashAlgorithm::Sha256,
            Inner::Sha384(_) => HashAlgorithm::Sha384,
            Inner::Sha512(_) => HashAlgorithm::Sha512,
        }
    }

    /// Feeds bytes into the hash.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Sha256(h) => h.update(data),
            Inner::Sha384(h) => h.update(data),
            Inner::Sha512(h) => h.update(data),
        }
    }

    /// Finishes the hash and returns the digest.
    pub fn finalize(self) -> Vec<u8> {
        match self.0 {
            Inner::Sha256(h) => h.finalize().to_vec(),
            Inner::Sha384(h) => h.finalize().to_vec(),
            Inner::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_matches_fips_vector() {
        let d = HashAlgorithm::Sha256.digest(b"abc");
        assert_eq!(
            d.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn names_round_trip() {
        for a in [HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
            assert_eq!(HashAlgorithm::from_name(a.name()), Some(a));
            assert_eq!(HashAlgorithm::from_bundle_name(a.bundle_name()), Some(a));
            assert_eq!(a.digest(b"").len(), a.output_len());
        }
    }
}
