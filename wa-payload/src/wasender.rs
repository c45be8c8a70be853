//! WASenderApi webhook models.
//!
//! A body is an [`Event`]: `{event, sessionId?, timestamp?, data}`. `data` is an object, an
//! array of objects or ids, or an id ([`Data`]); every object is a [`Record`], one type that
//! holds the fields of every WASender shape (message records and their keys, calls, groups,
//! contacts and chats), because the routing rules read objects by their shape, not by the
//! event's name. The envelope `timestamp` is in seconds or milliseconds
//! ([`StrOrNum::unix_seconds`](crate::StrOrNum::unix_seconds) reads both).

use std::borrow::Cow;

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::json::{
    Extra, Fit, FromJson, FromMap, OneOrMany, Own, Raw, Redacted, StrOrNum, kind, next_key, object,
    read_field,
};
use crate::pii::{Body, Jid, Link, MessageId, Name, Phone};

/// The family of a WASender event name. Routing reads `data` by shape whatever the event;
/// the family only decides who a record without a key concerns (a person for message
/// events, the business otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventFamily {
    /// Message events whose `data` holds message records with keys.
    Message,
    /// `call`, `call.received`.
    Call,
    /// `group-participants.update`.
    GroupParticipants,
    /// Everything else (`session.status`, `qrcode.updated`, `chats.*`, `groups.*`,
    /// `contacts.*`, `poll.results`, unknown events).
    Other,
}

/// Message events: `data` holds records with message keys.
pub const MESSAGE_EVENTS: &[&str] = &[
    "messages.received",
    "messages.upsert",
    "messages-personal.received",
    "messages-group.received",
    "messages-newsletter.received",
    "message.sent",
    "messages.update",
    "message-receipt.update",
    "messages.delete",
    "messages.reaction",
];

impl EventFamily {
    /// The family of an event name.
    ///
    /// ```
    /// use wa_payload::wasender::EventFamily;
    /// assert_eq!(EventFamily::of("messages.upsert"), EventFamily::Message);
    /// assert_eq!(EventFamily::of("call"), EventFamily::Call);
    /// assert_eq!(EventFamily::of("session.status"), EventFamily::Other);
    /// ```
    pub fn of(event: &str) -> Self {
        if MESSAGE_EVENTS.contains(&event) {
            Self::Message
        } else if event == "call" || event == "call.received" {
            Self::Call
        } else if event == "group-participants.update" {
            Self::GroupParticipants
        } else {
            Self::Other
        }
    }
}

/// The `data` of an event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Data<'a> {
    /// An object: a record, call, group, contact or chat, or a wrapper of records.
    Record(Box<Record<'a>>),
    /// An array.
    List(Vec<DataElement<'a>>),
    /// A string: an id (chat or contact JID, phone number).
    Id(Jid<'a>),
    /// Any other value (a number, a boolean), verbatim.
    Raw(Raw<'a>),
}

/// One element of an array of `data` or of `participants`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DataElement<'a> {
    /// An object.
    Record(Box<Record<'a>>),
    /// A string: an id (JID or phone number).
    Id(Jid<'a>),
    /// Any other value, verbatim.
    Raw(Raw<'a>),
}

impl<'a> Data<'a> {
    /// The records of `data`: the object itself, or every object of the array.
    ///
    /// ```
    /// let e = wa_payload::wasender::Event::parse(br#"{"event":"messages.update","data":[
    ///   {"key":{"id":"A"},"update":{"status":4}},"1234567890"]}"#)?;
    /// let records: Vec<_> = e.data.as_ref().unwrap().records().collect();
    /// assert_eq!(records.len(), 1);
    /// assert_eq!(records[0].key.as_ref().and_then(|k| k.id.as_ref()).map(|i| i.as_str()), Some("A"));
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn records(&self) -> impl Iterator<Item = &Record<'a>> {
        let (one, many) = match self {
            Data::Record(r) => (Some(r.as_ref()), &[][..]),
            Data::List(v) => (None, v.as_slice()),
            _ => (None, &[][..]),
        };
        one.into_iter().chain(many.iter().filter_map(|e| match e {
            DataElement::Record(r) => Some(r.as_ref()),
            _ => None,
        }))
    }
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Record(v) => v.serialize(s),
            Data::List(v) => v.serialize(s),
            Data::Id(v) => v.serialize(s),
            Data::Raw(v) => v.serialize(s),
        }
    }
}

impl Serialize for DataElement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DataElement::Record(v) => v.serialize(s),
            DataElement::Id(v) => v.serialize(s),
            DataElement::Raw(v) => v.serialize(s),
        }
    }
}

