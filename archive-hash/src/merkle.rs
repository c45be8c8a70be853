//! An RFC 6962 Merkle tree log: append, roots, inclusion and consistency proofs, and their
//! verification as RFC 9162 §2.1.3.2 and §2.1.4.2 specify.
//!
//! Leaf hash: `SHA-256(0x00 || data)`; interior node: `SHA-256(0x01 || left || right)`; the
//! empty tree's root is `SHA-256("")`.
//!
//! # Memory
//! [`MerkleLog`] keeps, per level, the roots of the complete (power-of-two) subtrees built so
//! far: the leaf hashes, then their pairs, and so on. That is under two hashes per leaf
//! (64 bytes). A root or proof for any tree size reads O(log n) cached nodes and hashes only
//! the O(log n) nodes on the tree's ragged right edge; nothing rehashes the whole tree.
//!
//! # Consistency from size 0
//! RFC 9162 defines consistency proofs only for `0 < old <= new`. We refuse size 0 on both
//! sides ([`ArchiveError::ConsistencySizes`]): every tree extends the empty tree, so such a proof
//! proves nothing, and a verifier that accepted it would let anyone "prove" a forked log.
//! This matches transparency-dev/merkle since it changed this case.
//!
//! ```
//! use archive_hash::merkle::{MerkleLog, verify_inclusion, verify_consistency};
//!
//! let mut log = MerkleLog::new();
//! for record in [&b"r0"[..], b"r1", b"r2", b"r3", b"r4"] {
//!     log.append(record);
//! }
//! let proof = log.inclusion_proof(2, 5)?;
//! let leaf = log.leaf_hash(2).expect("leaf 2 exists");
//! verify_inclusion(2, 5, leaf, &proof, log.root())?;
//!
//! let old_root = log.root_at(3)?;
//! let proof = log.consistency_proof(3, 5)?;
//! verify_consistency(3, 5, &proof, old_root, log.root())?;
//! # Ok::<(), archive_hash::ArchiveError>(())
//! ```

use std::fmt;

use sha2::Digest as _;

use crate::{ArchiveError, Sha256};

/// `SHA-256(0x00 || data)`: the hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Sha256 {
    let mut h = sha2::Sha256::new();
    h.update([0x00]);
    h.update(data);
    Sha256::from_bytes(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
///
/// Takes byte slices so it can hash any children, as the RFC 6962 test vectors do.
pub fn node_hash(left: &[u8], right: &[u8]) -> Sha256 {
    let mut h = sha2::Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    Sha256::from_bytes(h.finalize().into())
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Sha256 {
    Sha256::digest(b"")
}

/// Largest power of two strictly below `n` (for `n >= 2`).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// An append-only RFC 6962 Merkle tree.
#[derive(Clone, Default)]
pub struct MerkleLog {
    /// `levels[l][i]` is the root of the complete subtree of `2^l` leaves starting at leaf
    /// `i * 2^l`; `levels[0]` holds the leaf hashes.
    levels: Vec<Vec<Sha256>>,
}

impl fmt::Debug for MerkleLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerkleLog")
            .field("len", &self.len())
            .field("root", &self.root())
            .finish()
    }
}

