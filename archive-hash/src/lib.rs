#![doc = include_str!("../README.md")]
// No unsafe anywhere in this crate; the workspace lint forbids it too.
#![forbid(unsafe_code)]
// Every public item is documented; the docs are part of the API.
#![deny(missing_docs)]

pub use checksum::{
    ChecksumEncoding, ExpectedChecksum, UnverifiableReason, Verification, WasenderVerification,
    verify_cloud_media, verify_wasender_media,
};
pub use digest::{DigestParseError, Sha256};
pub use error::{ArchiveError, Result};
pub use hasher::{Hasher, MediaDigest, hash_reader};
pub use jcs::{
    TemplateSnapshot, canonicalize, canonicalize_serialize, canonicalize_to, format_number,
};
pub use key::{
    ArchiveKey, Recipient, RegionPrefix, escape_message_id, extension_for_mime, is_raw_message_id,
    unescape_message_id,
};
pub use merkle::MerkleLog;
pub use record::ArchiveRecord;
pub use residency_time::UnixSeconds;
pub use retention::{
    ComplianceLogging, Disposition, LogLevel, PolicyDocument, RetentionClass, RetentionPolicy,
    RetentionRules,
};

pub mod checksum;
pub mod digest;
pub mod error;
pub mod hasher;
pub mod jcs;
pub mod key;
pub mod merkle;
pub mod record;
pub mod retention;