impl Own for Data<'_> {
    type Out = Data<'static>;
    fn own(self) -> Self::Out {
        match self {
            Data::Record(v) => Data::Record(v.own()),
            Data::List(v) => Data::List(v.own()),
            Data::Id(v) => Data::Id(v.own()),
            Data::Raw(v) => Data::Raw(v.own()),
        }
    }
}

impl Own for DataElement<'_> {
    type Out = DataElement<'static>;
    fn own(self) -> Self::Out {
        match self {
            DataElement::Record(v) => DataElement::Record(v.own()),
            DataElement::Id(v) => DataElement::Id(v.own()),
            DataElement::Raw(v) => DataElement::Raw(v.own()),
        }
    }
}

/// A scalar of another kind, kept verbatim.
fn kept<T: Serialize + ?Sized, E: de::Error>(value: &T) -> Result<Raw<'static>, E> {
    serde_json::value::to_raw_value(value)
        .map(Raw::Owned)
        .map_err(|_| E::custom("cannot keep a value verbatim"))
}

/// Reads any JSON value as [`Data`] (`top`) or [`DataElement`].
struct ShapeVisitor<T>(PhantomData<T>);

/// What [`ShapeVisitor`] builds.
trait Shape<'a>: Sized {
    fn record(r: Record<'a>) -> Self;
    fn id(j: Jid<'a>) -> Self;
    fn raw(r: Raw<'a>) -> Self;
    fn list<'de: 'a, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error>;
}

impl<'a> Shape<'a> for Data<'a> {
    fn record(r: Record<'a>) -> Self {
        Data::Record(Box::new(r))
    }
    fn id(j: Jid<'a>) -> Self {
        Data::Id(j)
    }
    fn raw(r: Raw<'a>) -> Self {
        Data::Raw(r)
    }
    fn list<'de: 'a, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(e) = seq.next_element_seed(crate::json::Seed::<DataElement<'a>>::new())? {
            out.push(e);
        }
        Ok(Data::List(out))
    }
}

impl<'a> Shape<'a> for DataElement<'a> {
    fn record(r: Record<'a>) -> Self {
        DataElement::Record(Box::new(r))
    }
    fn id(j: Jid<'a>) -> Self {
        DataElement::Id(j)
    }
    fn raw(r: Raw<'a>) -> Self {
        DataElement::Raw(r)
    }
    fn list<'de: 'a, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let d = de::value::SeqAccessDeserializer::new(seq);
        let v = <serde_json::Value as serde::Deserialize<'de>>::deserialize(d)?;
        kept(&v).map(DataElement::Raw)
    }
}

impl<'de: 'a, 'a, T: Shape<'a>> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        Record::from_map(map).map(T::record)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::list(seq)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<T, E> {
        Ok(T::id(Jid::new(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::id(Jid::new(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::id(Jid::new(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        kept(&v).map(T::raw)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        kept(&v).map(T::raw)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        kept(&v).map(T::raw)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        kept(&v).map(T::raw)
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::raw(Raw::NULL))
    }
}

impl crate::schema::Described for Data<'_> {
    const SHAPE: crate::schema::Shape =
        crate::schema::Shape::of_object(Record::schema, Some(crate::schema::Personal::Jid));
}

impl crate::schema::Described for DataElement<'_> {
    const SHAPE: crate::schema::Shape = <Data<'_> as crate::schema::Described>::SHAPE;
}

impl Event<'_> {
    /// The event's [`schema::Object`](crate::schema::Object).
    pub(crate) fn schema() -> crate::schema::Object {
        use crate::schema::{Described, Object, Shape};
        const FIELDS: &[(&str, Shape)] = &[
            ("event", Shape::PLAIN),
            ("sessionId", Shape::PLAIN),
            ("timestamp", Shape::PLAIN),
            ("data", <Data<'_> as Described>::SHAPE),
        ];
        Object::new("wasender::Event", FIELDS)
    }
}

impl<'de: 'a, 'a> FromJson<'de> for Data<'a> {
    const ACCEPTS: u8 = kind::ANY;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData))
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        Ok(match Self::from_json(d)? {
            Data::Raw(r) if r.is_null() => Fit::Null,
            data => Fit::Value(data),
        })
    }
}

