//! Dedupe that never drops the only copy: reserve, then commit on success or release on
//! failure. [`DedupeStore`] is the protocol, [`DedupeWindow`] its bounded in-memory
//! implementation, [`claim`] the per-body helper a regional node uses.
//!
//! # The protocol
//!
//! Each [`ItemKey`] is in one of three states:
//!
//! | state | meaning |
//! | --- | --- |
//! | absent | never stored (or forgotten: older than the window, or evicted at the cap) |
//! | reserved (token, expires) | one request is storing the item; nobody else may until it commits, releases, or the lease expires |
//! | committed (at) | the item is durably stored: answer a redelivery 200 without storing it again |
//!
//! | operation | absent | reserved, lease live | reserved, lease expired | committed |
//! | --- | --- | --- | --- | --- |
//! | `reserve(key, now)` | reserved with a new token: [`Reserve::Reserved`] | [`Reserve::Busy`] until the lease ends (answer 503) | taken over with a new token: [`Reserve::Reserved`] | [`Reserve::Duplicate`] |
//! | `commit(reservation, now)` | [`DeliveryError::ReservationLost`] | committed, if the token matches (else `ReservationLost`) | committed, if the token still matches | `ReservationLost` (a second commit is not a commit) |
//! | `release(reservation, now)` | no-op | absent, if the token matches (else no-op) | absent, if the token matches | no-op |
//!
//! A key answers `Duplicate` only after a `commit`, and a node commits only once the item is
//! durably stored, ideally in the same transaction: so dedupe never drops a body that was not
//! stored. A request that fails after reserving releases; one that crashes leaves a
//! reservation whose lease expires, after which a redelivery takes it over.
//!
//! # The same protocol in SQL
//!
//! The regional node keeps the keys in its region's database, next to the items, with the
//! key in its byte form ([`ItemKey::as_bytes`]) or text form (32 hex digits):
//!
//! ```sql
//! CREATE TABLE dedupe (
//!   key       BLOB PRIMARY KEY,  -- 16 bytes (BYTEA in PostgreSQL)
//!   state     TEXT NOT NULL,     -- 'reserved' | 'committed'
//!   token     INTEGER NOT NULL,  -- the holder's token (random 63-bit, or a sequence)
//!   expires   INTEGER,           -- lease end of a reservation, ms
//!   committed INTEGER            -- commit time, ms: the window evicts by it
//! );
//! -- reserve: insert, or take over an expired reservation; no row back means Busy or Duplicate
//! INSERT INTO dedupe (key, state, token, expires) VALUES (?1, 'reserved', ?2, ?3)
//!   ON CONFLICT (key) DO UPDATE SET token = ?2, expires = ?3
//!   WHERE dedupe.state = 'reserved' AND dedupe.expires <= ?4
//!   RETURNING token;
//! -- commit, in the transaction that stores the item: one row updated, or ReservationLost
//! UPDATE dedupe SET state = 'committed', committed = ?3 WHERE key = ?1 AND token = ?2 AND state = 'reserved';
//! -- release
//! DELETE FROM dedupe WHERE key = ?1 AND token = ?2 AND state = 'reserved';
//! -- the window: forget old commits
//! DELETE FROM dedupe WHERE state = 'committed' AND committed < ?1;
//! ```
//!
//! The async service runs these three statements where [`DedupeStore`] has methods; the
//! states and answers are the ones above, and [`Reservation::new`] rebuilds a reservation
//! from a row.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::time::{Clamp, duration_ms};
use crate::{DeliveryError, ItemKey, UnixMillis};

/// The default age after which a committed key is forgotten: seven days, as long as Meta
/// retries a webhook.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The default number of committed keys held at most.
pub const DEFAULT_CAP: usize = 1_000_000;

/// The default lease of a reservation: long enough to store a body, short enough that a
/// redelivery after a crash is not refused for long.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The default number of live reservations held at most.
pub const DEFAULT_MAX_RESERVED: usize = 65_536;

/// A claim on one key, held by one request until it commits or releases.
///
/// ```
/// use residency_delivery::{ItemKey, UnixMillis, Reservation};
///
/// // A SQL store rebuilds one from its row.
/// let r = Reservation::new(ItemKey::from_bytes([1; 16]), 42, UnixMillis::new(30_000));
/// assert_eq!((r.token(), r.expires()), (42, UnixMillis::new(30_000)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reservation {
    key: ItemKey,
    token: u64,
    expires: UnixMillis,
}

