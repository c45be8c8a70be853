//! The routing scan: every routable item of a webhook body, straight from its bytes.
//!
//! This is the one implementation of the item rules (the table in the crate docs, "Routable
//! items"). [`parse`](crate::parse) runs it before building the typed model, and
//! residency-core's router runs it alone, so both accept the same bodies and find the same
//! items. It also validates: the JSON grammar of the whole body ([`lex`](crate::lex)), the
//! [`Limits`], the JSON kind of every field the rules read, that such a field appears once per
//! object, that the body belongs to one provider, and that the fields of one item name one
//! party.
//!
//! One pass over a Cloud API body (a second, short one over WASender's `data`, which may come
//! before `event`); strings are spans of the input unless they hold escapes; the buffers of a
//! [`Scanner`] are reused across calls, so a warm scanner allocates nothing for a typical body.
//!
//! ```
//! use wa_payload::scan::Scanner;
//! use wa_payload::{ItemKind, Limits, Role};
//!
//! let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
//!   {"field":"messages","value":{"messages":[{"from":"4915112345678","id":"wamid.A"}]}}]}]}"#;
//! let mut scanner = Scanner::new();
//! let scan = scanner.scan(body, &Limits::default())?;
//! let item = scan.items().next().unwrap();
//! assert_eq!((item.kind, item.party.role), (ItemKind::Message, Role::Sender));
//! assert_eq!(item.party.phone, Some("4915112345678"));
//! # Ok::<(), wa_payload::PayloadError>(())
//! ```

mod cloud;
mod fields;
mod wasender;

use std::borrow::Cow;
use std::fmt;

use crate::lex::{Cursor, Error, Span, Token, line_column};
use crate::{Business, Item, ItemKind, Limits, Party, PayloadError, Provider, Role, Slot};

/// A string of the body: a span of the input, or a decoded copy when it had escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    Raw(u32, u32),
    Side(u32),
}

/// Where an item sits in its body: indexes of its entry and change (0 for WASender), the
/// array it came from ([`Slot`]) and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Index of the Cloud API entry (0 for WASender).
    pub entry: u32,
    /// Index of the change within its entry (0 for WASender).
    pub change: u32,
    /// The array the item came from.
    pub slot: Slot,
    /// Index within that array (0 for whole-change and whole-body items).
    pub index: u32,
}

/// An array whose elements a split may keep or cut (see [`ElementSpan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Container {
    /// The root's `entry` array.
    Entries,
    /// `entry[entry].changes`.
    Changes {
        /// The entry.
        entry: u32,
    },
    /// An item array of `entry[entry].changes[change].value`: `messages`, `statuses`,
    /// `calls`, `message_echoes`, `user_preferences`, `state_sync`, or one history thread's
    /// `messages` ([`Slot::History`]).
    Items {
        /// The entry.
        entry: u32,
        /// The change.
        change: u32,
        /// Which array.
        slot: Slot,
    },
    /// `value.contacts` of a change.
    Contacts {
        /// The entry.
        entry: u32,
        /// The change.
        change: u32,
    },
    /// `value.history` of a change (its chunks).
    History {
        /// The entry.
        entry: u32,
        /// The change.
        change: u32,
    },
    /// `value.history[chunk].threads` of a change.
    Threads {
        /// The entry.
        entry: u32,
        /// The change.
        change: u32,
        /// The history chunk.
        chunk: u32,
    },
    /// WASender: `data`, an array.
    Data,
    /// WASender: a `messages` array of `data` (`parent: None`) or of `data[parent]`.
    Messages {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
    /// WASender: a `keys` array of `data` or of `data[parent]`.
    Keys {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
    /// WASender: a `participants` array of `data` or of `data[parent]`.
    Participants {
        /// The index in `data`, when `data` is an array.
        parent: Option<u32>,
    },
}

/// One element of a [`Container`] and its byte span, recorded by [`Scanner::scan_layout`] so
/// that a mixed batch can be split by cutting the original bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementSpan {
    /// The array it belongs to.
    pub container: Container,
    /// Its index there.
    pub index: u32,
    /// Offset of its first byte.
    pub start: usize,
    /// Offset just past its last byte.
    pub end: usize,
    /// For a contact: the item it rides with (the item whose party it describes, or the
    /// contact's own item when no item matched it).
    pub rides_with: Option<Position>,
}

