//! Idempotency keys and a bounded-memory dedupe window.
//!
//! Meta retries a webhook it did not see acknowledged for days, and sends it to every
//! subscribed app, so the same update arrives more than once as a matter of course. A
//! regional node asks the [`DedupeWindow`] "seen before?" for each update's
//! [`IdempotencyKey`] and acts only on the first.
//!
//! Keys are stored as a 128-bit digest (the first half of SHA-256 over the key's fields),
//! never as the strings, so an entry has a fixed size and the window holds no identifier
//! in the clear. A check is O(1): a hash table of digests, plus a queue in arrival order that
//! evicts by age (default window: seven days) and by a size cap.
//! Both hold each key once: 16 bytes of digest and an 8-byte timestamp.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{DeliveryError, Millis, duration_ms};

/// The default age after which a key is forgotten: seven days.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The default number of keys held at most.
pub const DEFAULT_CAP: usize = 1_000_000;

/// The idempotency key of one webhook update, as a 128-bit digest.
///
/// The fields are length-prefixed and the provider is part of the digest, so two different
/// field tuples never produce the same input to the hash.
///
/// ```
/// use residency_core::delivery::IdempotencyKey;
///
/// let a = IdempotencyKey::cloud_api("1234567890", "wamid.HBgL", "delivered");
/// let b = IdempotencyKey::cloud_api("1234567890", "wamid.HBgL", "read");
/// assert_ne!(a, b); // each status of a message is its own update
/// assert_eq!(a, IdempotencyKey::cloud_api("1234567890", "wamid.HBgL", "delivered"));
/// assert!(!format!("{a:?}").contains("wamid"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey([u8; 16]);

impl IdempotencyKey {
    /// The key of a Cloud API update: `(phone_number_id, wamid, status)`.
    ///
    /// Use the status value (`sent`, `delivered`, `read`, `failed`, ...) for status updates
    /// and `message` for an inbound message.
    pub fn cloud_api(phone_number_id: &str, wamid: &str, status: &str) -> Self {
        Self::digest(b'c', [phone_number_id, wamid, status])
    }

    /// The key of a WASender event: `(sessionId, key.id, event)`.
    pub fn wasender(session_id: &str, key_id: &str, event: &str) -> Self {
        Self::digest(b'w', [session_id, key_id, event])
    }

    /// A key from a digest computed elsewhere (e.g. read back from storage).
    pub const fn from_bytes(digest: [u8; 16]) -> Self {
        Self(digest)
    }

    /// The digest.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    fn digest(provider: u8, fields: [&str; 3]) -> Self {
        // One tag byte and 4-byte lengths keep a typical Cloud API key (about 90 bytes of
        // fields) within two SHA-256 blocks.
        let mut h = Sha256::new();
        h.update([provider]);
        for field in fields {
            h.update(u32::try_from(field.len()).unwrap_or(u32::MAX).to_le_bytes());
            h.update(field.as_bytes());
        }
        let full: [u8; 32] = h.finalize().into();
        let mut out = [0u8; 16];
        for (o, i) in out.iter_mut().zip(full) {
            *o = i;
        }
        Self(out)
    }

    fn fold(&self) -> u64 {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        for (n, b) in self.0.iter().enumerate() {
            if n < 8 {
                lo[n % 8] = *b;
            } else {
                hi[n % 8] = *b;
            }
        }
        u64::from_le_bytes(lo) ^ u64::from_le_bytes(hi).rotate_left(32)
    }
}

impl fmt::Debug for IdempotencyKey {
    /// The first four bytes of the digest, in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdempotencyKey(")?;
        for b in self.0.iter().take(4) {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

/// The answer of [`DedupeWindow::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Seen {
    /// First time inside the window: process the update (the key is now remembered).
    New,
    /// Seen before inside the window: acknowledge and drop.
    Duplicate,
}

/// A key wrapper whose hash is the digest folded to 64 bits (the digest is already uniform).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Slot(IdempotencyKey);

impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.fold());
    }
}

/// A seeded finalizer (splitmix64) over the folded digest.
#[derive(Clone, Copy, Debug, Default)]
struct SeededBuild(u64);

#[derive(Clone, Copy, Debug)]
struct SeededHasher(u64);

