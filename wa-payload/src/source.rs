//! The typed object each routable item was read from.
//!
//! An [`Item`] says who an item concerns and where it sits ([`Slot`], indices);
//! [`Webhook::source`] hands back the object of the typed model at that place, so code that
//! needs more of an item than its party (a message's type, a status's pricing, a record's
//! timestamp) reads typed fields instead of walking JSON paths a second time. Both follow
//! the one set of rules of [`scan`](crate::scan): a change of the rules moves both.
//!
//! ```
//! use wa_payload::Source;
//!
//! let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"statuses":[{"id":"wamid.A","status":"read","timestamp":"1749416390","recipient_id":"919876543210","pricing":{"category":"utility"}}]}}]}]}"#;
//! let webhook = wa_payload::parse(body)?;
//! let item = webhook.items().next().unwrap();
//! let Some(Source::Status(status)) = webhook.source(&item) else { unreachable!() };
//! assert_eq!(status.pricing.as_ref().and_then(|p| p.category.as_deref()), Some("utility"));
//! # Ok::<(), wa_payload::PayloadError>(())
//! ```

use crate::cloud;
use crate::items::{Item, Slot};
use crate::json::{OneOrMany, Raw};
use crate::pii::Jid;
use crate::wasender::{self, Data, DataElement, Record};
use crate::{Model, Webhook};

/// The typed object an [`Item`] was read from (see [`Webhook::source`]).
///
/// `Debug` is redacted as the model's types are.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Source<'m, 'a> {
    /// A Cloud API message: of `messages`, of `message_echoes`, or of a history thread.
    Message(&'m cloud::Message<'a>),
    /// A Cloud API status.
    Status(&'m cloud::Status<'a>),
    /// A Calling API event.
    Call(&'m cloud::Call<'a>),
    /// A marketing-preference change.
    UserPreference(&'m cloud::UserPreference<'a>),
    /// A history thread without messages.
    Thread(&'m cloud::HistoryThread<'a>),
    /// A contact-book change of the business app.
    StateSync(&'m cloud::StateSync<'a>),
    /// A contact that no item of its change matched.
    Contact(&'m cloud::Contact<'a>),
    /// A change without party-shaped content, with its entry.
    Change {
        /// The entry holding the change.
        entry: &'m cloud::Entry<'a>,
        /// The change.
        change: &'m cloud::Change<'a>,
    },
    /// A WASender record: a message record, a call, a group, a contact or a chat (the
    /// innermost record, past `messages`, `message` and `call` wrappers).
    Record(&'m Record<'a>),
    /// A WASender message key of a `keys` array.
    Key(&'m wasender::MessageKey<'a>),
    /// A WASender id string (a JID or a phone number) in `data` or a list.
    Id(&'m Jid<'a>),
    /// A WASender value of another JSON type in a list, verbatim.
    Raw(&'m Raw<'a>),
    /// The WASender event as a whole (an event with no record of a person).
    Event(&'m wasender::Event<'a>),
}

/// A source serializes as its object (for [`Source::Change`], the change), so the JSON of
/// one item is `serde_json::to_value(source)`: equal to that object in the body.
impl serde::Serialize for Source<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Source::Message(v) => v.serialize(s),
            Source::Status(v) => v.serialize(s),
            Source::Call(v) => v.serialize(s),
            Source::UserPreference(v) => v.serialize(s),
            Source::Thread(v) => v.serialize(s),
            Source::StateSync(v) => v.serialize(s),
            Source::Contact(v) => v.serialize(s),
            Source::Change { change, .. } => change.serialize(s),
            Source::Record(v) => v.serialize(s),
            Source::Key(v) => v.serialize(s),
            Source::Id(v) => v.serialize(s),
            Source::Raw(v) => v.serialize(s),
            Source::Event(v) => v.serialize(s),
        }
    }
}

impl<'a> Webhook<'a> {
    /// The typed object `item` was read from, or `None` when `item` is not an item of this
    /// webhook.
    ///
    /// For every item of [`Webhook::items`] this is `Some`; the object carries the item's id
    /// (a Cloud API object's `id`, a WASender key's `id`) when the item has one.
    pub fn source(&self, item: &Item<'_>) -> Option<Source<'_, 'a>> {
        match self.model() {
            Model::CloudApi(n) => cloud_source(n, item),
            Model::Wasender(e) => wasender_source(e, item),
        }
    }
}