impl<'de: 'a, 'a> FromMap<'de> for DataElement<'a> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        Record::from_map(map).map(|r| DataElement::Record(Box::new(r)))
    }
}

impl<'de: 'a, 'a> FromJson<'de> for DataElement<'a> {
    const ACCEPTS: u8 = kind::ANY;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData))
    }
    // Any value is an element, `null` included (as `DataElement::Raw`).
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        Self::from_json(d).map(Fit::Value)
    }
}

/// A whole WASender webhook body.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The event name (`messages.received`, `session.status`, ...). Required.
    pub event: Cow<'a, str>,
    /// `sessionId`, when sent.
    pub session_id: Option<Cow<'a, str>>,
    /// `timestamp`, in seconds or milliseconds, when sent.
    pub timestamp: Option<StrOrNum<'a>>,
    /// `data`; `None` when absent or `null`.
    pub data: Option<Data<'a>>,
    /// Other top-level fields, `null`s, and values of another JSON kind, kept verbatim.
    pub extra: Extra<'a>,
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("event", &self.event)
            .field(
                "session_id",
                &self.session_id.as_ref().map(|_| "[REDACTED]"),
            )
            .field("timestamp", &self.timestamp)
            .field("data", &self.data)
            .field("extra", &self.extra)
            .finish()
    }
}

impl<'a> Event<'a> {
    /// Parses a WASender body with the default [`Limits`](crate::Limits): like
    /// [`crate::parse`], and a Cloud API body is [`PayloadError::WrongProvider`](crate::PayloadError::WrongProvider).
    ///
    /// ```
    /// let e = wa_payload::wasender::Event::parse(br#"{"event":"session.status","data":{"status":"connected"}}"#)?;
    /// assert_eq!(e.event, "session.status");
    /// assert_eq!(e.family(), wa_payload::wasender::EventFamily::Other);
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<Self, crate::PayloadError> {
        Self::parse_with(body, &crate::Limits::default())
    }

    /// Parses a WASender body with the given limits.
    pub fn parse_with(body: &'a [u8], limits: &crate::Limits) -> Result<Self, crate::PayloadError> {
        match crate::parse_with(body, limits)?.into_model() {
            crate::Model::Wasender(e) => Ok(e),
            _ => Err(crate::PayloadError::WrongProvider {
                found: crate::Provider::CloudApi,
            }),
        }
    }

    /// The family of this event.
    pub fn family(&self) -> EventFamily {
        EventFamily::of(&self.event)
    }

    /// Detaches from the input.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event: self.event.own(),
            session_id: self.session_id.own(),
            timestamp: self.timestamp.own(),
            data: self.data.own(),
            extra: self.extra.into_owned(),
        }
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let count = 1
            + usize::from(self.session_id.is_some())
            + usize::from(self.timestamp.is_some())
            + usize::from(self.data.is_some())
            + self.extra.len();
        let mut m = s.serialize_map(Some(count))?;
        m.serialize_entry("event", &self.event)?;
        if let Some(v) = &self.session_id {
            m.serialize_entry("sessionId", v)?;
        }
        if let Some(v) = &self.timestamp {
            m.serialize_entry("timestamp", v)?;
        }
        if let Some(v) = &self.data {
            m.serialize_entry("data", v)?;
        }
        for (k, v) in self.extra.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Event::default();
        let mut event = None;
        while let Some(key) = next_key(&mut map)? {
            match key.as_ref() {
                "event" => read_field(&mut map, key, &mut event, &mut out.extra)?,
                "sessionId" => read_field(&mut map, key, &mut out.session_id, &mut out.extra)?,
                "timestamp" => read_field(&mut map, key, &mut out.timestamp, &mut out.extra)?,
                "data" => read_field(&mut map, key, &mut out.data, &mut out.extra)?,
                _ => {
                    let raw = map.next_value_seed(crate::json::Seed::<Raw<'de>>::new())?;
                    out.extra.0.push((key, raw));
                }
            }
        }
        // The scan refuses a body without `event`; a model read from elsewhere keeps an
        // empty name.
        out.event = event.unwrap_or_default();
        Ok(out)
    }
}

