//! WhatsApp addresses: the one parser for phone numbers and JIDs in webhook fields.
//!
//! Every reader of an address in this workspace goes through [`Address::parse`]: the items
//! view and the routing scan (which party an item has), residency-core's attribution (which
//! country), and pii-mask's masker (what to hide and what domain to keep). So a form is read the
//! same way everywhere.
//!
//! | form | example | reads as |
//! | --- | --- | --- |
//! | a bare value (no `@`) | `+49 151 2345678`, `4915****89`, `PHONE_NUMBER` | [`Address::Phone`] (the value, as sent) |
//! | phone JID | `4915123456789@s.whatsapp.net`, `4915123456789@c.us` | [`Address::Phone`] (the user part) |
//! | phone JID with agent or device | `4915123456789.0:12@s.whatsapp.net` | [`Address::Phone`] (`4915123456789`) |
//! | LID | `123456789012345@lid`, `123456789012345:3@lid` | [`Address::Lid`] (the user part) |
//! | group | `120363041490582303@g.us`, legacy `4915123456789-1633456700@g.us` | [`Address::Group`] |
//! | broadcast list, status | `1633456700@broadcast`, `status@broadcast` | [`Address::Broadcast`] |
//! | channel | `120363144038483540@newsletter` | [`Address::Newsletter`] |
//! | anything else | `r@w.net`, `@s.whatsapp.net`, `` | [`Address::Other`] |
//!
//! A value in an address field that is not a JID is a phone number as sent, whatever it
//! holds: `PHONE_NUMBER`, a masked `4915****89` or a pseudonym still stand for a person, and
//! attribution then reports a malformed number rather than the field being ignored. Likewise a
//! phone JID whose user part is not digits (`remote@s.whatsapp.net`).
//!
//! ```
//! use wa_payload::Address;
//!
//! assert_eq!(Address::parse("4915123456789:12@s.whatsapp.net"), Address::Phone("4915123456789"));
//! assert_eq!(Address::parse("4915123456789@c.us").phone(), Some("4915123456789"));
//! assert_eq!(Address::parse("+49 151 2345678"), Address::Phone("+49 151 2345678"));
//! assert_eq!(Address::parse("98765@lid"), Address::Lid("98765"));
//! assert!(Address::parse("98765@lid").is_person());
//! assert!(!Address::parse("1203@g.us").is_person());
//! assert_eq!(Address::parse("PHONE_NUMBER"), Address::Phone("PHONE_NUMBER"));
//! ```

use std::fmt;

/// A parsed address. See the [module docs](self) for every form.
///
/// `Debug` shows the variant and never the value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address<'a> {
    /// A phone number: a bare value as sent (not necessarily digits), or a phone JID's user
    /// part without agent and device.
    Phone(&'a str),
    /// A LID's user part (a person's id that carries no phone number).
    Lid(&'a str),
    /// A group id (`…@g.us`), whole.
    Group(&'a str),
    /// A broadcast list or the status broadcast (`…@broadcast`), whole.
    Broadcast(&'a str),
    /// A channel (`…@newsletter`), whole.
    Newsletter(&'a str),
    /// Anything else, whole: another domain, an empty user part, an empty value.
    Other(&'a str),
}

impl<'a> Address<'a> {
    /// Reads an address. Total: every string gives a variant, nothing panics or allocates.
    pub fn parse(value: &'a str) -> Self {
        let Some((user, domain)) = value.split_once('@') else {
            return if value.is_empty() {
                Self::Other(value)
            } else {
                Self::Phone(value)
            };
        };
        match domain {
            "s.whatsapp.net" | "c.us" => match bare_user(user) {
                "" => Self::Other(value),
                u => Self::Phone(u),
            },
            // A LID, group, list or channel whose user part was stripped (`@lid`, `@g.us`, as
            // pii-mask's strip mode leaves them) still says what it was.
            "lid" => Self::Lid(bare_user(user)),
            "g.us" => Self::Group(value),
            "broadcast" => Self::Broadcast(value),
            "newsletter" => Self::Newsletter(value),
            _ => Self::Other(value),
        }
    }

    /// The phone number, for [`Address::Phone`].
    pub fn phone(self) -> Option<&'a str> {
        match self {
            Self::Phone(p) => Some(p),
            _ => None,
        }
    }

    /// The LID's user part, for [`Address::Lid`].
    pub fn lid(self) -> Option<&'a str> {
        match self {
            Self::Lid(l) => Some(l),
            _ => None,
        }
    }

    /// Whether the address identifies one person (a phone number or a LID).
    pub fn is_person(self) -> bool {
        matches!(self, Self::Phone(_) | Self::Lid(_))
    }

    /// The variant's name: `phone`, `lid`, `group`, `broadcast`, `newsletter`, `other`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Phone(_) => "phone",
            Self::Lid(_) => "lid",
            Self::Group(_) => "group",
            Self::Broadcast(_) => "broadcast",
            Self::Newsletter(_) => "newsletter",
            Self::Other(_) => "other",
        }
    }
}

impl fmt::Debug for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address::{}([REDACTED])", self.kind())
    }
}