fn cloud_source<'m, 'a>(n: &'m cloud::Notification<'a>, item: &Item<'_>) -> Option<Source<'m, 'a>> {
    let entry = n.entries().get(item.entry)?;
    let change = entry.changes().get(item.change)?;
    let i = item.index;
    let value = change.value.as_ref();
    let source = match item.slot {
        Slot::Messages => Source::Message(value?.messages.as_ref()?.get(i)?),
        Slot::Statuses => Source::Status(value?.statuses.as_ref()?.get(i)?),
        Slot::Calls => Source::Call(value?.calls.as_ref()?.get(i)?),
        Slot::Echoes => Source::Message(value?.message_echoes.as_ref()?.get(i)?),
        Slot::UserPreferences => Source::UserPreference(value?.user_preferences.as_ref()?.get(i)?),
        Slot::History { chunk, thread } => {
            let thread = history(value?, chunk)?
                .threads
                .as_ref()?
                .get(thread as usize)?;
            Source::Message(thread.messages.as_ref()?.get(i)?)
        }
        Slot::Thread { chunk } => Source::Thread(history(value?, chunk)?.threads.as_ref()?.get(i)?),
        Slot::StateSync => Source::StateSync(value?.state_sync.as_ref()?.get(i)?),
        Slot::Contacts => Source::Contact(value?.contacts.as_ref()?.get(i)?),
        Slot::Change => Source::Change { entry, change },
        _ => return None,
    };
    Some(source)
}

fn history<'m, 'a>(value: &'m cloud::Value<'a>, chunk: u32) -> Option<&'m cloud::HistoryChunk<'a>> {
    value.history.as_ref()?.get(chunk as usize)
}

fn wasender_source<'m, 'a>(e: &'m wasender::Event<'a>, item: &Item<'_>) -> Option<Source<'m, 'a>> {
    if item.entry != 0 || item.change != 0 {
        return None;
    }
    let data = e.data.as_ref();
    // The record that holds the item's array: `data`, or `data[parent]` when it is a list.
    let holder = |parent: Option<u32>| -> Option<&'m Record<'a>> {
        let record = match (data?, parent) {
            (Data::Record(r), None) => r.as_ref(),
            (Data::List(list), Some(p)) => match list.get(p as usize)? {
                DataElement::Record(r) => r.as_ref(),
                _ => return None,
            },
            _ => return None,
        };
        Some(innermost(record))
    };
    let source = match item.slot {
        Slot::WaWhole => match data {
            Some(Data::Record(r)) => Source::Record(innermost(r)),
            Some(Data::Id(id)) => Source::Id(id),
            _ => Source::Event(e),
        },
        Slot::WaData => match data? {
            Data::List(list) => element(list.get(item.index)?),
            _ => return None,
        },
        Slot::WaMessages { parent } => match holder(parent)?.messages.as_ref()? {
            OneOrMany::Many(list) => element(list.get(item.index)?),
            OneOrMany::One(_) => return None,
        },
        Slot::WaKeys { parent } => Source::Key(holder(parent)?.keys.as_ref()?.get(item.index)?),
        Slot::WaParticipants { parent } => {
            element(holder(parent)?.participants.as_ref()?.get(item.index)?)
        }
        _ => return None,
    };
    Some(source)
}

fn element<'m, 'a>(e: &'m DataElement<'a>) -> Source<'m, 'a> {
    match e {
        DataElement::Record(r) => Source::Record(innermost(r)),
        DataElement::Id(id) => Source::Id(id),
        DataElement::Raw(raw) => Source::Raw(raw),
    }
}

/// What the scan reads a record as, in its order: a keyed record is a leaf; a single
/// `messages` object, a `call` and (for a record that is nothing else) a `message` that
/// names someone are wrappers to look through.
enum Shape<'m, 'a> {
    Leaf,
    Wrapper(&'m Record<'a>),
    Arrays,
}

