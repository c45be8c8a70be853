//! The WASender rules: records, calls, groups and contacts found by the shape of `data`,
//! whatever the event says.

use crate::address::Address;
use crate::lex::{Cursor, Error, Token};
use crate::wasender::EventFamily;
use crate::{ItemKind, Role, Slot};

use super::fields::{Fields, Val, Want};
use super::{Container, Position, RawItem, Scanning, Text, element, revisit};

/// The routing fields of a `data` object or element. Each group of keys is one shape: a
/// message record by its key (`key`, `keys`, `messages`), a sender (`call`, `from`,
/// `caller`: a call, or a message in the older format), a group (`participants`, `owner`), a
/// contact or chat (`jid`, `id`); `message` wraps a record when no other shape is there
/// (otherwise it is the content).
const RECORD: Fields<12> = [
    ("key", Want::Obj),
    ("messages", Want::ObjOrArr),
    ("keys", Want::Arr),
    ("message", Want::Obj),
    ("call", Want::Obj),
    ("from", Want::Str),
    ("caller", Want::Str),
    ("id", Want::Str),
    ("callId", Want::Str),
    ("participants", Want::Arr),
    ("owner", Want::Str),
    ("jid", Want::Str),
];

/// The routing fields of a message key.
const KEY: Fields<10> = [
    ("id", Want::Str),
    ("fromMe", Want::Bool),
    ("remoteJid", Want::Str),
    ("participant", Want::Str),
    ("senderPn", Want::Str),
    ("cleanedSenderPn", Want::Str),
    ("participantPn", Want::Str),
    ("cleanedParticipantPn", Want::Str),
    ("participantLid", Want::Str),
    ("senderLid", Want::Str),
];

/// The routing fields of a participant given as an object.
const PARTICIPANT: Fields<3> = [
    ("id", Want::Str),
    ("phoneNumber", Want::Str),
    ("lid", Want::Str),
];

/// Where the object being read sits: the slot and index its own items get, and the `data`
/// index its sub-arrays belong to.
#[derive(Debug, Clone, Copy)]
struct Where {
    slot: Slot,
    index: u32,
    parent: Option<u32>,
    /// Inside an element of a `messages` or `keys` array: no further arrays of records.
    nested: bool,
}

impl Where {
    const WHOLE: Self = Self {
        slot: Slot::WaWhole,
        index: 0,
        parent: None,
        nested: false,
    };

    fn data(i: u32) -> Self {
        Self {
            slot: Slot::WaData,
            index: i,
            parent: Some(i),
            nested: false,
        }
    }

    fn sub(self, slot: Slot, index: u32) -> Self {
        Self {
            slot,
            index,
            parent: self.parent,
            nested: true,
        }
    }

    fn position(self) -> Position {
        Position {
            entry: 0,
            change: 0,
            slot: self.slot,
            index: self.index,
        }
    }
}

/// The items of an event: `data` read by shape, then the fallbacks.
pub(super) fn event(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    event: Text,
    data: Option<(usize, Token)>,
) -> Result<(), Error> {
    // Message events are about a person even when a record has no key: such a record is a
    // sender without identity (routed to the default region, with the reason), not the
    // business.
    let person_default = EventFamily::of(st.get(event)) == EventFamily::Message;
    if let Some((at, token)) = data {
        // `data` was validated by the first pass; walk it again inside the root (depth 1).
        c.seek(at, 1);
        st.push_key("data");
        let r = match token {
            Token::Array => c.array(|c, i| {
                element(c, st, Container::Data, i, |c, st| {
                    value(c, st, Where::data(i), person_default)
                })
            }),
            _ => value(c, st, Where::WHOLE, person_default),
        };
        st.pop();
        r?;
    }
    if st.items().is_empty() {
        // An event with no user item concerns the business's session.
        st.push_item(RawItem::new(
            ItemKind::Event,
            Role::Business,
            Where::WHOLE.position(),
        ))?;
    }
    for item in st.items_mut() {
        item.field = Some(event);
    }
    Ok(())
}

/// `data`, or one element of an array of records: it yields at least one item.
fn value(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    at: Where,
    person_default: bool,
) -> Result<(), Error> {
    let before = st.items().len();
    match c.peek_token() {
        Some(Token::Object) => object(c, st, at, person_default)?,
        Some(Token::String) => {
            let span = c.string()?;
            let t = st.text(span)?;
            if let Some(item) = person(st, t, at, Role::Participant) {
                st.push_item(item)?;
            }
        }
        _ => c.skip()?,
    }
    if st.items().len() == before {
        let role = if person_default {
            Role::Sender
        } else {
            Role::Business
        };
        st.push_item(RawItem::new(ItemKind::Event, role, at.position()))?;
    }
    Ok(())
}

