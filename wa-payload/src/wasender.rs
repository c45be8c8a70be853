//! WASenderApi webhook models.
//!
//! A body is an [`Event`]: `{event, sessionId?, timestamp?, data}`. The shape of `data`
//! depends on the event name, and the same event arrives with an object or an array; see
//! [`Data`]. The envelope `timestamp` is in seconds or milliseconds
//! ([`StrOrNum::unix_seconds`](crate::StrOrNum::unix_seconds) reads both).

use std::borrow::Cow;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::json::{Extra, FromJson, OneOrMany, Own, Raw, Redacted, StrOrNum, next_key, object};
use crate::pii::{Body, Jid, Name, Phone};

pub use crate::items::phone_of;

/// The family of a WASender event name.
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
    /// `contacts.*`, `poll.results`, unknown events): `data` is kept raw.
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

/// The `data` of an event, typed by the event's family.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Data<'a> {
    /// Message events: one record, or an array of them (see [`MessageRecord`]).
    Messages(Box<OneOrMany<MessageRecord<'a>>>),
    /// Call events: one call, or an array.
    Calls(Box<OneOrMany<CallRecord<'a>>>),
    /// `group-participants.update`.
    GroupParticipants(Box<GroupParticipants<'a>>),
    /// Any other event: `data` verbatim.
    Raw(Raw<'a>),
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Messages(v) => v.serialize(s),
            Data::Calls(v) => v.serialize(s),
            Data::GroupParticipants(v) => v.serialize(s),
            Data::Raw(v) => v.serialize(s),
        }
    }
}

impl Own for Data<'_> {
    type Out = Data<'static>;
    fn own(self) -> Self::Out {
        match self {
            Data::Messages(v) => Data::Messages(v.own()),
            Data::Calls(v) => Data::Calls(v.own()),
            Data::GroupParticipants(v) => Data::GroupParticipants(v.own()),
            Data::Raw(v) => Data::Raw(v.own()),
        }
    }
}

impl<'a> Data<'a> {
    /// Parses raw `data` for an event name.
    pub(crate) fn from_raw(event: &str, raw: Raw<'a>) -> Result<Self, serde_json::Error> {
        let Some(text) = raw.as_borrowed_str() else {
            return Ok(Data::Raw(raw));
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let data = Self::from_deserializer(event, raw, &mut de)?;
        de.end()?;
        Ok(data)
    }

    /// Parses `data` for an event name from a deserializer over the raw text.
    pub(crate) fn from_deserializer<D: Deserializer<'a>>(
        event: &str,
        raw: Raw<'a>,
        de: D,
    ) -> Result<Self, D::Error> {
        Ok(match EventFamily::of(event) {
            EventFamily::Message => Data::Messages(Box::new(OneOrMany::from_json(de)?)),
            EventFamily::Call => Data::Calls(Box::new(OneOrMany::from_json(de)?)),
            EventFamily::GroupParticipants => {
                Data::GroupParticipants(Box::new(GroupParticipants::from_json(de)?))
            }
            EventFamily::Other => {
                <de::IgnoredAny as serde::Deserialize<'a>>::deserialize(de)?;
                Data::Raw(raw)
            }
        })
    }
}