impl BuildHasher for SeededBuild {
    type Hasher = SeededHasher;
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher(self.0)
    }
}

impl Hasher for SeededHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

/// A "seen before?" window over [`IdempotencyKey`]s, bounded by age and by count.
///
/// * A key younger than the window is never forgotten while fewer than `cap` keys are held.
/// * At most `cap` keys are held; beyond that the oldest are evicted first.
/// * Time is passed in. A timestamp earlier than one already seen is read as the latest
///   one seen, so a clock stepping back neither evicts early nor breaks the arrival order.
///
/// ```
/// use residency_core::delivery::{DedupeWindow, IdempotencyKey, Millis, Seen};
/// use std::time::Duration;
///
/// let mut window = DedupeWindow::new(Duration::from_secs(60), 1000)?;
/// let key = IdempotencyKey::wasender("session-1", "3EB0C767D26A1D8F", "messages.upsert");
/// assert_eq!(window.check(key, Millis::from_secs(0)), Seen::New);
/// assert_eq!(window.check(key, Millis::from_secs(59)), Seen::Duplicate);
/// assert_eq!(window.check(key, Millis::from_secs(61)), Seen::New); // aged out, seen afresh
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone)]
pub struct DedupeWindow {
    window_ms: u64,
    cap: usize,
    latest: u64,
    keys: HashMap<Slot, u64, SeededBuild>,
    order: VecDeque<(IdempotencyKey, u64)>,
}

impl DedupeWindow {
    /// A window that remembers keys for `window` and holds at most `cap` of them.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidDedupeWindow`] when `window` is under a millisecond or `cap`
    /// is zero.
    pub fn new(window: Duration, cap: usize) -> Result<Self, DeliveryError> {
        let window_ms = duration_ms(window);
        if window_ms == 0 {
            return Err(DeliveryError::InvalidDedupeWindow { field: "window" });
        }
        if cap == 0 {
            return Err(DeliveryError::InvalidDedupeWindow { field: "cap" });
        }
        Ok(Self {
            window_ms,
            cap,
            latest: 0,
            keys: HashMap::with_hasher(SeededBuild(0)),
            order: VecDeque::new(),
        })
    }

    /// Mixes `seed` into the table's hash function.
    ///
    /// Keys are SHA-256 digests, so crafting collisions already takes brute force; a seed
    /// from the caller's own random source makes bucket positions unpredictable as well.
    /// Call it on an empty window (it clears the window).
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.keys = HashMap::with_hasher(SeededBuild(seed));
        self.order.clear();
        self
    }

    /// The age after which keys are forgotten.
    pub fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    /// The largest number of keys held.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn clamp(&mut self, now: Millis) -> u64 {
        self.latest = self.latest.max(now.as_u64());
        self.latest
    }

    fn evict_aged(&mut self, now: u64) {
        while let Some(&(key, at)) = self.order.front() {
            if now.saturating_sub(at) < self.window_ms {
                break;
            }
            self.order.pop_front();
            self.keys.remove(&Slot(key));
        }
    }

    /// "Seen before?" for `key` at `now`; a new key is remembered from `now` on.
    pub fn check(&mut self, key: IdempotencyKey, now: Millis) -> Seen {
        let now = self.clamp(now);
        self.evict_aged(now);
        match self.keys.entry(Slot(key)) {
            Entry::Occupied(_) => return Seen::Duplicate,
            Entry::Vacant(v) => {
                v.insert(now);
            }
        }
        self.order.push_back((key, now));
        while self.order.len() > self.cap {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(&Slot(old));
            }
        }
        Seen::New
    }

    /// Whether `key` is held and younger than the window at `now`, without remembering it.
    pub fn contains(&self, key: &IdempotencyKey, now: Millis) -> bool {
        let now = self.latest.max(now.as_u64());
        self.keys
            .get(&Slot(*key))
            .is_some_and(|&at| now.saturating_sub(at) < self.window_ms)
    }

    /// An estimate of the heap memory held, in bytes, from the tables' capacities.
    ///
    /// The hash table's buckets (a 16-byte digest, an 8-byte timestamp and one control
    /// byte each; at most 7/8 full, rounded up to a power of two) plus the arrival queue's
    /// slots (digest and timestamp).
    pub fn memory_bytes(&self) -> usize {
        let cap = self.keys.capacity();
        let buckets = if cap == 0 {
            0
        } else {
            (cap.saturating_mul(8) / 7).max(4).next_power_of_two()
        };
        let slot = size_of::<(Slot, u64)>() + 1;
        buckets.saturating_mul(slot)
            + self
                .order
                .capacity()
                .saturating_mul(size_of::<(IdempotencyKey, u64)>())
    }
}