/// An item for a string that addresses a person (a phone number or a LID), else `None`.
fn person(st: &mut Scanning<'_, '_>, t: Text, at: Where, role: Role) -> Option<RawItem> {
    let mut item = RawItem::new(ItemKind::Event, role, at.position());
    let value = st.get(t);
    match Address::parse(value) {
        Address::Phone(p) => {
            let (start, len) = (offset_in(value, p), p.len());
            item.phone = Some(st.sub(t, start, len));
        }
        Address::Lid(_) => item.lid = Some(t),
        _ => return None,
    }
    Some(item)
}

/// The byte offset of `part`, a sub-slice of `whole`, in `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// One object of `data`: its shape decides its items.
fn object(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    at: Where,
    person_default: bool,
) -> Result<(), Error> {
    let depth = c.depth();
    let start = {
        c.ws();
        c.pos()
    };
    let [
        key,
        messages,
        keys,
        message,
        call,
        from,
        caller,
        id,
        call_id,
        participants,
        owner,
        jid,
    ] = st.fields(c, &RECORD)?;
    let keyed = key.is_some() || messages.is_some() || keys.is_some();
    let calling = call.is_some() || from.is_some() || caller.is_some();
    let group = participants.is_some() || owner.is_some();
    if u8::from(keyed) + u8::from(calling) + u8::from(group) > 1 {
        let end = c.pos();
        c.seek(start, depth);
        let err = st.ambiguous_record(c);
        c.seek(end, depth);
        return Err(err);
    }
    let nested_array = |c: &mut Cursor<'_>, st: &Scanning<'_, '_>, pos: usize| {
        let end = c.pos();
        c.seek(pos, depth + 1);
        let err = st.ambiguous_record(c);
        c.seek(end, depth);
        err
    };
    if let Some(Val::At { pos, .. }) = key {
        st.push_key("key");
        let r = revisit(c, pos, depth, |c| message_key(c, st, at));
        st.pop();
        return r;
    }
    if let Some(Val::At { pos, token }) = messages {
        st.push_key("messages");
        let r = if token == Token::Object {
            revisit(c, pos, depth, |c| object(c, st, at, person_default))
        } else if at.nested {
            Err(nested_array(c, st, pos))
        } else {
            let container = Container::Messages { parent: at.parent };
            revisit(c, pos, depth, |c| {
                c.array(|c, j| {
                    element(c, st, container, j, |c, st| {
                        let slot = Slot::WaMessages { parent: at.parent };
                        value(c, st, at.sub(slot, j), person_default)
                    })
                })
            })
        };
        st.pop();
        return r;
    }
    if let Some(Val::At { pos, .. }) = keys {
        if at.nested {
            return Err(nested_array(c, st, pos));
        }
        st.push_key("keys");
        let container = Container::Keys { parent: at.parent };
        let r = revisit(c, pos, depth, |c| {
            c.array(|c, j| {
                element(c, st, container, j, |c, st| {
                    st.expect_object(c)?;
                    let slot = Slot::WaKeys { parent: at.parent };
                    message_key(c, st, at.sub(slot, j))
                })
            })
        });
        st.pop();
        return r;
    }
    if let Some(Val::At { pos, .. }) = call {
        st.push_key("call");
        let r = revisit(c, pos, depth, |c| object(c, st, at, person_default));
        st.pop();
        return r;
    }
    if calling {
        let end = c.pos();
        c.seek(start, depth);
        let item = call_item(c, st, at, [("from", from), ("caller", caller)]);
        c.seek(end, depth);
        let mut item = item?;
        item.id = Val::text(id).or(Val::text(call_id));
        return st.push_item(item);
    }
    if group {
        if let Some(t) = Val::text(owner)
            && let Some(item) = person(st, t, at, Role::Participant)
        {
            st.push_item(item)?;
        }
        if let Some(Val::At { pos, .. }) = participants {
            if at.nested {
                return Err(nested_array(c, st, pos));
            }
            st.push_key("participants");
            let container = Container::Participants { parent: at.parent };
            let r = revisit(c, pos, depth, |c| {
                c.array(|c, j| {
                    element(c, st, container, j, |c, st| {
                        let slot = Slot::WaParticipants { parent: at.parent };
                        participant(c, st, at.sub(slot, j))
                    })
                })
            });
            st.pop();
            r?;
        }
        return Ok(());
    }
    if let Some(Val::At { pos, .. }) = message {
        st.push_key("message");
        let r = revisit(c, pos, depth, |c| object(c, st, at, person_default));
        st.pop();
        return r;
    }
    // A contact or a chat: `jid`, else `id`, when it addresses a person.
    for t in [Val::text(jid), Val::text(id)].into_iter().flatten() {
        if let Some(item) = person(st, t, at, Role::Participant) {
            return st.push_item(item);
        }
    }
    Ok(())
}

