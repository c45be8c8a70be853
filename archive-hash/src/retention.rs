//! Retention: the policy document, validated, and decisions for a record at a given time.
//!
//! The policy document is the JSON operators already write:
//!
//! ```
//! use archive_hash::PolicyDocument;
//!
//! let doc = PolicyDocument::from_json(br#"{
//!   "retention_policy": {
//!     "message_storage_days": 365, "media_storage_days": 180, "pii_redaction": true,
//!     "encryption_algorithm": "AES-256-GCM", "backup_frequency_hours": 24
//!   },
//!   "compliance_logging": {
//!     "log_level": "info", "destination": "s3://audit-eu/logs", "include_payload": false
//!   }
//! }"#)?;
//! assert_eq!(doc.retention_policy.media_storage_days, 180);
//! # Ok::<(), archive_hash::ArchiveError>(())
//! ```
//!
//! Dispositions ([`RetentionRules::decide`]) take the archive time and "now" as [`UnixSeconds`]
//! (this crate reads no clock): keep while young, move to cold storage after
//! [`DEFAULT_COLD_AFTER_DAYS`], expire at the end of the retention period, unless a legal
//! hold is in force, which overrides expiry (never the move to cold storage).

use std::fmt;

use residency_time::UnixSeconds;

use crate::ArchiveError;

/// Days after which a record moves to cold storage unless the rules say otherwise.
pub const DEFAULT_COLD_AFTER_DAYS: u32 = 90;
/// Longest retention period accepted: 100 years.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// The `retention_policy` section of the policy document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// How long message records are kept, in days (1 to 36 500).
    pub message_storage_days: u32,
    /// How long media objects are kept, in days (1 to `message_storage_days`).
    pub media_storage_days: u32,
    /// Whether personal data is redacted before it is logged or stored.
    pub pii_redaction: bool,
    /// The at-rest cipher: `AES-256-GCM`, `ChaCha20-Poly1305` or `XChaCha20-Poly1305`.
    pub encryption_algorithm: String,
    /// Hours between backups (1 to 8 760).
    pub backup_frequency_hours: u32,
}

/// Severity threshold of the compliance log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LogLevel {
    /// Everything, for investigations.
    Debug,
    /// Normal operation.
    Info,
    /// Anomalies only.
    Warn,
    /// Failures only.
    ArchiveError,
}

/// The `compliance_logging` section of the policy document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceLogging {
    /// Severity threshold.
    pub log_level: LogLevel,
    /// Where the log goes (a URL or sink name; 1 to 512 bytes).
    pub destination: String,
    /// Whether payloads are logged; only allowed with `pii_redaction`.
    pub include_payload: bool,
}

/// The whole policy document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Retention periods and storage protection.
    pub retention_policy: RetentionPolicy,
    /// The compliance log.
    pub compliance_logging: ComplianceLogging,
}

const CIPHERS: [&str; 3] = ["AES-256-GCM", "ChaCha20-Poly1305", "XChaCha20-Poly1305"];

impl PolicyDocument {
    /// Parses and [validates](Self::validate) a JSON policy document.
    ///
    /// Unknown fields are refused, so a typo cannot silently fall back to a default.
    pub fn from_json(json: &[u8]) -> Result<Self, ArchiveError> {
        // serde_json's messages can quote input values, so only the shape is reported.
        let doc: Self = serde_json::from_slice(json).map_err(|_| ArchiveError::Policy {
            field: "document",
            reason: "is not json with exactly the documented fields and types",
        })?;
        doc.validate()?;
        Ok(doc)
    }

    /// Checks every field's range and the rules between fields.
    pub fn validate(&self) -> Result<(), ArchiveError> {
        let p = &self.retention_policy;
        let l = &self.compliance_logging;
        let fail = |field, reason| Err(ArchiveError::Policy { field, reason });
        if !(1..=MAX_RETENTION_DAYS).contains(&p.message_storage_days) {
            return fail(
                "retention_policy.message_storage_days",
                "must be 1 to 36500",
            );
        }
        if p.media_storage_days == 0 || p.media_storage_days > p.message_storage_days {
            return fail(
                "retention_policy.media_storage_days",
                "must be 1 to message_storage_days",
            );
        }
        if !CIPHERS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&p.encryption_algorithm))
        {
            return fail(
                "retention_policy.encryption_algorithm",
                "must be AES-256-GCM, ChaCha20-Poly1305 or XChaCha20-Poly1305",
            );
        }
        if !(1..=8760).contains(&p.backup_frequency_hours) {
            return fail(
                "retention_policy.backup_frequency_hours",
                "must be 1 to 8760",
            );
        }
        if l.destination.trim().is_empty() || l.destination.len() > 512 {
            return fail("compliance_logging.destination", "must be 1 to 512 bytes");
        }
        if l.include_payload && !p.pii_redaction {
            return fail(
                "compliance_logging.include_payload",
                "requires retention_policy.pii_redaction",
            );
        }
        Ok(())
    }

    /// The rules for message records, or media objects when `media` is true, cold after
    /// [`DEFAULT_COLD_AFTER_DAYS`].
    pub fn rules(&self, media: bool) -> RetentionRules {
        let days = if media {
            self.retention_policy.media_storage_days
        } else {
            self.retention_policy.message_storage_days
        };
        RetentionRules {
            cold_after_days: DEFAULT_COLD_AFTER_DAYS,
            expire_after_days: days,
        }
    }
}

