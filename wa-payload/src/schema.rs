//! The typed model as data: every object's JSON keys, and which of them hold personal data.
//!
//! The model's field types are the one place that says what is personal: a field typed
//! [`Phone`], [`Jid`], [`UserId`],
//! [`MessageId`], [`Name`], [`Body`],
//! [`Link`] or
//! [`Redacted`] redacts itself in `Debug`, and this module describes the
//! same fields so that code walking raw JSON (a masker, a log filter) follows the model
//! instead of keeping its own list of keys. [`cloud`] and [`wasender`] are the roots; an
//! array field has the [`Shape`] of its elements.
//!
//! ```
//! use wa_payload::schema::{self, Personal};
//!
//! let message = schema::cloud()
//!     .field("entry").and_then(|s| s.object())
//!     .and_then(|o| o.field("changes")).and_then(|s| s.object())
//!     .and_then(|o| o.field("value")).and_then(|s| s.object())
//!     .and_then(|o| o.field("messages")).and_then(|s| s.object())
//!     .unwrap();
//! assert_eq!(message.field("from").and_then(|s| s.personal()), Some(Personal::Phone));
//! assert_eq!(message.field("type").and_then(|s| s.personal()), None);
//! assert!(message.field("hologram").is_none()); // not modeled: kept verbatim in `extra`
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::json::{OneOrMany, Raw, Redacted, StrOrNum};
use crate::pii::{Body, Jid, Link, MessageId, Name, Phone, UserId};

/// The kind of personal data a field holds, as its model type declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Personal {
    /// A phone number or WhatsApp id ([`Phone`]).
    Phone,
    /// A JID or a bare phone number ([`Jid`]).
    Jid,
    /// A business-scoped user id ([`UserId`]).
    UserId,
    /// A message or call id ([`MessageId`]): a Cloud API id encodes a phone number.
    MessageId,
    /// A person's or a group's name ([`Name`]).
    Name,
    /// Free text written by or about a person ([`Body`]).
    Body,
    /// A link to a person's media or ad click ([`Link`]).
    Link,
    /// Any other personal value ([`Redacted`]): coordinates, media keys, click ids, hashes,
    /// opaque callback data.
    Other,
}

/// What one field of an object holds.
#[derive(Clone, Copy)]
pub struct Shape {
    object: Option<fn() -> Object>,
    personal: Option<Personal>,
    verbatim: bool,
}

impl Shape {
    /// A modeled value with no personal data (a type, a status, a time, a flag).
    pub(crate) const PLAIN: Self = Self {
        object: None,
        personal: None,
        verbatim: false,
    };

    /// A value kept verbatim, not modeled (its content is unknown to the model).
    pub(crate) const VERBATIM: Self = Self {
        object: None,
        personal: None,
        verbatim: true,
    };

    /// A string (or number) holding personal data of `kind`.
    pub(crate) const fn holding(kind: Personal) -> Self {
        Self {
            object: None,
            personal: Some(kind),
            verbatim: false,
        }
    }

    /// An object with the fields of `object`; a string in the same place holds `personal`.
    pub(crate) const fn of_object(object: fn() -> Object, personal: Option<Personal>) -> Self {
        Self {
            object: Some(object),
            personal,
            verbatim: false,
        }
    }

    /// The object this field holds when its value is an object.
    pub fn object(&self) -> Option<Object> {
        self.object.map(|f| f())
    }

    /// The kind of personal data this field holds when its value is a string or a number.
    pub fn personal(&self) -> Option<Personal> {
        self.personal
    }

    /// Whether the field is kept verbatim ([`Raw`]): the model does not know
    /// what it holds, so a masker must treat it by its own rules.
    pub fn is_verbatim(&self) -> bool {
        self.verbatim
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Shape");
        if let Some(o) = self.object() {
            d.field("object", &o.name());
        }
        if let Some(p) = self.personal {
            d.field("personal", &p);
        }
        if self.verbatim {
            d.field("verbatim", &true);
        }
        d.finish()
    }
}

/// One object type of the model: its name and fields.
#[derive(Clone, Copy)]
pub struct Object {
    name: &'static str,
    fields: &'static [(&'static str, Shape)],
}

impl Object {
    pub(crate) const fn new(name: &'static str, fields: &'static [(&'static str, Shape)]) -> Self {
        Self { name, fields }
    }

    /// The type's name, with its module (`cloud::Message`).
    pub fn name(&self) -> &'static str {
        self.name.strip_prefix("wa_payload::").unwrap_or(self.name)
    }

    /// The shape of the field `key`, or `None` when the object does not model it (the
    /// model keeps such a field verbatim in `extra`).
    pub fn field(&self, key: &str) -> Option<Shape> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
    }

