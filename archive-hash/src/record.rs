//! [`ArchiveRecord`]: what the archive writes for each object, and the leaf of the log.

use std::fmt;

use residency_time::UnixSeconds;

use crate::merkle::MerkleLog;
use crate::{ArchiveError, RetentionClass, Sha256, Verification, canonicalize_serialize};

/// Largest integer a JCS number holds exactly (2^53).
const MAX_EXACT: u64 = 1 << 53;

/// One archived object and the facts an auditor needs about it.
///
/// Serializes to JSON with the field names below; [`record_hash`](Self::record_hash) is the
/// SHA-256 of its RFC 8785 canonical form, and that 32-byte hash is the data of its leaf in
/// the [`MerkleLog`] (so the leaf hash is `SHA-256(0x00 || record_hash)`).
///
/// ```
/// use archive_hash::{ArchiveRecord, MerkleLog, RetentionClass, Sha256, UnixSeconds, Verification};
///
/// let record = ArchiveRecord {
///     message_id: "wamid._af7itq_gqXG05CC06a1tYX2nOK9_rau1sP51aWIgNLSibGeg6yil-7H".into(),
///     template_snapshot: None,
///     media_sha256: Sha256::digest(b"media bytes"),
///     media_size: 11,
///     mime_type: "image/png".into(),
///     object_key: "eu/archive/2024/05/01/p1:k1:8f2a/wamid._af7itq_gqXG05CC06a1tYX2nOK9_rau1sP51aWIgNLSibGeg6yil-7H.png".into(),
///     archived_at: UnixSeconds::new(1_714_521_700),
///     retention_class: RetentionClass::Standard,
///     verification: Verification::Match,
/// };
/// let mut log = MerkleLog::new();
/// let index = record.append_to(&mut log)?;
/// assert_eq!(index, 0);
/// assert_eq!(log.leaf_hash(0), Some(archive_hash::merkle::leaf_hash(record.record_hash()?.as_bytes())));
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArchiveRecord {
    /// The message id, as in the object key: for the Cloud API, the id's pseudonym (a raw
    /// `wamid.…` holds a phone number; see [`crate::key`]); WASender's random id as it is.
    pub message_id: String,
    /// The template snapshot id, for template messages.
    pub template_snapshot: Option<Sha256>,
    /// SHA-256 of the stored bytes.
    pub media_sha256: Sha256,
    /// Size of the stored bytes.
    pub media_size: u64,
    /// MIME type as the provider declared it.
    pub mime_type: String,
    /// Where the bytes live ([`crate::ArchiveKey`]).
    pub object_key: String,
    /// When the object was archived.
    pub archived_at: UnixSeconds,
    /// Which retention rules apply.
    pub retention_class: RetentionClass,
    /// The checksum verification outcome.
    pub verification: Verification,
}

/// `Debug` hides the object key, whose recipient segment is a pseudonym of a person.
impl fmt::Debug for ArchiveRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveRecord")
            .field("message_id", &self.message_id)
            .field("template_snapshot", &self.template_snapshot)
            .field("media_sha256", &self.media_sha256)
            .field("media_size", &self.media_size)
            .field("mime_type", &self.mime_type)
            .field("object_key", &"[REDACTED]")
            .field("archived_at", &self.archived_at)
            .field("retention_class", &self.retention_class)
            .field("verification", &self.verification)
            .finish()
    }
}

impl ArchiveRecord {
    /// Compact JSON, fields in declaration order.
    pub fn to_json(&self) -> Result<Vec<u8>, ArchiveError> {
        serde_json::to_vec(self).map_err(|source| ArchiveError::Serialize {
            what: "archive record",
            source,
        })
    }

    /// The RFC 8785 canonical JSON. Sizes and times above 2^53 are refused because JCS
    /// numbers are doubles and would round.
    pub fn canonical_json(&self) -> Result<Vec<u8>, ArchiveError> {
        if self.media_size > MAX_EXACT || self.archived_at.get() > MAX_EXACT {
            return Err(ArchiveError::Json {
                reason: "has an integer above 2^53",
                position: 0,
            });
        }
        canonicalize_serialize(self)
    }

    /// SHA-256 of [`canonical_json`](Self::canonical_json): the record's log leaf data.
    pub fn record_hash(&self) -> Result<Sha256, ArchiveError> {
        self.canonical_json().map(Sha256::digest)
    }

    /// Appends this record's hash to `log`; returns the leaf index.
    pub fn append_to(&self, log: &mut MerkleLog) -> Result<u64, ArchiveError> {
        let h = self.record_hash()?;
        Ok(log.append(h.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnverifiableReason;

    fn record() -> ArchiveRecord {
        ArchiveRecord {
            message_id: "wamid.X".into(),
            template_snapshot: Some(Sha256::digest(b"t")),
            media_sha256: Sha256::digest(b"m"),
            media_size: 1,
            mime_type: "application/pdf".into(),
            object_key: "archive/2024/01/01/p1:k1:secretpseudo/wamid.X.pdf".into(),
            archived_at: UnixSeconds::new(1_704_067_200),
            retention_class: RetentionClass::Finra,
            verification: Verification::Unverifiable {
                reason: UnverifiableReason::Malformed,
            },
        }
    }

    #[test]
    fn json_round_trip_and_canonical_order() {
        let r = record();
        let j = r.to_json().unwrap();
        let back: ArchiveRecord = serde_json::from_slice(&j).unwrap();
        assert_eq!(back, r);
        let c = String::from_utf8(r.canonical_json().unwrap()).unwrap();
        assert!(
            c.starts_with("{\"archived_at\":1704067200,\"media_sha256\":"),
            "{c}"
        );
        assert!(
            c.contains("\"verification\":{\"outcome\":\"unverifiable\",\"reason\":\"malformed\"}")
        );
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let base = record().record_hash().unwrap();
        let mut r = record();
        r.media_size = 2;
        assert_ne!(r.record_hash().unwrap(), base);
        let mut r = record();
        r.verification = Verification::Match;
        assert_ne!(r.record_hash().unwrap(), base);
    }

    #[test]
    fn huge_integers_are_refused() {
        let mut r = record();
        r.media_size = u64::MAX;
        assert!(matches!(r.canonical_json(), Err(ArchiveError::Json { .. })));
    }

    #[test]
    fn debug_hides_the_object_key() {
        let d = format!("{:?}", record());
        assert!(!d.contains("secretpseudo"), "{d}");
    }
}
