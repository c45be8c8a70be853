//! Building blocks shared by every model: raw JSON kept verbatim, unknown fields, values that
//! arrive as strings or numbers, and the borrowing deserialization machinery.
//!
//! # Ownership
//! Models are parsed from a `&[u8]`/`&str` and borrow from it: strings are `Cow::Borrowed`
//! unless the JSON escaped them, raw JSON ([`Raw`]) always borrows. `into_owned()` on every
//! model detaches it from the input. Deserializing a model from a reader or from a
//! `serde_json::Value` is not supported (raw values need the original text).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept verbatim (unknown fields, untyped payloads).
///
/// `Debug` shows only its length: raw JSON may hold personal data.
///
/// ```
/// let n: wa_payload::cloud::Notification<'_> = wa_payload::cloud::Notification::parse(
///     br#"{"object":"x","entry":[],"future":{"a":1}}"#)?;
/// let raw = n.extra.get("future").unwrap();
/// assert_eq!(raw.as_str(), r#"{"a":1}"#);
/// assert_eq!(format!("{raw:?}"), "Raw(7 bytes)");
/// # Ok::<(), wa_payload::PayloadError>(())
/// ```
#[derive(Clone)]
pub enum Raw<'a> {
    /// Borrowed from the input body.
    Borrowed(&'a RawValue),
    /// Owned, after [`Raw::into_owned`].
    Owned(Box<RawValue>),
}

impl<'a> Raw<'a> {
    /// The JSON `null`.
    pub const NULL: Raw<'static> = Raw::Borrowed(RawValue::NULL);

    /// The JSON text of this value, exactly as received.
    pub fn as_str(&self) -> &str {
        match self {
            Raw::Borrowed(r) => r.get(),
            Raw::Owned(r) => r.get(),
        }
    }

    /// The JSON text when this value borrows from the input (lives as long as the input).
    pub fn as_borrowed_str(&self) -> Option<&'a str> {
        match self {
            Raw::Borrowed(r) => Some(r.get()),
            Raw::Owned(_) => None,
        }
    }

    /// Whether this is the JSON `null`.
    pub fn is_null(&self) -> bool {
        self.as_str() == "null"
    }

    /// The string content when this value is a JSON string without escapes.
    ///
    /// ```
    /// let n = wa_payload::cloud::Notification::parse(br#"{"object":"x","entry":[],"k":"v"}"#)?;
    /// assert_eq!(n.extra.get("k").unwrap().as_plain_str(), Some("v"));
    /// # Ok::<(), wa_payload::PayloadError>(())
    /// ```
    pub fn as_plain_str(&self) -> Option<&str> {
        plain_str(self.as_str())
    }

    /// Detaches this value from the input.
    pub fn into_owned(self) -> Raw<'static> {
        match self {
            Raw::Borrowed(r) => Raw::Owned(r.to_owned()),
            Raw::Owned(r) => Raw::Owned(r),
        }
    }
}

/// The content of a JSON string literal without escapes.
pub(crate) fn plain_str(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') || inner.contains('"') {
        None
    } else {
        Some(inner)
    }
}

impl fmt::Debug for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw({} bytes)", self.as_str().len())
    }
}

impl PartialEq for Raw<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Raw::Borrowed(r) => r.serialize(s),
            Raw::Owned(r) => r.serialize(s),
        }
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Raw<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue as serde::Deserialize<'de>>::deserialize(d).map(Raw::Borrowed)
    }
}

/// Fields of an object that this version does not model, in document order, kept verbatim.
///
/// `Debug` shows the keys and the sizes, never the values.
#[derive(Clone, Default, PartialEq)]
pub struct Extra<'a>(pub Vec<(Cow<'a, str>, Raw<'a>)>);

