//! The Cloud API rules: entries, changes, and every party-shaped array of a change's
//! `value`, whatever the change's `field` says.

use std::collections::HashMap;

use crate::lex::{Cursor, Error, Token};
use crate::{ItemKind, Role, Slot};

use super::fields::{Fields, Val, Want};
use super::{Container, ElementSpan, Pending, Position, RawItem, Scanning, Text, element, revisit};

/// The routing fields of a message (also echoes and history messages: one model type).
const MESSAGE: Fields<6> = [
    ("id", Want::Str),
    ("from", Want::Str),
    ("from_user_id", Want::Str),
    ("group_id", Want::Str),
    ("to", Want::Str),
    ("to_user_id", Want::Str),
];

/// The routing fields of a status.
const STATUS: Fields<6> = [
    ("id", Want::Str),
    ("recipient_type", Want::Str),
    ("recipient_id", Want::Str),
    ("recipient_user_id", Want::Str),
    ("recipient_participant_id", Want::Str),
    ("recipient_participant_user_id", Want::Str),
];

/// The routing fields of a call.
const CALL: Fields<6> = [
    ("id", Want::Str),
    ("direction", Want::Str),
    ("from", Want::Str),
    ("from_user_id", Want::Str),
    ("to", Want::Str),
    ("to_user_id", Want::Str),
];

/// The routing fields of a user preference and of a contact.
const USER: Fields<2> = [("wa_id", Want::Str), ("user_id", Want::Str)];

/// The keys of a change's `value` the rules read, in the order their items come out.
const VALUE_KEYS: [&str; 9] = [
    "messages",
    "statuses",
    "calls",
    "message_echoes",
    "user_preferences",
    "history",
    "state_sync",
    "contacts",
    "metadata",
];

/// The slots of the five plain item arrays of [`VALUE_KEYS`].
const ITEM_SLOTS: [Slot; 5] = [
    Slot::Messages,
    Slot::Statuses,
    Slot::Calls,
    Slot::Echoes,
    Slot::UserPreferences,
];

/// Above this many item-contact pairs, contacts are matched through a hash map.
const LINEAR_MATCH_LIMIT: usize = 256;

fn position(entry: u32, change: u32, slot: Slot, index: u32) -> Position {
    Position {
        entry,
        change,
        slot,
        index,
    }
}

/// `entry`, an array (checked by the caller).
pub(super) fn entries(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>) -> Result<(), Error> {
    st.push_key("entry");
    let r = c.array(|c, e| element(c, st, Container::Entries, e, |c, st| entry(c, st, e)));
    st.pop();
    r
}

fn entry(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, e: u32) -> Result<(), Error> {
    st.expect_object(c)?;
    let first = st.items().len();
    let mut waba: Option<Text> = None;
    let mut changes = false;
    let mut seen = 0u8;
    c.object(|c, key| {
        let (bit, name) = if st.is(key, "id") {
            (1, "id")
        } else if st.is(key, "changes") {
            (2, "changes")
        } else {
            return c.skip();
        };
        if seen & bit != 0 {
            return Err(st.duplicate(c, name));
        }
        seen |= bit;
        match (bit, c.peek_token()) {
            (_, Some(Token::Null)) => c.null(),
            (1, Some(Token::String)) => {
                let span = c.string()?;
                waba = Some(st.text(span)?);
                Ok(())
            }
            (2, Some(Token::Array)) => {
                changes = true;
                st.push_key("changes");
                let r = c.array(|c, ci| {
                    element(c, st, Container::Changes { entry: e }, ci, |c, st| {
                        change(c, st, e, ci)
                    })
                });
                st.pop();
                r
            }
            (1, Some(_)) => Err(st.wrong_type(c, name, "a string")),
            (_, Some(_)) => Err(st.wrong_type(c, name, "an array")),
            (_, None) => Err(c.syntax()),
        }
    })?;
    if !changes {
        return Err(st.missing(c, "changes"));
    }
    for item in st.items_mut().iter_mut().skip(first) {
        if item.kind == ItemKind::Account {
            item.waba_id = waba;
        }
    }
    Ok(())
}

