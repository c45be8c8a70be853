//! The party view: every routable item of a body, with the identity that decides where its
//! data may live. The rules are the table in the crate docs (README "Routable items").

use std::fmt;

use crate::Webhook;
use crate::cloud::{Notification, Value};
use crate::json::OneOrMany;
use crate::wasender::{CallRecord, Data, Event, GroupParticipants, MessageKey, MessageRecord};

/// What a routable item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// A Cloud API inbound message.
    Message,
    /// A Cloud API status.
    Status,
    /// A Cloud API call event.
    Call,
    /// A Cloud API `smb_message_echoes` message.
    Echo,
    /// A Cloud API user preference.
    UserPreference,
    /// A WASender event item.
    Event,
    /// A Cloud API management change (templates, account updates, history, ...).
    Account,
}

impl ItemKind {
    /// `"message"`, `"status"`, `"call"`, `"echo"`, `"user_preference"`, `"event"`, `"account"`.
    ///
    /// ```
    /// assert_eq!(wa_payload::ItemKind::UserPreference.as_str(), "user_preference");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Status => "status",
            Self::Call => "call",
            Self::Echo => "echo",
            Self::UserPreference => "user_preference",
            Self::Event => "event",
            Self::Account => "account",
        }
    }
}

/// The role of a party in its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The user who sent the item.
    Sender,
    /// The user the item was sent to.
    Recipient,
    /// A group participant.
    Participant,
    /// The business itself (management fields, session events).
    Business,
}

impl Role {
    /// `"sender"`, `"recipient"`, `"participant"`, `"business"`.
    ///
    /// ```
    /// assert_eq!(wa_payload::Role::Participant.as_str(), "participant");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "sender",
            Self::Recipient => "recipient",
            Self::Participant => "participant",
            Self::Business => "business",
        }
    }
}

/// The business an `account` item concerns.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Business<'a> {
    /// WhatsApp Business Account id (`entry[].id`).
    pub waba_id: Option<&'a str>,
    /// Business phone number id (`value.metadata.phone_number_id`).
    pub phone_number_id: Option<&'a str>,
}

impl fmt::Debug for Business<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Business ids are not personal data.
        f.debug_struct("Business")
            .field("waba_id", &self.waba_id)
            .field("phone_number_id", &self.phone_number_id)
            .finish()
    }
}

/// The identity of an item's party. `Debug` is redacted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Party<'a> {
    /// The party's role.
    pub role: Role,
    /// Phone as found (Cloud `from`/`wa_id`/`recipient_id`/..., WASender cleaned phone or the
    /// user part of an `@s.whatsapp.net` JID). Not validated.
    pub phone: Option<&'a str>,
    /// Business-scoped user id (`CC.xxxx`).
    pub user_id: Option<&'a str>,
    /// WASender `@lid` JID (carries no phone).
    pub lid: Option<&'a str>,
    /// For [`Role::Business`] items of the Cloud API: the business.
    pub business: Option<Business<'a>>,
}

impl<'a> Party<'a> {
    fn new(role: Role) -> Self {
        Self {
            role,
            phone: None,
            user_id: None,
            lid: None,
            business: None,
        }
    }
}

impl fmt::Debug for Party<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phone = self.phone.map(crate::Phone::new);
        f.debug_struct("Party")
            .field("role", &self.role)
            .field("phone", &phone)
            .field("user_id", &self.user_id.map(|_| "[REDACTED]"))
            .field("lid", &self.lid.map(|_| "[REDACTED]"))
            .field("business", &self.business)
            .finish()
    }
}

/// One routable item of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Not `#[non_exhaustive]`: residency-core's routing scan builds `Item`s so that its output can
// be compared with `Webhook::items` field for field.
pub struct Item<'a> {
    /// What it is.
    pub kind: ItemKind,
    /// `wamid`, call id, WASender `key.id`, or `None`.
    pub id: Option<&'a str>,
    /// Who it concerns.
    pub party: Party<'a>,
    /// Index of the Cloud API entry (0 for WASender).
    pub entry: usize,
    /// Index of the change within the entry (0 for WASender).
    pub change: usize,
    /// Index within its array (message, status, ... or WASender record); 0 for `account`.
    pub index: usize,
    /// The Cloud API change `field`, or the WASender event name.
    pub field: Option<&'a str>,
}