/// One item as the scan found it.
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
    /// The Cloud API change's `field`, or the WASender event name.
    pub(crate) field: Option<Text>,
    pub(crate) pos: Position,
}

impl RawItem {
    pub(crate) fn new(kind: ItemKind, role: Role, pos: Position) -> Self {
        Self {
            kind,
            role,
            id: None,
            phone: None,
            user_id: None,
            lid: None,
            waba_id: None,
            phone_number_id: None,
            field: None,
            pos,
        }
    }
}

/// A `value.contacts[]` entry waiting to be matched with the items of its change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub(crate) wa_id: Option<Text>,
    pub(crate) user_id: Option<Text>,
    pub(crate) index: u32,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Reusable output of a scan.
#[derive(Default, Clone)]
struct Output {
    provider: Option<Provider>,
    items: Vec<RawItem>,
    side: Vec<String>,
    /// Whether to record [`ElementSpan`]s (only a split needs them).
    record: bool,
    layout: Vec<ElementSpan>,
    /// Contacts of the change being scanned.
    contacts: Vec<Pending>,
    /// The JSON path of the object being read (kept here so a scan does not initialize it).
    path: Path,
}

impl Output {
    fn clear(&mut self) {
        self.provider = None;
        self.items.clear();
        self.side.clear();
        self.layout.clear();
        self.contacts.clear();
        self.path.len = 0;
    }
}

/// Runs the routing scan, reusing its buffers across calls.
///
/// `Debug` shows sizes only: the buffers can hold decoded strings of the last body.
#[derive(Default, Clone)]
pub struct Scanner {
    out: Output,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("items", &self.out.items.len())
            .field("decoded_strings", &self.out.side.len())
            .field("elements", &self.out.layout.len())
            .finish()
    }
}

impl Scanner {
    /// A scanner with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scans `body`: validates it and finds every routable item.
    pub fn scan<'s, 'b>(
        &'s mut self,
        body: &'b [u8],
        limits: &Limits,
    ) -> Result<Scan<'s, 'b>, PayloadError> {
        self.run(body, limits, false).map_err(|e| *e)
    }

    /// Like [`scan`](Self::scan), and also records the byte span of every [`ElementSpan`] a
    /// split may cut ([`Scan::elements`]).
    pub fn scan_layout<'s, 'b>(
        &'s mut self,
        body: &'b [u8],
        limits: &Limits,
    ) -> Result<Scan<'s, 'b>, PayloadError> {
        self.run(body, limits, true).map_err(|e| *e)
    }

    fn run<'s, 'b>(
        &'s mut self,
        body: &'b [u8],
        limits: &Limits,
        record: bool,
    ) -> Result<Scan<'s, 'b>, Error> {
        self.out.clear();
        self.out.record = record;
        if body.len() > limits.max_body_bytes {
            return Err(Box::new(PayloadError::TooLarge {
                size: body.len(),
                limit: limits.max_body_bytes,
            }));
        }
        let text = utf8(body)?;
        let mut c = Cursor::new(body, limits.max_depth);
        let mut st = Scanning {
            bytes: body,
            text,
            out: &mut self.out,
            max_items: limits.max_items,
        };
        root(&mut c, &mut st)?;
        Ok(Scan {
            body: text,
            out: &self.out,
        })
    }
}

/// The result of a scan: the provider and the items of one body.
#[derive(Clone, Copy)]
pub struct Scan<'s, 'b> {
    body: &'b str,
    out: &'s Output,
}

impl fmt::Debug for Scan<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scan")
            .field("provider", &self.provider())
            .field("items", &self.items().collect::<Vec<_>>())
            .finish()
    }
}

impl<'s, 'b> Scan<'s, 'b> {
    /// The provider of the body.
    pub fn provider(&self) -> Provider {
        self.out.provider.unwrap_or(Provider::CloudApi)
    }