/// The retention class written into each archive record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetentionClass {
    /// The operator's policy document decides.
    Standard,
    /// FINRA Rule 4511 / SEC 17a-4(a): six years.
    Finra,
    /// MiFID II Art. 16(7): five years (seven when the authority asks; see
    /// [`RetentionRules::mifid_ii`]).
    MifidIi,
    /// SEC Rule 17a-4(b): three years.
    Sec,
}

impl RetentionClass {
    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Finra => "finra",
            Self::MifidIi => "mifid_ii",
            Self::Sec => "sec",
        }
    }

    /// The rules for this class: the presets, or `policy`'s for [`Self::Standard`].
    pub fn rules(&self, policy: &PolicyDocument, media: bool) -> RetentionRules {
        match self {
            Self::Standard => policy.rules(media),
            Self::Finra => RetentionRules::finra(),
            Self::MifidIi => RetentionRules::years(5),
            Self::Sec => RetentionRules::sec(),
        }
    }
}

impl fmt::Display for RetentionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a record now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Disposition {
    /// Keep it in hot storage.
    Keep,
    /// Move it to cold storage.
    MoveToCold,
    /// Its retention period is over: delete it.
    Expire,
    /// Its retention period is over but a legal hold forbids deletion.
    Held,
}

/// When a record goes cold and when it expires, in whole days after its archive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetentionRules {
    /// Age in days from which the record belongs in cold storage.
    pub cold_after_days: u32,
    /// Age in days from which the record expires.
    pub expire_after_days: u32,
}

impl RetentionRules {
    /// Custom rules; `expire_after_days` must be 1 to 36 500.
    pub fn new(cold_after_days: u32, expire_after_days: u32) -> Result<Self, ArchiveError> {
        if !(1..=MAX_RETENTION_DAYS).contains(&expire_after_days) {
            return Err(ArchiveError::Policy {
                field: "expire_after_days",
                reason: "must be 1 to 36500",
            });
        }
        Ok(Self {
            cold_after_days,
            expire_after_days,
        })
    }

    /// `years` calendar years, counted generously (365.25 days, rounded up), cold after 90
    /// days.
    fn years(years: u32) -> Self {
        Self {
            cold_after_days: DEFAULT_COLD_AFTER_DAYS,
            expire_after_days: (years * 1461).div_ceil(4),
        }
    }

    /// FINRA preset: six years.
    pub fn finra() -> Self {
        Self::years(6)
    }

    /// SEC 17a-4(b) preset: three years.
    pub fn sec() -> Self {
        Self::years(3)
    }

    /// MiFID II preset: 5 to 7 years (five by default, up to seven at the authority's
    /// request).
    ///
    /// ```
    /// use archive_hash::RetentionRules;
    ///
    /// assert_eq!(RetentionRules::mifid_ii(7)?.expire_after_days, 2557);
    /// assert!(RetentionRules::mifid_ii(8).is_err());
    /// # Ok::<(), archive_hash::ArchiveError>(())
    /// ```
    pub fn mifid_ii(years: u32) -> Result<Self, ArchiveError> {
        if !(5..=7).contains(&years) {
            return Err(ArchiveError::Policy {
                field: "mifid_ii.years",
                reason: "must be 5 to 7",
            });
        }
        Ok(Self::years(years))
    }