/// A whole WASender webhook body.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The event name (`messages.received`, `session.status`, ...). Required.
    pub event: Cow<'a, str>,
    /// `sessionId`, when sent.
    pub session_id: Option<Cow<'a, str>>,
    /// `timestamp`, in seconds or milliseconds, when sent.
    pub timestamp: Option<StrOrNum<'a>>,
    /// `data`, typed by the event family; `None` when absent.
    pub data: Option<Data<'a>>,
    /// Other top-level fields (and `null`s), kept verbatim.
    pub extra: Extra<'a>,
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
    /// Parses a WASender body with the default [`Limits`](crate::Limits).
    ///
    /// ```
    /// let e = wa_payload::wasender::Event::parse(br#"{"event":"session.status","data":{"status":"connected"}}"#)?;
    /// assert_eq!(e.event, "session.status");
    /// assert_eq!(e.family(), wa_payload::wasender::EventFamily::Other);
    /// # Ok::<(), wa_payload::Error>(())
    /// ```
    pub fn parse(body: &'a [u8]) -> Result<Self, crate::Error> {
        Self::parse_with(body, &crate::Limits::default())
    }

    /// Parses a WASender body with the given limits.
    pub fn parse_with(body: &'a [u8], limits: &crate::Limits) -> Result<Self, crate::Error> {
        let text = crate::precheck(body, limits)?;
        Self::parse_checked(text, limits)
    }

    /// Parses text that passed [`crate::precheck`].
    pub(crate) fn parse_checked(
        text: &'a str,
        limits: &crate::Limits,
    ) -> Result<Self, crate::Error> {
        let envelope: Envelope<'a> = crate::parse_json(text, "", limits)?;
        envelope.into_event(limits)
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

impl<'de: 'a, 'a> serde::Deserialize<'de> for Event<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let envelope = Envelope::from_json(d)?;
        let data = match envelope.data {
            Some(raw) => Some(
                Data::from_raw(&envelope.event, raw)
                    .map_err(|_| de::Error::custom("invalid `data` for this event"))?,
            ),
            None => None,
        };
        Ok(Event {
            event: envelope.event,
            session_id: envelope.session_id,
            timestamp: envelope.timestamp,
            data,
            extra: envelope.extra,
        })
    }
}

/// The envelope with `data` still raw (the event name may come after `data`).
pub(crate) struct Envelope<'a> {
    event: Cow<'a, str>,
    session_id: Option<Cow<'a, str>>,
    timestamp: Option<StrOrNum<'a>>,
    data: Option<Raw<'a>>,
    extra: Extra<'a>,
}

impl<'a> Envelope<'a> {
    fn into_event(self, limits: &crate::Limits) -> Result<Event<'a>, crate::Error> {
        let data = match self.data {
            Some(raw) => Some(match raw.as_borrowed_str() {
                Some(text) => {
                    let parser = DataParser {
                        event: self.event.as_ref(),
                        raw: raw.clone(),
                    };
                    crate::run_parse(text, "data", limits, &parser)?
                }
                None => Data::Raw(raw),
            }),
            None => None,
        };
        Ok(Event {
            event: self.event,
            session_id: self.session_id,
            timestamp: self.timestamp,
            data,
            extra: self.extra,
        })
    }
}

/// Parses `data` once the event name is known.
struct DataParser<'e, 'a> {
    event: &'e str,
    raw: Raw<'a>,
}