impl MerkleLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels
            .first()
            .map_or(0, |l| u64::try_from(l.len()).unwrap_or(u64::MAX))
    }

    /// Whether the log has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf holding `data` (hashed with the 0x00 prefix); returns its index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends an already computed leaf hash; returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Sha256) -> u64 {
        let index = self.len();
        let mut node = leaf;
        let mut pos = index;
        let mut level = 0usize;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                break;
            };
            row.push(node);
            // A right child completes its parent.
            if pos & 1 == 0 {
                break;
            }
            let parent = match row.len().checked_sub(2).and_then(|i| row.get(i)) {
                Some(left) => node_hash(left.as_bytes(), node.as_bytes()),
                None => break,
            };
            node = parent;
            pos >>= 1;
            level += 1;
        }
        index
    }

    /// The hash of leaf `index`, if it exists.
    pub fn leaf_hash(&self, index: u64) -> Option<Sha256> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i).copied()
    }

    /// The root of the whole log.
    pub fn root(&self) -> Sha256 {
        self.root_at(self.len()).unwrap_or_else(|_| empty_root())
    }

    /// The root the log had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Sha256, ArchiveError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree(0, size)
    }

    fn check_size(&self, size: u64) -> Result<(), ArchiveError> {
        let len = self.len();
        if size > len {
            return Err(ArchiveError::SizeOutOfRange { size, len });
        }
        Ok(())
    }

    /// MTH of leaves `start .. start + size`, `size >= 1`, where `start` is a multiple of the
    /// largest power of two not above `size` (always true inside RFC 6962's recursion).
    fn subtree(&self, start: u64, size: u64) -> Result<Sha256, ArchiveError> {
        if size.is_power_of_two() {
            let level = size.trailing_zeros() as usize;
            let idx = usize::try_from(start >> level).ok();
            return idx
                .and_then(|i| self.levels.get(level)?.get(i).copied())
                .ok_or(ArchiveError::SizeOutOfRange {
                    size: start.saturating_add(size),
                    len: self.len(),
                });
        }
        let k = split(size);
        let left = self.subtree(start, k)?;
        let right = self.subtree(start + k, size - k)?;
        Ok(node_hash(left.as_bytes(), right.as_bytes()))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 PATH),
    /// bottom first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Sha256>, ArchiveError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ArchiveError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::with_capacity(64);
        self.path(index, 0, size, &mut out)?;
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Sha256>) -> Result<(), ArchiveError> {
        if n <= 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out)?;
            out.push(self.subtree(start + k, n - k)?);
        } else {
            self.path(m - k, start + k, n - k, out)?;
            out.push(self.subtree(start, k)?);
        }
        Ok(())
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves
    /// (RFC 6962 PROOF). Requires `0 < old <= new <= len`; `old == new` gives an empty proof.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Sha256>, ArchiveError> {
        self.check_size(new)?;
        check_consistency_sizes(old, new)?;
        let mut out = Vec::with_capacity(64);
        if old < new {
            self.subproof(old, 0, new, true, &mut out)?;
        }
        Ok(out)
    }

    fn subproof(
        &self,
        m: u64,
        start: u64,
        n: u64,
        complete: bool,
        out: &mut Vec<Sha256>,
    ) -> Result<(), ArchiveError> {
        if m == n {
            if !complete {
                out.push(self.subtree(start, n)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, complete, out)?;
            out.push(self.subtree(start + k, n - k)?);
        } else {
            self.subproof(m - k, start + k, n - k, false, out)?;
            out.push(self.subtree(start, k)?);
        }
        Ok(())
    }
}

/// Extends the log with already computed leaf hashes, in order.
impl Extend<Sha256> for MerkleLog {
    fn extend<I: IntoIterator<Item = Sha256>>(&mut self, leaves: I) {
        for leaf in leaves {
            self.append_leaf_hash(leaf);
        }
    }
}

/// Rebuilds a log from its stored leaf hashes, e.g. when an auditor replays an export.
///
/// ```
/// use archive_hash::merkle::{MerkleLog, leaf_hash};
///
/// let mut live = MerkleLog::new();
/// live.append(b"a");
/// live.append(b"b");
/// let replayed: MerkleLog = [leaf_hash(b"a"), leaf_hash(b"b")].into_iter().collect();
/// assert_eq!(replayed.root(), live.root());
/// ```
impl FromIterator<Sha256> for MerkleLog {
    fn from_iter<I: IntoIterator<Item = Sha256>>(leaves: I) -> Self {
        let mut log = Self::new();
        log.extend(leaves);
        log
    }
}

fn check_consistency_sizes(old: u64, new: u64) -> Result<(), ArchiveError> {
    let reason = if old > new {
        "old size exceeds new size"
    } else if old == 0 {
        "old size is zero"
    } else {
        return Ok(());
    };
    Err(ArchiveError::ConsistencySizes { old, new, reason })
}

