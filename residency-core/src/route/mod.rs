//! The router: raw webhook bytes in, a residency decision out.
//!
//! [`Router::route`] finds every routable item of a body (every message, status, call, echo,
//! user preference and WASender event, across all entries and changes), attributes each to a
//! country from its party, maps the country to a region with the [`Policy`], and hands back
//! the bodies to forward:
//!
//! * when every item belongs to one region, the **original [`Bytes`]**, untouched, so Meta's
//!   `X-Hub-Signature-256` still verifies downstream;
//! * when a batch mixes regions, one rebuilt body per region holding only that region's items
//!   and their own `contacts[]` entries (metadata kept); sign those with an
//!   [`EdgeKey`] ([`RegionBody::edge_signature`]).
//!
//! The routing path does not build the `wa-payload` model: it runs wa-payload's routing
//! [`scan`](wa_payload::scan), the same code [`wa_payload::parse`] runs before it builds the
//! model, so the router accepts exactly the bodies `parse` accepts and finds exactly the same
//! items. A split cuts the original bytes; nothing is re-serialized.
//!
//! ```
//! use bytes::Bytes;
//! use residency_core::route::Router;
//!
//! let body = Bytes::from_static(br#"{"object":"whatsapp_business_account","entry":[{"id":"1",
//!   "changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},
//!   "messages":[{"from":"4915112345678","id":"wamid.A","timestamp":"1","type":"text",
//!   "text":{"body":"hallo"}}]}}]}]}"#);
//! let decision = Router::seed().route(body.clone())?;
//! let item = decision.items().next().unwrap();
//! assert_eq!(item.country().map(|c| c.to_string()).as_deref(), Some("DE"));
//! assert_eq!(item.region().as_str(), "EU");
//! // One region: the very same bytes go on.
//! assert!(decision.bodies()[0].is_unchanged());
//! assert_eq!(decision.bodies()[0].body(), &body);
//! # Ok::<(), residency_core::route::RouteError>(())
//! ```

mod split;

use std::fmt;

use bytes::Bytes;
use wa_payload::scan::{Position, Scanner};
use wa_payload::{ItemKind, Provider, Role};

use crate::attribution::{self, Attribution, Basis, Unattributed};
use crate::auth::{EdgeKey, EdgePurpose};
use crate::country::Country;
use crate::policy::Policy;
use crate::regime::Regime;
use crate::region::Region;

