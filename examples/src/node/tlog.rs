//! The region's archive log: archive records and tombstones as leaves of archive-hash's RFC
//! 6962 [`MerkleLog`], and signed tree heads.
//!
//! * A record's leaf data is `SHA-256(JCS(ArchiveRecord))` ([`ArchiveRecord::record_hash`]).
//! * A deletion appends a [`Tombstone`], whose leaf data is `SHA-256(JCS(tombstone))`: the
//!   deleted record's leaf stays in the tree (only its data and object go), so every earlier
//!   head and proof still verifies, and the log says when and why data went.
//! * A tree head is signed with Ed25519 over
//!   `wa-residency/tree-head/v1\n{region}\n{tree_size}\n{root_hash hex}\n{timestamp}\n`; the
//!   head carries the public key and a key id (the first 8 bytes of its SHA-256, in hex), so
//!   an auditor pins the key once and checks every head against it.

use std::fmt;

use archive_hash::{ArchiveRecord, MerkleLog, Sha256, canonicalize_serialize};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The domain of the signed string.
const HEAD_DOMAIN: &str = "wa-residency/tree-head/v1";

/// The key that signs tree heads.
#[derive(Clone)]
pub struct HeadKey {
    key: SigningKey,
    id: String,
}

impl fmt::Debug for HeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl HeadKey {
    /// A key from its 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let public = key.verifying_key().to_bytes();
        let digest = Sha256::digest(public);
        let id = base16ct::lower::encode_string(&digest.as_bytes()[..8]);
        Self { key, id }
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        base16ct::lower::encode_string(&self.key.verifying_key().to_bytes())
    }

    /// Signs the head of a log of `size` leaves with `root`, at `timestamp`.
    pub fn sign(&self, region: &str, size: u64, root: [u8; 32], timestamp: u64) -> TreeHead {
        let root_hash = base16ct::lower::encode_string(&root);
        let message = signed_string(region, size, &root_hash, timestamp);
        let signature: Signature = self.key.sign(message.as_bytes());
        TreeHead {
            region: region.to_owned(),
            tree_size: size,
            root_hash,
            timestamp,
            algorithm: "ed25519".into(),
            key_id: self.id.clone(),
            public_key: self.public_hex(),
            signature: BASE64.encode(signature.to_bytes()),
        }
    }
}

fn signed_string(region: &str, size: u64, root_hex: &str, timestamp: u64) -> String {
    format!("{HEAD_DOMAIN}\n{region}\n{size}\n{root_hex}\n{timestamp}\n")
}

/// A signed tree head, as `/archive/head` serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    /// The region whose log it is.
    pub region: String,
    /// Leaves in the tree.
    pub tree_size: u64,
    /// RFC 6962 root, hex.
    pub root_hash: String,
    /// When it was signed, Unix seconds.
    pub timestamp: u64,
    /// `ed25519`.
    pub algorithm: String,
    /// First 8 bytes of SHA-256 of the public key, hex.
    pub key_id: String,
    /// The public key, hex.
    pub public_key: String,
    /// The signature, base64.
    pub signature: String,
}

impl TreeHead {
    /// Whether the signature verifies under the head's own public key. Pin the key (or its
    /// id) separately: a head signed by another key verifies under that key too.
    pub fn verify(&self) -> bool {
        let mut pk = [0u8; 32];
        let mut sig = [0u8; 64];
        let ok_pk = base16ct::mixed::decode(&self.public_key, &mut pk).is_ok_and(|b| b.len() == 32);
        let ok_sig = BASE64
            .decode(&self.signature)
            .ok()
            .filter(|s| s.len() == 64)
            .map(|s| sig.copy_from_slice(&s))
            .is_some();
        if !ok_pk || !ok_sig || self.algorithm != "ed25519" {
            return false;
        }
        let Ok(key) = VerifyingKey::from_bytes(&pk) else {
            return false;
        };
        let message = signed_string(
            &self.region,
            self.tree_size,
            &self.root_hash,
            self.timestamp,
        );
        key.verify(message.as_bytes(), &Signature::from_bytes(&sig))
            .is_ok()
    }

