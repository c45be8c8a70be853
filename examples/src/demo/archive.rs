//! Demo step for `archive-hash`: each bundled media sample (`examples/samples/media/`) is
//! hashed while it streams, checked against the checksum in its manifest, given an archive
//! key, recorded and appended to a Merkle log; then the log's root and an inclusion proof
//! are printed and verified, as an auditor would.
//!
//! The manifests carry what a webhook would: message id, UTC timestamp, MIME type, the
//! provider's `sha256` (base64 or hex), the size, and a **precomputed recipient pseudonym**
//! (`p1:k1:…`) standing in for what `pii-mask` computes from the recipient's number. The
//! message id is a raw Cloud API id, which holds a phone number, so archive keys refuse it:
//! the demo keys and records each object by the id's `pii-mask` pseudonym, as a regional
//! node does. No personal data is involved: the samples are composed for the demo.

use std::io::{self, Write};
use std::time::Duration;

use crate::samples::{MEDIA as MEDIA_SAMPLES, MediaManifest as Manifest};
use archive_hash::merkle::{verify_consistency, verify_inclusion};
use archive_hash::{
    ArchiveKey, ArchiveRecord, ExpectedChecksum, Hasher, MerkleLog, Recipient, RegionPrefix,
    RetentionClass, RetentionRules, TemplateSnapshot, UnixSeconds,
};
use pii_mask::PseudonymKey;

/// The demo's pseudonym key. A deployment reads its own secret from its configuration and
/// uses the same key as the masker of its webhooks, so ids match.
const DEMO_KEY_SECRET: &[u8] = b"demo key: not a secret, 32 bytes";