/// Why a body could not be routed. Messages give positions and field names, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The body breaks the routing rules (grammar, limits, a routing field's type, two
    /// providers, conflicting parties, ...): the same error [`wa_payload::parse`] gives.
    #[error(transparent)]
    Payload(#[from] wa_payload::PayloadError),
    /// One element of the body holds items of several regions, and splitting it would copy
    /// one region's personal data into another's body (a WASender group whose `owner` and
    /// participants live in different regions).
    #[error("element `{0}` holds items of several regions and cannot be split")]
    Inseparable(String),
    /// A mixed batch could not be rebuilt into per-region bodies.
    #[error("cannot rebuild a split body: {0}")]
    Split(&'static str),
}

/// Routes webhook bodies with a [`Policy`].
#[derive(Debug, Clone)]
pub struct Router {
    policy: Policy,
    limits: wa_payload::Limits,
}

impl Router {
    /// A router with `policy` and the default limits (3 MB bodies, depth 64).
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            limits: wa_payload::Limits::default(),
        }
    }

    /// A router with the compile-time seed policy (EU, LATAM, INDIA, US as default).
    pub fn seed() -> Self {
        Self::new(Policy::seed().clone())
    }

    /// Replaces the size and depth bounds.
    #[must_use]
    pub fn with_limits(mut self, limits: wa_payload::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The parse limits in force (pass them to `wa_payload::parse_with` to read the model
    /// of a body this router accepts).
    pub fn limits(&self) -> &wa_payload::Limits {
        &self.limits
    }

    /// Routes one body: every item with its party, country, basis and region, and the
    /// bodies to forward, one per region.
    pub fn route(&self, body: Bytes) -> Result<Decision, RouteError> {
        let mut scratch = Scratch::default();
        self.route_with(body, &mut scratch)
    }

    /// Like [`route`](Self::route), reusing `scratch` across calls so that routing a body
    /// that needs no split allocates only the decision itself.
    pub fn route_with(&self, body: Bytes, scratch: &mut Scratch) -> Result<Decision, RouteError> {
        let scan = scratch.scan.scan(&body, &self.limits)?;
        let provider = scan.provider();
        let base = body.as_ptr() as usize;
        let mut side: Vec<String> = Vec::new();
        // Inline while they hold one element: a single-item, single-region body allocates
        // nothing here.
        let mut regions: Few<Region> = Few::new(1);
        let mut items = Few::new(scan.len());
        // The region of the previous item (as a reference into the policy) and its index.
        let mut last: Option<(&Region, usize)> = None;
        for item in scan.items() {
            let party = item.party;
            let attribution = if party.role == Role::Business {
                Attribution::business()
            } else {
                match (party.phone, party.user_id, party.lid) {
                    (None, None, Some(_)) => Attribution::unattributed(Unattributed::NoPhone),
                    (phone, user_id, _) => attribution::attribute(phone, user_id),
                }
            };
            let region = match party.business {
                Some(b) => self
                    .policy
                    .region_for_business(b.waba_id, b.phone_number_id),
                None if party.role == Role::Business => self.policy.region_for_business(None, None),
                None => self.policy.region_for(&attribution),
            };
            let region_index = match last {
                // Regions are references into the policy: the same one is the same region.
                Some((r, i)) if std::ptr::eq(r, region) => i,
                _ => match regions.as_slice().iter().position(|r| r == region) {
                    Some(i) => i,
                    None => {
                        regions.push(region.clone());
                        regions.len() - 1
                    }
                },
            };
            last = Some((region, region_index));
            let id = item.id.map(|id| text_of(&body, base, id, &mut side));
            items.push(RoutedItem {
                kind: item.kind,
                role: party.role,
                id,
                country: attribution.country,
                basis: attribution.basis,
                reason: attribution.reason,
                region: region_index,
                pos: Position {
                    entry: to_u32(item.entry),
                    change: to_u32(item.change),
                    slot: item.slot,
                    index: to_u32(item.index),
                },
            });
        }

        let bodies = match regions {
            Few::Many(ref r) if r.is_empty() => Few::One(RegionBody {
                region: self.policy.default_region().clone(),
                body: body.clone(),
                items: 0,
                unchanged: true,
            }),
            Few::One(region) => Few::One(RegionBody {
                region,
                body: body.clone(),
                items: items.len(),
                unchanged: true,
            }),
            Few::Many(regions) => {
                // Only a split needs the elements' byte spans: scan again, recording them.
                let layout = scratch.layout.scan_layout(&body, &self.limits)?;
                Few::Many(split::split(
                    &body,
                    layout.elements(),
                    items.as_slice(),
                    &regions,
                )?)
            }
        };
        Ok(Decision {
            provider,
            body,
            side,
            items,
            bodies,
        })
    }

    /// The routable items of `body`, found by the routing scan without building the
    /// `wa-payload` model: the items [`wa_payload::Webhook::items`] yields, from the same
    /// code.
    ///
    /// ```
    /// use residency_core::route::{Router, Scratch};
    ///
    /// let body = br#"{"event":"messages.received","data":{"messages":{"key":{"id":"K1",
    ///   "remoteJid":"919812345678@s.whatsapp.net","cleanedSenderPn":"919812345678"}}}}"#;
    /// let mut scratch = Scratch::default();
    /// let items: Vec<_> = Router::seed().items(body, &mut scratch)?.collect();
    /// assert_eq!(items[0].id, Some("K1"));
    /// assert_eq!(items[0].party.phone, Some("919812345678"));
    /// assert_eq!(items, wa_payload::parse(body).unwrap().items().collect::<Vec<_>>());
    /// # Ok::<(), residency_core::route::RouteError>(())
    /// ```
    pub fn items<'s>(
        &self,
        body: &'s [u8],
        scratch: &'s mut Scratch,
    ) -> Result<impl ExactSizeIterator<Item = wa_payload::Item<'s>> + 's, RouteError> {
        let scan = scratch.scan.scan(body, &self.limits)?;
        Ok(scan.items())
    }
}

/// A string of a decision: a span of its body, or an index into its own decoded strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Span(u32, u32),
    Side(u32),
}

/// Where `s` (a string the scan gave for `body`) lives: a span when it points into the body,
/// else a copy (it was decoded from escapes, into memory of its own).
fn text_of(body: &[u8], base: usize, s: &str, side: &mut Vec<String>) -> Text {
    // An address inside the body's bytes can only be a slice of them: no need to compare.
    let start = (s.as_ptr() as usize).wrapping_sub(base);
    let end = start.wrapping_add(s.len());
    if start <= body.len() && end <= body.len() && start <= end {
        return Text::Span(to_u32(start), to_u32(end));
    }
    side.push(s.to_owned());
    Text::Side(to_u32(side.len() - 1))
}