    /// The body, as text.
    pub fn body(&self) -> &'b str {
        self.body
    }

    /// Every routable item, in document order (see the crate docs for the order within a
    /// change).
    pub fn items(&self) -> impl ExactSizeIterator<Item = Item<'s>> + Clone + use<'s, 'b>
    where
        'b: 's,
    {
        let this = *self;
        self.out.items.iter().map(move |raw| this.item(raw))
    }

    /// How many items the body holds.
    pub fn len(&self) -> usize {
        self.out.items.len()
    }

    /// Whether the body holds no item (never true for a body that scanned: a body without
    /// a party yields one business item).
    pub fn is_empty(&self) -> bool {
        self.out.items.is_empty()
    }

    /// The elements a split may cut, when scanned with [`Scanner::scan_layout`] (else empty).
    pub fn elements(&self) -> &'s [ElementSpan] {
        &self.out.layout
    }

    fn item(self, raw: &'s RawItem) -> Item<'s>
    where
        'b: 's,
    {
        let get = |t: Option<Text>| t.map(|t| self.get(t));
        let business =
            (raw.role == Role::Business && raw.kind == ItemKind::Account).then(|| Business {
                waba_id: get(raw.waba_id),
                phone_number_id: get(raw.phone_number_id),
            });
        Item {
            kind: raw.kind,
            id: get(raw.id),
            party: Party {
                role: raw.role,
                phone: get(raw.phone),
                user_id: get(raw.user_id),
                lid: get(raw.lid),
                business,
            },
            entry: raw.pos.entry as usize,
            change: raw.pos.change as usize,
            slot: raw.pos.slot,
            index: raw.pos.index as usize,
            field: get(raw.field),
        }
    }

    fn get(self, t: Text) -> &'s str
    where
        'b: 's,
    {
        match t {
            Text::Raw(a, b) => self.body.get(a as usize..b as usize).unwrap_or_default(),
            Text::Side(i) => self.out.side.get(i as usize).map_or("", String::as_str),
        }
    }

    /// The items with their strings detached from the scanner: borrowed from the body where
    /// they had no escapes.
    pub(crate) fn detach(&self) -> Vec<crate::items::ItemData<'b>> {
        let cow = |t: Option<Text>| -> Option<Cow<'b, str>> {
            Some(match t? {
                Text::Raw(a, b) => Cow::Borrowed(self.body.get(a as usize..b as usize)?),
                Text::Side(i) => Cow::Owned(self.out.side.get(i as usize)?.clone()),
            })
        };
        self.out
            .items
            .iter()
            .map(|raw| crate::items::ItemData {
                kind: raw.kind,
                role: raw.role,
                id: cow(raw.id),
                phone: cow(raw.phone),
                user_id: cow(raw.user_id),
                lid: cow(raw.lid),
                waba_id: cow(raw.waba_id),
                phone_number_id: cow(raw.phone_number_id),
                field: cow(raw.field),
                pos: raw.pos,
            })
            .collect()
    }
}

/// One segment of the JSON path of the object being read (for error messages).
#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(u32),
}

/// The JSON path of the object being read, as a small fixed stack: pushing and popping are
/// two stores, and the path is formatted only on the error path.
#[derive(Debug, Clone, Copy)]
struct Path {
    segs: [Seg; 24],
    len: usize,
}

impl Default for Path {
    fn default() -> Self {
        Self {
            segs: [Seg::Index(0); 24],
            len: 0,
        }
    }
}