impl<'a> crate::Parse<'a> for DataParser<'_, 'a> {
    type Out = Data<'a>;
    fn run<D: Deserializer<'a>>(&self, d: D) -> Result<Data<'a>, D::Error> {
        Data::from_deserializer(self.event, self.raw.clone(), d)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event = None;
        let mut session_id = None;
        let mut timestamp = None;
        let mut data = None;
        let mut extra = Extra::default();
        while let Some(key) = next_key(&mut map)? {
            match key.as_ref() {
                "event" => {
                    match map.next_value_seed(crate::json::Seed::<Option<Cow<'de, str>>>::new())? {
                        Some(v) => event = Some(v),
                        None => extra.0.push((key, Raw::NULL)),
                    }
                }
                "sessionId" => {
                    match map.next_value_seed(crate::json::Seed::<Option<Cow<'de, str>>>::new())? {
                        Some(v) => session_id = Some(v),
                        None => extra.0.push((key, Raw::NULL)),
                    }
                }
                "timestamp" => {
                    match map.next_value_seed(crate::json::Seed::<Option<StrOrNum<'de>>>::new())? {
                        Some(v) => timestamp = Some(v),
                        None => extra.0.push((key, Raw::NULL)),
                    }
                }
                "data" => {
                    let raw = map.next_value_seed(crate::json::Seed::<Raw<'de>>::new())?;
                    if raw.is_null() {
                        extra.0.push((key, raw));
                    } else {
                        data = Some(raw);
                    }
                }
                _ => {
                    let raw = map.next_value_seed(crate::json::Seed::<Raw<'de>>::new())?;
                    extra.0.push((key, raw));
                }
            }
        }
        let event = event.ok_or_else(|| de::Error::missing_field("event"))?;
        Ok(Envelope {
            event,
            session_id,
            timestamp,
            data,
            extra,
        })
    }
}

impl<'de: 'a, 'a> FromJson<'de> for Envelope<'a> {
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EnvelopeVisitor)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Envelope<'a> {
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
        "id" => id: Cow<'a, str>,
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
    /// A message record: `{key, message, messageBody, pushName, ...}`. The same type holds
    /// the wrappers WASender puts around records (`messages`, `keys`) and the message content
    /// itself (`message.conversation`, other content kept raw).
    pub struct MessageRecord<'a> {
        /// The message key.
        "key" => key: MessageKey<'a>,
        /// Records wrapped as `data.messages` (object or array).
        "messages" => messages: OneOrMany<Box<MessageRecord<'a>>>,
        /// Keys of deleted messages (`messages.delete`).
        "keys" => keys: Vec<MessageKey<'a>>,
        /// The content (or, in `message-receipt.update`, the record itself).
        "message" => message: Box<MessageRecord<'a>>,
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
        /// Status: a number 0-5 or a string.
        "status" => status: StrOrNum<'a>,
        /// `messages.update` changes.
        "update" => update: Box<MessageUpdate<'a>>,
        /// `message-receipt.update` details.
        "receipt" => receipt: Box<Receipt<'a>>,
        /// `messages.reaction` details.
        "reaction" => reaction: Box<Reaction<'a>>,
        /// Record timestamp.
        "timestamp" => timestamp: StrOrNum<'a>,
    }
}

impl<'a> MessageRecord<'a> {
    /// The records of a message event's `data`, following the documented rules
    /// (see the crate docs): each element of an array; an object with `key` is itself a record;
    /// with `messages`, those records; with `keys`, one keyed record per key; with a `message`
    /// object, that record; otherwise the object itself.
    pub fn records(data: &OneOrMany<Self>) -> Vec<RecordRef<'_, 'a>> {
        match data {
            OneOrMany::Many(v) => v.iter().map(RecordRef::Record).collect(),
            OneOrMany::One(d) => {
                if d.key.is_some() {
                    vec![RecordRef::Record(d)]
                } else if let Some(m) = &d.messages {
                    m.as_slice().iter().map(|r| RecordRef::Record(r)).collect()
                } else if let Some(keys) = &d.keys {
                    keys.iter().map(RecordRef::Key).collect()
                } else if let Some(m) = &d.message {
                    vec![RecordRef::Record(m)]
                } else {
                    vec![RecordRef::Record(d)]
                }
            }
        }
    }
}

/// One record of a message event: a full record or, for `messages.delete`, a bare key.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum RecordRef<'m, 'a> {
    /// A record.
    Record(&'m MessageRecord<'a>),
    /// A bare key.
    Key(&'m MessageKey<'a>),
}

impl<'m, 'a> RecordRef<'m, 'a> {
    /// The record's key.
    pub fn key(&self) -> Option<&'m MessageKey<'a>> {
        match self {
            RecordRef::Record(r) => r.key.as_ref(),
            RecordRef::Key(k) => Some(k),
        }
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
    /// let Some(wa_payload::wasender::Data::Messages(data)) = &e.data else { unreachable!() };
    /// let names: Vec<_> = data.as_slice().iter()
    ///     .map(|r| r.update.as_ref().and_then(|u| u.status_name()))
    ///     .collect();
    /// assert_eq!(names, [Some("READ"), Some("read")]);
    /// # Ok::<(), wa_payload::Error>(())
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
    pub struct Reaction<'a> {
        /// The emoji (empty when removed).
        "text" => text: Cow<'a, str>,
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
        "url" => url: Cow<'a, str>,
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
        "directPath" => direct_path: Cow<'a, str>,
        /// Voice note (`audioMessage`).
        "ptt" => ptt: bool,
        /// Duration in seconds.
        "seconds" => seconds: StrOrNum<'a>,
    }
}