impl<'de: 'a, 'a> FromJson<'de> for Event<'a> {
    const ACCEPTS: u8 = kind::OBJ;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Event<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_json(d)
    }
}

object! {
    /// A WASender message key.
    pub struct MessageKey<'a> {
        /// Chat JID: `…@s.whatsapp.net`, `…@g.us`, `…@lid`.
        "remoteJid" => remote_jid: Jid<'a>,
        /// Message id.
        "id" => id: MessageId<'a>,
        /// Sent by the session's own number.
        "fromMe" => from_me: bool,
        /// Group participant JID.
        "participant" => participant: Jid<'a>,
        /// Sender phone JID.
        "senderPn" => sender_pn: Jid<'a>,
        /// Sender phone digits.
        "cleanedSenderPn" => cleaned_sender_pn: Phone<'a>,
        /// Participant phone JID.
        "participantPn" => participant_pn: Jid<'a>,
        /// Participant phone digits.
        "cleanedParticipantPn" => cleaned_participant_pn: Phone<'a>,
        /// Sender LID.
        "senderLid" => sender_lid: Jid<'a>,
        /// Participant LID.
        "participantLid" => participant_lid: Jid<'a>,
        /// `pn` or `lid`.
        "addressingMode" => addressing_mode: Cow<'a, str>,
    }
}

object! {
    /// An object of WASender `data`: a message record (`{key, message, messageBody,
    /// pushName, ...}`), a wrapper of records (`messages`, `keys`, `message`), a call
    /// (`id`/`callId`, `from`/`caller`, or wrapped as `call`), a group (`jid`, `subject`,
    /// `owner`, `participants`), a contact (`jid`, `name`, `notify`) or a chat (`id`,
    /// `name`). Also the message content itself (`message.conversation`, other content kept
    /// raw). See the crate docs for how routing reads each shape.
    pub struct Record<'a> {
        /// The message key.
        "key" => key: MessageKey<'a>,
        /// Records wrapped as `data.messages` (an object, or an array of records and ids).
        "messages" => messages: OneOrMany<DataElement<'a>>,
        /// Keys of deleted messages (`messages.delete`).
        "keys" => keys: Vec<MessageKey<'a>>,
        /// The content (or, in `message-receipt.update`, the record itself).
        "message" => message: Box<Record<'a>>,
        /// Plain text content.
        "conversation" => conversation: Body<'a>,
        /// Text with preview or reply context.
        "extendedTextMessage" => extended_text_message: Box<ExtendedText<'a>>,
        /// Image content.
        "imageMessage" => image_message: Box<MediaMessage<'a>>,
        /// Video content.
        "videoMessage" => video_message: Box<MediaMessage<'a>>,
        /// Audio content.
        "audioMessage" => audio_message: Box<MediaMessage<'a>>,
        /// Document content.
        "documentMessage" => document_message: Box<MediaMessage<'a>>,
        /// Sticker content.
        "stickerMessage" => sticker_message: Box<MediaMessage<'a>>,
        /// Text extracted by WASender.
        "messageBody" => message_body: Body<'a>,
        /// Sender's display name.
        "pushName" => push_name: Name<'a>,
        /// When the message was sent.
        "messageTimestamp" => message_timestamp: StrOrNum<'a>,
        /// Status: a number 0-5 or a string (for a call, its status; for a contact, the
        /// about text).
        "status" => status: StrOrNum<'a>,
        /// `messages.update` changes.
        "update" => update: Box<MessageUpdate<'a>>,
        /// `message-receipt.update` details.
        "receipt" => receipt: Box<Receipt<'a>>,
        /// `messages.reaction` details.
        "reaction" => reaction: Box<ReactionUpdate<'a>>,
        /// Record timestamp.
        "timestamp" => timestamp: StrOrNum<'a>,
        /// The call, when wrapped as `data.call`.
        "call" => call: Box<Record<'a>>,
        /// Call id, or a chat's JID.
        "id" => id: Jid<'a>,
        /// Call id (older name).
        "callId" => call_id: MessageId<'a>,
        /// Caller JID.
        "from" => from: Jid<'a>,
        /// Caller JID (older name).
        "caller" => caller: Jid<'a>,
        /// Group call.
        "isGroup" => is_group: bool,
        /// Video call.
        "isVideo" => is_video: bool,
        /// When (calls).
        "date" => date: StrOrNum<'a>,
        /// A group's or a contact's JID.
        "jid" => jid: Jid<'a>,
        /// Group participants (JIDs or phone strings, or objects with `id`).
        "participants" => participants: Vec<DataElement<'a>>,
        /// `add`, `remove`, `promote`, `demote` (`group-participants.update`).
        "action" => action: Cow<'a, str>,
        /// The group's creator.
        "owner" => owner: Jid<'a>,
        /// Group name.
        "subject" => subject: Name<'a>,
        /// Contact or chat name.
        "name" => name: Name<'a>,
        /// Contact's push name.
        "notify" => notify: Name<'a>,
    }
}

