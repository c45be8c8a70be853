//! [`Millis`]: the time every function of this crate is given, never reads.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since an epoch the caller picks.
///
/// Nothing in this crate reads a clock: every function that needs the time takes a `Millis`.
/// Use the same epoch for every call on one value (a monotonic clock's origin, such as the
/// service's start, is the usual choice; Unix time works as well). A time earlier than one
/// already seen is read as the latest one seen, so a clock that steps back never breaks a
/// state machine.
///
/// ```
/// use residency_delivery::Millis;
/// use std::time::Duration;
///
/// let t = Millis::from_secs(10);
/// assert_eq!(t.as_u64(), 10_000);
/// assert_eq!(t + Duration::from_millis(250), Millis::new(10_250));
/// assert_eq!(Millis::new(10_250).saturating_since(t), Duration::from_millis(250));
/// assert_eq!(t.saturating_since(Millis::new(10_250)), Duration::ZERO);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(u64);

impl Millis {
    /// The epoch itself.
    pub const ZERO: Self = Self(0);
    /// The largest representable time.
    pub const MAX: Self = Self(u64::MAX);

    /// A timestamp `ms` milliseconds after the epoch.
    pub const fn new(ms: u64) -> Self {
        Self(ms)
    }

    /// A timestamp `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The time elapsed from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self` plus `d`, saturating at [`Millis::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_ms(d)))
    }
}

impl std::ops::Add<Duration> for Millis {
    type Output = Self;

    /// Saturating addition: see [`Millis::saturating_add`].
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Whole milliseconds in `d`, saturating at `u64::MAX`.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A clock reading that never goes back: the latest time seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clamp(Millis);

impl Clamp {
    /// Starts at `now`.
    pub(crate) fn new(now: Millis) -> Self {
        Self(now)
    }

    /// `now`, or the latest time seen when `now` is earlier.
    pub(crate) fn read(&mut self, now: Millis) -> Millis {
        if now > self.0 {
            self.0 = now;
        }
        self.0
    }

    /// The latest time seen.
    pub(crate) fn latest(self) -> Millis {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Millis::MAX + Duration::from_secs(1), Millis::MAX);
        assert_eq!(Millis::from_secs(u64::MAX), Millis::MAX);
        assert_eq!(
            Millis::new(5).saturating_since(Millis::new(9)),
            Duration::ZERO
        );
        assert_eq!(Millis::new(9).to_string(), "9ms");
        assert_eq!(duration_ms(Duration::MAX), u64::MAX);
    }

    #[test]
    fn clamp_never_goes_back() {
        let mut c = Clamp::new(Millis::new(10));
        assert_eq!(c.read(Millis::new(5)), Millis::new(10));
        assert_eq!(c.read(Millis::new(12)), Millis::new(12));
        assert_eq!(c.read(Millis::ZERO), Millis::new(12));
        assert_eq!(c.latest(), Millis::new(12));
    }
}