object! {
    /// A call event's data (`data`, `data.call` or an array element).
    pub struct CallRecord<'a> {
        /// Call id.
        "id" => id: Cow<'a, str>,
        /// Call id (older name).
        "callId" => call_id: Cow<'a, str>,
        /// Caller JID.
        "from" => from: Jid<'a>,
        /// Caller JID (older name).
        "caller" => caller: Jid<'a>,
        /// The call, when wrapped as `data.call`.
        "call" => call: Box<CallRecord<'a>>,
        /// Group call.
        "isGroup" => is_group: bool,
        /// Video call.
        "isVideo" => is_video: bool,
        /// Call status.
        "status" => status: Cow<'a, str>,
        /// When.
        "date" => date: StrOrNum<'a>,
    }
}

object! {
    /// `group-participants.update` data.
    pub struct GroupParticipants<'a> {
        /// Group JID.
        "jid" => jid: Jid<'a>,
        /// Group JID (newer name).
        "id" => id: Jid<'a>,
        /// Participants (JIDs or phone strings; objects kept raw).
        "participants" => participants: Vec<Raw<'a>>,
        /// `add`, `remove`, `promote`, `demote`.
        "action" => action: Cow<'a, str>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_before_event_is_typed() {
        let e = Event::parse(
            br#"{"data":{"key":{"id":"A","remoteJid":"1@s.whatsapp.net"}},"event":"message.sent"}"#,
        )
        .unwrap();
        let Some(Data::Messages(data)) = &e.data else {
            panic!("not typed: {e:?}")
        };
        let OneOrMany::One(r) = data.as_ref() else {
            panic!("not one record")
        };
        assert_eq!(r.key.as_ref().unwrap().id.as_deref(), Some("A"));
    }

    #[test]
    fn unknown_event_keeps_data_raw() {
        let e = Event::parse(br#"{"event":"future.thing","data":[1,2]}"#).unwrap();
        assert!(matches!(&e.data, Some(Data::Raw(r)) if r.as_str() == "[1,2]"));
    }

    #[test]
    fn media_fields_are_typed_and_the_key_is_redacted() {
        let e = Event::parse(
            br#"{"event":"messages.upsert","data":{"key":{"id":"A"},"message":{"imageMessage":{
            "fileSha256":"not base64!","fileEncSha256":"x","mediaKey":"c2VjcmV0a2V5","fileLength":"1234"}}}}"#,
        )
        .unwrap();
        let Some(Data::Messages(data)) = &e.data else {
            panic!("not typed")
        };
        let OneOrMany::One(r) = data.as_ref() else {
            panic!("not one record")
        };
        let img = r.message.as_ref().unwrap().image_message.as_ref().unwrap();
        assert_eq!(img.file_sha256.as_deref(), Some("not base64!"));
        assert_eq!(img.file_length.as_ref().unwrap().as_i64(), Some(1234));
        assert!(!format!("{e:?}").contains("c2VjcmV0a2V5"));
    }

    #[test]
    fn missing_event_is_an_error() {
        let err = Event::parse(br#"{"data":{}}"#).unwrap_err();
        assert!(
            matches!(err, crate::Error::MissingField { ref path, .. } if path == "event"),
            "{err}"
        );
    }

    #[test]
    fn wrong_data_type_names_the_data_path() {
        let err = Event::parse(br#"{"event":"messages.upsert","data":{"key":{"fromMe":"yes"}}}"#)
            .unwrap_err();
        match err {
            crate::Error::WrongType { path, .. } => assert_eq!(path, "data.key.fromMe"),
            other => panic!("{other}"),
        }
    }
}
