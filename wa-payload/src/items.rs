//! The party view: every routable item of a body, with the identity that decides where its
//! data may live. The rules are the table in the crate docs (README "Routable items").

use std::fmt;

use std::borrow::Cow;

#[cfg(doc)]
use crate::Webhook;

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
    /// A Cloud API management change (templates, account updates, ...): a change without
    /// party-shaped content.
    Account,
    /// A Cloud API contact: a `contacts[]` entry that no item of its change matched, a
    /// `state_sync[]` contact, or a history thread without messages.
    Contact,
}

impl ItemKind {
    /// `"message"`, `"status"`, `"call"`, `"echo"`, `"user_preference"`, `"event"`,
    /// `"account"`, `"contact"`.
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
            Self::Contact => "contact",
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
    /// A group participant, or the person a contact, chat, group owner or history thread is
    /// about.
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

/// Where an item was found in its change or event: the array it came from.
///
/// Within a Cloud API change, items come out in the order of these slots (messages first,
/// then statuses, calls, echoes, user preferences, history, state sync, contacts), each array
/// in its own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Slot {
    /// `value.messages[]`.
    Messages,
    /// `value.statuses[]`.
    Statuses,
    /// `value.calls[]`.
    Calls,
    /// `value.message_echoes[]`.
    Echoes,
    /// `value.user_preferences[]`.
    UserPreferences,
    /// `value.history[chunk].threads[thread].messages[]`.
    History {
        /// The history chunk.
        chunk: u32,
        /// The thread within it.
        thread: u32,
    },
    /// `value.history[chunk].threads[]`: a thread without messages.
    Thread {
        /// The history chunk.
        chunk: u32,
    },
    /// `value.state_sync[]`.
    StateSync,
    /// `value.contacts[]`: a contact that no item of its change matched.
    Contacts,
    /// The change as a whole (a change without party-shaped content).
    Change,
    /// WASender: the element of `data`, an array.
    WaData,
    /// WASender: an element of a `messages` array (of `data`, or of `data[parent]`).
    WaMessages {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
    /// WASender: an element of a `keys` array.
    WaKeys {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
    /// WASender: an element of a `participants` array.
    WaParticipants {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
    /// WASender: `data` as a whole (or the whole body when it yields no other item).
    WaWhole,
}

impl Slot {
    /// The rank of the slot in the item order of a change.
    pub(crate) fn order(self) -> u8 {
        match self {
            Self::Messages => 0,
            Self::Statuses => 1,
            Self::Calls => 2,
            Self::Echoes => 3,
            Self::UserPreferences => 4,
            Self::History { .. } | Self::Thread { .. } => 5,
            Self::StateSync => 6,
            Self::Contacts => 7,
            _ => 8,
        }
    }
}

/// One routable item of a body. `Debug` is redacted (an id such as a wamid encodes a
/// phone number).
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The array the item came from.
    pub slot: Slot,
    /// Index within that array (0 for whole-change and whole-body items).
    pub index: usize,
    /// The Cloud API change `field`, or the WASender event name.
    pub field: Option<&'a str>,
}

impl fmt::Debug for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("kind", &self.kind)
            .field("id", &self.id.map(|_| "[REDACTED]"))
            .field("party", &self.party)
            .field("entry", &self.entry)
            .field("change", &self.change)
            .field("slot", &self.slot)
            .field("index", &self.index)
            .field("field", &self.field)
            .finish()
    }
}

/// An item with its strings detached from the scanner (kept by a [`Webhook`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemData<'a> {
    pub(crate) kind: ItemKind,
    pub(crate) role: Role,
    pub(crate) id: Option<Cow<'a, str>>,
    pub(crate) phone: Option<Cow<'a, str>>,
    pub(crate) user_id: Option<Cow<'a, str>>,
    pub(crate) lid: Option<Cow<'a, str>>,
    pub(crate) waba_id: Option<Cow<'a, str>>,
    pub(crate) phone_number_id: Option<Cow<'a, str>>,
    pub(crate) field: Option<Cow<'a, str>>,
    pub(crate) pos: crate::scan::Position,
}

