//! Artifact digests: `sha256:<hex>` strings, and streaming hashes of files and readers whose memory does not
//! grow with the input.

use std::io::Read;

use hsign_keys::{HashAlgorithm, Hasher};

use crate::encoding::{from_hex, hex};
use crate::limits::HASH_BUFFER_BYTES;

/// A digest of an artifact together with its algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtifactDigest {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// The raw digest bytes.
    pub bytes: Vec<u8>,
}

impl ArtifactDigest {
    /// Parses `alg:hex` (`sha256:ab12...`). Returns `None` unless the algorithm is known and the hex has
    /// exactly the algorithm's length.
    pub fn parse(s: &str) -> Option<Self> {
        let (alg, hex_part) = s.split_once(':')?;
        let algorithm = HashAlgorithm::from_name(alg)?;
        let bytes = from_hex(hex_part)?;
        (bytes.len() == algorithm.output_len()).then_some(Self { algorithm, bytes })
    }

    /// The digest as lower-case hex.
    pub fn hex(&self) -> String {
        hex(&self.bytes)
    }

    /// Digest of bytes already in memory.
    pub fn of(algorithm: HashAlgorithm, data: &[u8]) -> Self {
        Self {
            algorithm,
            bytes: algorithm.digest(data),
        }
    }
}

impl std::fmt::Display for ArtifactDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex())
    }
}

/// Hashes everything `reader` yields with each of `algorithms` in one pass, calling `progress` with the
/// running byte count after each read. Memory use is one fixed buffer.
pub fn digest_reader<R: Read>(
    mut reader: R,
    algorithms: &[HashAlgorithm],
    mut progress: impl FnMut(u64),
) -> std::io::Result<Vec<ArtifactDigest>> {
    let mut hashers: Vec<Hasher> = algorithms.iter().map(|&a| Hasher::new(a)).collect();
    let mut buf = vec![0u8; HASH_BUFFER_BYTES];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for h in &mut hashers {
            h.update(&buf[..n]);
        }
        total += n as u64;
        progress(total);
    }
    Ok(hashers
        .into_iter()
        .map(|h| ArtifactDigest {
            algorithm: h.algorithm(),
            bytes: h.finalize(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sha256() {
        let s = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let d = ArtifactDigest::parse(s).unwrap();
        assert_eq!(d.to_string(), s);
        assert_eq!(d, ArtifactDigest::of(HashAlgorithm::Sha256, b"abc"));
    }

    #[test]
    fn rejects_wrong_length_and_unknown_algorithm() {
        assert!(ArtifactDigest::parse("sha256:abcd").is_none());
        assert!(ArtifactDigest::parse("md5:00112233445566778899aabbccddeeff").is_none());
        assert!(ArtifactDigest::parse("nocolon").is_none());
    }

    #[test]
    fn streaming_equals_one_shot_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(HASH_BUFFER_BYTES * 2 + 17)).map(|i| (i % 251) as u8).collect();
        let mut seen = 0;
        let got = digest_reader(&data[..], &[HashAlgorithm::Sha256, HashAlgorithm::Sha384], |n| seen = n).unwrap();
        assert_eq!(seen, data.len() as u64);
        assert_eq!(got[0], ArtifactDigest::of(HashAlgorithm::Sha256, &data));
        assert_eq!(got[1], ArtifactDigest::of(HashAlgorithm::Sha384, &data));
    }
}