    /// Every modeled field, in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, Shape)> + '_ {
        self.fields.iter().copied()
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object").field("name", &self.name).finish()
    }
}

/// The root of a Cloud API body ([`cloud::Notification`](crate::cloud::Notification)).
pub fn cloud() -> Object {
    crate::cloud::Notification::schema()
}

/// The root of a WASender body ([`wasender::Event`](crate::wasender::Event)).
pub fn wasender() -> Object {
    crate::wasender::Event::schema()
}

/// Every object type reachable from both roots, each once, in a stable order.
pub fn objects() -> Vec<Object> {
    let mut seen: Vec<Object> = Vec::new();
    let mut todo = vec![cloud(), wasender()];
    while let Some(o) = todo.pop() {
        if seen.iter().any(|s| s.name == o.name) {
            continue;
        }
        todo.extend(o.fields().filter_map(|(_, s)| s.object()));
        seen.push(o);
    }
    seen.sort_by_key(Object::name);
    seen
}

/// Model types and what they hold as a field.
pub(crate) trait Described {
    const SHAPE: Shape;
}

macro_rules! described {
    ($shape:expr => $($t:ty),* $(,)?) => {
        $( impl Described for $t { const SHAPE: Shape = $shape; } )*
    };
}

described!(Shape::PLAIN => Cow<'_, str>, StrOrNum<'_>, bool);
described!(Shape::VERBATIM => Raw<'_>);
described!(Shape::holding(Personal::Phone) => Phone<'_>);
described!(Shape::holding(Personal::Jid) => Jid<'_>);
described!(Shape::holding(Personal::UserId) => UserId<'_>);
described!(Shape::holding(Personal::MessageId) => MessageId<'_>);
described!(Shape::holding(Personal::Name) => Name<'_>);
described!(Shape::holding(Personal::Body) => Body<'_>);
described!(Shape::holding(Personal::Link) => Link<'_>);

impl<T: Described> Described for Box<T> {
    const SHAPE: Shape = T::SHAPE;
}

impl<T: Described> Described for Vec<T> {
    const SHAPE: Shape = T::SHAPE;
}

impl<T: Described> Described for OneOrMany<T> {
    const SHAPE: Shape = T::SHAPE;
}

impl<T> Described for Redacted<T> {
    const SHAPE: Shape = Shape::holding(Personal::Other);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_fields_follow_the_model_types() {
        let message = cloud()
            .field("entry")
            .and_then(|s| s.object())
            .and_then(|o| o.field("changes"))
            .and_then(|s| s.object())
            .and_then(|o| o.field("value"))
            .and_then(|s| s.object())
            .and_then(|o| o.field("messages"))
            .and_then(|s| s.object())
            .unwrap();
        assert_eq!(message.name(), "cloud::Message");
        let kind = |k: &str| message.field(k).and_then(|s| s.personal());
        assert_eq!(kind("from"), Some(Personal::Phone));
        assert_eq!(kind("from_user_id"), Some(Personal::UserId));
        assert_eq!(kind("id"), Some(Personal::MessageId));
        assert_eq!(kind("timestamp"), None);
        assert!(message.field("contacts").unwrap().is_verbatim());
        let text = message.field("text").and_then(|s| s.object()).unwrap();
        assert_eq!(
            text.field("body").and_then(|s| s.personal()),
            Some(Personal::Body)
        );
    }

    #[test]
    fn wasender_data_is_a_record_or_an_id() {
        let data = wasender().field("data").unwrap();
        assert_eq!(data.object().unwrap().name(), "wasender::Record");
        assert_eq!(data.personal(), Some(Personal::Jid));
        // Records nest (`message`, `call`): the schema is a graph, not a tree.
        let record = data.object().unwrap();
        let inner = record.field("message").and_then(|s| s.object()).unwrap();
        assert_eq!(inner.name(), "wasender::Record");
    }

    #[test]
    fn every_object_is_listed_once() {
        let all = objects();
        let mut names: Vec<_> = all.iter().map(Object::name).collect();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(names.contains(&"cloud::Status"));
        assert!(names.contains(&"wasender::MessageKey"));
        assert!(all.len() > 30, "{}", all.len());
    }
}