object! {
    /// The changes of a `messages.update` record.
    pub struct MessageUpdate<'a> {
        /// Delivery status: a number 0-5 or a string (see [`MessageUpdate::status_name`]).
        "status" => status: StrOrNum<'a>,
    }
}

impl MessageUpdate<'_> {
    /// The status as a name: numbers 0-5 map to `ERROR`, `PENDING`, `SERVER_ACK`,
    /// `DELIVERY_ACK`, `READ`, `PLAYED`; strings are returned as sent.
    ///
    /// ```
    /// let e = wa_payload::wasender::Event::parse(br#"{"event":"messages.update","data":[
    ///   {"key":{"id":"A"},"update":{"status":4}},{"key":{"id":"B"},"update":{"status":"read"}}]}"#)?;
    /// let names: Vec<_> = e.data.as_ref().unwrap().records()
    ///     .map(|r| r.update.as_ref().and_then(|u| u.status_name()))
    ///     .collect();
    /// assert_eq!(names, [Some("READ"), Some("read")]);
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn status_name(&self) -> Option<&str> {
        match self.status.as_ref()? {
            StrOrNum::Text(t) => Some(t),
            n => match n.as_i64()? {
                0 => Some("ERROR"),
                1 => Some("PENDING"),
                2 => Some("SERVER_ACK"),
                3 => Some("DELIVERY_ACK"),
                4 => Some("READ"),
                5 => Some("PLAYED"),
                _ => None,
            },
        }
    }
}

object! {
    /// A `message-receipt.update` receipt.
    pub struct Receipt<'a> {
        /// The user who received or read the message.
        "userJid" => user_jid: Jid<'a>,
        /// `delivered`, `read`, ...
        "status" => status: StrOrNum<'a>,
        /// When (seconds).
        "t" => t: StrOrNum<'a>,
        /// When the receipt arrived.
        "receiptTimestamp" => receipt_timestamp: StrOrNum<'a>,
        /// When the message was read.
        "readTimestamp" => read_timestamp: StrOrNum<'a>,
    }
}

object! {
    /// A `messages.reaction` reaction.
    pub struct ReactionUpdate<'a> {
        /// The emoji (empty when removed).
        "text" => text: Body<'a>,
        /// The message reacted to.
        "key" => key: MessageKey<'a>,
    }
}

object! {
    /// `extendedTextMessage` content.
    pub struct ExtendedText<'a> {
        /// The text.
        "text" => text: Body<'a>,
    }
}