fn change(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, e: u32, ci: u32) -> Result<(), Error> {
    st.expect_object(c)?;
    let first = st.items().len();
    st.contacts().clear();
    let mut field: Option<Text> = None;
    let mut value_seen = false;
    let mut phone_number_id: Option<Text> = None;
    let mut seen = 0u8;
    c.object(|c, key| {
        let (bit, name) = if st.is(key, "field") {
            (1, "field")
        } else if st.is(key, "value") {
            (2, "value")
        } else {
            return c.skip();
        };
        if seen & bit != 0 {
            return Err(st.duplicate(c, name));
        }
        seen |= bit;
        match (bit, c.peek_token()) {
            (_, Some(Token::Null)) => c.null(),
            (1, Some(Token::String)) => {
                let span = c.string()?;
                field = Some(st.text(span)?);
                Ok(())
            }
            (2, Some(Token::Object)) => {
                value_seen = true;
                st.push_key("value");
                let r = value(c, st, e, ci, &mut phone_number_id);
                st.pop();
                r
            }
            (1, Some(_)) => Err(st.wrong_type(c, name, "a string")),
            (_, Some(_)) => Err(st.wrong_type(c, name, "an object")),
            (_, None) => Err(c.syntax()),
        }
    })?;
    if field.is_none() {
        return Err(st.missing(c, "field"));
    }
    if !value_seen {
        return Err(st.missing(c, "value"));
    }
    if let Some(items) = st.items_mut().get_mut(first..) {
        // Items come out in a fixed array order, whatever the key order of `value`.
        if !items.is_sorted_by_key(|i| i.pos.slot.order()) {
            items.sort_by_key(|i| i.pos.slot.order());
        }
    }
    match_contacts(c, st, e, ci, first)?;
    if st.items().len() == first {
        let mut item = RawItem::new(
            ItemKind::Account,
            Role::Business,
            position(e, ci, Slot::Change, 0),
        );
        item.phone_number_id = phone_number_id;
        st.push_item(item)?;
    }
    for item in st.items_mut().iter_mut().skip(first) {
        item.field = field;
    }
    Ok(())
}

fn value(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    e: u32,
    ci: u32,
    phone_number_id: &mut Option<Text>,
) -> Result<(), Error> {
    let mut seen = 0u16;
    c.object(|c, key| {
        let Some(i) = st.key_in(key, VALUE_KEYS) else {
            return c.skip();
        };
        let name = VALUE_KEYS.get(i).copied().unwrap_or_default();
        if seen & (1 << i) != 0 {
            return Err(st.duplicate(c, name));
        }
        seen |= 1 << i;
        let metadata = name == "metadata";
        match c.peek_token() {
            Some(Token::Null) => return c.null(),
            Some(Token::Array) if !metadata => {}
            Some(Token::Object) if metadata => {}
            Some(_) => {
                let want = if metadata { "an object" } else { "an array" };
                return Err(st.wrong_type(c, name, want));
            }
            None => return Err(c.syntax()),
        }
        st.push_key(name);
        let r = match (i, ITEM_SLOTS.get(i)) {
            (_, Some(&slot)) => item_array(c, st, e, ci, slot),
            (5, _) => history(c, st, e, ci),
            (6, _) => state_sync(c, st, e, ci),
            (7, _) => contacts(c, st),
            _ => st
                .fields(c, &[("phone_number_id", Want::Str)])
                .map(|[id]| *phone_number_id = Val::text(id)),
        };
        st.pop();
        r
    })
}

