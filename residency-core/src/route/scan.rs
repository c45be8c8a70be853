//! The routing scan: finds every routable item of a webhook body straight from its bytes.
//!
//! It follows exactly the item rules that `wa_payload::Webhook::items` documents (the table
//! in wa-payload's README), without building the model: one pass over a Cloud API body (a
//! second, short one over WASender's `data` when it precedes `event`), spans of the input for
//! every string it keeps, and no allocation unless a string it keeps contains a JSON escape.
//! Scratch vectors are reused across calls, so a warm router allocates nothing here.

use wa_payload::wasender::EventFamily;
use wa_payload::{ItemKind, Provider, Role};

use super::RouteError;
use super::json::{Cursor, RawStr};

/// A string of the body: a span of the input, or a decoded copy when it had escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    Raw(u32, u32),
    Side(u32),
}

/// Where an item lives in the document, so a split can keep or drop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Slot {
    // Cloud API arrays of a change's value, in the order items are yielded.
    Messages,
    Statuses,
    Calls,
    Echoes,
    UserPreferences,
    /// The change as a whole (a management field, or a change with no items).
    Change,
    /// WASender: an element of `data` (an array).
    WaData,
    /// WASender: an element of `data.messages` (an array).
    WaMessages,
    /// WASender: an element of `data.keys`.
    WaKeys,
    /// WASender: an element of `data.participants`.
    WaParticipants,
    /// WASender: the whole body is one item.
    WaWhole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Loc {
    pub(crate) entry: u32,
    pub(crate) change: u32,
    pub(crate) slot: Slot,
    pub(crate) index: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawItem {
    pub(crate) kind: ItemKind,
    pub(crate) role: Role,
    pub(crate) id: Option<Text>,
    pub(crate) phone: Option<Text>,
    pub(crate) user_id: Option<Text>,
    pub(crate) lid: Option<Text>,
    pub(crate) waba_id: Option<Text>,
    pub(crate) phone_number_id: Option<Text>,
    pub(crate) loc: Loc,
    /// The Cloud API change's `field`, or the WASender event name.
    pub(crate) field: Option<Text>,
}

impl RawItem {
    fn new(kind: ItemKind, role: Role, loc: Loc) -> Self {
        Self {
            kind,
            role,
            id: None,
            phone: None,
            user_id: None,
            lid: None,
            waba_id: None,
            phone_number_id: None,
            loc,
            field: None,
        }
    }
}

/// An array that a split may thin out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Container {
    /// The root's `entry` array.
    Entries,
    /// `entry[e].changes`.
    Changes(u32),
    /// One of the five item arrays of `entry[e].changes[c].value`.
    Items(u32, u32, Slot),
    /// `entry[e].changes[c].value.contacts`.
    Contacts(u32, u32),
    /// The WASender array that holds the items.
    Wa(Slot),
}

/// One element of a [`Container`]: its byte span in the body and, for a contact, its ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elem {
    pub(crate) container: Container,
    pub(crate) index: u32,
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// A contact's `wa_id` and `user_id`.
    pub(crate) ids: [Option<Text>; 2],
}

/// Reusable output of a scan.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scan {
    pub(crate) provider: Option<Provider>,
    pub(crate) items: Vec<RawItem>,
    pub(crate) side: Vec<String>,
    /// Whether to record [`Elem`]s (only a split needs them).
    pub(crate) record: bool,
    pub(crate) layout: Vec<Elem>,
}

impl Scan {
    pub(crate) fn clear(&mut self) {
        self.provider = None;
        self.items.clear();
        self.side.clear();
        self.layout.clear();
    }

    /// The text of `t` in `body` (which must be the body that was scanned).
    pub(crate) fn text<'s>(&'s self, body: &'s str, t: Text) -> &'s str {
        match t {
            Text::Raw(a, b) => body.get(a as usize..b as usize).unwrap_or_default(),
            Text::Side(i) => self.side.get(i as usize).map_or("", String::as_str),
        }
    }
}

/// Scans `body` (already checked to be UTF-8 within the size limit) into `out`.
pub(crate) fn scan(body: &str, max_depth: usize, out: &mut Scan) -> Result<(), RouteError> {
    out.clear();
    let mut c = Cursor::new(body.as_bytes(), max_depth);
    let mut st = St { body, out };
    root(&mut c, &mut st)
}

