#![doc = include_str!("../README.md")]
//!
//! # Crate features
//! None: the crate always depends on `serde`, `serde_json` (`raw_value`), `thiserror` and
//! `simdutf8` (UTF-8 validation), and on x86-64 on `safe_arch` (the SSE2 compares that find
//! a string's end; safe wrappers of `core::arch`, so this crate has no `unsafe`).
// No unsafe code anywhere in this crate.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

pub mod address;
pub mod cloud;
mod error;
mod items;
mod json;
pub mod lex;
mod pii;
pub mod scan;
pub mod schema;
mod source;
pub mod wasender;

pub use address::Address;
pub use error::PayloadError;
pub use items::{Business, Item, ItemKind, Items, Party, Role, Slot};
pub use json::{Extra, OneOrMany, Raw, Redacted, StrOrNum};
pub use pii::{Body, Jid, Link, MessageId, Name, Phone, UserId};
pub use source::Source;

use std::fmt;

use serde::{Serialize, Serializer};

/// A webhook provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Meta WhatsApp Cloud API.
    CloudApi,
    /// WASenderApi.
    Wasender,
}

impl Provider {
    /// `"cloud_api"` or `"wasender"`.
    ///
    /// ```
    /// assert_eq!(wa_payload::Provider::CloudApi.as_str(), "cloud_api");
    /// assert_eq!(wa_payload::Provider::Wasender.as_str(), "wasender");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudApi => "cloud_api",
            Self::Wasender => "wasender",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds applied to untrusted bodies.
///
/// ```
/// let limits = wa_payload::Limits::default().with_max_body_bytes(10);
/// let err = wa_payload::parse_with(br#"{"event":"session.status"}"#, &limits).unwrap_err();
/// assert!(matches!(err, wa_payload::PayloadError::TooLarge { size: 26, limit: 10 }));
/// assert_eq!(wa_payload::Limits::default().max_items(), 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_body_bytes: usize,
    max_depth: usize,
    max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 3 * 1024 * 1024,
            max_depth: 64,
            max_items: 10_000,
        }
    }
}

impl Limits {
    /// The highest depth bound [`Limits::with_max_depth`] accepts.
    pub const MAX_DEPTH: usize = 100;

    /// Largest accepted body in bytes (default 3 MB, Meta's maximum webhook size).
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Deepest accepted nesting of arrays and objects (default 64).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Most routable items a body may hold, counting the contacts that ride with an item
    /// (default 10,000; Meta sends at most 1,000 updates per body).
    pub fn max_items(&self) -> usize {
        self.max_items
    }

    /// The same limits with another body size bound.
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The same limits with another depth bound, at most [`Limits::MAX_DEPTH`] (the typed
    /// model is read by `serde_json`, whose recursion stops at 128 levels).
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.min(Self::MAX_DEPTH);
        self
    }

    /// The same limits with another item bound.
    #[must_use]
    pub fn with_max_items(mut self, items: usize) -> Self {
        self.max_items = items;
        self
    }
}

/// The typed model of a body, by provider.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Model<'a> {
    /// A Cloud API notification.
    CloudApi(cloud::Notification<'a>),
    /// A WASender event.
    Wasender(wasender::Event<'a>),
}

impl Model<'_> {
    /// Detaches the model from the input body.
    pub fn into_owned(self) -> Model<'static> {
        match self {
            Model::CloudApi(n) => Model::CloudApi(n.into_owned()),
            Model::Wasender(e) => Model::Wasender(e.into_owned()),
        }
    }
}

impl Serialize for Model<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Model::CloudApi(n) => n.serialize(s),
            Model::Wasender(e) => e.serialize(s),
        }
    }
}

/// A parsed webhook body of either provider: its typed [`Model`] and its routable items.
///
/// `Debug` shows the model and the items, both redacted.
#[derive(Clone, PartialEq)]
pub struct Webhook<'a> {
    model: Model<'a>,
    items: Vec<items::ItemData<'a>>,
}

impl fmt::Debug for Webhook<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("model", &self.model)
            .field("items", &self.items().collect::<Vec<_>>())
            .finish()
    }
}

impl<'a> Webhook<'a> {
    /// The provider of this body.
    pub fn provider(&self) -> Provider {
        match self.model {
            Model::CloudApi(_) => Provider::CloudApi,
            Model::Wasender(_) => Provider::Wasender,
        }
    }