fn item_array(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    e: u32,
    ci: u32,
    slot: Slot,
) -> Result<(), Error> {
    let container = Container::Items {
        entry: e,
        change: ci,
        slot,
    };
    c.array(|c, i| {
        element(c, st, container, i, |c, st| {
            st.expect_object(c)?;
            let item = cloud_item(c, st, position(e, ci, slot, i))?;
            st.push_item(item)
        })
    })
}

/// One object of the five plain item arrays.
fn cloud_item(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    pos: Position,
) -> Result<RawItem, Error> {
    let text = Val::text;
    Ok(match pos.slot {
        Slot::Messages | Slot::Echoes => {
            let [id, from, from_uid, group_id, to, to_uid] = st.fields(c, &MESSAGE)?;
            let mut item = if pos.slot == Slot::Echoes {
                let mut item = RawItem::new(ItemKind::Echo, Role::Recipient, pos);
                item.phone = text(to);
                item.user_id = text(to_uid);
                item
            } else {
                let role = if group_id.is_some() {
                    Role::Participant
                } else {
                    Role::Sender
                };
                let mut item = RawItem::new(ItemKind::Message, role, pos);
                item.phone = text(from);
                item.user_id = text(from_uid);
                item
            };
            item.id = text(id);
            item
        }
        Slot::Statuses => {
            let [id, rtype, rid, ruid, rpid, rpuid] = st.fields(c, &STATUS)?;
            let group = text(rtype).is_some_and(|t| st.get(t) == "group");
            let role = if group {
                Role::Participant
            } else {
                Role::Recipient
            };
            let mut item = RawItem::new(ItemKind::Status, role, pos);
            item.id = text(id);
            let (phone, uid) = if group { (rpid, rpuid) } else { (rid, ruid) };
            item.phone = text(phone);
            item.user_id = text(uid);
            item
        }
        Slot::Calls => {
            let [id, direction, from, from_uid, to, to_uid] = st.fields(c, &CALL)?;
            let outbound = text(direction).is_some_and(|d| st.get(d) == "BUSINESS_INITIATED");
            let role = if outbound {
                Role::Recipient
            } else {
                Role::Sender
            };
            let mut item = RawItem::new(ItemKind::Call, role, pos);
            item.id = text(id);
            let (phone, uid) = if outbound {
                (to, to_uid)
            } else {
                (from, from_uid)
            };
            item.phone = text(phone);
            item.user_id = text(uid);
            item
        }
        _ => {
            let [wa_id, user_id] = st.fields(c, &USER)?;
            let mut item = RawItem::new(ItemKind::UserPreference, Role::Sender, pos);
            item.phone = text(wa_id);
            item.user_id = text(user_id);
            item
        }
    })
}

/// `value.history`: chunks of threads of messages. A history message is routed by its
/// thread's user (the thread `id`), whoever sent it; a thread without messages is still
/// that user's contact.
fn history(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, e: u32, ci: u32) -> Result<(), Error> {
    let chunks = Container::History {
        entry: e,
        change: ci,
    };
    c.array(|c, h| {
        element(c, st, chunks, h, |c, st| {
            st.expect_object(c)?;
            let mut seen = false;
            c.object(|c, key| {
                if !st.is(key, "threads") {
                    return c.skip();
                }
                if seen {
                    return Err(st.duplicate(c, "threads"));
                }
                seen = true;
                match c.peek_token() {
                    Some(Token::Null) => c.null(),
                    Some(Token::Array) => {
                        st.push_key("threads");
                        let threads = Container::Threads {
                            entry: e,
                            change: ci,
                            chunk: h,
                        };
                        let r = c.array(|c, t| {
                            element(c, st, threads, t, |c, st| thread(c, st, e, ci, h, t))
                        });
                        st.pop();
                        r
                    }
                    Some(_) => Err(st.wrong_type(c, "threads", "an array")),
                    None => Err(c.syntax()),
                }
            })
        })
    })
}