/// A JSON value found in an object we read field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Str(Text),
    Bool(bool),
    /// Any other value: where it starts and its first byte, to come back to it.
    Other {
        at: usize,
        first: u8,
    },
}

fn text_of(v: Option<Val>) -> Option<Text> {
    match v {
        Some(Val::Str(t)) => Some(t),
        _ => None,
    }
}

/// Cloud API change fields whose value arrays yield items; every other field is management.
const ITEM_FIELDS: [&str; 4] = [
    "messages",
    "calls",
    "smb_message_echoes",
    "user_preferences",
];

/// Scan state: the body and the output being filled.
struct St<'b, 'o> {
    body: &'b str,
    out: &'o mut Scan,
}

impl St<'_, '_> {
    /// Turns a raw string into a [`Text`], decoding (and copying) it only if it has escapes.
    fn text(&mut self, raw: RawStr) -> Result<Text, RouteError> {
        if !raw.escaped {
            return Ok(Text::Raw(raw.start, raw.end));
        }
        let s = decode(self.body, raw).ok_or(RouteError::Syntax {
            offset: raw.start as usize,
        })?;
        Ok(self.side(s))
    }

    fn side(&mut self, s: String) -> Text {
        self.out.side.push(s);
        Text::Side(u32::try_from(self.out.side.len() - 1).unwrap_or(u32::MAX))
    }

    fn get(&self, t: Text) -> &str {
        match t {
            Text::Raw(a, b) => self.body.get(a as usize..b as usize).unwrap_or_default(),
            Text::Side(i) => self.out.side.get(i as usize).map_or("", String::as_str),
        }
    }

    fn key_is(&self, key: RawStr, name: &str) -> bool {
        if key.escaped {
            decode(self.body, key).is_some_and(|k| k == name)
        } else {
            self.raw_key(key) == Some(name.as_bytes())
        }
    }

    /// An unescaped key's bytes (no UTF-8 boundary checks: keys are compared as bytes).
    #[inline]
    fn raw_key(&self, key: RawStr) -> Option<&[u8]> {
        self.body
            .as_bytes()
            .get(key.start as usize..key.end as usize)
    }

    /// Index of `key` in `names`, if listed.
    fn key_in(&self, key: RawStr, names: &[&str]) -> Option<usize> {
        if key.escaped {
            let k = decode(self.body, key)?;
            names.iter().position(|n| *n == k)
        } else {
            let k = self.raw_key(key)?;
            // Compare lengths and first bytes before the bytes themselves.
            names.iter().position(|n| {
                let n = n.as_bytes();
                n.len() == k.len() && n.first() == k.first() && n == k
            })
        }
    }

    /// A string value, else `None` after skipping whatever value is there.
    fn string_or_skip(&mut self, c: &mut Cursor<'_>) -> Result<Option<Text>, RouteError> {
        match c.string_or_skip()? {
            Some(raw) => self.text(raw).map(Some),
            None => Ok(None),
        }
    }