    /// Every routable item of the body, in document order (see the rules in the crate docs).
    pub fn items(&self) -> Items<'_> {
        Items::new(&self.items)
    }

    /// The typed model.
    pub fn model(&self) -> &Model<'a> {
        &self.model
    }

    /// The typed model, by value.
    pub fn into_model(self) -> Model<'a> {
        self.model
    }

    /// The Cloud API notification, when the body is one.
    pub fn cloud(&self) -> Option<&cloud::Notification<'a>> {
        match &self.model {
            Model::CloudApi(n) => Some(n),
            Model::Wasender(_) => None,
        }
    }

    /// The WASender event, when the body is one.
    pub fn wasender(&self) -> Option<&wasender::Event<'a>> {
        match &self.model {
            Model::Wasender(e) => Some(e),
            Model::CloudApi(_) => None,
        }
    }

    /// Detaches the webhook from the input body.
    pub fn into_owned(self) -> Webhook<'static> {
        Webhook {
            model: self.model.into_owned(),
            items: self
                .items
                .into_iter()
                .map(items::ItemData::into_owned)
                .collect(),
        }
    }
}

impl Serialize for Webhook<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.model.serialize(s)
    }
}

/// Parses a body of either provider with the default [`Limits`].
///
/// ```
/// let w = wa_payload::parse(br#"{"event":"session.status","timestamp":1633456789,"data":{"status":"connected"}}"#)?;
/// assert_eq!(w.provider(), wa_payload::Provider::Wasender);
/// # Ok::<(), wa_payload::PayloadError>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Webhook<'_>, PayloadError> {
    parse_with(body, &Limits::default())
}

/// Parses a body of either provider with the given limits.
///
/// The routing [`scan`] runs first and validates the body (grammar, limits, the routing
/// fields, the provider, the parties); the typed model is then read leniently and cannot
/// fail on a body the scan accepted.
pub fn parse_with<'a>(body: &'a [u8], limits: &Limits) -> Result<Webhook<'a>, PayloadError> {
    let mut scanner = scan::Scanner::new();
    let scan = scanner.scan(body, limits)?;
    let items = scan.detach();
    let text = scan.body();
    let model = match scan.provider() {
        Provider::Wasender => Model::Wasender(json::read(text)?),
        _ => Model::CloudApi(json::read(text)?),
    };
    Ok(Webhook { model, items })
}

/// The provider of a body, from its top-level keys: `object` or `entry` for the Cloud API,
/// `event` or `data` for WASender. A body with keys of both is
/// [`PayloadError::AmbiguousProvider`]: nothing here guesses. The whole body is checked as JSON
/// within the default [`Limits`]; the rest of the rules are not ([`parse`] and the router
/// check them).
///
/// ```
/// use wa_payload::{detect, PayloadError, Provider};
/// assert_eq!(detect(br#"{"object":"whatsapp_business_account","entry":[]}"#), Ok(Provider::CloudApi));
/// assert_eq!(detect(br#" {"data":{"event":"x"},"event":"messages.upsert"}"#), Ok(Provider::Wasender));
/// assert_eq!(detect(br#"{"entry":[],"event":"messages.received"}"#), Err(PayloadError::AmbiguousProvider));
/// assert_eq!(detect(b"[1]"), Err(PayloadError::NotAnObject));
/// ```
pub fn detect(body: &[u8]) -> Result<Provider, PayloadError> {
    let limits = Limits::default();
    if body.len() > limits.max_body_bytes {
        return Err(PayloadError::TooLarge {
            size: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    scan::detect(body, limits.max_depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_reads_only_top_level_keys() {
        assert_eq!(
            detect(br#"{"data":{"object":1},"event":"x"}"#),
            Ok(Provider::Wasender)
        );
        assert_eq!(
            detect(br#"{"a":"\"event\"","entry":[]}"#),
            Ok(Provider::CloudApi)
        );
        assert_eq!(detect(br#"{"a":1}"#), Err(PayloadError::UnknownProvider));
        assert!(matches!(
            detect(br#"{"a":"#),
            Err(PayloadError::Truncated { .. })
        ));
        assert_eq!(detect(b""), Err(PayloadError::NotAnObject));
    }

    #[test]
    fn keys_of_both_providers_are_ambiguous_everywhere() {
        for body in [
            &br#"{"object":"whatsapp_business_account","entry":[],"event":"messages.received"}"#[..],
            br#"{"event":"messages.upsert","data":{},"entry":[]}"#,
            br#"{"object":"x","entry":[],"data":{}}"#,
            br#"{"data":{},"object":"x"}"#,
        ] {
            assert_eq!(detect(body), Err(PayloadError::AmbiguousProvider));
            assert_eq!(parse(body).unwrap_err(), PayloadError::AmbiguousProvider);
        }
    }

    #[test]
    fn webhook_debug_is_redacted() {
        let w = parse(br#"{"event":"messages.upsert","data":{"key":{"id":"wamid.HBgLNDkxNTExMjM0NTY3OA","remoteJid":"4915112345678@s.whatsapp.net"}}}"#).unwrap();
        let dbg = format!("{w:?}");
        assert!(!dbg.contains("4915112345678"), "{dbg}");
        assert!(!dbg.contains("HBgL"), "{dbg}");
    }
}