fn shape<'m, 'a>(r: &'m Record<'a>) -> Shape<'m, 'a> {
    if r.key.is_some() {
        return Shape::Leaf;
    }
    match &r.messages {
        Some(OneOrMany::One(DataElement::Record(inner))) => return Shape::Wrapper(inner),
        Some(_) => return Shape::Arrays,
        None => {}
    }
    if r.keys.is_some() {
        return Shape::Arrays;
    }
    if let Some(call) = &r.call {
        return Shape::Wrapper(call);
    }
    let calling = r.from.is_some() || r.caller.is_some();
    let group = r.participants.is_some() || r.owner.is_some();
    if calling || group {
        return if r.participants.is_some() {
            Shape::Arrays
        } else {
            Shape::Leaf
        };
    }
    match &r.message {
        // `message` wraps a record (a receipt's message) or is the content itself.
        Some(inner) if names_anyone(inner) => Shape::Wrapper(inner),
        _ => Shape::Leaf,
    }
}

/// Whether a record has a field the scan reads a party or a record from (content such as
/// `conversation` has none).
fn names_anyone(r: &Record<'_>) -> bool {
    r.key.is_some()
        || r.messages.is_some()
        || r.keys.is_some()
        || r.call.is_some()
        || r.from.is_some()
        || r.caller.is_some()
        || r.participants.is_some()
        || r.owner.is_some()
        || r.jid.is_some()
        || r.id.is_some()
        || r.message.as_deref().is_some_and(names_anyone)
}