/// The phone and LID candidates of one item, each with the field it came from; all phones
/// must name one number and all LIDs one LID.
#[derive(Default)]
struct Identity {
    phone: Option<(&'static str, Text)>,
    lid: Option<(&'static str, Text, Text)>,
}

impl Identity {
    /// Adds the address in field `name`; a different phone or LID than one already seen is
    /// a conflict between the two fields.
    fn add(
        &mut self,
        c: &Cursor<'_>,
        st: &mut Scanning<'_, '_>,
        name: &'static str,
        t: Text,
    ) -> Result<(), Error> {
        let value = st.get(t);
        match Address::parse(value) {
            Address::Phone(p) => {
                let (start, len) = (offset_in(value, p), p.len());
                match self.phone {
                    Some((first, seen)) => {
                        let other = st.get(seen);
                        // Placeholders name no one: only two phone numbers can conflict.
                        if super::looks_like_phone(other)
                            && super::looks_like_phone(p)
                            && !super::same_phone(other, p)
                        {
                            return Err(st.conflict(c, st.here(first), st.here(name)));
                        }
                        // A placeholder seen first gives way to the first phone number, so
                        // that it neither stands for the party nor hides a later number
                        // that differs from this one.
                        if !super::looks_like_phone(other) && super::looks_like_phone(p) {
                            self.phone = Some((name, st.sub(t, start, len)));
                        }
                    }
                    None => self.phone = Some((name, st.sub(t, start, len))),
                }
            }
            Address::Lid(l) => {
                let (start, len) = (offset_in(value, l), l.len());
                match self.lid {
                    Some((first, _, user)) => {
                        if st.get(user) != l {
                            return Err(st.conflict(c, st.here(first), st.here(name)));
                        }
                    }
                    None => {
                        let user = st.sub(t, start, len);
                        self.lid = Some((name, t, user));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn apply(self, item: &mut RawItem) {
        item.phone = self.phone.map(|(_, t)| t);
        item.lid = self.lid.map(|(_, t, _)| t);
    }
}

/// A message key (the object at the cursor): id, role, phone and LID.
fn message_key(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, at: Where) -> Result<(), Error> {
    let [
        id,
        from_me,
        remote_jid,
        participant,
        sender_pn,
        cleaned_sender_pn,
        participant_pn,
        cleaned_participant_pn,
        participant_lid,
        sender_lid,
    ] = st.fields(c, &KEY)?;
    let text = Val::text;
    let remote = text(remote_jid);
    let part = text(participant);
    let in_group = part.is_some_and(|p| !st.get(p).is_empty())
        || remote.is_some_and(|r| matches!(Address::parse(st.get(r)), Address::Group(_)));
    let role = if in_group {
        Role::Participant
    } else if from_me == Some(Val::Bool(true)) {
        Role::Recipient
    } else {
        Role::Sender
    };
    let mut identity = Identity::default();
    let candidates = [
        ("cleanedParticipantPn", text(cleaned_participant_pn)),
        ("participantPn", text(participant_pn)),
        ("cleanedSenderPn", text(cleaned_sender_pn)),
        ("senderPn", text(sender_pn)),
        ("participantLid", text(participant_lid)),
        ("senderLid", text(sender_lid)),
        ("participant", part),
        ("remoteJid", remote),
    ];
    for (name, t) in candidates {
        if let Some(t) = t {
            identity.add(c, st, name, t)?;
        }
    }
    let mut item = RawItem::new(ItemKind::Event, role, at.position());
    item.id = text(id);
    identity.apply(&mut item);
    st.push_item(item)
}

/// A call: the object at the cursor has `from` or `caller`.
fn call_item(
    c: &Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    at: Where,
    fields: [(&'static str, Option<Val>); 2],
) -> Result<RawItem, Error> {
    let mut identity = Identity::default();
    for (name, v) in fields {
        if let Some(t) = Val::text(v) {
            identity.add(c, st, name, t)?;
        }
    }
    let mut item = RawItem::new(ItemKind::Event, Role::Sender, at.position());
    identity.apply(&mut item);
    Ok(item)
}

/// One element of `participants`: a JID or phone string, or an object with `id`,
/// `phoneNumber` and `lid`.
fn participant(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, at: Where) -> Result<(), Error> {
    let mut item = RawItem::new(ItemKind::Event, Role::Participant, at.position());
    match c.peek_token() {
        Some(Token::String) => {
            let span = c.string()?;
            let t = st.text(span)?;
            if let Some(p) = person(st, t, at, Role::Participant) {
                item = p;
            }
        }
        Some(Token::Object) => {
            c.ws();
            let start = c.pos();
            let depth = c.depth();
            let [id, phone, lid] = st.fields(c, &PARTICIPANT)?;
            let end = c.pos();
            c.seek(start, depth);
            let mut identity = Identity::default();
            let mut r = Ok(());
            for (name, v) in [("id", id), ("phoneNumber", phone), ("lid", lid)] {
                if let Some(t) = Val::text(v)
                    && r.is_ok()
                {
                    r = identity.add(c, st, name, t);
                }
            }
            c.seek(end, depth);
            r?;
            identity.apply(&mut item);
        }
        Some(_) => return Err(st.wrong_element(c, "a string or an object")),
        None => return Err(c.syntax()),
    }
    st.push_item(item)
}

#[cfg(test)]
mod tests {
    use crate::scan::Scanner;
    use crate::{ItemKind, Limits, PayloadError, Role, Slot};

    /// Kind, role, slot, index and phone of an item.
    type Found = (ItemKind, Role, Slot, usize, Option<String>);

    /// Each item of a WASender body.
    fn items(body: &str) -> Result<Vec<Found>, PayloadError> {
        let mut scanner = Scanner::new();
        let scan = scanner.scan(body.as_bytes(), &Limits::default())?;
        Ok(scan
            .items()
            .map(|i| {
                (
                    i.kind,
                    i.party.role,
                    i.slot,
                    i.index,
                    i.party.phone.map(str::to_owned),
                )
            })
            .collect())
    }

    fn phones(body: &str) -> Vec<Option<String>> {
        items(body).unwrap().into_iter().map(|i| i.4).collect()
    }

    #[test]
    fn a_message_record_routes_by_its_key_whatever_the_event() {
        for event in ["messages.upsert", "messages.received", "some.future.event"] {
            let body = format!(
                r#"{{"event":"{event}","data":{{"key":{{"id":"M","fromMe":false,"remoteJid":"4915112345678@s.whatsapp.net"}}}}}}"#
            );
            assert_eq!(phones(&body), [Some("4915112345678".to_owned())], "{event}");
        }
    }

    #[test]
    fn the_fields_of_one_key_must_name_one_person() {
        let body = r#"{"event":"messages.upsert","data":{"key":{"id":"M","remoteJid":"4915112345678@s.whatsapp.net","cleanedSenderPn":"5511987654321"}}}"#;
        let err = items(body).unwrap_err();
        assert!(
            matches!(&err, PayloadError::ConflictingParty { first, second, .. }
                if first.contains("key") && second.contains("key")),
            "{err:?}"
        );
        assert!(!err.to_string().contains("4915") && !err.to_string().contains("5511"));
        // The same person written two ways is one party (read from `cleanedSenderPn`).
        let body = r#"{"event":"messages.upsert","data":{"key":{"id":"M","remoteJid":"4915112345678@s.whatsapp.net","cleanedSenderPn":"+4915112345678"}}}"#;
        assert_eq!(phones(body), [Some("+4915112345678".to_owned())]);
    }

    #[test]
    fn a_group_routes_by_every_participant() {
        let body = r#"{"event":"group-participants.update","data":{"id":"120363041234567890@g.us","participants":["4915112345678@s.whatsapp.net",{"id":"5511987654321@s.whatsapp.net"}],"action":"add"}}"#;
        let found = phones(body);
        assert!(
            found.contains(&Some("4915112345678".to_owned())),
            "{found:?}"
        );
        assert!(
            found.contains(&Some("5511987654321".to_owned())),
            "{found:?}"
        );
    }

    #[test]
    fn records_of_a_data_array_keep_their_index() {
        let body = r#"{"event":"messages.upsert","data":[{"key":{"id":"A","remoteJid":"4915112345678@s.whatsapp.net"}},{"key":{"id":"B","remoteJid":"5511987654321@s.whatsapp.net"}}]}"#;
        let found = items(body).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].3, found[1].3), (0, 1));
        assert_eq!(found[1].4.as_deref(), Some("5511987654321"));
    }

    #[test]
    fn a_record_with_the_fields_of_two_shapes_is_ambiguous() {
        let body = r#"{"event":"call","data":{"key":{"id":"M","remoteJid":"4915112345678@s.whatsapp.net"},"participants":["5511987654321@s.whatsapp.net"]}}"#;
        assert!(matches!(
            items(body),
            Err(PayloadError::AmbiguousRecord { .. })
        ));
    }
}