/// A JID's user part without `.agent` and `:device` (`4915.0:12` gives `4915`).
fn bare_user(user: &str) -> &str {
    let user = user.split_once(':').map_or(user, |(u, _)| u);
    user.split_once('.').map_or(user, |(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form() {
        let table: &[(&str, Address<'_>)] = &[
            ("4915123456789", Address::Phone("4915123456789")),
            ("+4915123456789", Address::Phone("+4915123456789")),
            ("+49 (151) 234-56.78", Address::Phone("+49 (151) 234-56.78")),
            ("4915****89", Address::Phone("4915****89")),
            ("****", Address::Phone("****")),
            (
                "4915123456789@s.whatsapp.net",
                Address::Phone("4915123456789"),
            ),
            ("4915123456789@c.us", Address::Phone("4915123456789")),
            (
                "4915123456789:12@s.whatsapp.net",
                Address::Phone("4915123456789"),
            ),
            (
                "4915123456789.0:3@s.whatsapp.net",
                Address::Phone("4915123456789"),
            ),
            ("remote@s.whatsapp.net", Address::Phone("remote")),
            ("123456789@lid", Address::Lid("123456789")),
            ("123456789:7@lid", Address::Lid("123456789")),
            (
                "120363041490582303@g.us",
                Address::Group("120363041490582303@g.us"),
            ),
            (
                "4915-1633456700@g.us",
                Address::Group("4915-1633456700@g.us"),
            ),
            (
                "1633456700@broadcast",
                Address::Broadcast("1633456700@broadcast"),
            ),
            ("status@broadcast", Address::Broadcast("status@broadcast")),
            ("1203@newsletter", Address::Newsletter("1203@newsletter")),
            ("r@w.net", Address::Other("r@w.net")),
            ("@s.whatsapp.net", Address::Other("@s.whatsapp.net")),
            (":1@s.whatsapp.net", Address::Other(":1@s.whatsapp.net")),
            ("@lid", Address::Lid("")),
            ("@g.us", Address::Group("@g.us")),
            ("a@b@s.whatsapp.net", Address::Other("a@b@s.whatsapp.net")),
            ("PHONE_NUMBER", Address::Phone("PHONE_NUMBER")),
            ("4915:12", Address::Phone("4915:12")),
            ("+", Address::Phone("+")),
            ("", Address::Other("")),
        ];
        for (input, want) in table {
            assert_eq!(Address::parse(input), *want, "{input}");
        }
    }

    #[test]
    fn persons_are_phones_and_lids() {
        assert!(Address::parse("49151@s.whatsapp.net").is_person());
        assert!(Address::parse("1@lid").is_person());
        for other in ["1@g.us", "status@broadcast", "1@newsletter", "x@y", ""] {
            assert!(!Address::parse(other).is_person(), "{other}");
        }
    }

    #[test]
    fn debug_hides_the_value() {
        let dbg = format!("{:?}", Address::parse("4915123456789@s.whatsapp.net"));
        assert_eq!(dbg, "Address::phone([REDACTED])");
    }
}