impl<'a> Extra<'a> {
    /// The raw value of an unmodelled field.
    pub fn get(&self, key: &str) -> Option<&Raw<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Iterates over `(key, raw value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Raw<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of unmodelled fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether every field was modelled.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Detaches from the input.
    pub fn into_owned(self) -> Extra<'static> {
        Extra(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        )
    }
}

impl fmt::Debug for Extra<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// A scalar that arrives as a JSON string or a JSON number (timestamps, sizes, prices,
/// coordinates, error codes); it serializes back in the form it arrived.
///
/// ```
/// use wa_payload::StrOrNum;
/// let n = wa_payload::cloud::Notification::parse(
///     br#"{"object":"x","entry":[{"id":"1","time":1745337174,"changes":[]}]}"#)?;
/// let time: &StrOrNum<'_> = n.entries()[0].time.as_ref().unwrap();
/// assert_eq!(time.as_i64(), Some(1745337174));
/// assert_eq!(StrOrNum::Text("1669233778".into()).as_i64(), Some(1669233778));
/// assert_eq!(StrOrNum::Text("TIMESTAMP".into()).as_i64(), None);
/// # Ok::<(), wa_payload::PayloadError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum StrOrNum<'a> {
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A JSON string (kept as is, even when it is not numeric).
    Text(Cow<'a, str>),
}

impl StrOrNum<'_> {
    /// The value as an integer, when it is an integer or a string holding one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrOrNum::UInt(v) => i64::try_from(*v).ok(),
            StrOrNum::Int(v) => Some(*v),
            StrOrNum::Float(_) => None,
            StrOrNum::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as a float, when it is a number or a string holding one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StrOrNum::UInt(v) => Some(*v as f64),
            StrOrNum::Int(v) => Some(*v as f64),
            StrOrNum::Float(v) => Some(*v),
            StrOrNum::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value read as a Unix time in seconds: values of 10^11 and above are taken as
    /// milliseconds (WASender sends both).
    ///
    /// ```
    /// use wa_payload::StrOrNum;
    /// assert_eq!(StrOrNum::UInt(1747775431467).unix_seconds(), Some(1747775431));
    /// assert_eq!(StrOrNum::UInt(1633456789).unix_seconds(), Some(1633456789));
    /// ```
    pub fn unix_seconds(&self) -> Option<i64> {
        let v = self.as_i64()?;
        if v >= 100_000_000_000 {
            Some(v / 1000)
        } else {
            Some(v)
        }
    }

    /// Detaches from the input.
    pub fn into_owned(self) -> StrOrNum<'static> {
        match self {
            StrOrNum::UInt(v) => StrOrNum::UInt(v),
            StrOrNum::Int(v) => StrOrNum::Int(v),
            StrOrNum::Float(v) => StrOrNum::Float(v),
            StrOrNum::Text(t) => StrOrNum::Text(Cow::Owned(t.into_owned())),
        }
    }
}

impl Serialize for StrOrNum<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StrOrNum::UInt(v) => s.serialize_u64(*v),
            StrOrNum::Int(v) => s.serialize_i64(*v),
            StrOrNum::Float(v) => s.serialize_f64(*v),
            StrOrNum::Text(t) => s.serialize_str(t),
        }
    }
}

/// A field that holds either one object or an array of them (WASender sends both).
#[derive(Clone, Debug, PartialEq)]
pub enum OneOrMany<T> {
    /// A single object.
    One(T),
    /// An array.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The elements as a slice (one or many).
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::One(t) => std::slice::from_ref(t),
            Self::Many(v) => v,
        }
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(t) => t.serialize(s),
            Self::Many(v) => v.serialize(s),
        }
    }
}

/// A value whose `Debug` prints `[REDACTED]` (coordinates, free text); serializes as is.
#[derive(Clone, PartialEq)]
pub struct Redacted<T>(pub T);

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<T: Serialize> Serialize for Redacted<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Borrowing, lenient deserialization machinery (crate-private).
//
// The routing scan (`crate::scan`) validates every body before the model is built: the
// grammar, the limits, and the JSON type of every field the routing rules read. The model is
// then read *leniently*: a typed field whose JSON value is of another kind (a `timestamp`
// that is an object, a `text` that is a string) reads as `None` and keeps its value verbatim
// in `extra`, so building the model never fails on a body the scan accepted, and a future
// change of type in the API still parses.