fn thread(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    e: u32,
    ci: u32,
    chunk: u32,
    t: u32,
) -> Result<(), Error> {
    st.expect_object(c)?;
    let first = st.items().len();
    let slot = Slot::History { chunk, thread: t };
    let mut user: Option<Text> = None;
    let mut seen = 0u8;
    c.object(|c, key| {
        let (bit, name) = if st.is(key, "id") {
            (1, "id")
        } else if st.is(key, "messages") {
            (2, "messages")
        } else {
            return c.skip();
        };
        if seen & bit != 0 {
            return Err(st.duplicate(c, name));
        }
        seen |= bit;
        match (bit, c.peek_token()) {
            (_, Some(Token::Null)) => c.null(),
            (1, Some(Token::String)) => {
                let span = c.string()?;
                user = Some(st.text(span)?);
                Ok(())
            }
            (2, Some(Token::Array)) => {
                st.push_key("messages");
                let container = Container::Items {
                    entry: e,
                    change: ci,
                    slot,
                };
                let r = c.array(|c, m| {
                    element(c, st, container, m, |c, st| {
                        st.expect_object(c)?;
                        let [id, ..] = st.fields(c, &MESSAGE)?;
                        let mut item = RawItem::new(
                            ItemKind::Message,
                            Role::Participant,
                            position(e, ci, slot, m),
                        );
                        item.id = Val::text(id);
                        st.push_item(item)
                    })
                });
                st.pop();
                r
            }
            (1, Some(_)) => Err(st.wrong_type(c, name, "a string")),
            (_, Some(_)) => Err(st.wrong_type(c, name, "an array")),
            (_, None) => Err(c.syntax()),
        }
    })?;
    for item in st.items_mut().iter_mut().skip(first) {
        item.phone = user;
    }
    if st.items().len() == first {
        let mut item = RawItem::new(
            ItemKind::Contact,
            Role::Participant,
            position(e, ci, Slot::Thread { chunk }, t),
        );
        item.phone = user;
        st.push_item(item)?;
    }
    Ok(())
}

/// `value.state_sync`: the business app's contact book; each entry is its contact's item.
fn state_sync(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>, e: u32, ci: u32) -> Result<(), Error> {
    let container = Container::Items {
        entry: e,
        change: ci,
        slot: Slot::StateSync,
    };
    c.array(|c, s| {
        element(c, st, container, s, |c, st| {
            st.expect_object(c)?;
            let depth = c.depth();
            let [contact] = st.fields(c, &[("contact", Want::Obj)])?;
            let mut item = RawItem::new(
                ItemKind::Contact,
                Role::Participant,
                position(e, ci, Slot::StateSync, s),
            );
            if let Some(Val::At { pos, .. }) = contact {
                st.push_key("contact");
                let phone = revisit(c, pos, depth, |c| {
                    st.fields(c, &[("phone_number", Want::Str)])
                });
                st.pop();
                let [phone] = phone?;
                item.phone = Val::text(phone);
            }
            st.push_item(item)
        })
    })
}

/// `value.contacts`: collected here, matched with the change's items once it is read.
fn contacts(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>) -> Result<(), Error> {
    c.array(|c, k| {
        st.push_index(k);
        st.expect_object(c)?;
        c.ws();
        let start = c.pos();
        let fields = st.fields(c, &USER);
        st.pop();
        let [wa_id, user_id] = fields?;
        st.check_room(1)?;
        st.contacts().push(Pending {
            wa_id: Val::text(wa_id),
            user_id: Val::text(user_id),
            index: k,
            start,
            end: c.pos(),
        });
        Ok(())
    })
}