impl Path {
    fn push(&mut self, seg: Seg) {
        if let Some(slot) = self.segs.get_mut(self.len) {
            *slot = seg;
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    /// `entry[0].changes[1].value.messages[3]` (plus `.leaf` when given).
    fn format(&self, leaf: Option<&str>) -> String {
        let mut out = String::new();
        for seg in self.segs.iter().take(self.len) {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        if self.len > self.segs.len() {
            out.push_str("...");
        }
        if let Some(leaf) = leaf {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(leaf);
        }
        out
    }
}

/// Scan state: the body, the output being filled (with the current path) and the item bound.
pub(crate) struct Scanning<'b, 'o> {
    bytes: &'b [u8],
    /// The same input, checked UTF-8.
    text: &'b str,
    out: &'o mut Output,
    max_items: usize,
}

impl Scanning<'_, '_> {
    /// Turns a span into a [`Text`], decoding (and copying) it only if it has escapes.
    #[inline]
    pub(crate) fn text(&mut self, span: Span) -> Result<Text, Error> {
        if !span.is_escaped() {
            return Ok(Text::Raw(to_u32(span.start()), to_u32(span.end())));
        }
        self.decoded(span)
    }

    /// [`text`](Self::text) of a span with escapes.
    #[inline(never)]
    fn decoded(&mut self, span: Span) -> Result<Text, Error> {
        // The cursor validated the escapes, so decoding cannot fail.
        let s = span
            .decode(self.bytes)
            .ok_or_else(|| crate::lex::syntax_at(self.bytes, span.start()))?;
        Ok(self.side(s.into_owned()))
    }

    fn side(&mut self, s: String) -> Text {
        self.out.side.push(s);
        Text::Side(to_u32(self.out.side.len() - 1))
    }

    pub(crate) fn get(&self, t: Text) -> &str {
        match t {
            Text::Raw(a, b) => self.text.get(a as usize..b as usize).unwrap_or_default(),
            Text::Side(i) => self.out.side.get(i as usize).map_or("", String::as_str),
        }
    }

    /// The part of text `t` that `part` is a sub-slice of, without copying a span.
    pub(crate) fn sub(&mut self, t: Text, part_start: usize, part_len: usize) -> Text {
        match t {
            Text::Raw(a, _) => {
                let start = a.saturating_add(to_u32(part_start));
                Text::Raw(start, start.saturating_add(to_u32(part_len)))
            }
            Text::Side(_) => {
                let s = self
                    .get(t)
                    .get(part_start..part_start + part_len)
                    .unwrap_or_default()
                    .to_owned();
                self.side(s)
            }
        }
    }

    pub(crate) fn is(&self, key: Span, name: &str) -> bool {
        key.is(self.bytes, name)
    }

    pub(crate) fn push_key(&mut self, key: &'static str) {
        self.out.path.push(Seg::Key(key));
    }

    pub(crate) fn push_index(&mut self, i: u32) {
        self.out.path.push(Seg::Index(i));
    }

    pub(crate) fn pop(&mut self) {
        self.out.path.pop();
    }

    /// Adds an item, refusing the body once it holds more than the item limit (contacts that
    /// wait for their item count too).
    pub(crate) fn push_item(&mut self, item: RawItem) -> Result<(), Error> {
        self.check_room(1)?;
        self.out.items.push(item);
        Ok(())
    }

    pub(crate) fn check_room(&self, more: usize) -> Result<(), Error> {
        if self.out.items.len() + self.out.contacts.len() + more > self.max_items {
            return Err(Box::new(PayloadError::TooManyItems {
                limit: self.max_items,
            }));
        }
        Ok(())
    }

    pub(crate) fn items(&self) -> &[RawItem] {
        &self.out.items
    }

    pub(crate) fn items_mut(&mut self) -> &mut Vec<RawItem> {
        &mut self.out.items
    }

    pub(crate) fn contacts(&mut self) -> &mut Vec<Pending> {
        &mut self.out.contacts
    }

    pub(crate) fn recording(&self) -> bool {
        self.out.record
    }

    pub(crate) fn record(&mut self, element: ElementSpan) {
        self.out.layout.push(element);
    }

    pub(crate) fn wrong_type(&self, c: &Cursor<'_>, field: &str, expected: &str) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::WrongType {
            path: self.out.path.format(Some(field)),
            expected: expected.to_owned(),
            line,
            column,
        })
    }

    /// Checks that the value at the cursor is an object (a syntax error when it is no value).
    pub(crate) fn expect_object(&self, c: &mut Cursor<'_>) -> Result<(), Error> {
        match c.peek_token() {
            Some(Token::Object) => Ok(()),
            Some(_) => Err(self.wrong_element(c, "an object")),
            None => Err(c.syntax()),
        }
    }

    /// The object at the current path is not of the kind the rules need.
    pub(crate) fn wrong_element(&self, c: &Cursor<'_>, expected: &str) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::WrongType {
            path: self.out.path.format(None),
            expected: expected.to_owned(),
            line,
            column,
        })
    }

    pub(crate) fn duplicate(&self, c: &Cursor<'_>, field: &str) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::DuplicateField {
            path: self.out.path.format(Some(field)),
            line,
            column,
        })
    }

    pub(crate) fn missing(&self, c: &Cursor<'_>, field: &str) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::MissingField {
            path: self.out.path.format(Some(field)),
            line,
            column,
        })
    }

    /// Two fields (paths relative to the current object, or absolute when they start with
    /// the root) name different parties.
    pub(crate) fn conflict(&self, c: &Cursor<'_>, first: String, second: String) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::ConflictingParty {
            first,
            second,
            line,
            column,
        })
    }

    pub(crate) fn here(&self, leaf: &str) -> String {
        self.out.path.format(Some(leaf))
    }

    pub(crate) fn ambiguous_record(&self, c: &Cursor<'_>) -> Error {
        let (line, column) = line_column(self.bytes, c.pos());
        Box::new(PayloadError::AmbiguousRecord {
            path: self.out.path.format(None),
            line,
            column,
        })
    }
}