/// JSON kinds, as bits: what a type reads.
pub(crate) mod kind {
    pub(crate) const STR: u8 = 1;
    pub(crate) const NUM: u8 = 2;
    pub(crate) const BOOL: u8 = 4;
    pub(crate) const OBJ: u8 = 8;
    pub(crate) const ARR: u8 = 16;
    pub(crate) const ANY: u8 = STR | NUM | BOOL | OBJ | ARR;
}

/// A value read leniently.
pub(crate) enum Fit<T> {
    /// The value, of a kind the type reads.
    Value(T),
    /// JSON `null`.
    Null,
    /// A value of another kind, kept verbatim (re-serialized: an equal JSON value).
    Other(Raw<'static>),
}

/// Deserialization that borrows strings from the input (serde's `Cow` impl always owns).
pub(crate) trait FromJson<'de>: Sized {
    /// The JSON kinds this type reads ([`kind`] bits).
    const ACCEPTS: u8;

    /// Reads a value of an accepted kind; other kinds are an error.
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;

    /// Reads a value leniently: another kind comes back as [`Fit::Other`].
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        d.deserialize_any(LenientVisitor::<Self>(PhantomData))
    }
}

/// Objects that can be read from an already opened JSON map.
pub(crate) trait FromMap<'de>: Sized {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// Seed adapter so `FromJson` types can be read through `MapAccess`/`SeqAccess`.
pub(crate) struct Seed<T>(pub(crate) PhantomData<T>);

impl<T> Seed<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: FromJson<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::from_json(d)
    }
}

/// Seed adapter for lenient reads.
pub(crate) struct LenientSeed<T>(PhantomData<T>);

impl<T> LenientSeed<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: FromJson<'de>> DeserializeSeed<'de> for LenientSeed<T> {
    type Value = Fit<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Fit<T>, D::Error> {
        T::from_json_lenient(d)
    }
}

/// Detaching a model from the input.
pub(crate) trait Own {
    type Out: 'static;
    fn own(self) -> Self::Out;
}

/// A value of an unexpected kind, kept as raw JSON.
fn other<T: Serialize + ?Sized, E: de::Error>(value: &T) -> Result<Raw<'static>, E> {
    serde_json::value::to_raw_value(value)
        .map(Raw::Owned)
        .map_err(|_| E::custom("cannot keep a value verbatim"))
}

/// A scalar read into `T` through a value deserializer: another kind, or a value `T` refuses
/// (a negative number for an unsigned field), is kept verbatim.
fn scalar<'de, T, S, E>(
    value: S,
    accepted: bool,
    keep: impl FnOnce() -> Result<Raw<'static>, E>,
) -> Result<Fit<T>, E>
where
    T: FromJson<'de>,
    S: Deserializer<'de, Error = E>,
    E: de::Error,
{
    if accepted && let Ok(v) = T::from_json(value) {
        return Ok(Fit::Value(v));
    }
    keep().map(Fit::Other)
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: FromJson<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = Fit<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        scalar(
            de::value::BoolDeserializer::<E>::new(v),
            T::ACCEPTS & kind::BOOL != 0,
            || other(&v),
        )
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        scalar(
            de::value::U64Deserializer::<E>::new(v),
            T::ACCEPTS & kind::NUM != 0,
            || other(&v),
        )
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        scalar(
            de::value::I64Deserializer::<E>::new(v),
            T::ACCEPTS & kind::NUM != 0,
            || other(&v),
        )
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        scalar(
            de::value::F64Deserializer::<E>::new(v),
            T::ACCEPTS & kind::NUM != 0,
            || other(&v),
        )
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        scalar(
            de::value::BorrowedStrDeserializer::<E>::new(v),
            T::ACCEPTS & kind::STR != 0,
            || other(v),
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        scalar(
            de::value::StringDeserializer::<E>::new(v.to_owned()),
            T::ACCEPTS & kind::STR != 0,
            || other(v),
        )
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        let keep = other(&v);
        scalar(
            de::value::StringDeserializer::<E>::new(v),
            T::ACCEPTS & kind::STR != 0,
            || keep,
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let d = de::value::MapAccessDeserializer::new(map);
        if T::ACCEPTS & kind::OBJ != 0 {
            T::from_json(d).map(Fit::Value)
        } else {
            let v = <serde_json::Value as serde::Deserialize<'de>>::deserialize(d)?;
            other(&v).map(Fit::Other)
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let d = de::value::SeqAccessDeserializer::new(seq);
        if T::ACCEPTS & kind::ARR != 0 {
            T::from_json(d).map(Fit::Value)
        } else {
            let v = <serde_json::Value as serde::Deserialize<'de>>::deserialize(d)?;
            other(&v).map(Fit::Other)
        }
    }
}

struct CowVisitor;

impl<'de> Visitor<'de> for CowVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de: 'a, 'a> FromJson<'de> for Cow<'a, str> {
    const ACCEPTS: u8 = kind::STR;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowVisitor)
    }
}

