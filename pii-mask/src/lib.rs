//! Masking, keyed pseudonymization, anonymized records and a free-text PII scanner for
//! WhatsApp webhook payloads (Meta Cloud API and WASenderApi).
//!
//! Some data must leave its region: delivery counts for global reporting, log lines for the
//! on-call engineer, a masked copy when a region fails over. This crate produces each of
//! them without carrying personal data along:
//!
//! - [`phone`]: phone masks for logs (the seed's `4915****89`, configurable, never more than
//!   half of the digits) and a calling-code-only mask;
//! - [`pseudonym`] with [`PseudonymKey`]: keyed HMAC-SHA256 tokens such as
//!   `ph_k1_3f9a0c1d2e4b5a69`, stable under one key, domain-separated per kind;
//! - [`payload`]: shape-preserving masking of whole webhook bodies in three [`Mode`]s;
//! - [`masked`]: [`MaskedBody`], a body only a [`Masker`] can build, for routes that may
//!   carry masked data only (failover into a region that may not hold it);
//! - [`message_id`]: keyed pseudonyms of message ids that keep the `wamid.` shape, since a
//!   Cloud API message id holds the user's phone number;
//! - [`record`]: anonymized reporting records and the compliance log entry;
//! - [`scan`]: a single-pass scanner for phones, e-mails, cards, IBANs and IPs in free text.
//!
//! ```
//! use pii_mask::{Masker, PhoneMask, PseudonymKey, pseudonym::Kind, scan};
//!
//! // A log line.
//! assert_eq!(PhoneMask::SEED.mask("4915123456789"), "4915****89");
//!
//! // An analytics join key.
//! let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
//! let token = key.pseudonymize(Kind::Phone, "+49 151 23456789");
//! assert!(token.as_str().starts_with("ph_k1_"));
//!
//! // A whole body for failover: only calling codes survive, message ids become pseudonyms.
//! let body = br#"{"event":"messages.upsert","data":{"key":{"id":"M1","remoteJid":"4915123456789@s.whatsapp.net"}}}"#;
//! let out = Masker::strip(key.clone()).mask(body)?;
//! assert!(String::from_utf8(out).unwrap().contains(r#""remoteJid":"49@s.whatsapp.net""#));
//!
//! // Free text.
//! assert_eq!(scan::redact(b"mail jo@example.org"), b"mail [EMAIL]".to_vec());
//! # Ok::<(), pii_mask::MaskError>(())
//! ```
//!
//! # Threat model
//!
//! | output | protects against | does not protect against |
//! | --- | --- | --- |
//! | [`Mode::Partial`] / [`PhoneMask`] | casual exposure in logs, dashboards and tickets: names, bodies, media and most digits are gone | re-identification by someone who holds other data: two to six digits of a number plus a timestamp can narrow a person down. **Message ids are kept raw**, and a Cloud API message id is base64 of a record holding the user's full phone number: partial output must stay in the region. It is masking for logs, **not anonymization** |
//! | [`Mode::Pseudonym`] | disclosure of identities to analysts and reporting systems without the key; brute force of the phone space (every token is keyed, nothing is hashed without the key); phone numbers inside message ids (ids become [keyed pseudonyms](message_id) that decode to no digit) | linkage: tokens and id pseudonyms are stable under one key **by design**, so all events of one person stay joinable; anyone holding the key can test guesses. Pseudonymous data is still personal data under GDPR |
//! | [`Mode::Strip`] | moving a payload into a region it may not live in during failover: only timestamps, types, statuses, business ids, calling codes, user-id country prefixes and random WASender message ids survive; Cloud API message ids become keyed pseudonyms so the receiving region can still deduplicate | inference from what survives (timing, message counts per business); linkage of one message's events through its id pseudonym, by design |
//! | [`record::AnonymizedRecord`] | identification: no phone, user id, message id or timestamp finer than an hour | small-cell disclosure when counts are tiny; aggregate before publishing |
//! | [`scan`] | leaking structured PII (phones, e-mails, cards, IBANs, IPs) from free text | names, addresses and other unstructured PII in text: the scanner does not look for them, so mask bodies whole where that matters |
//!
//! Keys redact themselves in `Debug` and their keyed state is zeroized on drop. Errors never
//! quote their input.
//!
//! # Untrusted input
//!
//! Every function takes arbitrary bytes without panicking. Payloads are parsed with
//! `serde_json` (recursion limited to 128 levels); the scanner reads bytes, treats invalid
//! UTF-8 and the non-ASCII characters it does not read (it reads the digits, plus signs and
//! separators phone numbers are written with) as separators, reports only spans on character
//! boundaries, runs in linear time and allocates nothing.
//!
//! # Crate features
//!
//! None. The crate is sans-IO: no files, sockets, threads or clocks.

// No unsafe code anywhere in this crate.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

pub mod error;
pub mod key;
pub mod masked;
pub mod message_id;
pub mod payload;
pub mod phone;
pub mod pseudonym;
pub mod record;
pub mod scan;

pub use error::MaskError;
pub use key::PseudonymKey;
pub use masked::MaskedBody;
pub use payload::{Masker, Mode};
pub use phone::PhoneMask;
pub use pseudonym::Pseudonym;
pub use record::{AnonymizedRecord, LogEntry};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