/// Iterator over the routable items of a [`Webhook`], in document order.
///
/// `'m` is the borrow of the model, `'a` the lifetime of the input body.
#[derive(Debug, Clone)]
pub struct Items<'m, 'a> {
    inner: std::vec::IntoIter<Item<'m>>,
    _model: std::marker::PhantomData<&'m Webhook<'a>>,
}

impl<'m, 'a> Items<'m, 'a> {
    pub(crate) fn new(webhook: &'m Webhook<'a>) -> Self {
        let mut out = Vec::new();
        match webhook {
            Webhook::CloudApi(n) => cloud_items(n, &mut out),
            Webhook::Wasender(e) => wasender_items(e, &mut out),
        }
        Self {
            inner: out.into_iter(),
            _model: std::marker::PhantomData,
        }
    }
}

impl<'m> Iterator for Items<'m, '_> {
    type Item = Item<'m>;
    fn next(&mut self) -> Option<Item<'m>> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Items<'_, '_> {}

/// Change fields whose arrays are routed per user.
const ROUTABLE_FIELDS: &[&str] = &[
    "messages",
    "calls",
    "smb_message_echoes",
    "user_preferences",
];

fn cloud_items<'m>(n: &'m Notification<'_>, out: &mut Vec<Item<'m>>) {
    for (ei, entry) in n.entries().iter().enumerate() {
        for (ci, change) in entry.changes().iter().enumerate() {
            let field = change.field.as_deref();
            let before = out.len();
            let base = Item {
                kind: ItemKind::Account,
                id: None,
                party: Party::new(Role::Business),
                entry: ei,
                change: ci,
                index: 0,
                field,
            };
            let value = change.value.as_ref();
            if let (Some(v), Some(f)) = (value, field)
                && ROUTABLE_FIELDS.contains(&f)
            {
                routable_items(v, base, out);
            }
            if out.len() == before {
                let mut party = Party::new(Role::Business);
                party.business = Some(crate::Business {
                    waba_id: entry.id.as_deref(),
                    phone_number_id: value.and_then(Value::phone_number_id),
                });
                out.push(Item { party, ..base });
            }
        }
    }
}

fn routable_items<'m>(v: &'m Value<'_>, base: Item<'m>, out: &mut Vec<Item<'m>>) {
    for (i, m) in v.messages.iter().flatten().enumerate() {
        let role = if m.group_id.is_some() {
            Role::Participant
        } else {
            Role::Sender
        };
        let mut party = Party::new(role);
        party.phone = m.from.as_ref().map(|p| p.as_str());
        party.user_id = m.from_user_id.as_ref().map(|u| u.as_str());
        out.push(Item {
            kind: ItemKind::Message,
            id: m.id.as_deref(),
            party,
            index: i,
            ..base
        });
    }
    for (i, s) in v.statuses.iter().flatten().enumerate() {
        let party = if s.is_group() {
            let mut p = Party::new(Role::Participant);
            p.phone = s.recipient_participant_id.as_ref().map(|p| p.as_str());
            p.user_id = s.recipient_participant_user_id.as_ref().map(|u| u.as_str());
            p
        } else {
            let mut p = Party::new(Role::Recipient);
            p.phone = s.recipient_id.as_ref().map(|p| p.as_str());
            p.user_id = s.recipient_user_id.as_ref().map(|u| u.as_str());
            p
        };
        out.push(Item {
            kind: ItemKind::Status,
            id: s.id.as_deref(),
            party,
            index: i,
            ..base
        });
    }
    for (i, c) in v.calls.iter().flatten().enumerate() {
        let party = if c.is_business_initiated() {
            let mut p = Party::new(Role::Recipient);
            p.phone = c.to.as_ref().map(|p| p.as_str());
            p.user_id = c.to_user_id.as_ref().map(|u| u.as_str());
            p
        } else {
            let mut p = Party::new(Role::Sender);
            p.phone = c.from.as_ref().map(|p| p.as_str());
            p.user_id = c.from_user_id.as_ref().map(|u| u.as_str());
            p
        };
        out.push(Item {
            kind: ItemKind::Call,
            id: c.id.as_deref(),
            party,
            index: i,
            ..base
        });
    }
    for (i, e) in v.message_echoes.iter().flatten().enumerate() {
        let mut party = Party::new(Role::Recipient);
        party.phone = e.to.as_ref().map(|p| p.as_str());
        party.user_id = e.to_user_id.as_ref().map(|u| u.as_str());
        out.push(Item {
            kind: ItemKind::Echo,
            id: e.id.as_deref(),
            party,
            index: i,
            ..base
        });
    }
    for (i, u) in v.user_preferences.iter().flatten().enumerate() {
        let mut party = Party::new(Role::Sender);
        party.phone = u.wa_id.as_ref().map(|p| p.as_str());
        party.user_id = u.user_id.as_ref().map(|u| u.as_str());
        out.push(Item {
            kind: ItemKind::UserPreference,
            id: None,
            party,
            index: i,
            ..base
        });
    }
}