impl<'a> Own for Cow<'a, str> {
    type Out = Cow<'static, str>;
    fn own(self) -> Self::Out {
        Cow::Owned(self.into_owned())
    }
}

macro_rules! plain_from_json {
    ($($t:ty => $kind:expr),*) => {$(
        impl<'de> FromJson<'de> for $t {
            const ACCEPTS: u8 = $kind;
            fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t as serde::Deserialize<'de>>::deserialize(d)
            }
        }
        impl Own for $t {
            type Out = $t;
            fn own(self) -> Self::Out {
                self
            }
        }
    )*};
}
plain_from_json!(bool => kind::BOOL);

impl<'de: 'a, 'a> FromJson<'de> for Raw<'a> {
    const ACCEPTS: u8 = kind::ANY;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <Raw<'a> as serde::Deserialize<'de>>::deserialize(d)
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        let raw = Self::from_json(d)?;
        Ok(if raw.is_null() {
            Fit::Null
        } else {
            Fit::Value(raw)
        })
    }
}

impl Own for Raw<'_> {
    type Out = Raw<'static>;
    fn own(self) -> Self::Out {
        self.into_owned()
    }
}

impl Own for Extra<'_> {
    type Out = Extra<'static>;
    fn own(self) -> Self::Out {
        self.into_owned()
    }
}

struct StrOrNumVisitor;

impl<'de> Visitor<'de> for StrOrNumVisitor {
    type Value = StrOrNum<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(StrOrNum::UInt(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if v >= 0 {
            Ok(StrOrNum::UInt(v.unsigned_abs()))
        } else {
            Ok(StrOrNum::Int(v))
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(StrOrNum::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(StrOrNum::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(StrOrNum::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(StrOrNum::Text(Cow::Owned(v)))
    }
}

impl<'de: 'a, 'a> FromJson<'de> for StrOrNum<'a> {
    const ACCEPTS: u8 = kind::STR | kind::NUM;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrNumVisitor)
    }
}

impl Own for StrOrNum<'_> {
    type Out = StrOrNum<'static>;
    fn own(self) -> Self::Out {
        self.into_owned()
    }
}

impl<T: Own> Own for Option<T> {
    type Out = Option<T::Out>;
    fn own(self) -> Self::Out {
        self.map(Own::own)
    }
}

/// Reads array elements. Leniently, the first element of a kind `T` does not read turns the
/// whole array into a kept-verbatim value (the elements read so far are re-serialized).
struct VecVisitor<T> {
    lenient: bool,
    _t: PhantomData<T>,
}

/// An array read strictly or leniently.
enum Elements<T> {
    Typed(Vec<T>),
    Kept(Raw<'static>),
}

impl<'de, T: FromJson<'de> + Serialize> Visitor<'de> for VecVisitor<T> {
    type Value = Elements<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Cap the pre-allocation: the hint comes from the input.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        if !self.lenient {
            while let Some(v) = seq.next_element_seed(Seed::<T>::new())? {
                out.push(v);
            }
            return Ok(Elements::Typed(out));
        }
        while let Some(v) = seq.next_element_seed(LenientSeed::<T>::new())? {
            let raw = match v {
                Fit::Value(v) => {
                    out.push(v);
                    continue;
                }
                Fit::Null => Raw::NULL,
                Fit::Other(raw) => raw,
            };
            // An element `T` does not read: keep the whole array as an equal JSON value.
            let mut kept: Vec<serde_json::Value> = Vec::with_capacity(out.len() + 1);
            for v in &out {
                kept.push(serde_json::to_value(v).map_err(|_| {
                    <A::Error as de::Error>::custom("cannot keep a value verbatim")
                })?);
            }
            kept.push(serde_json::from_str(raw.as_str()).unwrap_or(serde_json::Value::Null));
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                kept.push(v);
            }
            return other(&kept).map(Elements::Kept);
        }
        Ok(Elements::Typed(out))
    }
}