/// Matches each contact of a change with the first item (in item order) whose phone equals
/// its `wa_id` or whose user id equals its `user_id`. A matched pair whose phones, or whose
/// user ids, differ is a conflict. A contact no item matches is an item of its own.
///
/// Only a user id of the full `CC.` + id shape matches: a bare country prefix (`US.`, what
/// pii-mask's strip mode leaves of every id) names no one, so two people who share it are
/// not one party (the same rule [`check_pair`] applies to conflicts).
fn match_contacts(
    c: &Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    e: u32,
    ci: u32,
    first: usize,
) -> Result<(), Error> {
    let pending = std::mem::take(st.contacts());
    if pending.is_empty() {
        *st.contacts() = pending;
        return Ok(());
    }
    let count = st.items().len().saturating_sub(first);
    let index = (count * pending.len() > LINEAR_MATCH_LIMIT).then(|| MatchIndex::new(st, first));
    let mut result = Ok(());
    for p in &pending {
        let matched = match &index {
            Some(ix) => ix.first_match(st, p),
            None => linear_match(st, first, p),
        };
        let rides_with = match matched {
            Some(j) => {
                if let Err(err) = check_pair(c, st, e, ci, p, j) {
                    result = Err(err);
                    break;
                }
                st.items().get(j).map(|i| i.pos)
            }
            None => {
                let pos = position(e, ci, Slot::Contacts, p.index);
                let mut item = RawItem::new(ItemKind::Contact, Role::Participant, pos);
                item.phone = p.wa_id;
                item.user_id = p.user_id;
                if let Err(err) = st.push_item(item) {
                    result = Err(err);
                    break;
                }
                Some(pos)
            }
        };
        if st.recording() {
            st.record(ElementSpan {
                container: Container::Contacts {
                    entry: e,
                    change: ci,
                },
                index: p.index,
                start: p.start,
                end: p.end,
                rides_with,
            });
        }
    }
    let mut pending = pending;
    pending.clear();
    *st.contacts() = pending;
    result
}

fn linear_match(st: &Scanning<'_, '_>, first: usize, p: &Pending) -> Option<usize> {
    let items = st.items().get(first..)?;
    items
        .iter()
        .position(|item| matches(st, p, item))
        .map(|j| first + j)
}

fn matches(st: &Scanning<'_, '_>, p: &Pending, item: &RawItem) -> bool {
    let by_phone = match (p.wa_id, item.phone) {
        (Some(a), Some(b)) => super::same_phone(st.get(a), st.get(b)),
        _ => false,
    };
    by_phone
        || match (p.user_id, item.user_id) {
            (Some(a), Some(b)) => {
                let a = st.get(a);
                looks_like_user_id(a) && a == st.get(b)
            }
            _ => false,
        }
}

/// Phones and user ids of a change's items, each to the first item that has it: the same
/// answers as [`linear_match`], for large batches.
///
/// Two phones match when their [`phone_key`](super::phone_key)s are equal (that is what
/// [`same_phone`](super::same_phone) decides): keys of at most 16 digits, the usual case, are
/// compared as numbers, every other key as text.
struct MatchIndex {
    /// Phones whose key is 1 to 16 digits, as a [`digit_key`] with their item, sorted: the
    /// first of a run of equal phones is its first item. No hashing, no copies of the strings.
    digits: Vec<(u64, usize)>,
    /// Other phones, by key.
    phones: HashMap<String, usize>,
    user_ids: HashMap<String, usize>,
}

