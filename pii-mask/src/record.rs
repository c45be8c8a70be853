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
//! # Ok::<(), pii_mask::Error>(())
//! ```

use residency_core::attribution::{Attribution, attribute};
use residency_core::{Country, Policy, Region};
use serde::Serialize;
use serde_json::Value;
use wa_payload::{Item, ItemKind, Provider};

use crate::Error;
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
pub fn anonymize(body: &[u8], policy: &Policy) -> Result<Vec<AnonymizedRecord>, Error> {
    let webhook = wa_payload::parse(body).map_err(Error::Payload)?;
    let root: Value = serde_json::from_slice(body).map_err(|e| Error::json(&e))?;
    let provider = webhook.provider();
    Ok(webhook
        .items()
        .map(|item| {
            let facts = Facts::of(&root, provider, &item);
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
pub fn log_entries(body: &[u8], mask: &PhoneMask) -> Result<Vec<LogEntry>, Error> {
    let webhook = wa_payload::parse(body).map_err(Error::Payload)?;
    let root: Value = serde_json::from_slice(body).map_err(|e| Error::json(&e))?;
    let provider = webhook.provider();
    Ok(webhook
        .items()
        .map(|item| {
            let facts = Facts::of(&root, provider, &item);
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

/// What the reporting records read from an item's own JSON object.
#[derive(Debug, Default)]
struct Facts {
    message_type: Option<&'static str>,
    status: Option<&'static str>,
    timestamp: Option<u64>,
    pricing_category: Option<&'static str>,
    error_code: Option<u32>,
}

impl Facts {
    fn of(root: &Value, provider: Provider, item: &Item<'_>) -> Self {
        match provider {
            Provider::CloudApi => Self::cloud(root, item),
            _ => Self::wasender(root, item),
        }
    }

    fn cloud(root: &Value, item: &Item<'_>) -> Self {
        let entry = root.get("entry").and_then(|e| e.get(item.entry));
        let value = entry
            .and_then(|e| e.get("changes"))
            .and_then(|c| c.get(item.change))
            .and_then(|c| c.get("value"));
        let array = match item.kind {
            ItemKind::Message => "messages",
            ItemKind::Status => "statuses",
            ItemKind::Call => "calls",
            ItemKind::Echo => "message_echoes",
            ItemKind::UserPreference => "user_preferences",
            _ => {
                return Self {
                    timestamp: entry.and_then(|e| e.get("time")).and_then(seconds),
                    ..Self::default()
                };
            }
        };
        let Some(obj) = value
            .and_then(|v| v.get(array))
            .and_then(|a| a.get(item.index))
        else {
            return Self::default();
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        Self {
            message_type: matches!(item.kind, ItemKind::Message | ItemKind::Echo)
                .then(|| text("type").map_or("other", message_type)),
            status: match item.kind {
                ItemKind::Status | ItemKind::Call => text("status").map(status),
                _ => None,
            },
            timestamp: obj.get("timestamp").and_then(seconds),
            pricing_category: obj
                .get("pricing")
                .and_then(|p| p.get("category"))
                .and_then(Value::as_str)
                .map(pricing_category),
            error_code: obj
                .get("errors")
                .and_then(|e| e.get(0))
                .and_then(|e| e.get("code"))
                .and_then(code),
        }
    }

    fn wasender(root: &Value, item: &Item<'_>) -> Self {
        let data = root.get("data");
        let record = data.and_then(|d| match d {
            Value::Array(a) => a.get(item.index),
            Value::Object(o) => match o.get("messages") {
                Some(Value::Array(a)) => a.get(item.index),
                Some(m @ Value::Object(_)) => Some(m),
                _ => o
                    .get("message")
                    .filter(|m| m.is_object() && m.get("key").is_some())
                    .or(Some(d)),
            },
            _ => None,
        });
        let message = record
            .and_then(|r| r.get("message"))
            .and_then(Value::as_object);
        let status = record
            .and_then(|r| {
                r.get("update")
                    .and_then(|u| u.get("status"))
                    .or_else(|| r.get("receipt").and_then(|u| u.get("status")))
                    .or_else(|| r.get("status"))
            })
            .and_then(|s| match s {
                Value::String(s) => Some(status(s)),
                Value::Number(n) => n.as_u64().map(numeric_status),
                _ => None,
            });
        let timestamp = record
            .and_then(|r| r.get("messageTimestamp"))
            .or_else(|| root.get("timestamp"))
            .and_then(seconds);
        Self {
            message_type: message.map(|m| {
                m.keys()
                    .find_map(|k| wasender_message_type(k))
                    .unwrap_or("other")
            }),
            status: status.filter(|_| item.id.is_some()),
            timestamp,
            pricing_category: None,
            error_code: None,
        }
    }
}

/// Unix seconds from a number or a numeric string; milliseconds are scaled down.
fn seconds(v: &Value) -> Option<u64> {
    let n = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    // Anything past the year 5138 in seconds is a millisecond timestamp.
    Some(if n >= 100_000_000_000 { n / 1000 } else { n })
}

fn code(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|c| u32::try_from(c).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
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

fn wasender_message_type(key: &str) -> Option<&'static str> {
    Some(match key {
        "conversation" | "extendedTextMessage" => "text",
        "imageMessage" => "image",
        "videoMessage" => "video",
        "audioMessage" => "audio",
        "documentMessage" | "documentWithCaptionMessage" => "document",
        "stickerMessage" => "sticker",
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

    #[test]
    fn user_ids_are_masked_in_log_lines() {
        assert_eq!(masked_user_id("US.13491208655302741918"), "US.****18");
        assert_eq!(masked_user_id("<BSUID>"), "****");
    }

    #[test]
    fn bad_bodies_are_refused() {
        assert!(matches!(
            anonymize(b"{", Policy::seed()),
            Err(Error::Payload(_))
        ));
        assert!(matches!(
            log_entries(b"[]", &PhoneMask::SEED),
            Err(Error::Payload(_))
        ));
    }
}