impl Reservation {
    /// A reservation of `key` by `token` whose lease ends at `expires`.
    pub const fn new(key: ItemKey, token: u64, expires: UnixMillis) -> Self {
        Self {
            key,
            token,
            expires,
        }
    }

    /// The key reserved.
    pub const fn key(&self) -> ItemKey {
        self.key
    }

    /// The holder's token.
    pub const fn token(&self) -> u64 {
        self.token
    }

    /// When the lease ends.
    pub const fn expires(&self) -> UnixMillis {
        self.expires
    }
}

/// The answer of [`DedupeStore::reserve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reserve {
    /// First time (or the previous holder's lease expired): store the item, then commit.
    Reserved(Reservation),
    /// Already committed: the item is stored; acknowledge without storing it again.
    Duplicate,
    /// Another request holds a live reservation: do not acknowledge (answer 503); the
    /// provider retries.
    Busy {
        /// When that reservation's lease ends.
        until: UnixMillis,
    },
}

/// The dedupe protocol (see the module docs for states and transitions).
///
/// Time is passed in; implementations read a time earlier than one already seen as the latest
/// one seen.
pub trait DedupeStore {
    /// Claims `key` at `now`.
    ///
    /// # Errors
    /// [`DeliveryError::TooManyReservations`] when the store holds as many live reservations
    /// as it allows (answer 503).
    fn reserve(&mut self, key: ItemKey, now: UnixMillis) -> Result<Reserve, DeliveryError>;

    /// Marks the reserved key stored, at `now`. Call it once the item is durably stored (in
    /// the same transaction, for a database).
    ///
    /// # Errors
    /// [`DeliveryError::ReservationLost`] when the reservation is no longer this token's: do
    /// not acknowledge the item.
    fn commit(&mut self, reservation: &Reservation, now: UnixMillis) -> Result<(), DeliveryError>;

    /// Gives the reservation up (storing failed): the next delivery may store the item.
    ///
    /// # Errors
    /// Only a store's own failures; releasing a lost reservation is a no-op.
    fn release(&mut self, reservation: &Reservation, now: UnixMillis) -> Result<(), DeliveryError>;
}

/// Parameters of a [`DedupeWindow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DedupeConfig {
    /// The age after which a committed key is forgotten (at least a millisecond).
    pub(crate) window: Duration,
    /// The most committed keys held; beyond it the oldest are forgotten first (at least 1).
    pub(crate) cap: usize,
    /// The lease of a reservation (at least a millisecond).
    pub(crate) lease: Duration,
    /// The most live reservations held (at least 1).
    pub(crate) max_reserved: usize,
}

impl Default for DedupeConfig {
    /// Seven days, one million keys, a 30 s lease, 65,536 reservations.
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            cap: DEFAULT_CAP,
            lease: DEFAULT_LEASE,
            max_reserved: DEFAULT_MAX_RESERVED,
        }
    }
}

impl DedupeConfig {
    /// The age after which a committed key is forgotten.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The same configuration with another `window` (the age after which a committed key is forgotten).
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The most committed keys held.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The same configuration with another `cap` (the most committed keys held).
    #[must_use]
    pub fn with_cap(mut self, cap: usize) -> Self {
        self.cap = cap;
        self
    }

    /// The lease of a reservation.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The same configuration with another `lease` (the lease of a reservation).
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The most live reservations held.
    pub fn max_reserved(&self) -> usize {
        self.max_reserved
    }

    /// The same configuration with another `max_reserved` (the most live reservations held).
    #[must_use]
    pub fn with_max_reserved(mut self, max_reserved: usize) -> Self {
        self.max_reserved = max_reserved;
        self
    }
}

/// A seeded finalizer (splitmix64) over the folded key.
#[derive(Clone, Copy, Debug)]
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