impl<'de, T: FromJson<'de> + Serialize> FromJson<'de> for Vec<T> {
    const ACCEPTS: u8 = kind::ARR;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let visitor = VecVisitor {
            lenient: false,
            _t: PhantomData,
        };
        match d.deserialize_seq(visitor)? {
            Elements::Typed(v) => Ok(v),
            Elements::Kept(_) => Err(de::Error::custom("an array of another kind")),
        }
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        d.deserialize_any(LenientArray::<Self>(PhantomData))
    }
}

impl<T: Own> Own for Vec<T> {
    type Out = Vec<T::Out>;
    fn own(self) -> Self::Out {
        self.into_iter().map(Own::own).collect()
    }
}

/// Types built from a lenient array or (for [`OneOrMany`]) a single object.
trait FromElements<'de>: Sized {
    type Elem: FromJson<'de> + Serialize;
    /// Whether a single object reads as one element.
    const ONE: bool;
    fn many(v: Vec<Self::Elem>) -> Self;
    fn one<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl<'de, T: FromJson<'de> + Serialize> FromElements<'de> for Vec<T> {
    type Elem = T;
    const ONE: bool = false;
    fn many(v: Self) -> Self {
        v
    }
    fn one<A: MapAccess<'de>>(_: A) -> Result<Self, A::Error> {
        Err(de::Error::custom("an array"))
    }
}

impl<'de, T: FromJson<'de> + FromMap<'de> + Serialize> FromElements<'de> for OneOrMany<T> {
    type Elem = T;
    const ONE: bool = true;
    fn many(v: Vec<T>) -> Self {
        Self::Many(v)
    }
    fn one<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::from_map(map).map(Self::One)
    }
}

/// The lenient visitor of arrays (and of [`OneOrMany`]).
struct LenientArray<T>(PhantomData<T>);

