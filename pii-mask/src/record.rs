//! Records that leave the region: anonymized reporting records and the compliance log entry.
//!
//! Both are built per routable item of a body (the `wa-payload` party view: every message,
//! status, call, echo and user preference of every entry, never just `messages[0]`).
//!
//! - [`AnonymizedRecord`] is for global reporting. Every text field is drawn from a fixed
//!   vocabulary (an unknown message type or status becomes `other`), so a crafted payload
//!   cannot smuggle an identifier through it; the time is cut to the hour, and there is no
//!   message id, phone, user id or business id.
//! - [`LogEntry`] is the seed's compliance log record (`event`, `timestamp`,
//!   `masked_sender`, `message_type`), one JSON line per item, with the sender masked by a
//!   [`PhoneMask`]. It is masked, not anonymous: keep it in the region's logs.
//!
//! Neither carries a message id: a Cloud API message id holds the user's phone number (see
//! [`message_id`](crate::message_id)). Where a log line must name its message, add the id's
//! pseudonym ([`PseudonymKey::pseudonymize_message_id`](crate::PseudonymKey::pseudonymize_message_id)),
//! which still correlates the message with its statuses.
//!
//! ```
//! use pii_mask::record;
//! use residency_core::Policy;
//!
//! let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"messages":[{"from":"4915123456789","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"hallo"}}]}}]}]}"#;
//!
//! let records = record::anonymize(body, Policy::seed())?;
//! assert_eq!(
//!     serde_json::to_string(&records[0]).unwrap(),
//!     r#"{"event":"message","message_type":"text","status":null,"country":"DE","region":"EU","hour":1749412800,"pricing_category":null,"error_code":null}"#
//! );
//!
//! let log = record::log_entries(body, &pii_mask::PhoneMask::SEED)?;
//! assert_eq!(
//!     log[0].to_json_line(),
//!     r#"{"event":"message","timestamp":1749416383,"masked_sender":"4915****89","message_type":"text"}"#
//! );
//! # Ok::<(), pii_mask::MaskError>(())
//! ```

use residency_core::attribution::{Attribution, attribute};
use residency_core::{Country, Policy, Region};
use serde::Serialize;
use wa_payload::cloud::ErrorInfo;
use wa_payload::{Item, ItemKind, Source, StrOrNum, Webhook, wasender};

use crate::MaskError;
use crate::payload::tail_mask;
use crate::phone::{PhoneMask, STARS};

/// One item of a webhook with nothing left that identifies a person or a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AnonymizedRecord {
    /// The item kind: `message`, `status`, `call`, `echo`, `user_preference`, `event`,
    /// `account`.
    pub event: &'static str,
    /// The message type (`text`, `image`, ...; `other` for types outside the vocabulary).
    pub message_type: Option<&'static str>,
    /// The delivery status (`sent`, `delivered`, `read`, `failed`, ...; `other` likewise).
    pub status: Option<&'static str>,
    /// The party's country, when one applies.
    pub country: Option<Country>,
    /// The region the item belongs to under the policy.
    pub region: Region,
    /// Start of the UTC hour of the item's timestamp, in Unix seconds.
    pub hour: Option<u64>,
    /// The pricing category of a status (`marketing`, `utility`, ...).
    pub pricing_category: Option<&'static str>,
    /// The first error code of the item, if any.
    pub error_code: Option<u32>,
}

/// The compliance log record of one item, as one JSON line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LogEntry {
    /// The item kind (see [`AnonymizedRecord::event`]).
    pub event: &'static str,
    /// The item's timestamp in Unix seconds, when it has one.
    pub timestamp: Option<u64>,
    /// The party masked for logs: a [`PhoneMask`] of the phone, else the user id's country
    /// prefix and last two characters, else `****`; empty for business items.
    pub masked_sender: String,
    /// The message type, for messages and echoes.
    pub message_type: Option<&'static str>,
}