/// For 1 to 16 ASCII digits, a number that two digit strings share exactly when they are
/// equal: each digit as a nibble of 1 to 10, first digit lowest, zero nibbles after the last
/// (so the length counts too). Two or four word loads and no loop per digit.
fn digit_key(d: &[u8]) -> Option<u64> {
    /// Eight digit bytes (checked) to eight nibbles of 1 to 10, in the low 32 bits.
    fn nibbles(w: u64) -> u64 {
        let x = w - 0x2f2f_2f2f_2f2f_2f2f;
        let x = (x | x >> 4) & 0x00ff_00ff_00ff_00ff;
        let x = (x | x >> 8) & 0x0000_ffff_0000_ffff;
        (x | x >> 16) & 0xffff_ffff
    }
    let n = d.len();
    let word = |at: usize| {
        d.get(at..)?
            .first_chunk::<8>()
            .map(|w| u64::from_le_bytes(*w))
    };
    let half = |at: usize| {
        let w = d.get(at..)?.first_chunk::<4>()?;
        // The other four bytes are the digit zero: they pass the check and are cut below.
        Some(u64::from(u32::from_le_bytes(*w)) | 0x3030_3030_0000_0000)
    };
    // A head word of `width` digits and the word that ends the input: its digits past the
    // head (`n - width` of them) are the rest.
    let (head, tail, width) = match n {
        8..=16 => (word(0)?, word(n - 8)?, 8),
        4..8 => (half(0)?, half(n - 4)?, 4),
        1..4 => {
            return d.iter().all(u8::is_ascii_digit).then(|| {
                d.iter()
                    .rev()
                    .fold(0, |key, &b| key << 4 | u64::from(b - b'/'))
            });
        }
        _ => return None,
    };
    if !(digits8(head) && digits8(tail)) {
        return None;
    }
    let rest = n - width;
    let low = |x: u64, digits: usize| x & (1u64 << (4 * digits)).wrapping_sub(1);
    let head_key = low(nibbles(head), width);
    let rest_key = low(nibbles(tail) >> (4 * (width - rest)), rest);
    Some(head_key | rest_key << (4 * width))
}

/// Whether the eight bytes of `w` are all ASCII digits: the high nibble of each is 3, and
/// adding 6 keeps it 3 (0x3a..0x3f become 0x40..0x45); a byte whose high nibble is not 3
/// fails the first test, so a carry between bytes in the second never hides one.
fn digits8(w: u64) -> bool {
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    w & HIGH == THREES && w.wrapping_add(0x0606_0606_0606_0606) & HIGH == THREES
}

/// The [`digit_key`] of a phone's [`phone_key`](super::phone_key), or that key when it is not
/// 1 to 16 digits. A phone of plain digits (the common case) is read once, without looking
/// for separators first: it has none.
fn phone_digits(phone: &str) -> Result<u64, std::borrow::Cow<'_, str>> {
    if let Some(key) = digit_key(phone.strip_prefix('+').unwrap_or(phone).as_bytes()) {
        return Ok(key);
    }
    let p = super::phone_key(phone);
    digit_key(p.as_bytes()).ok_or(p)
}

impl MatchIndex {
    fn new(st: &Scanning<'_, '_>, first: usize) -> Self {
        let mut digits = Vec::with_capacity(st.items().len().saturating_sub(first));
        let mut phones = HashMap::new();
        let mut user_ids = HashMap::new();
        for (j, item) in st.items().iter().enumerate().skip(first) {
            if let Some(t) = item.phone {
                match phone_digits(st.get(t)) {
                    Ok(key) => digits.push((key, j)),
                    Err(p) => {
                        phones.entry(p.into_owned()).or_insert(j);
                    }
                }
            }
            if let Some(t) = item.user_id.map(|t| st.get(t))
                && looks_like_user_id(t)
            {
                user_ids.entry(t.to_owned()).or_insert(j);
            }
        }
        digits.sort_unstable();
        Self {
            digits,
            phones,
            user_ids,
        }
    }