/// A list that stays inline while it holds at most one element: the items and the bodies of
/// a decision, which for most webhooks are one message and one region.
#[derive(Debug, Clone)]
enum Few<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Few<T> {
    /// An empty list for `expected` elements (heap capacity only when more than one).
    fn new(expected: usize) -> Self {
        Self::Many(if expected > 1 {
            Vec::with_capacity(expected)
        } else {
            Vec::new()
        })
    }

    fn push(&mut self, value: T) {
        match self {
            Self::Many(v) if v.capacity() == 0 => *self = Self::One(value),
            Self::Many(v) => v.push(value),
            Self::One(_) => {
                let Self::One(first) = std::mem::replace(self, Self::Many(Vec::new())) else {
                    return;
                };
                *self = Self::Many(vec![first, value]);
            }
        }
    }

    fn as_slice(&self) -> &[T] {
        match self {
            Self::One(value) => std::slice::from_ref(value),
            Self::Many(v) => v,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Default for Router {
    fn default() -> Self {
        Self::seed()
    }
}

/// Buffers a router reuses across calls ([`Router::route_with`]).
///
/// `Debug` shows sizes only: the buffers can hold decoded strings of the last body.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    scan: Scanner,
    layout: Scanner,
}

/// The routing decision for one body.
///
/// `Debug` shows kinds, countries and regions, never ids or bodies.
#[derive(Clone)]
pub struct Decision {
    provider: Provider,
    body: Bytes,
    side: Vec<String>,
    items: Few<RoutedItem>,
    /// One per region, in the order regions first appear (`RoutedItem::region` indexes it).
    bodies: Few<RegionBody>,
}

#[derive(Debug, Clone, Copy)]
struct RoutedItem {
    kind: ItemKind,
    role: Role,
    id: Option<Text>,
    country: Option<Country>,
    basis: Basis,
    reason: Option<Unattributed>,
    region: usize,
    pos: Position,
}

impl Decision {
    /// The provider the body came from.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Every routed item, in document order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = ItemDecision<'_>> + Clone + '_ {
        self.items.as_slice().iter().map(move |item| ItemDecision {
            decision: self,
            item,
        })
    }

    /// The bodies to forward, one per region, in the order regions first appear.
    pub fn bodies(&self) -> &[RegionBody] {
        self.bodies.as_slice()
    }

    /// Whether the batch had to be split across regions.
    pub fn is_split(&self) -> bool {
        self.bodies.len() > 1
    }

    /// The original body as received.
    pub fn original(&self) -> &Bytes {
        &self.body
    }

    fn text(&self, t: Text) -> &str {
        match t {
            Text::Span(a, b) => self
                .body
                .get(a as usize..b as usize)
                .and_then(|s| std::str::from_utf8(s).ok())
                .unwrap_or_default(),
            Text::Side(i) => self.side.get(i as usize).map_or("", String::as_str),
        }
    }
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .field("items", &self.items().collect::<Vec<_>>())
            .field("bodies", &self.bodies())
            .finish()
    }
}

/// One item of a [`Decision`]: what it is, whose it is, and where it goes.
#[derive(Clone, Copy)]
pub struct ItemDecision<'d> {
    decision: &'d Decision,
    item: &'d RoutedItem,
}

impl<'d> ItemDecision<'d> {
    /// The item's kind.
    pub fn kind(&self) -> ItemKind {
        self.item.kind
    }