    /// Reads the fields of the object at the cursor that `names` lists, skipping the rest.
    /// A repeated key keeps its last value.
    fn fields<const N: usize>(
        &mut self,
        c: &mut Cursor<'_>,
        names: [&str; N],
    ) -> Result<[Option<Val>; N], RouteError> {
        let mut found: [Option<Val>; N] = [None; N];
        c.object(|c, key| {
            let Some(i) = self.key_in(key, &names) else {
                return c.skip();
            };
            let v = match c.peek_value() {
                Some(b'"') => {
                    let raw = c.string()?;
                    Val::Str(self.text(raw)?)
                }
                Some(b't' | b'f') => {
                    let at = c.pos();
                    c.bool_or_skip()?
                        .map_or(Val::Other { at, first: b't' }, Val::Bool)
                }
                first => {
                    let at = c.pos();
                    c.skip()?;
                    Val::Other {
                        at,
                        first: first.unwrap_or(0),
                    }
                }
            };
            if let Some(slot) = found.get_mut(i) {
                *slot = Some(v);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// A sub-range of a text (a prefix), without copying when the text is a span.
    fn prefix(&mut self, t: Text, len: usize) -> Text {
        match t {
            Text::Raw(a, _) => Text::Raw(a, a.saturating_add(u32::try_from(len).unwrap_or(0))),
            Text::Side(_) => {
                let s = self.get(t).get(..len).unwrap_or_default().to_owned();
                self.side(s)
            }
        }
    }

    /// The phone a WASender value gives, by wa-payload's own rule
    /// ([`phone_of`](wa_payload::wasender::phone_of)): itself when it has no `@`, the user
    /// part of an `@s.whatsapp.net` JID, else none. A prefix of the value, so a span stays a
    /// span.
    fn wa_phone(&mut self, t: Text) -> Option<Text> {
        let len = wa_payload::wasender::phone_of(self.get(t))?.len();
        Some(self.prefix(t, len))
    }

    fn is_lid(&self, t: Text) -> bool {
        self.get(t).ends_with("@lid")
    }
}

/// Runs `f` on the array element at the cursor and, when the scan records a layout, notes
/// the element's span.
fn element(
    c: &mut Cursor<'_>,
    st: &mut St<'_, '_>,
    container: Container,
    index: u32,
    f: impl FnOnce(&mut Cursor<'_>, &mut St<'_, '_>) -> Result<[Option<Text>; 2], RouteError>,
) -> Result<(), RouteError> {
    if !st.out.record {
        return f(c, st).map(|_| ());
    }
    c.ws();
    let start = c.pos();
    let ids = f(c, st)?;
    st.out.layout.push(Elem {
        container,
        index,
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(c.pos()).unwrap_or(u32::MAX),
        ids,
    });
    Ok(())
}

const NO_IDS: [Option<Text>; 2] = [None, None];

fn decode(body: &str, raw: RawStr) -> Option<String> {
    let quoted = body.get((raw.start as usize).checked_sub(1)?..raw.end as usize + 1)?;
    serde_json::from_str(quoted).ok()
}

/// Runs `f` with the cursor moved to `at`, a value inside the container just consumed at
/// nesting `depth`, then moves back to where the cursor was.
fn revisit(
    c: &mut Cursor<'_>,
    at: usize,
    depth: usize,
    f: impl FnOnce(&mut Cursor<'_>) -> Result<(), RouteError>,
) -> Result<(), RouteError> {
    let end = c.pos();
    c.seek(at, depth + 1);
    let r = f(c);
    c.seek(end, depth);
    r
}

fn root(c: &mut Cursor<'_>, st: &mut St<'_, '_>) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return match c.skip() {
            Ok(()) => Err(RouteError::NotAnObject),
            Err(e) => Err(e),
        };
    }
    // The first of the keys `event`, `object` and `entry` decides the provider, as in
    // `wa_payload::detect`.
    let mut provider: Option<Provider> = None;
    let mut event: Option<Text> = None;
    let mut data_at: Option<usize> = None;
    let mut saw_entry = false;
    c.object(|c, key| {
        if st.key_is(key, "entry") {
            let p = *provider.get_or_insert(Provider::CloudApi);
            if p == Provider::CloudApi {
                saw_entry = true;
                entries(c, st)
            } else {
                c.skip()
            }
        } else if st.key_is(key, "object") {
            provider.get_or_insert(Provider::CloudApi);
            c.skip()
        } else if st.key_is(key, "event") {
            if *provider.get_or_insert(Provider::Wasender) == Provider::Wasender {
                event = st.string_or_skip(c)?;
                Ok(())
            } else {
                c.skip()
            }
        } else if st.key_is(key, "data") {
            c.ws();
            data_at = Some(c.pos());
            c.skip()
        } else {
            c.skip()
        }
    })?;
    c.end()?;
    st.out.provider = provider;
    match provider {
        Some(Provider::Wasender) => wasender(c, st, event, data_at),
        Some(_) if saw_entry => Ok(()),
        Some(_) => Err(RouteError::MissingField("entry")),
        None => Err(RouteError::UnknownProvider),
    }
}

// ------------------------------------------------------------------------------ Cloud API

fn entries(c: &mut Cursor<'_>, st: &mut St<'_, '_>) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'[') {
        return Err(RouteError::WrongType {
            field: "entry",
            offset: c.pos(),
        });
    }
    c.array(|c, e| {
        element(c, st, Container::Entries, e, |c, st| {
            entry(c, st, e).map(|()| NO_IDS)
        })
    })
}

fn entry(c: &mut Cursor<'_>, st: &mut St<'_, '_>, e: u32) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return Err(RouteError::WrongType {
            field: "entry[]",
            offset: c.pos(),
        });
    }
    let first = st.out.items.len();
    let mut waba: Option<Text> = None;
    let mut saw_changes = false;
    c.object(|c, key| {
        if st.key_is(key, "id") {
            waba = st.string_or_skip(c)?;
            Ok(())
        } else if st.key_is(key, "changes") {
            saw_changes = true;
            if c.peek_value() != Some(b'[') {
                return Err(RouteError::WrongType {
                    field: "changes",
                    offset: c.pos(),
                });
            }
            c.array(|c, ci| {
                element(c, st, Container::Changes(e), ci, |c, st| {
                    change(c, st, e, ci).map(|()| NO_IDS)
                })
            })
        } else {
            c.skip()
        }
    })?;
    if !saw_changes {
        return Err(RouteError::MissingField("entry[].changes"));
    }
    for item in st.out.items.iter_mut().skip(first) {
        if item.kind == ItemKind::Account {
            item.waba_id = waba;
        }
    }
    Ok(())
}

fn change(c: &mut Cursor<'_>, st: &mut St<'_, '_>, e: u32, ci: u32) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return Err(RouteError::WrongType {
            field: "changes[]",
            offset: c.pos(),
        });
    }
    let first = st.out.items.len();
    let mut field: Option<Text> = None;
    let mut saw_value = false;
    let mut pnid: Option<Text> = None;
    c.object(|c, key| {
        if st.key_is(key, "field") {
            if c.peek_value() != Some(b'"') {
                return Err(RouteError::WrongType {
                    field: "changes[].field",
                    offset: c.pos(),
                });
            }
            field = st.string_or_skip(c)?;
            Ok(())
        } else if st.key_is(key, "value") {
            saw_value = true;
            value(c, st, e, ci, &mut pnid)
        } else {
            c.skip()
        }
    })?;
    if field.is_none() {
        return Err(RouteError::MissingField("changes[].field"));
    }
    if !saw_value {
        return Err(RouteError::MissingField("changes[].value"));
    }
    let reads_items = field.is_some_and(|f| ITEM_FIELDS.contains(&st.get(f)));
    if !reads_items {
        st.out.items.truncate(first);
    }
    if let Some(items) = st.out.items.get_mut(first..) {
        // Items come out in a fixed array order, whatever the key order of `value`.
        if !items.is_sorted_by_key(|i| i.loc.slot) {
            items.sort_by_key(|i| i.loc.slot);
        }
    }
    if st.out.items.len() == first {
        let mut item = RawItem::new(
            ItemKind::Account,
            Role::Business,
            Loc {
                entry: e,
                change: ci,
                slot: Slot::Change,
                index: 0,
            },
        );
        item.phone_number_id = pnid;
        st.out.items.push(item);
    }
    for item in st.out.items.iter_mut().skip(first) {
        item.field = field;
    }
    Ok(())
}