impl<'de, T: FromElements<'de>> Visitor<'de> for LenientArray<T> {
    type Value = Fit<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Fit::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let visitor = VecVisitor::<T::Elem> {
            lenient: true,
            _t: PhantomData,
        };
        Ok(match visitor.visit_seq(seq)? {
            Elements::Typed(v) => Fit::Value(T::many(v)),
            Elements::Kept(raw) => Fit::Other(raw),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        if T::ONE {
            return T::one(map).map(Fit::Value);
        }
        let d = de::value::MapAccessDeserializer::new(map);
        let v = <serde_json::Value as serde::Deserialize<'de>>::deserialize(d)?;
        other(&v).map(Fit::Other)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        other(&v).map(Fit::Other)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        other(&v).map(Fit::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        other(&v).map(Fit::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        other(&v).map(Fit::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        other(v).map(Fit::Other)
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Box<T> {
    const ACCEPTS: u8 = T::ACCEPTS;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::from_json(d).map(Self::new)
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        Ok(match T::from_json_lenient(d)? {
            Fit::Value(v) => Fit::Value(Self::new(v)),
            Fit::Null => Fit::Null,
            Fit::Other(raw) => Fit::Other(raw),
        })
    }
}

impl<'de, T: FromMap<'de>> FromMap<'de> for Box<T> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::from_map(map).map(Self::new)
    }
}

impl<T: Own> Own for Box<T> {
    type Out = Box<T::Out>;
    fn own(self) -> Self::Out {
        Box::new((*self).own())
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Redacted<T> {
    const ACCEPTS: u8 = T::ACCEPTS;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::from_json(d).map(Redacted)
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        Ok(match T::from_json_lenient(d)? {
            Fit::Value(v) => Fit::Value(Self(v)),
            Fit::Null => Fit::Null,
            Fit::Other(raw) => Fit::Other(raw),
        })
    }
}

impl<T: Own> Own for Redacted<T> {
    type Out = Redacted<T::Out>;
    fn own(self) -> Self::Out {
        Redacted(self.0.own())
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: FromJson<'de> + FromMap<'de> + Serialize> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or an array of objects")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::from_map(map).map(OneOrMany::One)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let visitor = VecVisitor::<T> {
            lenient: false,
            _t: PhantomData,
        };
        match visitor.visit_seq(seq)? {
            Elements::Typed(v) => Ok(OneOrMany::Many(v)),
            Elements::Kept(_) => Err(de::Error::custom("an array of another kind")),
        }
    }
}

impl<'de, T: FromJson<'de> + FromMap<'de> + Serialize> FromJson<'de> for OneOrMany<T> {
    const ACCEPTS: u8 = kind::OBJ | kind::ARR;
    fn from_json<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor(PhantomData))
    }
    fn from_json_lenient<D: Deserializer<'de>>(d: D) -> Result<Fit<Self>, D::Error> {
        d.deserialize_any(LenientArray::<Self>(PhantomData))
    }
}

impl<T: Own> Own for OneOrMany<T> {
    type Out = OneOrMany<T::Out>;
    fn own(self) -> Self::Out {
        match self {
            Self::One(t) => OneOrMany::One(t.own()),
            Self::Many(v) => OneOrMany::Many(v.own()),
        }
    }
}

/// Reads a whole model from text the routing scan accepted.
pub(crate) fn read<'a, T: FromJson<'a>>(text: &'a str) -> Result<T, crate::PayloadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    T::from_json(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| crate::PayloadError::from_json(&e))
}

/// Reads a map key as a (borrowed when possible) string.
pub(crate) fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    map.next_key_seed(Seed::<Cow<'de, str>>::new())
}

/// Reads a field's value leniently into `slot`, or keeps it in `extra` under `key`.
pub(crate) fn read_field<'de: 'a, 'a, A: MapAccess<'de>, T: FromJson<'de>>(
    map: &mut A,
    key: Cow<'de, str>,
    slot: &mut Option<T>,
    extra: &mut Extra<'a>,
) -> Result<(), A::Error> {
    match map.next_value_seed(LenientSeed::<T>::new())? {
        Fit::Value(v) => *slot = Some(v),
        Fit::Null => extra.0.push((key, Raw::NULL)),
        Fit::Other(raw) => extra.0.push((key, raw)),
    }
    Ok(())
}