/// The bounded in-memory [`DedupeStore`]: committed keys for a window of time, at most `cap`
/// of them, and the live reservations.
///
/// * A committed key younger than the window is never forgotten while fewer than `cap` keys
///   are held; beyond `cap` the oldest are forgotten first (a forgotten key can be stored a
///   second time, never dropped).
/// * Memory is about 58 bytes per committed key at the cap (a 16-byte key in a hash set at
///   most 7/8 full, and the key with its commit time in an arrival queue):
///   [`DedupeWindow::memory_bytes`].
/// * The hash table's seed is the caller's (from its own random source): bucket positions
///   are unpredictable to whoever sends the bodies. There is no default seed.
///
/// ```
/// use residency_delivery::{DedupeConfig, DedupeStore, DedupeWindow, ItemKey, UnixMillis, Reserve};
///
/// let mut window = DedupeWindow::new(DedupeConfig::default(), 0x5eed)?;
/// let key = ItemKey::from_bytes([7; 16]);
/// let Reserve::Reserved(r) = window.reserve(key, UnixMillis::new(0))? else { unreachable!() };
/// // A redelivery while the first request is storing: busy, not duplicate.
/// assert!(matches!(window.reserve(key, UnixMillis::new(5))?, Reserve::Busy { .. }));
/// // Storing failed: release, and the next delivery stores it.
/// window.release(&r, UnixMillis::new(6))?;
/// let Reserve::Reserved(r) = window.reserve(key, UnixMillis::new(7))? else { unreachable!() };
/// window.commit(&r, UnixMillis::new(8))?;
/// assert_eq!(window.reserve(key, UnixMillis::new(9))?, Reserve::Duplicate);
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone)]
pub struct DedupeWindow {
    window_ms: u64,
    lease_ms: u64,
    cap: usize,
    max_reserved: usize,
    clock: Clamp,
    next_token: u64,
    committed: HashSet<ItemKey, SeededBuild>,
    order: VecDeque<(ItemKey, u64)>,
    reserved: HashMap<ItemKey, (u64, u64), SeededBuild>,
}

impl DedupeWindow {
    /// A window with `config`, hashing with `seed`.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidConfig`] (`dedupe.window`, `dedupe.cap`, `dedupe.lease`,
    /// `dedupe.max_reserved`) for a parameter out of range.
    pub fn new(config: DedupeConfig, seed: u64) -> Result<Self, DeliveryError> {
        let window_ms = duration_ms(config.window);
        let lease_ms = duration_ms(config.lease);
        let invalid = |field| Err(DeliveryError::InvalidConfig { field });
        if window_ms == 0 {
            return invalid("dedupe.window");
        }
        if config.cap == 0 {
            return invalid("dedupe.cap");
        }
        if lease_ms == 0 {
            return invalid("dedupe.lease");
        }
        if config.max_reserved == 0 {
            return invalid("dedupe.max_reserved");
        }
        let build = SeededBuild(seed);
        Ok(Self {
            window_ms,
            lease_ms,
            cap: config.cap,
            max_reserved: config.max_reserved,
            clock: Clamp::default(),
            // Tokens start from the seed so two windows rarely share one.
            next_token: seed.rotate_left(17) | 1,
            committed: HashSet::with_hasher(build),
            order: VecDeque::new(),
            reserved: HashMap::with_hasher(SeededBuild(seed.rotate_left(32))),
        })
    }

    /// Committed keys held now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no committed key is held.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Live and expired reservations held now.
    pub fn reserved(&self) -> usize {
        self.reserved.len()
    }

    /// Whether `key` is committed and younger than the window at `now`.
    pub fn contains(&self, key: &ItemKey, now: UnixMillis) -> bool {
        let now = now.max(self.clock.latest()).get();
        // Keys older than the window sit at the front of the arrival queue until the next
        // write evicts them: a key is held if it is in the set and not among them.
        self.committed.contains(key)
            && !self
                .order
                .iter()
                .take_while(|(_, at)| now.saturating_sub(*at) >= self.window_ms)
                .any(|(k, _)| k == key)
    }

    /// Forgets every reservation (a node restart: uncommitted work is gone); committed keys
    /// stay.
    pub fn drop_reservations(&mut self) {
        self.reserved.clear();
    }

    /// An estimate of the heap memory held, in bytes, from the tables' capacities: hash-set
    /// buckets (16-byte key, one control byte; at most 7/8 full, a power of two), the arrival
    /// queue (key and commit time), and the reservation tables.
    pub fn memory_bytes(&self) -> usize {
        fn table(capacity: usize, slot: usize) -> usize {
            if capacity == 0 {
                return 0;
            }
            let buckets = (capacity.saturating_mul(8) / 7).max(4).next_power_of_two();
            buckets.saturating_mul(slot + 1)
        }
        table(self.committed.capacity(), size_of::<ItemKey>())
            + self
                .order
                .capacity()
                .saturating_mul(size_of::<(ItemKey, u64)>())
            + table(self.reserved.capacity(), size_of::<(ItemKey, (u64, u64))>())
    }