impl ItemData<'_> {
    pub(crate) fn view(&self) -> Item<'_> {
        fn get<'x>(c: &'x Option<Cow<'_, str>>) -> Option<&'x str> {
            c.as_deref()
        }
        let business =
            (self.role == Role::Business && self.kind == ItemKind::Account).then(|| Business {
                waba_id: get(&self.waba_id),
                phone_number_id: get(&self.phone_number_id),
            });
        Item {
            kind: self.kind,
            id: get(&self.id),
            party: Party {
                role: self.role,
                phone: get(&self.phone),
                user_id: get(&self.user_id),
                lid: get(&self.lid),
                business,
            },
            entry: self.pos.entry as usize,
            change: self.pos.change as usize,
            slot: self.pos.slot,
            index: self.pos.index as usize,
            field: get(&self.field),
        }
    }

    pub(crate) fn into_owned(self) -> ItemData<'static> {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        ItemData {
            kind: self.kind,
            role: self.role,
            id: own(self.id),
            phone: own(self.phone),
            user_id: own(self.user_id),
            lid: own(self.lid),
            waba_id: own(self.waba_id),
            phone_number_id: own(self.phone_number_id),
            field: own(self.field),
            pos: self.pos,
        }
    }
}

/// Iterator over the routable items of a [`Webhook`], in document order.
#[derive(Debug, Clone)]
pub struct Items<'m> {
    inner: std::slice::Iter<'m, ItemData<'m>>,
}

impl<'m> Items<'m> {
    pub(crate) fn new(items: &'m [ItemData<'m>]) -> Self {
        Self {
            inner: items.iter(),
        }
    }
}

impl<'m> Iterator for Items<'m> {
    type Item = Item<'m>;
    fn next(&mut self) -> Option<Item<'m>> {
        self.inner.next().map(ItemData::view)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Items<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (ItemKind, Option<String>, Role, Option<String>);

    fn items(body: &[u8]) -> Vec<Row> {
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

    fn row(kind: ItemKind, id: Option<&str>, role: Role, phone: Option<&str>) -> Row {
        (kind, id.map(str::to_owned), role, phone.map(str::to_owned))
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
            row(ItemKind::Message, Some("m1"), Role::Sender, Some("49151"))
        );
        assert_eq!(got[1].2, Role::Participant);
        assert_eq!(
            got[2],
            row(ItemKind::Status, Some("s1"), Role::Recipient, Some("91987"))
        );
        assert_eq!(got[3].0, ItemKind::Account);
        assert_eq!(got[4].0, ItemKind::Account);
        let w = crate::parse(body).unwrap();
        let account = w.items().nth(3).unwrap();
        assert_eq!(account.party.business.unwrap().waba_id, Some("W2"));
        assert_eq!((account.entry, account.change), (1, 0));
    }

    #[test]
    fn a_management_field_holding_messages_routes_them_by_sender() {
        for field in [
            "account_update",
            "message_template_status_update",
            "no_such_field",
        ] {
            let body = format!(
                r#"{{"object":"w","entry":[{{"id":"W","changes":[{{"field":"{field}",
                "value":{{"messages":[{{"from":"4915112345678","id":"m1"}}]}}}}]}}]}}"#
            );
            assert_eq!(
                items(body.as_bytes()),
                [row(
                    ItemKind::Message,
                    Some("m1"),
                    Role::Sender,
                    Some("4915112345678")
                )],
                "{field}"
            );
        }
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
        assert_eq!(got, vec![row(ItemKind::Event, None, Role::Business, None)]);
    }

    #[test]
    fn any_wasender_event_routes_the_people_it_carries() {
        let got = items(
            br#"{"event":"session.status","data":{"key":{"id":"K","remoteJid":"4915112345678@s.whatsapp.net"}}}"#,
        );
        assert_eq!(
            got,
            [row(
                ItemKind::Event,
                Some("K"),
                Role::Sender,
                Some("4915112345678")
            )]
        );
        let got = items(br#"{"event":"contacts.upsert","data":[{"jid":"4915112345678","name":"A"},{"jid":"1203@g.us"}]}"#);
        assert_eq!(
            got,
            [
                row(
                    ItemKind::Event,
                    None,
                    Role::Participant,
                    Some("4915112345678")
                ),
                row(ItemKind::Event, None, Role::Business, None),
            ]
        );
    }

    #[test]
    fn party_and_item_debug_are_redacted() {
        let w = crate::parse(br#"{"event":"messages.upsert","data":{"key":{"id":"wamid.HBgLNDkxNTE","remoteJid":"4915112345678@s.whatsapp.net","senderLid":"123456789@lid"}}}"#).unwrap();
        let item = w.items().next().unwrap();
        let dbg = format!("{item:?}");
        for secret in ["4915112345678", "123456789", "HBgL"] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
    }
}
