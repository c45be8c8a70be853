//! Identifiers and text that hold personal data: they serialize transparently and redact
//! themselves in `Debug`.
//!
//! ```
//! use wa_payload::{Body, Name, Phone, UserId};
//! assert_eq!(format!("{:?}", Phone::new("4915112345621")), "Phone(••••21)");
//! assert_eq!(format!("{:?}", UserId::new("US.13491208655302741918")), "UserId([REDACTED])");
//! assert_eq!(format!("{:?}", Name::new("Sheena Nelson")), "Name([REDACTED])");
//! assert_eq!(format!("{:?}", Body::new("hallo")), "Body([REDACTED])");
//! assert_eq!(format!("{:?}", wa_payload::MessageId::new("wamid.HBgLNDkx")), "MessageId(wamid.••••)");
//! assert_eq!(format!("{:?}", wa_payload::Jid::new("4915@s.whatsapp.net")), "Jid(••••@s.whatsapp.net)");
//! assert_eq!(Phone::new("4915112345621").as_str(), "4915112345621");
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::{Deserializer, Serialize, Serializer};

use crate::json::{FromJson, Own};

macro_rules! pii_string {
    ($(#[$meta:meta])* $name:ident, $debug:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name<'a>(Cow<'a, str>);

        impl<'a> $name<'a> {
            /// Wraps a value.
            pub fn new(value: impl Into<Cow<'a, str>>) -> Self {
                Self(value.into())
            }

            /// The value itself (an explicit call: `Debug` never shows it).
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as a `Cow`, borrowed when it was not escaped in the input.
            pub fn as_cow(&self) -> &Cow<'a, str> {
                &self.0
            }

            /// Detaches from the input.
            pub fn into_owned(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let debug: fn(&str, &mut fmt::Formatter<'_>) -> fmt::Result = $debug;
                f.write_str(concat!(stringify!($name), "("))?;
                debug(&self.0, f)?;
                f.write_str(")")
            }
        }

        impl Serialize for $name<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de: 'a, 'a> FromJson<'de> for $name<'a> {
            const ACCEPTS: u8 = crate::json::kind::STR;
            fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Cow::<'a, str>::from_json(d).map($name)
            }
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::from_json(d)
            }
        }

        impl Own for $name<'_> {
            type Out = $name<'static>;
            fn own(self) -> Self::Out {
                self.into_owned()
            }
        }
    };
}

/// Shows `••••` and the last two characters when the value is long enough to hide the rest.
fn masked_tail(value: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("••••")?;
    let count = value.chars().count();
    if count >= 8 {
        let tail: String = value.chars().skip(count - 2).collect();
        f.write_str(&tail)?;
    }
    Ok(())
}

/// Shows `••••` and the JID's domain (`@s.whatsapp.net`, `@lid`, `@g.us`), never the user part.
fn jid_domain(value: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("••••")?;
    if let Some((_, domain)) = value.split_once('@') {
        write!(f, "@{domain}")?;
    }
    Ok(())
}

/// Shows the id's scheme (`wamid.`, `wacid.`) and hides the rest.
fn id_scheme(value: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if let Some((scheme, _)) = value.split_once('.')
        && scheme.len() <= 8
        && scheme.bytes().all(|b| b.is_ascii_lowercase())
    {
        write!(f, "{scheme}.")?;
    }
    f.write_str("••••")
}

/// Shows the scheme and host of a URL, never its path or query.
fn link_origin(value: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if let Some((scheme, rest)) = value.split_once("://")
        && !scheme.is_empty()
        && scheme.bytes().all(|b| b.is_ascii_alphabetic())
    {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Userinfo (`user:secret@host`) is personal too.
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        write!(f, "{scheme}://{host}/")?;
    }
    f.write_str("••••")
}

fn redacted(_: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("[REDACTED]")
}

pii_string!(
    /// A phone number or WhatsApp id as received (`from`, `wa_id`, `recipient_id`, ...): not
    /// validated, placeholders such as `PHONE_NUMBER` are kept. `Debug` shows `Phone(••••21)`.
    Phone,
    masked_tail
);
pii_string!(
    /// A WhatsApp JID as received (`4915…@s.whatsapp.net`, `…@lid`, `…@g.us`, or bare digits).
    /// `Debug` shows only the domain: `Jid(••••@s.whatsapp.net)`.
    Jid,
    jid_domain
);
pii_string!(
    /// A business-scoped user id (`US.13491208655302741918`, `US.ENT.…`). `Debug` is redacted.
    UserId,
    redacted
);
pii_string!(
    /// A message or call id as received (`wamid.HBgL…`, `wacid.…`, a WASender key id). A
    /// Cloud API id is base64 of a record that holds the user's phone number, so it is
    /// personal data: `Debug` shows only the scheme, `MessageId(wamid.••••)`.
    MessageId,
    id_scheme
);
pii_string!(
    /// A person's name or username. `Debug` is redacted.
    Name,
    redacted
);
pii_string!(
    /// Free text written by or about a person (message bodies, captions, file names,
    /// addresses). `Debug` is redacted.
    Body,
    redacted
);
pii_string!(
    /// A link to a person's media or to the ad they clicked (media `url`, `directPath`,
    /// referral URLs): its path and query carry tokens. `Debug` shows the origin only,
    /// `Link(https://lookaside.fbsbx.com/••••)`.
    Link,
    link_origin
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_show_their_origin_only() {
        let l = Link::new(
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=123&hash=abc",
        );
        assert_eq!(format!("{l:?}"), "Link(https://lookaside.fbsbx.com/••••)");
        let l = Link::new("https://user:pw@host.example/x");
        assert_eq!(format!("{l:?}"), "Link(https://host.example/••••)");
        assert_eq!(
            format!("{:?}", Link::new("/v/t62.7118-24/abc")),
            "Link(••••)"
        );
    }

    #[test]
    fn short_phone_shows_no_tail() {
        assert_eq!(format!("{:?}", Phone::new("12345")), "Phone(••••)");
        assert_eq!(format!("{:?}", Phone::new("")), "Phone(••••)");
    }

    #[test]
    fn serializes_transparently() {
        let p = Phone::new("4915112345621");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"4915112345621\"");
        let n: Name<'_> = serde_json::from_str("\"Jo\\u00e3o\"").unwrap();
        assert_eq!(n.as_str(), "João");
        assert!(matches!(n.as_cow(), Cow::Owned(_)));
        let b: Body<'_> = serde_json::from_str("\"plain\"").unwrap();
        assert!(matches!(b.as_cow(), Cow::Borrowed(_)));
    }

    #[test]
    fn debug_never_shows_value() {
        for v in ["4915112345621", "Sheena Nelson", "US.1349"] {
            for s in [
                format!("{:?}", Phone::new(v)),
                format!("{:?}", UserId::new(v)),
                format!("{:?}", Name::new(v)),
                format!("{:?}", Body::new(v)),
            ] {
                assert!(!s.contains(v), "{s}");
            }
        }
    }
}