/// Seconds between the message time and the (fixed) archive time, so the output is
/// reproducible: the demo reads no clock.
const ARCHIVE_DELAY: u64 = 60;
const DAY: u64 = 86_400;

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Runs the archive step and writes its report to `out`.
pub fn run(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "archive: {} media samples -> hash, verify, key, record, Merkle log",
        MEDIA_SAMPLES.len()
    )?;
    let ids = PseudonymKey::new("demo", DEMO_KEY_SECRET).map_err(invalid)?;
    let mut log = MerkleLog::new();
    let mut records = Vec::new();
    for (n, sample) in MEDIA_SAMPLES.iter().enumerate() {
        let m: Manifest = sample
            .manifest()
            .map_err(|e| invalid(format_args!("{}: {e}", sample.manifest_name)))?;
        writeln!(out)?;
        writeln!(
            out,
            "[{}/{}] {} ({})",
            n + 1,
            MEDIA_SAMPLES.len(),
            m.file,
            m.mime_type
        )?;

        // 1. Hash while streaming, bounded by the announced size.
        let mut hasher = Hasher::new().with_expected_len(m.size);
        let mut reader = sample.media;
        hasher.read_from(&mut reader).map_err(invalid)?;
        let digest = hasher.finish().map_err(invalid)?;
        writeln!(
            out,
            "  sha256     {} ({} bytes)",
            digest.sha256, digest.size
        )?;

        // 2. Check against what the provider said.
        let expected = ExpectedChecksum::from_field(m.sha256.as_deref());
        let verification = expected.verify(&digest.sha256);
        writeln!(out, "  expected   {}", m.sha256_form)?;
        writeln!(out, "  check      {verification}")?;

        // 3. The object key, under the recipient's pseudonym (precomputed in the manifest) and
        //    the message id's pseudonym.
        let timestamp: u64 = m
            .timestamp
            .parse()
            .map_err(|_| invalid(format_args!("{}: timestamp", sample.manifest_name)))?;
        let region: RegionPrefix = m.region.parse().map_err(invalid)?;
        let recipient: Recipient = m.recipient_pseudonym.parse().map_err(invalid)?;
        let message_id = ids.pseudonymize_message_id(&m.message_id).into_string();
        let key = ArchiveKey::new(
            Some(&region),
            UnixSeconds::new(timestamp),
            &recipient,
            &message_id,
            &m.mime_type,
        )
        .map_err(invalid)?;
        writeln!(out, "  key        {key}")?;

        // 4. Template snapshot, when the message used a template.
        let template_snapshot = match &m.template {
            Some(t) => {
                let json = serde_json::to_vec(t).map_err(invalid)?;
                let snap = TemplateSnapshot::from_json(&json).map_err(invalid)?;
                writeln!(out, "  template   snapshot {}", snap.id())?;
                Some(snap.id())
            }
            None => None,
        };

        // 5. The record and its leaf in the log.
        let record = ArchiveRecord {
            message_id,
            template_snapshot,
            media_sha256: digest.sha256,
            media_size: digest.size,
            mime_type: m.mime_type.clone(),
            object_key: key.to_string(),
            archived_at: UnixSeconds::new(timestamp + ARCHIVE_DELAY),
            retention_class: RetentionClass::Finra,
            verification,
        };
        let index = record.append_to(&mut log).map_err(invalid)?;
        writeln!(
            out,
            "  record     {} -> leaf {index}",
            record.record_hash().map_err(invalid)?
        )?;
        records.push(record);
    }

    // Retention: what the FINRA preset says about these records at a few ages.
    let rules = RetentionRules::finra();
    writeln!(out)?;
    writeln!(
        out,
        "retention (finra: cold after {} days, expire after {} days):",
        rules.cold_after_days, rules.expire_after_days
    )?;
    if let Some(first) = records.first() {
        for (label, age, hold) in [
            ("after 30 days", 30, false),
            ("after 1 year", 365, false),
            ("after 7 years", 7 * 365, false),
            ("after 7 years, legal hold", 7 * 365, true),
        ] {
            let later = first.archived_at + Duration::from_secs(age * DAY);
            let d = rules.decide(first.archived_at, later, hold);
            writeln!(out, "  {label:<26} {d:?}")?;
        }
    }

    // The log: root, one inclusion proof, one consistency proof, both verified.
    let size = log.len();
    let root = log.root();
    writeln!(out)?;
    writeln!(out, "log: {size} records, root {root}")?;
    let index = 2.min(size.saturating_sub(1));
    let proof = log.inclusion_proof(index, size).map_err(invalid)?;
    writeln!(
        out,
        "inclusion proof for leaf {index} ({} hashes):",
        proof.len()
    )?;
    for h in &proof {
        writeln!(out, "  {h}")?;
    }
    let leaf = log
        .leaf_hash(index)
        .ok_or_else(|| invalid("leaf missing from the log"))?;
    let verdict = match verify_inclusion(index, size, leaf, &proof, root) {
        Ok(()) => "verified".to_owned(),
        Err(e) => format!("FAILED: {e}"),
    };
    writeln!(out, "  -> {verdict} against the root")?;
    if size >= 2 {
        let old = size / 2;
        let old_root = log.root_at(old).map_err(invalid)?;
        let proof = log.consistency_proof(old, size).map_err(invalid)?;
        let verdict = match verify_consistency(old, size, &proof, old_root, root) {
            Ok(()) => "verified".to_owned(),
            Err(e) => format!("FAILED: {e}"),
        };
        writeln!(
            out,
            "consistency {old} -> {size} ({} hashes): {verdict}; the log only grew",
            proof.len()
        )?;
    }
    // Tampering with one stored record is caught: its leaf no longer proves in.
    if let Some(r) = records.get(usize::try_from(index).unwrap_or(usize::MAX)) {
        let mut forged = r.clone();
        forged.media_size += 1;
        let forged_leaf =
            archive_hash::merkle::leaf_hash(forged.record_hash().map_err(invalid)?.as_bytes());
        let caught = verify_inclusion(index, size, forged_leaf, &proof, root).is_err();
        writeln!(
            out,
            "tampered copy of record {index} (size + 1): {}",
            if caught {
                "rejected by the proof"
            } else {
                "NOT DETECTED"
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_shows_all_outcomes_and_verifies() {
        let mut buf = Vec::new();
        run(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.matches("  check      match").count(), 2, "{text}");
        assert_eq!(text.matches("  check      mismatch").count(), 1, "{text}");
        assert_eq!(
            text.matches("  check      unverifiable").count(),
            1,
            "{text}"
        );
        assert!(text.contains("-> verified against the root"), "{text}");
        assert!(text.contains("the log only grew"), "{text}");
        assert!(text.contains("rejected by the proof"), "{text}");
        assert!(!text.contains("FAILED"), "{text}");
    }

    #[test]
    fn keys_carry_no_raw_message_id() {
        let mut buf = Vec::new();
        run(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for sample in MEDIA_SAMPLES {
            let m: Manifest = sample.manifest().unwrap();
            assert!(archive_hash::is_raw_message_id(&m.message_id));
            let body = m.message_id.trim_start_matches("wamid.");
            assert!(!text.contains(body), "{}", sample.manifest_name);
        }
        assert_eq!(text.matches("  key        ").count(), MEDIA_SAMPLES.len());
    }
}