    /// The root as bytes.
    pub fn root(&self) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let n = base16ct::mixed::decode(&self.root_hash, &mut out)
            .ok()?
            .len();
        (n == 32).then_some(out)
    }
}

/// Why data left the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TombstoneReason {
    /// The retention period ended.
    Retention,
    /// A data subject's erasure request.
    Erasure,
}

/// A deletion, appended to the log. It names leaf indexes and counts, never a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Always `tombstone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why.
    pub reason: TombstoneReason,
    /// The leaves whose data and objects were deleted.
    pub erased_leaves: Vec<u64>,
    /// Item rows deleted with them.
    pub items: u64,
    /// When, Unix seconds.
    pub at: u64,
}

impl Tombstone {
    /// A tombstone for `erased_leaves` and `items` rows.
    pub fn new(reason: TombstoneReason, erased_leaves: Vec<u64>, items: u64, at: u64) -> Self {
        Self {
            kind: "tombstone".into(),
            reason,
            erased_leaves,
            items,
            at,
        }
    }

    /// SHA-256 of its canonical JSON: the leaf data.
    ///
    /// # Errors
    /// Never for this type's fields (JCS refuses only floats out of range).
    pub fn data_hash(&self) -> Result<Sha256, archive_hash::ArchiveError> {
        canonicalize_serialize(self).map(Sha256::digest)
    }
}

/// An RFC 6962 inclusion proof of one record, as `/archive/proof` serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The item id asked about.
    pub id: String,
    /// The leaf's index.
    pub leaf_index: u64,
    /// The tree size the proof is for (the signed head's).
    pub tree_size: u64,
    /// The leaf hash, hex (`SHA-256(0x00 || SHA-256(JCS(record)))`).
    pub leaf_hash: String,
    /// The audit path, hex, leaf to root.
    pub audit_path: Vec<String>,
    /// The archive record.
    pub record: ArchiveRecord,
    /// The signed head the proof leads to.
    pub tree_head: TreeHead,
}

impl InclusionProof {
    /// Checks the record's hash, the path and the head's signature.
    pub fn verify(&self) -> bool {
        let Ok(data) = self.record.record_hash() else {
            return false;
        };
        let leaf = archive_hash::merkle::leaf_hash(data.as_bytes());
        if leaf.to_hex() != self.leaf_hash {
            return false;
        }
        let Some(root) = self.tree_head.root() else {
            return false;
        };
        let Ok(path) = self
            .audit_path
            .iter()
            .map(|h| Sha256::from_hex(h).map(|d| *d.as_bytes()))
            .collect::<Result<Vec<[u8; 32]>, _>>()
        else {
            return false;
        };
        self.tree_head.verify()
            && self.tree_head.tree_size == self.tree_size
            && archive_hash::merkle::verify_inclusion(
                self.leaf_index,
                self.tree_size,
                leaf.as_bytes(),
                &path,
                root,
            )
            .is_ok()
    }
}

/// A log rebuilt from stored leaf hashes.
pub fn log_of(hashes: &[[u8; 32]]) -> MerkleLog {
    let mut log = MerkleLog::new();
    for h in hashes {
        log.append_leaf_hash(Sha256::from_bytes(*h));
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_verify_and_tampering_breaks_them() {
        let key = HeadKey::from_seed(&[9; 32]);
        let head = key.sign("EU", 3, [1; 32], 1_700_000_000);
        assert!(head.verify());
        let mut moved = head.clone();
        moved.tree_size = 4;
        assert!(!moved.verify());
        let mut other = head.clone();
        other.region = "US".into();
        assert!(!other.verify());
        assert_eq!(head.key_id, key.id());
        assert!(
            !format!("{key:?}").contains(&key.public_hex()[..8])
                || format!("{key:?}").contains(key.id())
        );
    }
}