/// Runs `f` on the array element at the cursor and, when the scan records a layout, notes
/// the element's span.
pub(crate) fn element(
    c: &mut Cursor<'_>,
    st: &mut Scanning<'_, '_>,
    container: Container,
    index: u32,
    f: impl FnOnce(&mut Cursor<'_>, &mut Scanning<'_, '_>) -> Result<(), Error>,
) -> Result<(), Error> {
    st.push_index(index);
    if !st.recording() {
        let r = f(c, st);
        st.pop();
        return r;
    }
    c.ws();
    let start = c.pos();
    let r = f(c, st);
    st.pop();
    r?;
    st.record(ElementSpan {
        container,
        index,
        start,
        end: c.pos(),
        rides_with: None,
    });
    Ok(())
}

/// Runs `f` with the cursor moved to `at`, a value inside the container just consumed at
/// nesting `depth`, then moves back to where the cursor was.
pub(crate) fn revisit<T>(
    c: &mut Cursor<'_>,
    at: usize,
    depth: usize,
    f: impl FnOnce(&mut Cursor<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let end = c.pos();
    c.seek(at, depth + 1);
    let r = f(c);
    c.seek(end, depth);
    r
}

/// Checks that the body is an object: an empty body or another JSON value is
/// [`PayloadError::NotAnObject`] (a value that is not even JSON is a syntax error).
fn root_object(c: &mut Cursor<'_>) -> Result<(), Error> {
    match c.peek_token() {
        Some(Token::Object) => Ok(()),
        Some(_) => {
            c.skip()?;
            c.end()?;
            Err(Box::new(PayloadError::NotAnObject))
        }
        None if c.pos() == c.bytes().len() => Err(Box::new(PayloadError::NotAnObject)),
        None => Err(c.syntax()),
    }
}

/// The provider keys of the root object: Cloud API `object`/`entry`, WASender `event`/`data`.
#[derive(Debug, Default)]
struct RootKeys {
    cloud: bool,
    wasender: bool,
    entry: bool,
    event: Option<Text>,
    event_present: bool,
    data: Option<(usize, Token)>,
}

fn root(c: &mut Cursor<'_>, st: &mut Scanning<'_, '_>) -> Result<(), Error> {
    root_object(c)?;
    const KEYS: [&str; 4] = ["entry", "object", "event", "data"];
    let mut keys = RootKeys::default();
    let mut seen = 0u8;
    c.object(|c, key| {
        let Some(i) = st.key_in(key, KEYS) else {
            return c.skip();
        };
        let name = KEYS.get(i).copied().unwrap_or_default();
        // `object` is read for its presence only; the others are routing fields.
        if i != 1 {
            if seen & (1 << i) != 0 {
                return Err(st.duplicate(c, name));
            }
            seen |= 1 << i;
        }
        match i {
            0 => {
                keys.cloud = true;
                match c.peek_token() {
                    Some(Token::Null) => c.null(),
                    Some(Token::Array) => {
                        keys.entry = true;
                        cloud::entries(c, st)
                    }
                    Some(_) => Err(st.wrong_type(c, "entry", "an array")),
                    None => Err(c.syntax()),
                }
            }
            1 => {
                keys.cloud = true;
                c.skip()
            }
            2 => {
                keys.wasender = true;
                keys.event_present = true;
                match c.peek_token() {
                    Some(Token::Null) => c.null(),
                    Some(Token::String) => {
                        let span = c.string()?;
                        keys.event = Some(st.text(span)?);
                        Ok(())
                    }
                    Some(_) => Err(st.wrong_type(c, "event", "a string")),
                    None => Err(c.syntax()),
                }
            }
            _ => {
                keys.wasender = true;
                c.ws();
                let at = c.pos();
                let token = c.peek_token();
                c.skip()?;
                if let Some(t) = token
                    && t != Token::Null
                {
                    keys.data = Some((at, t));
                }
                Ok(())
            }
        }
    })?;
    c.end()?;
    match (keys.cloud, keys.wasender) {
        (true, true) => Err(Box::new(PayloadError::AmbiguousProvider)),
        (false, false) => Err(Box::new(PayloadError::UnknownProvider)),
        (true, false) => {
            st.out.provider = Some(Provider::CloudApi);
            if keys.entry {
                Ok(())
            } else {
                Err(Box::new(PayloadError::MissingField {
                    path: "entry".to_owned(),
                    line: 1,
                    column: 1,
                }))
            }
        }
        (false, true) => {
            st.out.provider = Some(Provider::Wasender);
            let Some(event) = keys.event else {
                return Err(Box::new(PayloadError::MissingField {
                    path: "event".to_owned(),
                    line: 1,
                    column: 1,
                }));
            };
            wasender::event(c, st, event, keys.data)
        }
    }
}

/// Which provider a body belongs to, from its top-level keys only: `object`/`entry` for the
/// Cloud API, `event`/`data` for WASender. The whole body is validated as JSON.
pub(crate) fn detect(body: &[u8], max_depth: usize) -> Result<Provider, PayloadError> {
    detect_boxed(body, max_depth).map_err(|e| *e)
}

fn detect_boxed(body: &[u8], max_depth: usize) -> Result<Provider, Error> {
    let mut c = Cursor::new(body, max_depth);
    root_object(&mut c)?;
    let (mut cloud, mut wasender) = (false, false);
    c.object(|c, key| {
        if key.is(body, "object") || key.is(body, "entry") {
            cloud = true;
        } else if key.is(body, "event") || key.is(body, "data") {
            wasender = true;
        }
        c.skip()
    })?;
    c.end()?;
    match (cloud, wasender) {
        (true, true) => Err(Box::new(PayloadError::AmbiguousProvider)),
        (true, false) => Ok(Provider::CloudApi),
        (false, true) => Ok(Provider::Wasender),
        (false, false) => Err(Box::new(PayloadError::UnknownProvider)),
    }
}

/// The body as text: SIMD-validated, with std's exact error offset on failure.
fn utf8(body: &[u8]) -> Result<&str, Error> {
    match simdutf8::basic::from_utf8(body) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(body).map_err(|e| {
            Box::new(PayloadError::InvalidUtf8 {
                offset: e.valid_up_to(),
            })
        }),
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    // Bodies are bounded far below 4 GiB by `Limits`; saturate rather than wrap regardless.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Digits, with an optional leading `+` and the separators attribution accepts: a value that
/// can name a person (unlike a placeholder such as `<USER_PHONE_NUMBER>`).
pub(crate) fn looks_like_phone(p: &str) -> bool {
    let body = p.strip_prefix('+').unwrap_or(p);
    body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
}

/// Two phone numbers name the same person when their digits match: a leading `+` and the
/// separators attribution drops (space, `-`, `.`, `(`, `)`) aside, so `+1 631-555-1181` and
/// `16315551181` are one number, as they are one country and one pseudonym.
pub(crate) fn same_phone(a: &str, b: &str) -> bool {
    let (x, y) = (
        a.strip_prefix('+').unwrap_or(a),
        b.strip_prefix('+').unwrap_or(b),
    );
    // The common case, on every contact of a body: plain digits, compared as bytes.
    crate::lex::eq_short(x.as_bytes(), y.as_bytes())
        || ((has_separator(x) || has_separator(y)) && phone_chars(x).eq(phone_chars(y)))
}

/// Whether a phone value holds one of the separators [`phone_chars`] drops.
fn has_separator(p: &str) -> bool {
    p.bytes()
        .any(|b| matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
}

/// The characters of a phone value, its leading `+` already taken off, that tell it apart
/// (see [`same_phone`]).
fn phone_chars(body: &str) -> impl Iterator<Item = char> + '_ {
    body.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// A phone value reduced to the characters [`same_phone`] compares, for keyed lookups;
/// borrowed when it has no separator.
pub(crate) fn phone_key(p: &str) -> std::borrow::Cow<'_, str> {
    let body = p.strip_prefix('+').unwrap_or(p);
    if has_separator(body) {
        std::borrow::Cow::Owned(phone_chars(body).collect())
    } else {
        std::borrow::Cow::Borrowed(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUD: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P"},"messages":[{"from":"4915112345678","id":"wamid.A"},{"from":"5511987654321","id":"wamid.B"}]}}]}]}"#;

    #[test]
    fn error_paths_name_indexes_and_keys() {
        let mut path = Path::default();
        path.push(Seg::Key("entry"));
        path.push(Seg::Index(2));
        path.push(Seg::Key("changes"));
        assert_eq!(path.format(Some("field")), "entry[2].changes.field");
        path.pop();
        path.pop();
        assert_eq!(path.format(None), "entry");
    }

    #[test]
    fn a_warm_scanner_gives_the_same_items_again() {
        let mut scanner = Scanner::new();
        let mut run = || -> Vec<_> {
            scanner
                .scan(CLOUD.as_bytes(), &Limits::default())
                .unwrap()
                .items()
                .map(|i| (i.entry, i.change, i.index, i.party.phone.map(str::to_owned)))
                .collect()
        };
        let first = run();
        let again = run();
        assert_eq!(first, again);
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].2, 1);
    }

    #[test]
    fn the_item_limit_is_checked_while_scanning() {
        let limits = Limits::default().with_max_items(1);
        assert_eq!(
            Scanner::new().scan(CLOUD.as_bytes(), &limits).err(),
            Some(PayloadError::TooManyItems { limit: 1 })
        );
    }

    #[test]
    fn a_body_with_the_keys_of_both_providers_is_ambiguous() {
        let body =
            br#"{"object":"whatsapp_business_account","entry":[],"event":"messages.upsert"}"#;
        assert_eq!(
            detect(body, Limits::MAX_DEPTH),
            Err(PayloadError::AmbiguousProvider)
        );
        assert_eq!(
            Scanner::new().scan(body, &Limits::default()).err(),
            Some(PayloadError::AmbiguousProvider)
        );
    }

    #[test]
    fn escaped_strings_are_decoded_once_and_read_back() {
        let body = CLOUD.replace(
            r#""from":"4915112345678""#,
            r#""from":"\u0034915112345678""#,
        );
        let mut scanner = Scanner::new();
        let scan = scanner.scan(body.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            scan.items().next().unwrap().party.phone,
            Some("4915112345678")
        );
    }

    #[test]
    fn phones_and_placeholders() {
        for phone in ["4915112345678", "+49 151 1234-5678", "(49) 151.123"] {
            assert!(looks_like_phone(phone), "{phone}");
        }
        for other in ["", "+", "<PHONE_NUMBER>", "49x", "US.123"] {
            assert!(!looks_like_phone(other), "{other}");
        }
        assert!(same_phone("+4915112345678", "4915112345678"));
        assert!(!same_phone("4915112345678", "4915112345679"));
    }
}
