//! RFC 6962 / RFC 9162 Merkle tree hashing and proof verification: leaf and node hashes, inclusion proofs
//! (tree-local index) and consistency proofs between two tree sizes.

use sha2::{Digest as _, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || data). For a Rekor entry, `data` is the stored body.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an inner node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root hash of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index is not inside the tree.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for its index and tree size.
    #[error("the proof has {got} hashes, a proof for this index and tree size has {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// Hashes needed.
        want: usize,
    },
    /// A hash is not 32 bytes.
    #[error("proof hash {0} is not 32 bytes")]
    BadHash(usize),
    /// The proof leads to another root.
    #[error("the proof leads to root {computed}, not to the expected root {expected}")]
    RootMismatch {
        /// Hex of the root computed from the proof.
        computed: String,
        /// Hex of the root expected.
        expected: String,
    },
    /// The two tree sizes cannot be proved consistent (first larger than second, or an empty tree).
    #[error("no consistency proof exists from size {first} to size {second}")]
    BadSizes {
        /// The older size.
        first: u64,
        /// The newer size.
        second: u64,
    },
}

fn to_hash(h: &[u8], i: usize) -> Result<Hash, ProofError> {
    h.try_into().map_err(|_| ProofError::BadHash(i))
}

fn hex(h: &[u8]) -> String {
    crate::encoding::hex(h)
}

/// Number of proof hashes below the point where the leaf's path meets the right border of the tree.
fn inner_proof_size(index: u64, size: u64) -> usize {
    (64 - (index ^ (size - 1)).leading_zeros()) as usize
}

/// Computes the root that an inclusion proof for `leaf` at `index` in a tree of `size` leads to.
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Vec<u8>]) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let inner = inner_proof_size(index, size);
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: inner + border,
        });
    }
    let mut acc = *leaf;
    for (i, p) in proof.iter().enumerate().take(inner) {
        let p = to_hash(p, i)?;
        acc = if index.checked_shr(i as u32).unwrap_or(0) & 1 == 1 {
            node_hash(&p, &acc)
        } else {
            node_hash(&acc, &p)
        };
    }
    for (i, p) in proof.iter().enumerate().skip(inner) {
        acc = node_hash(&to_hash(p, i)?, &acc);
    }
    Ok(acc)
}

/// Verifies that `leaf` is at `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Vec<u8>], root: &[u8]) -> Result<(), ProofError> {
    let computed = root_from_inclusion(index, size, leaf, proof)?;
    if computed.as_slice() != root {
        return Err(ProofError::RootMismatch {
            computed: hex(&computed),
            expected: hex(root),
        });
    }
    Ok(())
}