object! {
    /// WASender media content (`imageMessage`, `videoMessage`, ...). Hashes and sizes arrive
    /// as base64 strings and as strings or numbers; they are kept as sent.
    pub struct MediaMessage<'a> {
        /// Encrypted media URL.
        "url" => url: Link<'a>,
        /// MIME type.
        "mimetype" => mimetype: Cow<'a, str>,
        /// Base64 SHA-256 of the decrypted file.
        "fileSha256" => file_sha256: Cow<'a, str>,
        /// Base64 SHA-256 of the encrypted file.
        "fileEncSha256" => file_enc_sha256: Cow<'a, str>,
        /// Base64 media key (a secret: redacted in `Debug`).
        "mediaKey" => media_key: Redacted<Cow<'a, str>>,
        /// File size (string or number).
        "fileLength" => file_length: StrOrNum<'a>,
        /// Caption.
        "caption" => caption: Body<'a>,
        /// Document file name.
        "fileName" => file_name: Body<'a>,
        /// WhatsApp CDN path.
        "directPath" => direct_path: Link<'a>,
        /// Voice note (`audioMessage`).
        "ptt" => ptt: bool,
        /// Duration in seconds.
        "seconds" => seconds: StrOrNum<'a>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'e>(e: &'e Event<'_>) -> &'e Record<'e> {
        match &e.data {
            Some(Data::Record(r)) => r,
            other => panic!("not one record: {other:?}"),
        }
    }

    #[test]
    fn data_before_event_is_typed() {
        let e = Event::parse(
            br#"{"data":{"key":{"id":"A","remoteJid":"1@s.whatsapp.net"}},"event":"message.sent"}"#,
        )
        .unwrap();
        assert_eq!(
            record(&e)
                .key
                .as_ref()
                .unwrap()
                .id
                .as_ref()
                .map(|i| i.as_str()),
            Some("A")
        );
    }

    #[test]
    fn any_event_reads_data_by_shape() {
        let e = Event::parse(br#"{"event":"future.thing","data":[1,"x",{"jid":"1"}]}"#).unwrap();
        let Some(Data::List(list)) = &e.data else {
            panic!("not a list")
        };
        assert!(matches!(&list[0], DataElement::Raw(r) if r.as_str() == "1"));
        assert!(matches!(&list[1], DataElement::Id(j) if j.as_str() == "x"));
        assert!(matches!(&list[2], DataElement::Record(r) if r.jid.is_some()));
        let again = serde_json::to_string(&e).unwrap();
        assert_eq!(
            again,
            r#"{"event":"future.thing","data":[1,"x",{"jid":"1"}]}"#
        );
    }

    #[test]
    fn media_fields_are_typed_and_the_key_is_redacted() {
        let e = Event::parse(
            br#"{"event":"messages.upsert","data":{"key":{"id":"A"},"message":{"imageMessage":{
            "fileSha256":"not base64!","fileEncSha256":"x","mediaKey":"c2VjcmV0a2V5","fileLength":"1234"}}}}"#,
        )
        .unwrap();
        let r = record(&e);
        let img = r.message.as_ref().unwrap().image_message.as_ref().unwrap();
        assert_eq!(img.file_sha256.as_deref(), Some("not base64!"));
        assert_eq!(img.file_length.as_ref().unwrap().as_i64(), Some(1234));
        assert!(!format!("{e:?}").contains("c2VjcmV0a2V5"));
    }

    #[test]
    fn missing_event_is_an_error() {
        let err = Event::parse(br#"{"data":{}}"#).unwrap_err();
        assert!(
            matches!(err, crate::PayloadError::MissingField { ref path, .. } if path == "event"),
            "{err}"
        );
    }

    #[test]
    fn a_routing_field_of_another_type_names_its_path() {
        let err = Event::parse(br#"{"event":"messages.upsert","data":{"key":{"fromMe":"yes"}}}"#)
            .unwrap_err();
        match err {
            crate::PayloadError::WrongType { path, .. } => assert_eq!(path, "data.key.fromMe"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn other_fields_of_another_type_are_kept_verbatim() {
        let e = Event::parse(
            br#"{"event":"messages.upsert","timestamp":{"s":1},"data":{"key":{"id":"A"},"pushName":7}}"#,
        )
        .unwrap();
        assert!(e.timestamp.is_none());
        assert_eq!(e.extra.get("timestamp").unwrap().as_str(), r#"{"s":1}"#);
        let r = record(&e);
        assert!(r.push_name.is_none());
        assert_eq!(r.extra.get("pushName").unwrap().as_str(), "7");
    }
}