impl LogEntry {
    /// The entry as one compact JSON object, without a trailing newline.
    pub fn to_json_line(&self) -> String {
        // Serializing a struct of strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The anonymized records of every routable item of `body`, regions from `policy`.
///
/// Fails like [`Masker::mask`](crate::Masker::mask) on a body that does not parse.
pub fn anonymize(body: &[u8], policy: &Policy) -> Result<Vec<AnonymizedRecord>, MaskError> {
    let webhook = wa_payload::parse(body).map_err(MaskError::Payload)?;
    Ok(webhook
        .items()
        .map(|item| {
            let facts = Facts::of(&webhook, &item);
            let (region, country) = match item.kind {
                ItemKind::Account => {
                    let b = item.party.business.unwrap_or_default();
                    (
                        policy.region_for_business(b.waba_id, b.phone_number_id),
                        None,
                    )
                }
                _ => {
                    // Attribute once: both the region and the country come from it.
                    let a = attribution(&item);
                    (policy.region_for(&a), a.country)
                }
            };
            let region = region.clone();
            AnonymizedRecord {
                event: item.kind.as_str(),
                message_type: facts.message_type,
                status: facts.status,
                country,
                region,
                hour: facts.timestamp.map(|t| t - t % 3600),
                pricing_category: facts.pricing_category,
                error_code: facts.error_code,
            }
        })
        .collect())
}

/// The compliance log entries of every routable item of `body`.
pub fn log_entries(body: &[u8], mask: &PhoneMask) -> Result<Vec<LogEntry>, MaskError> {
    let webhook = wa_payload::parse(body).map_err(MaskError::Payload)?;
    Ok(webhook
        .items()
        .map(|item| {
            let facts = Facts::of(&webhook, &item);
            let p = &item.party;
            let masked_sender = if let Some(phone) = p.phone {
                mask.mask(phone)
            } else if let Some(uid) = p.user_id {
                masked_user_id(uid)
            } else if p.lid.is_some() {
                STARS.to_owned()
            } else {
                String::new()
            };
            LogEntry {
                event: item.kind.as_str(),
                timestamp: facts.timestamp,
                masked_sender,
                message_type: facts.message_type,
            }
        })
        .collect())
}

fn attribution(item: &Item<'_>) -> Attribution {
    attribute(item.party.phone, item.party.user_id)
}

/// `US.****18`: the country prefix and the last two characters of a user id.
fn masked_user_id(uid: &str) -> String {
    match uid.get(..3) {
        Some(prefix)
            if prefix.ends_with('.') && prefix.bytes().take(2).all(|b| b.is_ascii_uppercase()) =>
        {
            format!("{prefix}{}", tail_mask(uid.get(3..).unwrap_or_default()))
        }
        _ => tail_mask(uid),
    }
}

/// What the reporting records read from an item's own object, found through the items
/// view ([`Webhook::source`]): the same rules as routing, no second walk of the JSON.
#[derive(Debug, Default)]
struct Facts {
    message_type: Option<&'static str>,
    status: Option<&'static str>,
    timestamp: Option<u64>,
    pricing_category: Option<&'static str>,
    error_code: Option<u32>,
}

impl Facts {
    fn of(webhook: &Webhook<'_>, item: &Item<'_>) -> Self {
        match webhook.source(item) {
            Some(Source::Message(m)) => Self {
                message_type: matches!(item.kind, ItemKind::Message | ItemKind::Echo)
                    .then(|| m.message_type.as_deref().map_or("other", message_type)),
                timestamp: m.timestamp.as_ref().and_then(seconds),
                error_code: first_code(m.errors.as_deref()),
                ..Self::default()
            },
            Some(Source::Status(s)) => Self {
                status: s.status.as_deref().map(status),
                timestamp: s.timestamp.as_ref().and_then(seconds),
                pricing_category: s
                    .pricing
                    .as_ref()
                    .and_then(|p| p.category.as_deref())
                    .map(pricing_category),
                error_code: first_code(s.errors.as_deref()),
                ..Self::default()
            },
            Some(Source::Call(c)) => Self {
                status: c.status.as_deref().map(status),
                timestamp: c.timestamp.as_ref().and_then(seconds),
                error_code: first_code(c.errors.as_deref()),
                ..Self::default()
            },
            Some(Source::UserPreference(p)) => Self {
                timestamp: p.timestamp.as_ref().and_then(seconds),
                ..Self::default()
            },
            Some(Source::Record(r)) => Self::wasender(webhook, item, r),
            Some(Source::Key(_) | Source::Id(_) | Source::Raw(_) | Source::Event(_)) => Self {
                timestamp: event_time(webhook),
                ..Self::default()
            },
            // Threads, contact-book changes, unmatched contacts and whole changes: the
            // entry's time.
            _ => Self {
                timestamp: webhook
                    .cloud()
                    .and_then(|n| n.entries().get(item.entry))
                    .and_then(|e| e.time.as_ref())
                    .and_then(seconds),
                ..Self::default()
            },
        }
    }

    fn wasender(webhook: &Webhook<'_>, item: &Item<'_>, r: &wasender::Record<'_>) -> Self {
        let status = r
            .update
            .as_ref()
            .and_then(|u| u.status.as_ref())
            .or_else(|| r.receipt.as_ref().and_then(|u| u.status.as_ref()))
            .or(r.status.as_ref())
            .and_then(|s| match s {
                StrOrNum::Text(s) => Some(status(s)),
                StrOrNum::UInt(n) => Some(numeric_status(*n)),
                _ => None,
            });
        Self {
            message_type: r.message.as_deref().map(wasender_message_type),
            status: status.filter(|_| item.id.is_some()),
            timestamp: r
                .message_timestamp
                .as_ref()
                .and_then(seconds)
                .or_else(|| event_time(webhook)),
            pricing_category: None,
            error_code: None,
        }
    }
}

/// The WASender event's own `timestamp`.
fn event_time(webhook: &Webhook<'_>) -> Option<u64> {
    webhook
        .wasender()
        .and_then(|e| e.timestamp.as_ref())
        .and_then(seconds)
}

/// Unix seconds from a number or a numeric string; milliseconds are scaled down.
fn seconds(v: &StrOrNum<'_>) -> Option<u64> {
    v.unix_seconds().and_then(|s| u64::try_from(s).ok())
}

/// The code of the first error, a number or a numeric string.
fn first_code(errors: Option<&[ErrorInfo<'_>]>) -> Option<u32> {
    let code = errors?.first()?.code.as_ref()?.as_i64()?;
    u32::try_from(code).ok()
}

/// Cloud API message types; anything else is `other`.
fn message_type(t: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "order",
        "system",
        "unsupported",
        "unknown",
        "request_welcome",
        "edit",
        "revoke",
        "template",
    ];
    KNOWN.iter().find(|k| **k == t).copied().unwrap_or("other")
}

/// The type of a WASender message's content: its typed fields first, then the first known
/// content key kept verbatim; anything else is `other`.
fn wasender_message_type(content: &wasender::Record<'_>) -> &'static str {
    let typed = [
        (content.conversation.is_some(), "text"),
        (content.extended_text_message.is_some(), "text"),
        (content.image_message.is_some(), "image"),
        (content.video_message.is_some(), "video"),
        (content.audio_message.is_some(), "audio"),
        (content.document_message.is_some(), "document"),
        (content.sticker_message.is_some(), "sticker"),
    ];
    if let Some((_, t)) = typed.iter().find(|(present, _)| *present) {
        return t;
    }
    content
        .extra
        .iter()
        .find_map(|(key, _)| wasender_content_key(key))
        .unwrap_or("other")
}

/// Content keys the typed model keeps verbatim.
fn wasender_content_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "documentWithCaptionMessage" => "document",
        "locationMessage" | "liveLocationMessage" => "location",
        "contactMessage" | "contactsArrayMessage" => "contacts",
        "reactionMessage" => "reaction",
        "pollCreationMessage" | "pollCreationMessageV3" => "poll",
        _ => return None,
    })
}