fn value(
    c: &mut Cursor<'_>,
    st: &mut St<'_, '_>,
    e: u32,
    ci: u32,
    pnid: &mut Option<Text>,
) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return c.skip();
    }
    const ARRAYS: [(&str, Slot); 5] = [
        ("messages", Slot::Messages),
        ("statuses", Slot::Statuses),
        ("calls", Slot::Calls),
        ("message_echoes", Slot::Echoes),
        ("user_preferences", Slot::UserPreferences),
    ];
    const NAMES: [&str; 7] = [
        "messages",
        "statuses",
        "calls",
        "message_echoes",
        "user_preferences",
        "metadata",
        "contacts",
    ];
    c.object(|c, key| {
        let Some(i) = st.key_in(key, &NAMES) else {
            return c.skip();
        };
        let Some(&(_, slot)) = ARRAYS.get(i) else {
            if c.peek_value() == Some(b'[') && i == 6 && st.out.record {
                // `contacts`, which a split filters by id.
                return c.array(|c, index| {
                    element(c, st, Container::Contacts(e, ci), index, |c, st| {
                        if c.peek_value() != Some(b'{') {
                            return c.skip().map(|()| NO_IDS);
                        }
                        let [wa_id, user_id] = st.fields(c, ["wa_id", "user_id"])?;
                        Ok([text_of(wa_id), text_of(user_id)])
                    })
                });
            }
            if i != 5 || c.peek_value() != Some(b'{') {
                return c.skip();
            }
            // `metadata`
            let [id] = st.fields(c, ["phone_number_id"])?;
            *pnid = text_of(id);
            return Ok(());
        };
        if c.peek_value() != Some(b'[') {
            return c.skip();
        }
        c.array(|c, index| {
            element(c, st, Container::Items(e, ci, slot), index, |c, st| {
                if c.peek_value() != Some(b'{') {
                    return c.skip().map(|()| NO_IDS);
                }
                let loc = Loc {
                    entry: e,
                    change: ci,
                    slot,
                    index,
                };
                cloud_item(c, st, loc).map(|()| NO_IDS)
            })
        })
    })
}