/// The phone a WASender value gives: itself when it has no `@`, the user part of an
/// `@s.whatsapp.net` JID, else none. Empty values give none.
///
/// ```
/// use wa_payload::wasender::phone_of;
/// assert_eq!(phone_of("5551234567"), Some("5551234567"));
/// assert_eq!(phone_of("5551234567@s.whatsapp.net"), Some("5551234567"));
/// assert_eq!(phone_of("123456789@lid"), None);
/// assert_eq!(phone_of("1203@g.us"), None);
/// assert_eq!(phone_of(""), None);
/// ```
pub fn phone_of(value: &str) -> Option<&str> {
    if value.is_empty() {
        return None;
    }
    match value.split_once('@') {
        None => Some(value),
        Some((user, domain)) => (domain == "s.whatsapp.net" && !user.is_empty()).then_some(user),
    }
}

/// Whether a WASender value is an `@lid` JID.
fn is_lid(value: &str) -> bool {
    value.ends_with("@lid")
}

fn first_phone<'m>(candidates: &[Option<&'m str>]) -> Option<&'m str> {
    candidates.iter().flatten().find_map(|v| phone_of(v))
}

fn first_lid<'m>(candidates: &[Option<&'m str>]) -> Option<&'m str> {
    candidates.iter().flatten().copied().find(|v| is_lid(v))
}

fn key_party<'m>(key: Option<&'m MessageKey<'_>>) -> Party<'m> {
    let Some(k) = key else {
        return Party::new(Role::Sender);
    };
    let participant = k.participant.as_ref().map(|v| v.as_str());
    let remote = k.remote_jid.as_ref().map(|v| v.as_str());
    let role = if participant.is_some_and(|p| !p.is_empty())
        || remote.is_some_and(|r| r.ends_with("@g.us"))
    {
        Role::Participant
    } else if k.from_me == Some(true) {
        Role::Recipient
    } else {
        Role::Sender
    };
    let mut party = Party::new(role);
    party.phone = first_phone(&[
        k.cleaned_participant_pn.as_ref().map(|v| v.as_str()),
        k.participant_pn.as_ref().map(|v| v.as_str()),
        k.cleaned_sender_pn.as_ref().map(|v| v.as_str()),
        k.sender_pn.as_ref().map(|v| v.as_str()),
        participant,
        remote,
    ]);
    party.lid = first_lid(&[
        k.participant_lid.as_ref().map(|v| v.as_str()),
        k.sender_lid.as_ref().map(|v| v.as_str()),
        participant,
        remote,
    ]);
    party
}

fn wasender_items<'m>(e: &'m Event<'_>, out: &mut Vec<Item<'m>>) {
    let base = Item {
        kind: ItemKind::Event,
        id: None,
        party: Party::new(Role::Business),
        entry: 0,
        change: 0,
        index: 0,
        field: Some(e.event.as_ref()),
    };
    match &e.data {
        Some(Data::Messages(data)) => {
            for (i, r) in MessageRecord::records(data).iter().enumerate() {
                let key = r.key();
                out.push(Item {
                    id: key.and_then(|k| k.id.as_deref()),
                    party: key_party(key),
                    index: i,
                    ..base
                });
            }
        }
        Some(Data::Calls(data)) => {
            for (i, c) in calls(data).enumerate() {
                let c = c.call.as_deref().unwrap_or(c);
                let from = c.from.as_ref().map(|v| v.as_str());
                let caller = c.caller.as_ref().map(|v| v.as_str());
                let mut party = Party::new(Role::Sender);
                party.phone = first_phone(&[from, caller]);
                party.lid = first_lid(&[from, caller]);
                out.push(Item {
                    id: c.id.as_deref().or(c.call_id.as_deref()),
                    party,
                    index: i,
                    ..base
                });
            }
        }
        Some(Data::GroupParticipants(g)) => group_items(g, base, out),
        _ => {}
    }
    if out.is_empty() {
        out.push(base);
    }
}