fn hash32(bytes: &[u8], what: impl FnOnce() -> String) -> Result<&[u8; 32], ArchiveError> {
    <&[u8; 32]>::try_from(bytes).map_err(|_| ArchiveError::HashLength {
        what: what(),
        len: bytes.len(),
    })
}

/// Shifts `fn_` and `sn` right together until `fn_` is odd or zero.
fn shift_to_odd(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// How many path elements the RFC 9162 loop consumes from (`fn_`, `sn`) until `sn` is 0.
fn path_len(mut fn_: u64, mut sn: u64) -> usize {
    let mut count = 0;
    while sn > 0 {
        if fn_ & 1 == 1 || fn_ == sn {
            shift_to_odd(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
        count += 1;
    }
    count
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`,
/// following RFC 9162 §2.1.3.2.
///
/// Hashes are byte slices because proofs come from outside: a leaf hash or proof element that
/// is not 32 bytes is [`ArchiveError::HashLength`], a proof of the wrong length for `(index, size)` is
/// [`ArchiveError::ProofLength`], an index not below `size` is [`ArchiveError::IndexOutOfRange`], and a
/// proof that leads elsewhere is [`ArchiveError::RootMismatch`].
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: impl AsRef<[u8]>,
    proof: &[P],
    root: impl AsRef<[u8]>,
) -> Result<(), ArchiveError> {
    if index >= size {
        return Err(ArchiveError::IndexOutOfRange { index, size });
    }
    let leaf = hash32(leaf_hash.as_ref(), || "leaf hash".to_owned())?;
    let (mut fn_, mut sn) = (index, size - 1);
    let expected = path_len(fn_, sn);
    if proof.len() != expected {
        return Err(ArchiveError::ProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let mut r = Sha256::from_bytes(*leaf);
    for (i, p) in proof.iter().enumerate() {
        let p = hash32(p.as_ref(), || format!("proof element {i}"))?;
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, r.as_bytes());
            shift_to_odd(&mut fn_, &mut sn);
        } else {
            r = node_hash(r.as_bytes(), p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn == 0 && r.as_bytes()[..] == *root.as_ref() {
        Ok(())
    } else {
        Err(ArchiveError::RootMismatch { which: "root" })
    }
}

/// Verifies that the tree of `old` leaves with root `old_root` is a prefix of the tree of
/// `new` leaves with root `new_root`, following RFC 9162 §2.1.4.2.
///
/// `old == new` requires an empty proof and equal roots. `old == 0` is refused (see the
/// module docs), as is `old > new`. Errors are as for [`verify_inclusion`], with
/// `RootMismatch` naming the `old root` or `new root`.
pub fn verify_consistency<P: AsRef<[u8]>>(
    old: u64,
    new: u64,
    proof: &[P],
    old_root: impl AsRef<[u8]>,
    new_root: impl AsRef<[u8]>,
) -> Result<(), ArchiveError> {
    check_consistency_sizes(old, new)?;
    let (old_root, new_root) = (old_root.as_ref(), new_root.as_ref());
    if old == new {
        if !proof.is_empty() {
            return Err(ArchiveError::ProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ArchiveError::RootMismatch { which: "new root" })
        };
    }
    // Step 2: a power-of-two old tree is itself a node of the new one, so its root is the
    // first element of the path and the proof omits it.
    let prepend = old.is_power_of_two();
    let (mut fn_, mut sn) = (old - 1, new - 1);
    // Step 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let expected = (1 + path_len(fn_, sn)) - usize::from(prepend);
    if proof.len() != expected {
        return Err(ArchiveError::ProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let mut path = proof
        .iter()
        .enumerate()
        .map(|(i, p)| hash32(p.as_ref(), || format!("proof element {i}")));
    let first = if prepend {
        hash32(old_root, || "old root".to_owned())?
    } else {
        match path.next() {
            Some(p) => p?,
            None => {
                return Err(ArchiveError::ProofLength {
                    expected,
                    actual: 0,
                });
            }
        }
    };
    let mut fr = Sha256::from_bytes(*first);
    let mut sr = fr;
    for c in path {
        let c = c?;
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, fr.as_bytes());
            sr = node_hash(c, sr.as_bytes());
            shift_to_odd(&mut fn_, &mut sn);
        } else {
            sr = node_hash(sr.as_bytes(), c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 || fr.as_bytes()[..] != *old_root {
        return Err(ArchiveError::RootMismatch { which: "old root" });
    }
    if sr.as_bytes()[..] != *new_root {
        return Err(ArchiveError::RootMismatch { which: "new root" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from RFC 6962 §2.1, recomputing everything: the oracle.
    fn mth(leaves: &[Vec<u8>]) -> Sha256 {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split(n as u64) as usize;
                node_hash(mth(&leaves[..k]).as_bytes(), mth(&leaves[k..]).as_bytes())
            }
        }
    }

    fn data(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn roots_match_the_definition_for_every_size() {
        let leaves = data(40);
        let mut log = MerkleLog::new();
        assert_eq!(log.root(), empty_root());
        for l in &leaves {
            log.append(l);
        }
        for size in 0..=40 {
            assert_eq!(
                log.root_at(size).unwrap(),
                mth(&leaves[..size as usize]),
                "{size}"
            );
        }
        assert!(matches!(
            log.root_at(41),
            Err(ArchiveError::SizeOutOfRange { size: 41, len: 40 })
        ));
    }

    #[test]
    fn every_proof_verifies() {
        let leaves = data(33);
        let mut log = MerkleLog::new();
        for l in &leaves {
            log.append(l);
        }
        for size in 1..=33u64 {
            let root = log.root_at(size).unwrap();
            for index in 0..size {
                let proof = log.inclusion_proof(index, size).unwrap();
                let leaf = log.leaf_hash(index).unwrap();
                verify_inclusion(index, size, leaf, &proof, root).unwrap();
            }
            for old in 1..=size {
                let proof = log.consistency_proof(old, size).unwrap();
                verify_consistency(old, size, &proof, log.root_at(old).unwrap(), root).unwrap();
            }
        }
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let mut log = MerkleLog::new();
        log.append(b"a");
        log.append(b"b");
        assert!(matches!(
            log.inclusion_proof(2, 2),
            Err(ArchiveError::IndexOutOfRange { index: 2, size: 2 })
        ));
        assert!(matches!(
            log.inclusion_proof(0, 3),
            Err(ArchiveError::SizeOutOfRange { .. })
        ));
        assert!(matches!(
            log.consistency_proof(0, 2),
            Err(ArchiveError::ConsistencySizes {
                reason: "old size is zero",
                ..
            })
        ));
        assert!(matches!(
            log.consistency_proof(2, 1),
            Err(ArchiveError::ConsistencySizes { .. })
        ));
        let root = log.root();
        let leaf = log.leaf_hash(0).unwrap();
        let proof = log.inclusion_proof(0, 2).unwrap();
        assert!(matches!(
            verify_inclusion(0, 2, leaf, &proof[..0], root),
            Err(ArchiveError::ProofLength {
                expected: 1,
                actual: 0
            })
        ));
        assert!(matches!(
            verify_inclusion(0, 2, &leaf.as_bytes()[..31], &proof, root),
            Err(ArchiveError::HashLength { .. })
        ));
        assert!(matches!(
            verify_inclusion(1, 2, leaf, &proof, root),
            Err(ArchiveError::RootMismatch { which: "root" })
        ));
        assert!(matches!(
            verify_inclusion(u64::MAX, 2, leaf, &proof, root),
            Err(ArchiveError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn debug_is_short() {
        let mut log = MerkleLog::new();
        for i in 0..1000u32 {
            log.append(&i.to_be_bytes());
        }
        assert!(format!("{log:?}").len() < 200);
    }
}