fn cloud_item(c: &mut Cursor<'_>, st: &mut St<'_, '_>, loc: Loc) -> Result<(), RouteError> {
    let item = match loc.slot {
        Slot::Messages => {
            let [id, from, from_uid, group_id] =
                st.fields(c, ["id", "from", "from_user_id", "group_id"])?;
            let role = if group_id.is_some() {
                Role::Participant
            } else {
                Role::Sender
            };
            let mut item = RawItem::new(ItemKind::Message, role, loc);
            item.id = text_of(id);
            item.phone = text_of(from);
            item.user_id = text_of(from_uid);
            item
        }
        Slot::Statuses => {
            let [id, rtype, rid, ruid, rpid, rpuid] = st.fields(
                c,
                [
                    "id",
                    "recipient_type",
                    "recipient_id",
                    "recipient_user_id",
                    "recipient_participant_id",
                    "recipient_participant_user_id",
                ],
            )?;
            let group = text_of(rtype).is_some_and(|t| st.get(t) == "group");
            let role = if group {
                Role::Participant
            } else {
                Role::Recipient
            };
            let mut item = RawItem::new(ItemKind::Status, role, loc);
            item.id = text_of(id);
            let (phone, uid) = if group { (rpid, rpuid) } else { (rid, ruid) };
            item.phone = text_of(phone);
            item.user_id = text_of(uid);
            item
        }
        Slot::Calls => {
            let [id, direction, from, from_uid, to, to_uid] = st.fields(
                c,
                [
                    "id",
                    "direction",
                    "from",
                    "from_user_id",
                    "to",
                    "to_user_id",
                ],
            )?;
            let outbound = text_of(direction).is_some_and(|d| st.get(d) == "BUSINESS_INITIATED");
            let role = if outbound {
                Role::Recipient
            } else {
                Role::Sender
            };
            let mut item = RawItem::new(ItemKind::Call, role, loc);
            item.id = text_of(id);
            let (phone, uid) = if outbound {
                (to, to_uid)
            } else {
                (from, from_uid)
            };
            item.phone = text_of(phone);
            item.user_id = text_of(uid);
            item
        }
        Slot::Echoes => {
            let [id, to, to_uid] = st.fields(c, ["id", "to", "to_user_id"])?;
            let mut item = RawItem::new(ItemKind::Echo, Role::Recipient, loc);
            item.id = text_of(id);
            item.phone = text_of(to);
            item.user_id = text_of(to_uid);
            item
        }
        _ => {
            let [wa_id, user_id] = st.fields(c, ["wa_id", "user_id"])?;
            let mut item = RawItem::new(ItemKind::UserPreference, Role::Sender, loc);
            item.phone = text_of(wa_id);
            item.user_id = text_of(user_id);
            item
        }
    };
    st.out.items.push(item);
    Ok(())
}

// ------------------------------------------------------------------------------ WASender

fn wa_loc(slot: Slot, index: u32) -> Loc {
    Loc {
        entry: 0,
        change: 0,
        slot,
        index,
    }
}