    fn evict(&mut self, now: u64) {
        while let Some(&(key, at)) = self.order.front() {
            if now.saturating_sub(at) < self.window_ms && self.order.len() <= self.cap {
                break;
            }
            self.order.pop_front();
            self.committed.remove(&key);
        }
    }
}

impl DedupeStore for DedupeWindow {
    fn reserve(&mut self, key: ItemKey, now: UnixMillis) -> Result<Reserve, DeliveryError> {
        let now = self.clock.read(now).get();
        self.evict(now);
        if self.committed.contains(&key) {
            return Ok(Reserve::Duplicate);
        }
        let len = self.reserved.len();
        let token = self.next_token;
        let expires = now.saturating_add(self.lease_ms);
        match self.reserved.entry(key) {
            Entry::Occupied(mut held) => {
                let (_, until) = *held.get();
                if until > now {
                    return Ok(Reserve::Busy {
                        until: UnixMillis::new(until),
                    });
                }
                held.insert((token, expires));
            }
            Entry::Vacant(slot) => {
                if len >= self.max_reserved {
                    return Err(DeliveryError::TooManyReservations);
                }
                slot.insert((token, expires));
            }
        }
        self.next_token = self.next_token.wrapping_add(2);
        Ok(Reserve::Reserved(Reservation::new(
            key,
            token,
            UnixMillis::new(expires),
        )))
    }

    fn commit(&mut self, reservation: &Reservation, now: UnixMillis) -> Result<(), DeliveryError> {
        let now = self.clock.read(now).get();
        let key = reservation.key;
        match self.reserved.get(&key) {
            Some(&(token, _)) if token == reservation.token => {}
            _ => return Err(DeliveryError::ReservationLost),
        }
        self.reserved.remove(&key);
        if self.committed.insert(key) {
            self.order.push_back((key, now));
        }
        self.evict(now);
        Ok(())
    }

    fn release(&mut self, reservation: &Reservation, now: UnixMillis) -> Result<(), DeliveryError> {
        self.clock.read(now);
        if let Entry::Occupied(held) = self.reserved.entry(reservation.key)
            && held.get().0 == reservation.token
        {
            held.remove();
        }
        Ok(())
    }
}

impl fmt::Debug for DedupeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupeWindow")
            .field("window_ms", &self.window_ms)
            .field("cap", &self.cap)
            .field("lease_ms", &self.lease_ms)
            .field("committed", &self.order.len())
            .field("reserved", &self.reserved.len())
            .finish_non_exhaustive()
    }
}

/// The outcome of [`claim`]: every key of a body reserved or known, or a busy one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claimed {
    /// Store the fresh items, then [`Claim::commit`] (or [`Claim::release`] on failure).
    Ready(Claim),
    /// An item is being stored by another request: nothing was kept reserved; answer 503.
    Busy {
        /// When that reservation's lease ends.
        until: UnixMillis,
    },
}

/// The reservations of one body's items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    fresh: Vec<(usize, Reservation)>,
    duplicates: Vec<usize>,
}

impl Claim {
    /// The items to store: their index in the body's items, with their reservation.
    pub fn fresh(&self) -> &[(usize, Reservation)] {
        &self.fresh
    }

    /// The items already stored (or repeated within the body): their index.
    pub fn duplicates(&self) -> &[usize] {
        &self.duplicates
    }

    /// Commits every fresh item at `now`, once they are stored.
    ///
    /// # Errors
    /// [`DeliveryError::ReservationLost`] when a lease was lost: do not acknowledge the body
    /// (the items committed before it stay committed; they are stored).
    pub fn commit(
        self,
        store: &mut impl DedupeStore,
        now: UnixMillis,
    ) -> Result<(), DeliveryError> {
        for (_, r) in &self.fresh {
            store.commit(r, now)?;
        }
        Ok(())
    }