    /// The item's id (wamid, call id, WASender key id), if it has one.
    ///
    /// A wamid encodes the user's phone number: treat it as personal data.
    pub fn id(&self) -> Option<&'d str> {
        self.item.id.map(|t| self.decision.text(t))
    }

    /// The role of the party the item was routed by.
    pub fn role(&self) -> Role {
        self.item.role
    }

    /// The party's country, if one could be attributed.
    pub fn country(&self) -> Option<Country> {
        self.item.country
    }

    /// The data-protection regime of the party's country ([`Regime::of`]), if a country was
    /// attributed. A delivery topology compares it with what the item's region may hold.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use residency_core::{Regime, route::Router};
    ///
    /// let body = Bytes::from_static(br#"{"object":"whatsapp_business_account","entry":[{"id":"1",
    ///   "changes":[{"field":"messages","value":{"messages":[{"from":"79161234567","id":"wamid.R",
    ///   "timestamp":"1","type":"text","text":{"body":"privet"}}]}}]}]}"#);
    /// let decision = Router::seed().route(body)?;
    /// assert_eq!(decision.items().next().unwrap().regime(), Some(Regime::Russia152Fz));
    /// # Ok::<(), residency_core::route::RouteError>(())
    /// ```
    pub fn regime(&self) -> Option<Regime> {
        self.item.country.map(Regime::of)
    }

    /// What the attribution rests on.
    pub fn basis(&self) -> Basis {
        self.item.basis
    }

    /// Why the item is unattributed, if it is.
    pub fn reason(&self) -> Option<Unattributed> {
        self.item.reason
    }

    /// The region the item is routed to.
    pub fn region(&self) -> &'d Region {
        // `region` always indexes the bodies (never empty); fall back to the first.
        let bodies = self.decision.bodies();
        &bodies
            .get(self.item.region)
            .or(bodies.first())
            .expect("a decision has at least one body")
            .region
    }
}

impl fmt::Debug for ItemDecision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemDecision")
            .field("kind", &self.kind())
            .field("id", &self.item.id.map(|_| "[REDACTED]"))
            .field("role", &self.role())
            .field("country", &self.country())
            .field("basis", &self.basis())
            .field("reason", &self.reason())
            .field("region", self.region())
            .finish()
    }
}

/// A body to forward to one region.
#[derive(Clone)]
pub struct RegionBody {
    region: Region,
    body: Bytes,
    items: usize,
    unchanged: bool,
}

impl RegionBody {
    /// The region this body goes to.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The bytes to forward.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// How many routed items the body holds.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// Whether this is the original body, byte for byte (so the provider's signature holds).
    pub fn is_unchanged(&self) -> bool {
        self.unchanged
    }

    /// The edge signature header for a rebuilt body, made with `key` at `now` (Unix
    /// seconds) for a first forward (`x-failover-count: 0`); `None` for an unchanged body,
    /// which keeps the provider's own signature. `residency-delivery` signs every attempt,
    /// failover hops included, with its own hop count.
    pub fn edge_signature(
        &self,
        key: &EdgeKey,
        now: residency_time::UnixSeconds,
    ) -> Option<String> {
        (!self.unchanged).then(|| key.sign(&self.body, 0, EdgePurpose::Deliver, now))
    }
}

impl fmt::Debug for RegionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionBody")
            .field("region", &self.region)
            .field("body_len", &self.body.len())
            .field("items", &self.items)
            .field("unchanged", &self.unchanged)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_stays_inline_for_one_element_and_keeps_order() {
        let mut one = Few::new(1);
        one.push('a');
        assert!(matches!(one, Few::One('a')));
        assert_eq!(one.as_slice(), ['a']);
        let mut grown = Few::new(1);
        for c in ['a', 'b', 'c'] {
            grown.push(c);
        }
        assert_eq!((grown.len(), grown.as_slice()), (3, &['a', 'b', 'c'][..]));
        let mut sized = Few::new(3);
        for c in ['x', 'y', 'z'] {
            sized.push(c);
        }
        assert_eq!(sized.as_slice(), ['x', 'y', 'z']);
        assert!(Few::<u8>::new(0).as_slice().is_empty());
    }

    #[test]
    fn ids_are_spans_of_the_body_unless_decoded() {
        let body = br#"{"id":"wamid.A"}"#;
        let base = body.as_ptr() as usize;
        let mut side = Vec::new();
        let inside = std::str::from_utf8(&body[7..14]).unwrap();
        assert_eq!(text_of(body, base, inside, &mut side), Text::Span(7, 14));
        let decoded = String::from("wamid.A");
        assert_eq!(text_of(body, base, &decoded, &mut side), Text::Side(0));
        assert_eq!(side, ["wamid.A"]);
    }

    #[test]
    fn one_region_bodies_forward_the_original_bytes() {
        let body = Bytes::from_static(
            br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"4915112345678","id":"wamid.A"},{"from":"33612345678","id":"wamid.B"}]}}]}]}"#,
        );
        let decision = Router::seed().route(body.clone()).unwrap();
        assert_eq!(decision.bodies().len(), 1);
        assert_eq!(decision.bodies()[0].body(), &body);
        assert!(decision.items().all(|i| i.region() == &Region::EU));
        assert_eq!(
            decision.items().map(|i| i.id()).collect::<Vec<_>>(),
            [Some("wamid.A"), Some("wamid.B")]
        );
    }
}