/// The record an item describes, or whose `messages`, `keys` or `participants` array holds
/// a list item: past single-object wrappers, down to a leaf or to the record of arrays.
fn innermost<'m, 'a>(mut r: &'m Record<'a>) -> &'m Record<'a> {
    // Wrappers nest at most as deep as the body, which the parse bounds.
    while let Shape::Wrapper(inner) = shape(r) {
        r = inner;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn sources(body: &[u8]) -> Vec<String> {
        let w = parse(body).unwrap();
        w.items()
            .map(|item| match w.source(&item) {
                Some(Source::Message(m)) => format!("message {}", m.id.as_ref().unwrap().as_str()),
                Some(Source::Status(s)) => format!("status {}", s.id.as_ref().unwrap().as_str()),
                Some(Source::Call(c)) => format!("call {}", c.id.as_ref().unwrap().as_str()),
                Some(Source::UserPreference(p)) => {
                    format!("preference {}", p.value.as_deref().unwrap_or_default())
                }
                Some(Source::Thread(_)) => "thread".to_owned(),
                Some(Source::StateSync(s)) => {
                    format!("sync {}", s.action.as_deref().unwrap_or_default())
                }
                Some(Source::Contact(_)) => "contact".to_owned(),
                Some(Source::Change { change, .. }) => {
                    format!("change {}", change.field.as_deref().unwrap_or_default())
                }
                Some(Source::Record(r)) => format!(
                    "record {}",
                    r.key
                        .as_ref()
                        .and_then(|k| k.id.as_ref())
                        .map(|i| i.as_str())
                        .or(r.id.as_ref().map(|i| i.as_str()))
                        .unwrap_or("-")
                ),
                Some(Source::Key(k)) => format!("key {}", k.id.as_ref().unwrap().as_str()),
                Some(Source::Id(_)) => "id".to_owned(),
                Some(Source::Raw(r)) => format!("raw {}", r.as_str()),
                Some(Source::Event(e)) => format!("event {}", e.event),
                None => "none".to_owned(),
            })
            .collect()
    }

    #[test]
    fn cloud_items_find_their_objects() {
        let body = br#"{"object":"whatsapp_business_account","entry":[
          {"id":"1","time":1,"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},
            "messages":[{"from":"4915123456789","id":"wamid.M0","type":"text"},{"from":"4915123456789","id":"wamid.M1","type":"image"}],
            "statuses":[{"id":"wamid.S0","status":"read","recipient_id":"919876543210"}],
            "calls":[{"id":"wacid.C0","from":"5511987654321","event":"connect"}],
            "message_echoes":[{"from":"15550001111","to":"447700900123","id":"wamid.E0","type":"text"}],
            "user_preferences":[{"wa_id":"33612345678","value":"stop"}]}},
           {"field":"history","value":{"history":[{"threads":[{"id":"4915123456789","messages":[{"from":"4915123456789","id":"wamid.H0"}]},{"id":"34612345678"}]}]}},
           {"field":"smb_app_state_sync","value":{"state_sync":[{"type":"contact","action":"add","contact":{"phone_number":"393471234567"}}]}},
           {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]}"#;
        assert_eq!(
            sources(body),
            [
                "message wamid.M0",
                "message wamid.M1",
                "status wamid.S0",
                "call wacid.C0",
                "message wamid.E0",
                "preference stop",
                "message wamid.H0",
                "thread",
                "sync add",
                "change account_update",
            ]
        );
    }

    #[test]
    fn wasender_items_find_their_records() {
        let upsert = br#"{"event":"messages.upsert","data":{"messages":{"key":{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"},"messageTimestamp":1}}}"#;
        assert_eq!(sources(upsert), ["record K1"]);
        let list = br#"{"event":"messages.update","data":[{"key":{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"},"update":{"status":3}},"919876543210@s.whatsapp.net",7]}"#;
        assert_eq!(sources(list), ["record K1", "id", "raw 7"]);
        let keys = br#"{"event":"messages.delete","data":{"keys":[{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"},{"id":"K2","remoteJid":"919876543210@s.whatsapp.net"}]}}"#;
        assert_eq!(sources(keys), ["key K1", "key K2"]);
        let wrapped = br#"{"event":"messages.received","data":{"messages":[{"key":{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"}}]}}"#;
        assert_eq!(sources(wrapped), ["record K1"]);
        let call = br#"{"event":"call","data":{"call":{"id":"C1","from":"4915123456789@s.whatsapp.net"}}}"#;
        assert_eq!(sources(call), ["record C1"]);
        let group = br#"{"event":"group-participants.update","data":{"jid":"1203@g.us","participants":["4915123456789@s.whatsapp.net",{"id":"919876543210@s.whatsapp.net"}]}}"#;
        assert_eq!(sources(group), ["id", "record 919876543210@s.whatsapp.net"]);
        let receipt = br#"{"event":"message-receipt.update","data":{"message":{"key":{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"}},"receipt":{"status":"read"}}}"#;
        assert_eq!(sources(receipt), ["record K1"]);
        let content = br#"{"event":"messages.upsert","data":{"message":{"conversation":"hi"},"messageTimestamp":7}}"#;
        let w = parse(content).unwrap();
        let item = w.items().next().unwrap();
        let Some(Source::Record(r)) = w.source(&item) else {
            panic!("no record")
        };
        assert!(r.message_timestamp.is_some(), "the record, not its content");
        let session = br#"{"event":"session.status","data":{"status":"connected"}}"#;
        assert_eq!(sources(session), ["record -"]);
        let bare = br#"{"event":"session.status"}"#;
        assert_eq!(sources(bare), ["event session.status"]);
    }

    #[test]
    fn a_source_serializes_as_its_object_in_the_body() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"statuses":[{"id":"wamid.S","status":"read","recipient_id":"919876543210","x":[1,{"y":null}]}]}}]}]}"#;
        let w = parse(body).unwrap();
        let item = w.items().next().unwrap();
        let got = serde_json::to_value(w.source(&item).unwrap()).unwrap();
        let root: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(got, root["entry"][0]["changes"][0]["value"]["statuses"][0]);
    }

    #[test]
    fn items_of_another_webhook_find_nothing() {
        let a = parse(br#"{"event":"messages.delete","data":{"keys":[{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"},{"id":"K2","remoteJid":"919876543210@s.whatsapp.net"}]}}"#).unwrap();
        let b = parse(br#"{"event":"messages.delete","data":{"keys":[{"id":"K1","remoteJid":"4915123456789@s.whatsapp.net"}]}}"#).unwrap();
        let second = a.items().nth(1).unwrap();
        assert!(b.source(&second).is_none());
        let cloud = parse(br#"{"object":"whatsapp_business_account","entry":[]}"#).unwrap();
        assert!(cloud.source(&second).is_none());
    }
}