    fn first_match(&self, st: &Scanning<'_, '_>, p: &Pending) -> Option<usize> {
        let by_phone = p.wa_id.and_then(|t| match phone_digits(st.get(t)) {
            Ok(key) => {
                let at = self.digits.partition_point(|&(k, _)| k < key);
                self.digits
                    .get(at)
                    .filter(|&&(k, _)| k == key)
                    .map(|&(_, j)| j)
            }
            Err(w) => self.phones.get(w.as_ref()).copied(),
        });
        let by_user = p
            .user_id
            .and_then(|t| self.user_ids.get(st.get(t)).copied());
        match (by_phone, by_user) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A contact and the item it matched must not name two people.
fn check_pair(
    c: &Cursor<'_>,
    st: &Scanning<'_, '_>,
    e: u32,
    ci: u32,
    p: &Pending,
    j: usize,
) -> Result<(), Error> {
    let Some(item) = st.items().get(j) else {
        return Ok(());
    };
    let prefix = || format!("entry[{e}].changes[{ci}].value");
    // Only values that are phone numbers or user ids can name different people: documentation
    // placeholders (`<USER_PHONE_NUMBER>`) name no one.
    // Equal phones agree whatever they look like: that common case skips the shape test.
    if let (Some(a), Some(b)) = (p.wa_id.map(|t| st.get(t)), item.phone.map(|t| st.get(t)))
        && !super::same_phone(a, b)
        && super::looks_like_phone(a)
        && super::looks_like_phone(b)
    {
        return Err(st.conflict(
            c,
            format!("{}.contacts[{}].wa_id", prefix(), p.index),
            format!("{}.{}", prefix(), item_field(item, true)),
        ));
    }
    let user_id = |t: Text| Some(st.get(t)).filter(|u| looks_like_user_id(u));
    if let (Some(a), Some(b)) = (p.user_id.and_then(user_id), item.user_id.and_then(user_id))
        && a != b
    {
        return Err(st.conflict(
            c,
            format!("{}.contacts[{}].user_id", prefix(), p.index),
            format!("{}.{}", prefix(), item_field(item, false)),
        ));
    }
    Ok(())
}

/// `CC.` followed by an id of `A-Z a-z 0-9 . _ -`: the shape of a business-scoped user id.
/// A bare prefix (`US.`) or a masked one (`US.****18`, pii-mask's partial mode) names no one,
/// as a masked phone (`4915****89`) does not.
fn looks_like_user_id(u: &str) -> bool {
    let b = u.as_bytes();
    b.len() > 3
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.get(1).is_some_and(u8::is_ascii_uppercase)
        && b.get(2) == Some(&b'.')
        && b.iter()
            .skip(3)
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// The path (within `value`) of the field that gave an item its phone or user id.
fn item_field(item: &RawItem, phone: bool) -> String {
    let i = item.pos.index;
    let pick = |p: &str, u: &str| if phone { p.to_owned() } else { u.to_owned() };
    match item.pos.slot {
        Slot::Messages => format!("messages[{i}].{}", pick("from", "from_user_id")),
        Slot::Statuses if item.role == Role::Participant => format!(
            "statuses[{i}].{}",
            pick("recipient_participant_id", "recipient_participant_user_id")
        ),
        Slot::Statuses => format!(
            "statuses[{i}].{}",
            pick("recipient_id", "recipient_user_id")
        ),
        Slot::Calls if item.role == Role::Recipient => {
            format!("calls[{i}].{}", pick("to", "to_user_id"))
        }
        Slot::Calls => format!("calls[{i}].{}", pick("from", "from_user_id")),
        Slot::Echoes => format!("message_echoes[{i}].{}", pick("to", "to_user_id")),
        Slot::UserPreferences => format!("user_preferences[{i}].{}", pick("wa_id", "user_id")),
        Slot::History { chunk, thread } => format!("history[{chunk}].threads[{thread}].id"),
        Slot::Thread { chunk } => format!("history[{chunk}].threads[{i}].id"),
        Slot::StateSync => format!("state_sync[{i}].contact.phone_number"),
        Slot::Contacts => format!("contacts[{i}].{}", pick("wa_id", "user_id")),
        _ => String::from("?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use crate::scan::Scanner;

    /// Phones of every length up to 20, with a non-digit, a separator or a plus at every
    /// position, and pairs that differ in one digit or in length.
    fn phones() -> Vec<String> {
        let digits = "1234567890123456789";
        let mut phones: Vec<String> = vec![
            "++49151".into(),
            "+ +49151".into(),
            "+ 49151".into(),
            "++49 151".into(),
            "+49 151".into(),
            "+49151".into(),
        ];
        for n in 0..=20 {
            let base: String = digits.chars().cycle().take(n).collect();
            phones.push(base.clone());
            phones.push(format!("+{base}"));
            phones.push(format!("0{base}"));
            for i in 0..n {
                for b in ['/', ':', '0', '9', ' ', '-', '+', 'a', '\u{e9}'] {
                    let mut s: Vec<char> = base.chars().collect();
                    s[i] = b;
                    phones.push(s.into_iter().collect());
                }
            }
        }
        phones
    }

    #[test]
    fn digit_keys_are_equal_exactly_when_the_digits_are() {
        for a in phones() {
            let d = a.as_bytes();
            let digits = (1..=16).contains(&d.len()) && d.iter().all(u8::is_ascii_digit);
            assert_eq!(digit_key(d).is_some(), digits, "{a:?}");
        }
        let keyed: Vec<(String, u64)> = phones()
            .into_iter()
            .filter_map(|p| digit_key(p.as_bytes()).map(|k| (p, k)))
            .collect();
        for (a, x) in &keyed {
            for (b, y) in &keyed {
                assert_eq!(x == y, a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_index_matches_phones_as_the_linear_walk_does() {
        // The index's classes (a digit key, or the phone key as text) must be those of
        // `same_phone`, which `linear_match` uses.
        let phones = phones();
        for a in &phones {
            for b in &phones {
                let indexed = phone_digits(a) == phone_digits(b);
                assert_eq!(indexed, super::super::same_phone(a, b), "{a:?} {b:?}");
            }
        }
    }

    /// The item each contact rides with, by the index of the message it matched (or its own
    /// contact item).
    fn rides(body: &str) -> Vec<Option<Position>> {
        let mut scanner = Scanner::new();
        let scan = scanner
            .scan_layout(body.as_bytes(), &Limits::default())
            .unwrap();
        scan.elements()
            .iter()
            .filter(|e| matches!(e.container, Container::Contacts { .. }))
            .map(|e| e.rides_with)
            .collect()
    }

    #[test]
    fn the_index_matches_contacts_as_the_linear_search_does() {
        let from = [
            "4915112345678",
            "+4915112345678",
            "0049151",
            "49151",
            "+49 151 1",
            "x",
        ];
        let contacts = [
            "+4915112345678",
            "0049151",
            "49151",
            "+49 151 1",
            "x",
            "331",
            "4915112345678",
        ];
        let body = |padding: usize| {
            let messages: Vec<String> = from
                .iter()
                .map(|f| f.to_string())
                .chain((0..padding).map(|i| format!("9{i:09}")))
                .map(|f| format!(r#"{{"from":"{f}","id":"m"}}"#))
                .collect();
            let contacts: Vec<String> = contacts
                .iter()
                .map(|w| format!(r#"{{"wa_id":"{w}"}}"#))
                .collect();
            format!(
                r#"{{"object":"o","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"contacts":[{}],"messages":[{}]}}}}]}}]}}"#,
                contacts.join(","),
                messages.join(",")
            )
        };
        // 6 x 7 pairs stay under LINEAR_MATCH_LIMIT; 100 more messages go over it.
        let (linear, indexed) = (rides(&body(0)), rides(&body(100)));
        assert!(from.len() * contacts.len() <= LINEAR_MATCH_LIMIT);
        assert_eq!(linear, indexed);
        let message = |i| Some(position(0, 0, Slot::Messages, i));
        assert_eq!(linear[0], message(0));
        assert_eq!(linear[1], message(2));
        assert_eq!(linear[2], message(3));
        assert_eq!(linear[3], message(4));
        assert_eq!(linear[4], message(5));
        assert_eq!(linear[5], Some(position(0, 0, Slot::Contacts, 5)));
        assert_eq!(linear[6], message(0));
    }
}