/// Verifies an RFC 6962 consistency proof: the tree of `size1` leaves with root `root1` is a prefix of the
/// tree of `size2` leaves with root `root2`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Vec<u8>],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::BadSizes {
            first: size1,
            second: size2,
        });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        if root1 != root2 {
            return Err(ProofError::RootMismatch {
                computed: hex(root1),
                expected: hex(root2),
            });
        }
        return Ok(());
    }
    if size1 == 0 {
        // Every tree extends the empty tree; there is nothing to prove.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return Ok(());
    }
    // RFC 9162 §2.1.4.2. When size1 is an exact power of two subtree at the left border, the first node is
    // root1 itself and is not in the proof.
    let inner = inner_proof_size(size1 - 1, size2);
    let shift = (size1.trailing_zeros() as usize).min(inner);
    let inner = inner - shift;
    let border = (size1 - 1)
        .checked_shr((inner + shift) as u32)
        .unwrap_or(0)
        .count_ones() as usize;
    let (seed, start) = if size1 == 1 << shift {
        (to_hash(root1, 0)?, 0)
    } else {
        (to_hash(proof.first().map(Vec::as_slice).unwrap_or(&[]), 0)?, 1)
    };
    let want = start + inner + border;
    if proof.len() != want {
        return Err(ProofError::WrongLength { got: proof.len(), want });
    }
    let rest = &proof[start..];
    let mask = (size1 - 1).checked_shr(shift as u32).unwrap_or(0);
    // Walk up from the seed, building both the old root and the new root.
    let mut h1 = seed;
    let mut h2 = seed;
    for (i, p) in rest.iter().enumerate().take(inner) {
        let p = to_hash(p, i + start)?;
        if mask.checked_shr(i as u32).unwrap_or(0) & 1 == 1 {
            h1 = node_hash(&p, &h1);
            h2 = node_hash(&p, &h2);
        } else {
            h2 = node_hash(&h2, &p);
        }
    }
    for (i, p) in rest.iter().enumerate().skip(inner) {
        let p = to_hash(p, i + start)?;
        h1 = node_hash(&p, &h1);
        h2 = node_hash(&p, &h2);
    }
    if h1.as_slice() != root1 {
        return Err(ProofError::RootMismatch {
            computed: hex(&h1),
            expected: hex(root1),
        });
    }
    if h2.as_slice() != root2 {
        return Err(ProofError::RootMismatch {
            computed: hex(&h2),
            expected: hex(root2),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH from RFC 6962 §2.1, recursively, as the reference.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = 1usize << (usize::BITS - (n - 1).leading_zeros() - 1);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// PATH from RFC 6962 §2.1.1.
    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = 1usize << (usize::BITS - (n - 1).leading_zeros() - 1);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    /// PROOF / SUBPROOF from RFC 6962 §2.1.2.
    fn subproof(m: usize, leaves: &[Vec<u8>], b: bool) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![mth(leaves).to_vec()] };
        }
        let k = 1usize << (usize::BITS - (n - 1).leading_zeros() - 1);
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_of_small_trees_verify() {
        for n in 1..=33 {
            let l = leaves(n);
            let root = mth(&l);
            for m in 0..n {
                let p = path(m, &l);
                verify_inclusion(m as u64, n as u64, &leaf_hash(&l[m]), &p, &root).unwrap();
                // Any flipped bit in any proof hash is caught.
                for i in 0..p.len() {
                    let mut bad = p.clone();
                    bad[i][7] ^= 1;
                    assert!(verify_inclusion(m as u64, n as u64, &leaf_hash(&l[m]), &bad, &root).is_err());
                }
                // The wrong index, a longer or shorter proof: rejected.
                if n > 1 {
                    let other = (m + 1) % n;
                    assert!(verify_inclusion(other as u64, n as u64, &leaf_hash(&l[m]), &p, &root).is_err());
                }
                let mut longer = p.clone();
                longer.push(vec![0; 32]);
                assert!(verify_inclusion(m as u64, n as u64, &leaf_hash(&l[m]), &longer, &root).is_err());
            }
            assert!(matches!(
                verify_inclusion(n as u64, n as u64, &leaf_hash(b"x"), &[], &root),
                Err(ProofError::IndexOutOfRange { .. })
            ));
        }
    }

    #[test]
    fn huge_sizes_do_not_panic() {
        let leaf = leaf_hash(b"x");
        for (index, size) in [(0, (1u64 << 63) + 1), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
            assert!(verify_inclusion(index, size, &leaf, &[], &[0; 32]).is_err());
        }
        assert!(verify_consistency(1 << 63, u64::MAX, &[vec![0; 32]], &[0; 32], &[0; 32]).is_err());
        assert!(verify_consistency(3, u64::MAX, &[], &[0; 32], &[0; 32]).is_err());
    }

    #[test]
    fn consistency_proofs_between_all_small_sizes_verify() {
        let all = leaves(40);
        for n in 1..=40 {
            for m in 1..=n {
                let p = subproof(m, &all[..n], true);
                let (r1, r2) = (mth(&all[..m]), mth(&all[..n]));
                verify_consistency(m as u64, n as u64, &p, &r1, &r2).unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 0x80;
                    assert!(verify_consistency(m as u64, n as u64, &bad, &r1, &r2).is_err());
                    assert!(verify_consistency(m as u64, n as u64, &p[1..], &r1, &r2).is_err());
                }
                if m < n {
                    // A forked log: same sizes, another old root.
                    let forked = mth(&leaves(m)
                        .iter()
                        .map(|l| [l.as_slice(), b"!"].concat())
                        .collect::<Vec<_>>());
                    assert!(verify_consistency(m as u64, n as u64, &p, &forked, &r2).is_err());
                }
            }
        }
        assert!(verify_consistency(5, 4, &[], &[0; 32], &[0; 32]).is_err());
    }
}