fn wasender(
    c: &mut Cursor<'_>,
    st: &mut St<'_, '_>,
    event: Option<Text>,
    data_at: Option<usize>,
) -> Result<(), RouteError> {
    // The same event families as the model's, by construction.
    let family = EventFamily::of(event.map_or("", |t| st.get(t)));
    if let (Some(at), true) = (data_at, family != EventFamily::Other) {
        // `data` was validated by the first pass; walk it again inside the root (depth 1).
        c.seek(at, 1);
        match family {
            EventFamily::Message => wa_messages(c, st)?,
            EventFamily::Call => wa_calls(c, st)?,
            _ => wa_participants(c, st)?,
        }
    }
    if st.out.items.is_empty() {
        // Events with no user item (and message events that yielded none) concern the
        // business's session.
        st.out.items.push(RawItem::new(
            ItemKind::Event,
            Role::Business,
            wa_loc(Slot::WaWhole, 0),
        ));
    }
    for item in &mut st.out.items {
        item.field = event;
    }
    Ok(())
}

fn wa_messages(c: &mut Cursor<'_>, st: &mut St<'_, '_>) -> Result<(), RouteError> {
    match c.peek_value() {
        Some(b'[') => c.array(|c, i| {
            element(c, st, Container::Wa(Slot::WaData), i, |c, st| {
                wa_record(c, st, wa_loc(Slot::WaData, i)).map(|()| NO_IDS)
            })
        }),
        Some(b'{') => {
            let depth = c.depth();
            let start = c.pos();
            let [key, messages, keys, message] =
                st.fields(c, ["key", "messages", "keys", "message"])?;
            let whole = wa_loc(Slot::WaWhole, 0);
            if key.is_some() {
                // `data` itself is the record.
                let end = c.pos();
                c.seek(start, depth);
                let r = wa_record(c, st, whole);
                c.seek(end, depth);
                return r;
            }
            if let Some(Val::Other { at, first }) = messages {
                return match first {
                    b'{' => revisit(c, at, depth, |c| wa_record(c, st, whole)),
                    b'[' => revisit(c, at, depth, |c| {
                        c.array(|c, i| {
                            element(c, st, Container::Wa(Slot::WaMessages), i, |c, st| {
                                wa_record(c, st, wa_loc(Slot::WaMessages, i)).map(|()| NO_IDS)
                            })
                        })
                    }),
                    _ => Ok(()),
                };
            }
            if messages.is_some() {
                return Ok(());
            }
            if let Some(Val::Other { at, first: b'[' }) = keys {
                return revisit(c, at, depth, |c| {
                    c.array(|c, i| {
                        element(c, st, Container::Wa(Slot::WaKeys), i, |c, st| {
                            wa_key(c, st, wa_loc(Slot::WaKeys, i)).map(|()| NO_IDS)
                        })
                    })
                });
            }
            if keys.is_some() {
                return Ok(());
            }
            if let Some(Val::Other { at, first: b'{' }) = message {
                return revisit(c, at, depth, |c| wa_record(c, st, whole));
            }
            if message.is_some() {
                return Ok(());
            }
            // `data` itself is the record, and it has no key.
            st.out
                .items
                .push(RawItem::new(ItemKind::Event, Role::Sender, whole));
            Ok(())
        }
        _ => c.skip(),
    }
}

/// One message record: its `key` gives the item.
fn wa_record(c: &mut Cursor<'_>, st: &mut St<'_, '_>, loc: Loc) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        c.skip()?;
        st.out
            .items
            .push(RawItem::new(ItemKind::Event, Role::Sender, loc));
        return Ok(());
    }
    let depth = c.depth();
    let [key] = st.fields(c, ["key"])?;
    match key {
        Some(Val::Other { at, first: b'{' }) => revisit(c, at, depth, |c| wa_key(c, st, loc)),
        _ => {
            st.out
                .items
                .push(RawItem::new(ItemKind::Event, Role::Sender, loc));
            Ok(())
        }
    }
}

