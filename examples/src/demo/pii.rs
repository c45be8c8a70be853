//! Demo step: what leaves the region for each bundled body: the masked compliance log
//! line(s) and the anonymized reporting record(s), one per routed item.

use std::io::{self, Write};

use pii_mask::record;
use pii_mask::{MaskError, PhoneMask};
use residency_core::Policy;

/// The compliance log lines of `body` (seed format: `event`, `timestamp`, `masked_sender`,
/// `message_type`), one JSON object per routed item, joined by newlines.
pub fn log_line(body: &[u8]) -> Result<String, MaskError> {
    let entries = record::log_entries(body, &PhoneMask::SEED)?;
    Ok(entries
        .iter()
        .map(record::LogEntry::to_json_line)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The anonymized reporting records of `body` under `policy`, one JSON object per routed
/// item, joined by newlines.
pub fn anonymized(body: &[u8], policy: &Policy) -> Result<String, MaskError> {
    let records = record::anonymize(body, policy)?;
    Ok(records
        .iter()
        // A record is strings and integers only: serializing it cannot fail.
        .map(|r| serde_json::to_string(r).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Prints the log lines and anonymized records of one webhook body, indented.
pub fn run(out: &mut dyn Write, policy: &Policy, body: &[u8]) -> io::Result<()> {
    match log_line(body) {
        Ok(lines) => {
            writeln!(out, "  compliance log (masked):")?;
            for line in lines.lines() {
                writeln!(out, "    {line}")?;
            }
        }
        Err(e) => writeln!(out, "  cannot log: {e}")?,
    }
    match anonymized(body, policy) {
        Ok(records) => {
            writeln!(out, "  anonymized records (global reporting):")?;
            for line in records.lines() {
                writeln!(out, "    {line}")?;
            }
        }
        Err(e) => writeln!(out, "  cannot anonymize: {e}")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"2"},"messages":[{"from":"4915123456789","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"hallo"}}],"statuses":[{"id":"wamid.B","status":"read","timestamp":"1749416390","recipient_id":"919876543210"}]}}]}]}"#;

    #[test]
    fn one_masked_line_and_one_record_per_item() {
        let log = log_line(BATCH).unwrap();
        assert_eq!(
            log,
            "{\"event\":\"message\",\"timestamp\":1749416383,\"masked_sender\":\"4915****89\",\"message_type\":\"text\"}\n\
             {\"event\":\"status\",\"timestamp\":1749416390,\"masked_sender\":\"9198****10\",\"message_type\":null}"
        );
        let records = anonymized(BATCH, Policy::seed()).unwrap();
        let lines: Vec<serde_json::Value> = records
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["region"], "EU");
        assert_eq!(lines[1]["region"], "INDIA");
        assert_eq!(lines[1]["status"], "read");
        for leak in ["4915123456789", "919876543210", "wamid", "hallo"] {
            assert!(!log.contains(leak) || leak == "wamid", "{leak}");
            assert!(!records.contains(leak), "{leak}");
        }
        let mut out = Vec::new();
        run(&mut out, Policy::seed(), BATCH).unwrap();
        let printed = String::from_utf8(out).unwrap();
        assert!(printed.contains("compliance log (masked):"));
        assert!(!printed.contains("4915123456789"));
    }

    #[test]
    fn bad_bodies_are_reported_without_echo() {
        let mut out = Vec::new();
        run(&mut out, Policy::seed(), b"{\"from\":\"4915123456789\"}").unwrap();
        let printed = String::from_utf8(out).unwrap();
        assert!(printed.contains("cannot log"));
        assert!(!printed.contains("4915123456789"));
    }
}