    /// The disposition of a record archived at `archived_at`, at time `now`.
    ///
    /// A record from the future (clock skew) is kept. A legal hold turns `Expire` into
    /// `Held` and changes nothing else.
    ///
    /// ```
    /// use archive_hash::{Disposition, RetentionRules, UnixSeconds};
    ///
    /// let rules = RetentionRules::sec(); // 1096 days, cold after 90
    /// let day = 86_400;
    /// let at = |days: u64| UnixSeconds::new(days * day);
    /// assert_eq!(rules.decide(at(0), at(10), false), Disposition::Keep);
    /// assert_eq!(rules.decide(at(0), at(90), false), Disposition::MoveToCold);
    /// assert_eq!(rules.decide(at(0), at(1096), false), Disposition::Expire);
    /// assert_eq!(rules.decide(at(0), at(1096), true), Disposition::Held);
    /// ```
    pub fn decide(
        &self,
        archived_at: UnixSeconds,
        now: UnixSeconds,
        legal_hold: bool,
    ) -> Disposition {
        let age_days = now.saturating_since(archived_at).as_secs() / 86_400;
        if age_days >= u64::from(self.expire_after_days) {
            if legal_hold {
                Disposition::Held
            } else {
                Disposition::Expire
            }
        } else if age_days >= u64::from(self.cold_after_days) {
            Disposition::MoveToCold
        } else {
            Disposition::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> PolicyDocument {
        PolicyDocument {
            retention_policy: RetentionPolicy {
                message_storage_days: 365,
                media_storage_days: 180,
                pii_redaction: true,
                encryption_algorithm: "AES-256-GCM".into(),
                backup_frequency_hours: 24,
            },
            compliance_logging: ComplianceLogging {
                log_level: LogLevel::Info,
                destination: "s3://audit".into(),
                include_payload: false,
            },
        }
    }

    #[test]
    fn valid_document_round_trips() {
        let d = doc();
        d.validate().unwrap();
        let j = serde_json::to_vec(&d).unwrap();
        assert_eq!(PolicyDocument::from_json(&j).unwrap(), d);
    }

    #[test]
    fn invalid_fields_are_named() {
        type Mutation = fn(&mut PolicyDocument);
        let cases: [(Mutation, &str); 6] = [
            (
                |d| d.retention_policy.message_storage_days = 0,
                "retention_policy.message_storage_days",
            ),
            (
                |d| d.retention_policy.media_storage_days = 400,
                "retention_policy.media_storage_days",
            ),
            (
                |d| d.retention_policy.encryption_algorithm = "DES".into(),
                "retention_policy.encryption_algorithm",
            ),
            (
                |d| d.retention_policy.backup_frequency_hours = 0,
                "retention_policy.backup_frequency_hours",
            ),
            (
                |d| d.compliance_logging.destination = " ".into(),
                "compliance_logging.destination",
            ),
            (
                |d| {
                    d.compliance_logging.include_payload = true;
                    d.retention_policy.pii_redaction = false;
                },
                "compliance_logging.include_payload",
            ),
        ];
        for (mutate, field) in cases {
            let mut d = doc();
            mutate(&mut d);
            match d.validate() {
                Err(ArchiveError::Policy { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_fields_and_bad_json_are_refused() {
        let mut v = serde_json::to_value(doc()).unwrap();
        v["retention_policy"]["mesage_storage_days"] = 3.into();
        let j = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            PolicyDocument::from_json(&j),
            Err(ArchiveError::Policy {
                field: "document",
                ..
            })
        ));
        let mut v = serde_json::to_value(doc()).unwrap();
        v["compliance_logging"]["destination"] = "s3://secret-bucket-name".into();
        v["compliance_logging"]["log_level"] = "verbose-secret".into();
        let e = PolicyDocument::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(PolicyDocument::from_json(b"{").is_err());
    }

    #[test]
    fn presets() {
        assert_eq!(RetentionRules::finra().expire_after_days, 2192);
        assert_eq!(RetentionRules::sec().expire_after_days, 1096);
        assert_eq!(RetentionRules::mifid_ii(5).unwrap().expire_after_days, 1827);
        assert!(RetentionRules::mifid_ii(4).is_err());
        let d = doc();
        assert_eq!(
            RetentionClass::Standard.rules(&d, true).expire_after_days,
            180
        );
        assert_eq!(
            RetentionClass::Standard.rules(&d, false).expire_after_days,
            365
        );
        assert_eq!(
            RetentionClass::Finra.rules(&d, true),
            RetentionRules::finra()
        );
        assert_eq!(
            serde_json::to_string(&RetentionClass::MifidIi).unwrap(),
            "\"mifid_ii\""
        );
    }

    #[test]
    fn decisions_at_the_boundaries() {
        let r = RetentionRules::new(90, 180).unwrap();
        let day = 86_400u64;
        let t0 = 1_700_000_000;
        assert_eq!(
            r.decide(
                UnixSeconds::new(t0),
                UnixSeconds::new(t0 + 90 * day - 1),
                false
            ),
            Disposition::Keep
        );
        assert_eq!(
            r.decide(UnixSeconds::new(t0), UnixSeconds::new(t0 + 90 * day), false),
            Disposition::MoveToCold
        );
        assert_eq!(
            r.decide(
                UnixSeconds::new(t0),
                UnixSeconds::new(t0 + 180 * day - 1),
                true
            ),
            Disposition::MoveToCold
        );
        assert_eq!(
            r.decide(
                UnixSeconds::new(t0),
                UnixSeconds::new(t0 + 180 * day),
                false
            ),
            Disposition::Expire
        );
        assert_eq!(
            r.decide(UnixSeconds::new(t0), UnixSeconds::new(t0 + 180 * day), true),
            Disposition::Held
        );
        assert_eq!(
            r.decide(UnixSeconds::new(t0), UnixSeconds::new(0), false),
            Disposition::Keep
        );
        assert!(RetentionRules::new(90, 0).is_err());
    }
}