fn calls<'m, 'a>(data: &'m OneOrMany<CallRecord<'a>>) -> impl Iterator<Item = &'m CallRecord<'a>> {
    data.as_slice().iter()
}

fn group_items<'m>(g: &'m GroupParticipants<'_>, base: Item<'m>, out: &mut Vec<Item<'m>>) {
    for (i, p) in g.participants.iter().flatten().enumerate() {
        let value = p.as_plain_str();
        let mut party = Party::new(Role::Participant);
        party.phone = value.and_then(phone_of);
        party.lid = value.filter(|v| is_lid(v));
        out.push(Item {
            party,
            index: i,
            ..base
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(body: &[u8]) -> Vec<(ItemKind, Option<String>, Role, Option<String>)> {
        let w = crate::parse(body).unwrap();
        w.items()
            .map(|i| {
                (
                    i.kind,
                    i.id.map(str::to_owned),
                    i.party.role,
                    i.party.phone.map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn batch_across_entries_changes_and_arrays() {
        let body = br#"{"object":"w","entry":[
          {"id":"W1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P1"},
            "messages":[{"from":"49151","id":"m1"},{"from":"55119","id":"m2","group_id":"G"}],
            "statuses":[{"id":"s1","recipient_id":"91987"}]}}]},
          {"id":"W2","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}},
            {"field":"messages","value":{"messages":[]}}]}]}"#;
        let got = items(body);
        assert_eq!(got.len(), 5);
        assert_eq!(
            got[0],
            (
                ItemKind::Message,
                Some("m1".into()),
                Role::Sender,
                Some("49151".into())
            )
        );
        assert_eq!(got[1].2, Role::Participant);
        assert_eq!(
            got[2],
            (
                ItemKind::Status,
                Some("s1".into()),
                Role::Recipient,
                Some("91987".into())
            )
        );
        assert_eq!(got[3].0, ItemKind::Account);
        assert_eq!(got[4].0, ItemKind::Account);
        let w = crate::parse(body).unwrap();
        let account = w.items().nth(3).unwrap();
        assert_eq!(account.party.business.unwrap().waba_id, Some("W2"));
        assert_eq!((account.entry, account.change), (1, 0));
    }

    #[test]
    fn wasender_key_rules() {
        let body = br#"{"event":"messages.upsert","data":{"messages":[
          {"key":{"id":"a","remoteJid":"1203@g.us","participant":"77@lid","participantPn":"4915@s.whatsapp.net"}},
          {"key":{"id":"b","fromMe":true,"remoteJid":"5511@s.whatsapp.net"}},
          {"key":{"id":"c","remoteJid":"99@lid"}}]}}"#;
        let w = crate::parse(body).unwrap();
        let got: Vec<_> = w.items().collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].party.role, got[0].party.phone, got[0].party.lid),
            (Role::Participant, Some("4915"), Some("77@lid"))
        );
        assert_eq!(
            (got[1].party.role, got[1].party.phone),
            (Role::Recipient, Some("5511"))
        );
        assert_eq!(
            (got[2].party.role, got[2].party.phone, got[2].party.lid),
            (Role::Sender, None, Some("99@lid"))
        );
    }

    #[test]
    fn other_wasender_event_yields_one_business_item() {
        let got = items(br#"{"event":"qrcode.updated","data":{"qr":"x"}}"#);
        assert_eq!(got, vec![(ItemKind::Event, None, Role::Business, None)]);
    }

    #[test]
    fn party_debug_is_redacted() {
        let w = crate::parse(br#"{"event":"messages.upsert","data":{"key":{"id":"a","remoteJid":"4915112345678@s.whatsapp.net","senderLid":"123456789@lid"}}}"#).unwrap();
        let item = w.items().next().unwrap();
        let dbg = format!("{item:?}");
        assert!(
            !dbg.contains("4915112345678") && !dbg.contains("123456789"),
            "{dbg}"
        );
    }
}