/// Defines a JSON object model: every listed field is optional and typed, and read
/// leniently; unknown fields, `null`s and values of another JSON kind are kept in `extra`
/// (in document order), so the object round-trips to an equal JSON value.
macro_rules! object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> {
            $(
                $(#[$fmeta:meta])*
                $key:literal => $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name<'a> {
            $(
                $(#[$fmeta])*
                #[doc = concat!("\n\nJSON key `", $key, "`.")]
                pub $field: Option<$ty>,
            )*
            /// Fields this version does not model, `null`s, and values of another JSON kind
            /// than the field's, kept verbatim.
            pub extra: $crate::json::Extra<'a>,
        }

        impl<'a> $name<'a> {
            /// The fields as the [`schema`](crate::schema) describes them.
            const SCHEMA_FIELDS: &'static [(&'static str, $crate::schema::Shape)] = &[
                $( ($key, <$ty as $crate::schema::Described>::SHAPE), )*
            ];

            /// This object's [`schema::Object`](crate::schema::Object).
            pub(crate) fn schema() -> $crate::schema::Object {
                $crate::schema::Object::new(
                    concat!(module_path!(), "::", stringify!($name)),
                    Self::SCHEMA_FIELDS,
                )
            }

            /// Detaches this model from the input body.
            pub fn into_owned(self) -> $name<'static> {
                $name {
                    $( $field: $crate::json::Own::own(self.$field), )*
                    extra: self.extra.into_owned(),
                }
            }
        }

        impl $crate::schema::Described for $name<'_> {
            const SHAPE: $crate::schema::Shape =
                $crate::schema::Shape::of_object(Self::schema, None);
        }

        impl $crate::json::Own for $name<'_> {
            type Out = $name<'static>;
            fn own(self) -> Self::Out {
                self.into_owned()
            }
        }

        impl<'de: 'a, 'a> $crate::json::FromMap<'de> for $name<'a> {
            fn from_map<A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut out = $name::default();
                while let Some(key) = $crate::json::next_key(&mut map)? {
                    match key.as_ref() {
                        $(
                            $key => $crate::json::read_field(
                                &mut map, key, &mut out.$field, &mut out.extra,
                            )?,
                        )*
                        _ => {
                            let v = map.next_value_seed(
                                $crate::json::Seed::<$crate::json::Raw<'a>>::new(),
                            )?;
                            out.extra.0.push((key, v));
                        }
                    }
                }
                Ok(out)
            }
        }

        impl<'de: 'a, 'a> $crate::json::FromJson<'de> for $name<'a> {
            const ACCEPTS: u8 = $crate::json::kind::OBJ;
            fn from_json<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(std::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
                    type Value = $name<'a>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<Self::Value, A::Error> {
                        <$name<'a> as $crate::json::FromMap<'de>>::from_map(map)
                    }
                }
                d.deserialize_map(V(std::marker::PhantomData))
            }
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <Self as $crate::json::FromJson<'de>>::from_json(d)
            }
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let count = 0 $( + usize::from(self.$field.is_some()) )* + self.extra.len();
                let mut m = s.serialize_map(Some(count))?;
                $(
                    if let Some(v) = &self.$field {
                        m.serialize_entry($key, v)?;
                    }
                )*
                for (k, v) in self.extra.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                $(
                    if let Some(v) = &self.$field {
                        d.field(stringify!($field), v);
                    }
                )*
                if !self.extra.is_empty() {
                    d.field("extra", &self.extra);
                }
                d.finish()
            }
        }
    };
}
pub(crate) use object;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_str_rejects_escapes_and_non_strings() {
        assert_eq!(plain_str(r#""abc""#), Some("abc"));
        assert_eq!(plain_str(r#""a\"c""#), None);
        assert_eq!(plain_str("12"), None);
        assert_eq!(plain_str("\""), None);
    }

    #[test]
    fn str_or_num_keeps_its_form() {
        let v: Vec<StrOrNum<'_>> = {
            let mut de = serde_json::Deserializer::from_str(r#"[1, -2, 1.5, "7"]"#);
            Vec::<StrOrNum<'_>>::from_json(&mut de).unwrap()
        };
        assert_eq!(
            v,
            vec![
                StrOrNum::UInt(1),
                StrOrNum::Int(-2),
                StrOrNum::Float(1.5),
                StrOrNum::Text("7".into())
            ]
        );
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"[1,-2,1.5,"7"]"#);
        assert_eq!(v[3].as_i64(), Some(7));
        assert_eq!(v[2].as_i64(), None);
    }

    #[test]
    fn raw_debug_shows_only_length() {
        let r: Raw<'_> = serde_json::from_str(r#""4915112345678""#).unwrap();
        assert_eq!(format!("{r:?}"), "Raw(15 bytes)");
        assert_eq!(r.as_plain_str(), Some("4915112345678"));
        assert!(r.clone().into_owned() == r);
    }

    #[test]
    fn redacted_hides_value() {
        assert_eq!(format!("{:?}", Redacted(52.5)), "[REDACTED]");
    }
}