    /// Releases every fresh item at `now` (storing failed).
    ///
    /// # Errors
    /// A store's own failure.
    pub fn release(
        self,
        store: &mut impl DedupeStore,
        now: UnixMillis,
    ) -> Result<(), DeliveryError> {
        for (_, r) in &self.fresh {
            store.release(r, now)?;
        }
        Ok(())
    }
}

/// Reserves every key of one body's items (from [`KeyScheme::keys`](crate::KeyScheme::keys)).
///
/// All or nothing: if one item is busy, the reservations already made are released and the
/// answer is [`Claimed::Busy`]. A key repeated within the body counts once.
///
/// ```
/// use residency_delivery::{claim, Claimed, DedupeConfig, DedupeWindow, KeyScheme, UnixMillis};
///
/// let scheme = KeyScheme::new(&[3; 32])?;
/// let body = br#"{"event":"messages.upsert","data":{"key":{"id":"K1","remoteJid":"4915112345678@s.whatsapp.net"}}}"#;
/// let keys = scheme.keys(body)?;
/// let mut store = DedupeWindow::new(DedupeConfig::default(), 99)?;
/// let Claimed::Ready(c) = claim(&mut store, &keys, UnixMillis::new(1))? else { unreachable!() };
/// assert_eq!(c.fresh().len(), 1);
/// // ... store the item durably, then:
/// c.commit(&mut store, UnixMillis::new(2))?;
/// let Claimed::Ready(again) = claim(&mut store, &keys, UnixMillis::new(3))? else { unreachable!() };
/// assert_eq!((again.fresh().len(), again.duplicates()), (0, &[0][..]));
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
///
/// # Errors
/// The store's errors ([`DeliveryError::TooManyReservations`]); reservations already made
/// are released first.
pub fn claim(
    store: &mut impl DedupeStore,
    keys: &[ItemKey],
    now: UnixMillis,
) -> Result<Claimed, DeliveryError> {
    let mut claim = Claim {
        fresh: Vec::with_capacity(keys.len()),
        duplicates: Vec::new(),
    };
    for (i, key) in keys.iter().enumerate() {
        if claim.fresh.iter().any(|(_, r)| r.key == *key) {
            claim.duplicates.push(i);
            continue;
        }
        let answer = match store.reserve(*key, now) {
            Ok(a) => a,
            Err(e) => {
                claim.release(store, now)?;
                return Err(e);
            }
        };
        match answer {
            Reserve::Reserved(r) => claim.fresh.push((i, r)),
            Reserve::Duplicate => claim.duplicates.push(i),
            Reserve::Busy { until } => {
                claim.release(store, now)?;
                return Ok(Claimed::Busy { until });
            }
        }
    }
    Ok(Claimed::Ready(claim))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> ItemKey {
        ItemKey::from_bytes([n; 16])
    }

    fn window(cap: usize, window_ms: u64, lease_ms: u64) -> DedupeWindow {
        DedupeWindow::new(
            DedupeConfig::default()
                .with_window(Duration::from_millis(window_ms))
                .with_cap(cap)
                .with_lease(Duration::from_millis(lease_ms))
                .with_max_reserved(4),
            7,
        )
        .unwrap()
    }

    fn reserved(w: &mut DedupeWindow, k: ItemKey, t: u64) -> Reservation {
        match w.reserve(k, UnixMillis::new(t)).unwrap() {
            Reserve::Reserved(r) => r,
            other => panic!("expected a reservation, got {other:?}"),
        }
    }

    #[test]
    fn a_crashed_holder_is_taken_over_after_its_lease() {
        let mut w = window(10, 10_000, 100);
        let first = reserved(&mut w, key(1), 0);
        assert_eq!(
            w.reserve(key(1), UnixMillis::new(50)).unwrap(),
            Reserve::Busy {
                until: UnixMillis::new(100)
            }
        );
        let second = reserved(&mut w, key(1), 100);
        assert_ne!(first.token(), second.token());
        assert!(matches!(
            w.commit(&first, UnixMillis::new(101)),
            Err(DeliveryError::ReservationLost)
        ));
        w.release(&first, UnixMillis::new(101)).unwrap(); // a no-op: not its reservation any more
        w.commit(&second, UnixMillis::new(102)).unwrap();
        assert!(matches!(
            w.commit(&second, UnixMillis::new(103)),
            Err(DeliveryError::ReservationLost)
        ));
        assert_eq!(
            w.reserve(key(1), UnixMillis::new(104)).unwrap(),
            Reserve::Duplicate
        );
        assert!(w.contains(&key(1), UnixMillis::new(104)));
    }

    #[test]
    fn an_expired_lease_still_commits_while_nobody_took_over() {
        let mut w = window(10, 10_000, 100);
        let r = reserved(&mut w, key(2), 0);
        w.commit(&r, UnixMillis::new(500)).unwrap();
        assert_eq!(
            w.reserve(key(2), UnixMillis::new(501)).unwrap(),
            Reserve::Duplicate
        );
    }

    #[test]
    fn cap_and_age_forget_the_oldest_commits() {
        let mut w = window(3, 1_000, 100);
        for n in 0..4 {
            let r = reserved(&mut w, key(n), u64::from(n));
            w.commit(&r, UnixMillis::new(u64::from(n))).unwrap();
        }
        assert_eq!(w.len(), 3);
        assert!(!w.contains(&key(0), UnixMillis::new(5)));
        assert!(w.contains(&key(1), UnixMillis::new(5)));
        // Aged out: stored again rather than dropped.
        assert!(matches!(
            w.reserve(key(1), UnixMillis::new(1_001)).unwrap(),
            Reserve::Reserved(_)
        ));
    }

    #[test]
    fn a_clock_stepping_back_is_clamped() {
        let mut w = window(10, 100, 50);
        let r = reserved(&mut w, key(1), 1_000);
        w.commit(&r, UnixMillis::new(10)).unwrap(); // read as t=1000
        assert_eq!(
            w.reserve(key(1), UnixMillis::new(0)).unwrap(),
            Reserve::Duplicate
        );
        assert!(matches!(
            w.reserve(key(1), UnixMillis::new(1_100)).unwrap(),
            Reserve::Reserved(_)
        ));
    }

    #[test]
    fn reservations_are_bounded_and_drop_on_restart() {
        let mut w = window(10, 1_000, 1_000);
        for n in 0..4 {
            reserved(&mut w, key(n), 0);
        }
        assert!(matches!(
            w.reserve(key(9), UnixMillis::new(1)),
            Err(DeliveryError::TooManyReservations)
        ));
        w.drop_reservations();
        assert_eq!(w.reserved(), 0);
        reserved(&mut w, key(0), 2);
    }

    #[test]
    fn config_is_validated_and_debug_shows_sizes() {
        for (config, field) in [
            (
                DedupeConfig::default().with_window(Duration::from_micros(10)),
                "dedupe.window",
            ),
            (DedupeConfig::default().with_cap(0), "dedupe.cap"),
            (
                DedupeConfig::default().with_lease(Duration::ZERO),
                "dedupe.lease",
            ),
            (
                DedupeConfig::default().with_max_reserved(0),
                "dedupe.max_reserved",
            ),
        ] {
            assert!(matches!(
                DedupeWindow::new(config, 1),
                Err(DeliveryError::InvalidConfig { field: f }) if f == field
            ));
        }
        let w = DedupeWindow::new(DedupeConfig::default(), 1).unwrap();
        assert_eq!(w.memory_bytes(), 0);
        assert_eq!(
            format!("{w:?}"),
            "DedupeWindow { window_ms: 604800000, cap: 1000000, lease_ms: 30000, committed: 0, reserved: 0, .. }"
        );
    }

    #[test]
    fn claim_is_all_or_nothing() {
        let mut w = window(10, 1_000, 100);
        let busy = reserved(&mut w, key(3), 0);
        let keys = [key(1), key(2), key(1), key(3)];
        assert_eq!(
            claim(&mut w, &keys, UnixMillis::new(1)).unwrap(),
            Claimed::Busy {
                until: UnixMillis::new(100)
            }
        );
        assert_eq!(w.reserved(), 1, "the claim released what it took");
        w.release(&busy, UnixMillis::new(2)).unwrap();
        let Claimed::Ready(c) = claim(&mut w, &keys, UnixMillis::new(3)).unwrap() else {
            panic!("expected a claim");
        };
        assert_eq!(c.fresh().len(), 3);
        assert_eq!(c.duplicates(), [2]);
        c.release(&mut w, UnixMillis::new(4)).unwrap();
        assert_eq!(w.reserved(), 0);
    }
}
