//! Masking, keyed pseudonymization, anonymization and free-text PII detection for WhatsApp webhook payloads
#![forbid(unsafe_code)]