/// Delivery and call statuses (case-insensitive); anything else is `other`.
fn status(s: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "sent",
        "delivered",
        "read",
        "failed",
        "deleted",
        "played",
        "warning",
        "pending",
        "error",
        "ringing",
        "accepted",
        "rejected",
        "completed",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(s))
        .copied()
        .unwrap_or("other")
}

/// WASender's numeric message statuses (Baileys' `WAMessageStatus`).
fn numeric_status(n: u64) -> &'static str {
    match n {
        0 => "error",
        1 => "pending",
        2 => "sent",
        3 => "delivered",
        4 => "read",
        5 => "played",
        _ => "other",
    }
}

fn pricing_category(s: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "authentication",
        "authentication_international",
        "marketing",
        "marketing_lite",
        "utility",
        "service",
        "referral_conversion",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(s))
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"statuses":[{"id":"wamid.S","status":"failed","timestamp":"1700003599","recipient_id":"5511987654321","pricing":{"billable":true,"pricing_model":"PMP","category":"MARKETING"},"errors":[{"code":131049,"title":"x"}]},{"id":"wamid.T","status":"secret-status","timestamp":1700003600,"recipient_id":"919876543210"}]}}]}]}"#;

    #[test]
    fn statuses_give_status_pricing_error_and_hour() {
        let r = anonymize(STATUS, Policy::seed()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].event, "status");
        assert_eq!(r[0].status, Some("failed"));
        assert_eq!(r[0].pricing_category, Some("marketing"));
        assert_eq!(r[0].error_code, Some(131_049));
        assert_eq!(r[0].hour, Some(1_700_002_800));
        assert_eq!(
            r[0].country.map(|c| c.as_str().to_owned()).as_deref(),
            Some("BR")
        );
        assert_eq!(r[0].region.as_str(), "LATAM");
        // Values outside the vocabulary never pass through.
        assert_eq!(r[1].status, Some("other"));
        assert_eq!(r[1].region.as_str(), "INDIA");
        let json = serde_json::to_string(&r).unwrap();
        for leak in ["5511987654321", "919876543210", "wamid", "secret-status"] {
            assert!(!json.contains(leak), "{leak}");
        }
    }

    #[test]
    fn wasender_records_and_log_lines() {
        let body = br#"{"event":"messages.update","timestamp":1747775431467,"data":{"update":{"status":3},"key":{"remoteJid":"4915123456789@s.whatsapp.net","id":"X1","fromMe":false}}}"#;
        let r = anonymize(body, Policy::seed()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].status, Some("delivered"));
        assert_eq!(r[0].hour, Some(1_747_774_800));
        assert_eq!(r[0].region.as_str(), "EU");
        let log = log_entries(body, &PhoneMask::SEED).unwrap();
        assert_eq!(
            log[0].to_json_line(),
            r#"{"event":"event","timestamp":1747775431,"masked_sender":"4915****89","message_type":null}"#
        );
    }

    /// Message ids, and values shaped like them in any field the records read, never reach
    /// a record or a log line.
    #[test]
    fn no_message_id_reaches_a_record_or_a_log_line() {
        const ID: &str = "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","time":1700000000,"changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"1","phone_number_id":"2"}},"contacts":[{{"wa_id":"16505551234","user_id":"US.wamid.{ID}"}}],"messages":[{{"from":"16505551234","from_user_id":"US.wamid.{ID}","id":"wamid.{ID}","timestamp":"1700000001","type":"wamid.{ID}","context":{{"id":"wamid.{ID}"}}}}],"statuses":[{{"id":"wamid.{ID}","status":"wamid.{ID}","timestamp":"1700000002","recipient_id":"wamid.{ID}","pricing":{{"category":"wamid.{ID}"}},"errors":[{{"code":"wamid.{ID}","title":"wamid.{ID}"}}]}}]}}}}]}}]}}"#
        );
        let records = anonymize(body.as_bytes(), Policy::seed()).unwrap();
        assert_eq!(records.len(), 2);
        let json = serde_json::to_string(&records).unwrap();
        let lines: Vec<String> = log_entries(body.as_bytes(), &PhoneMask::SEED)
            .unwrap()
            .iter()
            .map(LogEntry::to_json_line)
            .collect();
        for out in lines.iter().chain([&json]) {
            assert!(!out.contains("wamid"), "{out}");
            assert!(!out.contains(&ID[..8]), "{out}");
        }
        assert_eq!(records[0].message_type, Some("other"));
        assert_eq!(records[1].status, Some("other"));
        assert_eq!(records[1].pricing_category, Some("other"));
        assert_eq!(records[1].error_code, None);
    }

    /// Every item reads its own object: a history message is not confused with the
    /// `messages[]` item at the same index, and an unmatched contact carries the entry time.
    #[test]
    fn items_read_their_own_objects_whatever_the_slot() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1700000000,"changes":[{"field":"history","value":{"metadata":{"phone_number_id":"2"},"messages":[{"from":"4915123456789","id":"wamid.A","timestamp":"1700003600","type":"text"}],"history":[{"threads":[{"id":"919876543210","messages":[{"from":"919876543210","id":"wamid.B","timestamp":"1700007200","type":"image"}]}]}],"contacts":[{"wa_id":"5511987654321"}]}}]}]}"#;
        let r = anonymize(body, Policy::seed()).unwrap();
        let got: Vec<_> = r
            .iter()
            .map(|r| (r.event, r.message_type, r.hour, r.region.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("message", Some("text"), Some(1_700_002_800), "EU"),
                ("message", Some("image"), Some(1_700_006_400), "INDIA"),
                ("contact", None, Some(1_699_999_200), "LATAM"),
            ]
        );
    }

    #[test]
    fn user_ids_are_masked_in_log_lines() {
        assert_eq!(masked_user_id("US.13491208655302741918"), "US.****18");
        assert_eq!(masked_user_id("<BSUID>"), "****");
    }

    #[test]
    fn bad_bodies_are_refused() {
        assert!(matches!(
            anonymize(b"{", Policy::seed()),
            Err(MaskError::Payload(_))
        ));
        assert!(matches!(
            log_entries(b"[]", &PhoneMask::SEED),
            Err(MaskError::Payload(_))
        ));
    }
}