impl Default for DedupeWindow {
    /// Seven days, [`DEFAULT_CAP`] keys.
    fn default() -> Self {
        Self {
            window_ms: duration_ms(DEFAULT_WINDOW),
            cap: DEFAULT_CAP,
            latest: 0,
            keys: HashMap::with_hasher(SeededBuild(0)),
            order: VecDeque::new(),
        }
    }
}

impl fmt::Debug for DedupeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupeWindow")
            .field("window_ms", &self.window_ms)
            .field("cap", &self.cap)
            .field("len", &self.order.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> IdempotencyKey {
        IdempotencyKey::cloud_api("106540352242922", &format!("wamid.{n}"), "message")
    }

    #[test]
    fn providers_and_field_boundaries_are_separated() {
        assert_ne!(
            IdempotencyKey::cloud_api("a", "b", "c"),
            IdempotencyKey::wasender("a", "b", "c")
        );
        assert_ne!(
            IdempotencyKey::cloud_api("ab", "", "c"),
            IdempotencyKey::cloud_api("a", "b", "c")
        );
    }

    #[test]
    fn debug_shows_only_a_digest_prefix() {
        let k = IdempotencyKey::cloud_api(
            "106540352242922",
            "wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "read",
        );
        let s = format!("{k:?}");
        assert!(s.starts_with("IdempotencyKey(") && s.ends_with("…)"), "{s}");
        assert!(!s.contains("wamid") && !s.contains("1065"), "{s}");
    }

    #[test]
    fn cap_evicts_the_oldest_first() {
        let mut w = DedupeWindow::new(Duration::from_secs(3600), 3).unwrap();
        for n in 0..4 {
            assert_eq!(w.check(key(n), Millis::new(u64::from(n))), Seen::New);
        }
        assert_eq!(w.len(), 3);
        assert!(!w.contains(&key(0), Millis::new(5)));
        assert!(w.contains(&key(1), Millis::new(5)));
        assert_eq!(w.check(key(3), Millis::new(6)), Seen::Duplicate);
    }

    #[test]
    fn clock_going_backwards_keeps_keys_and_order() {
        let mut w = DedupeWindow::new(Duration::from_millis(100), 10).unwrap();
        assert_eq!(w.check(key(1), Millis::new(1000)), Seen::New);
        assert_eq!(w.check(key(2), Millis::new(10)), Seen::New); // read as t=1000
        assert_eq!(w.check(key(1), Millis::new(0)), Seen::Duplicate);
        assert_eq!(w.check(key(3), Millis::new(1099)), Seen::New);
        assert_eq!(w.len(), 3);
        assert_eq!(w.check(key(3), Millis::new(1100)), Seen::Duplicate);
        assert_eq!(w.len(), 1, "keys 1 and 2 aged out together");
    }

    #[test]
    fn rejects_degenerate_parameters() {
        assert_eq!(
            DedupeWindow::new(Duration::from_micros(10), 1).err(),
            Some(DeliveryError::InvalidDedupeWindow { field: "window" })
        );
        assert_eq!(
            DedupeWindow::new(DEFAULT_WINDOW, 0).err(),
            Some(DeliveryError::InvalidDedupeWindow { field: "cap" })
        );
    }

    #[test]
    fn default_is_seven_days_and_memory_grows_with_keys() {
        let mut w = DedupeWindow::default().with_seed(42);
        assert_eq!(w.window(), Duration::from_secs(604_800));
        assert_eq!(w.memory_bytes(), 0);
        for n in 0..100 {
            w.check(key(n), Millis::new(1));
        }
        assert!(w.memory_bytes() >= 100 * (25 + 24), "{}", w.memory_bytes());
        assert_eq!(
            format!("{w:?}"),
            "DedupeWindow { window_ms: 604800000, cap: 1000000, len: 100, .. }"
        );
    }
}