/// A message key: id, role, phone and lid.
fn wa_key(c: &mut Cursor<'_>, st: &mut St<'_, '_>, loc: Loc) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        c.skip()?;
        st.out
            .items
            .push(RawItem::new(ItemKind::Event, Role::Sender, loc));
        return Ok(());
    }
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
    ] = st.fields(
        c,
        [
            "id",
            "fromMe",
            "remoteJid",
            "participant",
            "senderPn",
            "cleanedSenderPn",
            "participantPn",
            "cleanedParticipantPn",
            "participantLid",
            "senderLid",
        ],
    )?;
    let remote_jid = text_of(remote_jid);
    let participant = text_of(participant);
    let in_group = participant.is_some_and(|p| !st.get(p).is_empty())
        || remote_jid.is_some_and(|r| st.get(r).ends_with("@g.us"));
    let role = if in_group {
        Role::Participant
    } else if from_me == Some(Val::Bool(true)) {
        Role::Recipient
    } else {
        Role::Sender
    };
    let mut item = RawItem::new(ItemKind::Event, role, loc);
    item.id = text_of(id);
    item.phone = first_phone(
        st,
        &[
            text_of(cleaned_participant_pn),
            text_of(participant_pn),
            text_of(cleaned_sender_pn),
            text_of(sender_pn),
            participant,
            remote_jid,
        ],
    );
    item.lid = first_lid(
        st,
        &[
            text_of(participant_lid),
            text_of(sender_lid),
            participant,
            remote_jid,
        ],
    );
    st.out.items.push(item);
    Ok(())
}

fn first_phone(st: &mut St<'_, '_>, candidates: &[Option<Text>]) -> Option<Text> {
    candidates.iter().flatten().find_map(|&t| st.wa_phone(t))
}

fn first_lid(st: &St<'_, '_>, candidates: &[Option<Text>]) -> Option<Text> {
    candidates.iter().flatten().copied().find(|&t| st.is_lid(t))
}

fn wa_calls(c: &mut Cursor<'_>, st: &mut St<'_, '_>) -> Result<(), RouteError> {
    match c.peek_value() {
        Some(b'[') => c.array(|c, i| {
            element(c, st, Container::Wa(Slot::WaData), i, |c, st| {
                wa_call(c, st, wa_loc(Slot::WaData, i)).map(|()| NO_IDS)
            })
        }),
        Some(b'{') => wa_call(c, st, wa_loc(Slot::WaWhole, 0)),
        _ => c.skip(),
    }
}

/// One call: the object itself, or its `call` object when it has one.
fn wa_call(c: &mut Cursor<'_>, st: &mut St<'_, '_>, loc: Loc) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return c.skip();
    }
    let depth = c.depth();
    let [call, id, call_id, from, caller] =
        st.fields(c, ["call", "id", "callId", "from", "caller"])?;
    if let Some(Val::Other { at, first: b'{' }) = call {
        return revisit(c, at, depth, |c| wa_call(c, st, loc));
    }
    let mut item = RawItem::new(ItemKind::Event, Role::Sender, loc);
    item.id = text_of(id).or(text_of(call_id));
    let candidates = [text_of(from), text_of(caller)];
    item.phone = first_phone(st, &candidates);
    item.lid = first_lid(st, &candidates);
    st.out.items.push(item);
    Ok(())
}

fn wa_participants(c: &mut Cursor<'_>, st: &mut St<'_, '_>) -> Result<(), RouteError> {
    if c.peek_value() != Some(b'{') {
        return c.skip();
    }
    c.object(|c, key| {
        if !st.key_is(key, "participants") || c.peek_value() != Some(b'[') {
            return c.skip();
        }
        c.array(|c, i| {
            element(c, st, Container::Wa(Slot::WaParticipants), i, |c, st| {
                let mut item = RawItem::new(
                    ItemKind::Event,
                    Role::Participant,
                    wa_loc(Slot::WaParticipants, i),
                );
                // Only a plain (unescaped) string identifies a participant.
                if let Some(raw) = c.string_or_skip()?
                    && !raw.escaped
                {
                    let t = Text::Raw(raw.start, raw.end);
                    item.phone = st.wa_phone(t);
                    item.lid = st.is_lid(t).then_some(t);
                }
                st.out.items.push(item);
                Ok(NO_IDS)
            })
        })
    })
}
