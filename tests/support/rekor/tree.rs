//! An RFC 6962 Merkle tree, written for the test log independently of hsign's own verifier: the tree keeps
//! every level of perfect subtrees, computes roots, audit paths (`PATH`) and consistency proofs (`PROOF`,
//! `SUBPROOF`) by the recursive definitions of RFC 6962 §2.1, and checks proofs with the iterative
//! algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.

use sha2::{Digest as _, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// The largest power of two smaller than `n` (`k < n <= 2k`); `n` must be at least 2.
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree over leaf hashes.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// `levels[l][i]` is the root of the perfect subtree over the leaves `i * 2^l .. (i + 1) * 2^l`.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?).copied()
    }

    /// Appends a leaf hash, completing the perfect subtrees it closes; returns its index.
    pub fn push(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        self.size() - 1
    }

    /// The root of the whole tree, folded from the perfect subtrees ("peaks") that make it up, smallest
    /// (rightmost) first.
    pub fn root(&self) -> Hash {
        let size = self.size();
        let mut acc: Option<Hash> = None;
        let mut end = size;
        for level in 0..64 {
            if size & (1u64 << level) == 0 {
                continue;
            }
            let start = end - (1u64 << level);
            let peak = self.levels[level][(start >> level) as usize];
            acc = Some(match acc {
                None => peak,
                Some(right) => node_hash(&peak, &right),
            });
            end = start;
        }
        acc.unwrap_or_else(empty_root)
    }

    /// The root of the tree as it was with `size` leaves (`MTH(D[0:size])`); `None` beyond the current size.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.size() => Some(self.subtree(0, s)),
            _ => None,
        }
    }

    /// `MTH(D[lo:hi])` for `lo < hi <= size`, reading aligned perfect subtrees from the stored levels.
    fn subtree(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(lo >> level) as usize];
        }
        let k = split(n);
        node_hash(&self.subtree(lo, lo + k), &self.subtree(lo + k, hi))
    }

    /// The audit path (`PATH(index, D[0:size])`, leaf to root) of leaf `index` in the tree of `size` leaves;
    /// `None` unless `index < size <= self.size()`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Some(proof)
    }

    /// `PATH(m, D[lo:hi])` (m relative to lo), appended to `out` deepest first.
    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, lo, lo + k, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.path(m - k, lo + k, hi, out);
            out.push(self.subtree(lo, lo + k));
        }
    }

    /// The consistency proof (`PROOF(first, D[0:last])`) between the trees of `first` and `last` leaves;
    /// `None` unless `1 <= first <= last <= self.size()`. Empty when `first == last`.
    pub fn consistency_proof(&self, first: u64, last: u64) -> Option<Vec<Hash>> {
        if first == 0 || first > last || last > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        self.subproof(first, 0, last, true, &mut proof);
        Some(proof)
    }

    /// `SUBPROOF(m, D[lo:hi], b)`, appended to `out`.
    fn subproof(&self, m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !b {
                out.push(self.subtree(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, b, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.subtree(lo, lo + k));
        }
    }
}

/// Checks an audit path (leaf to root) for leaf `index` with hash `leaf` in a tree of `size` leaves whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Checks a consistency proof between the tree of `first` leaves with root `first_root` and the tree of
/// `last` leaves with root `last_root` (RFC 9162 §2.1.4.2). `first` must be at least 1.
pub fn verify_consistency(first: u64, last: u64, first_root: &Hash, last_root: &Hash, proof: &[Hash]) -> bool {
    if first == 0 || first > last {
        return false;
    }
    if first == last {
        return proof.is_empty() && first_root == last_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (first - 1, last - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *first_root && sr == *last_root && s == 0
}
