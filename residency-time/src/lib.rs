#![doc = include_str!("../README.md")]
// No unsafe code anywhere in this crate.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

use std::fmt;
use std::ops::Add;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (POSIX time, UTC): webhook timestamps, signature times,
/// archive dates, retention deadlines.
///
/// ```
/// use residency_time::UnixSeconds;
/// let t = UnixSeconds::new(1_763_719_200);
/// assert_eq!(t.get(), 1_763_719_200);
/// assert_eq!(t.to_string(), "1763719200");
/// assert_eq!(serde_json::to_string(&t).unwrap(), "1763719200");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixSeconds(u64);

/// Milliseconds since the Unix epoch (POSIX time, UTC): the time a delivery engine is given.
///
/// ```
/// use residency_time::{UnixMillis, UnixSeconds};
/// use std::time::Duration;
/// let t = UnixMillis::from(UnixSeconds::new(10));
/// assert_eq!(t.get(), 10_000);
/// assert_eq!(t + Duration::from_millis(250), UnixMillis::new(10_250));
/// assert_eq!(UnixMillis::new(10_250).saturating_since(t), Duration::from_millis(250));
/// assert_eq!(t.saturating_since(UnixMillis::new(10_250)), Duration::ZERO);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(u64);

/// Whole milliseconds in `d`, saturating at `u64::MAX`.
fn whole_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl UnixSeconds {
    /// The epoch itself.
    pub const ZERO: Self = Self(0);
    /// The latest representable time.
    pub const MAX: Self = Self(u64::MAX);

    /// `secs` seconds after the epoch.
    pub const fn new(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }

    /// The time between `self` and `other`, in either order.
    pub fn abs_diff(self, other: Self) -> Duration {
        Duration::from_secs(self.0.abs_diff(other.0))
    }

    /// `self` plus the whole seconds of `d`, saturating at [`UnixSeconds::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.as_secs()))
    }

    /// `self` minus the whole seconds of `d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(d.as_secs()))
    }
}

impl UnixMillis {
    /// The epoch itself.
    pub const ZERO: Self = Self(0);
    /// The latest representable time.
    pub const MAX: Self = Self(u64::MAX);

    /// `ms` milliseconds after the epoch.
    pub const fn new(ms: u64) -> Self {
        Self(ms)
    }

    /// `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The whole seconds of this time (rounded down).
    pub const fn to_seconds(self) -> UnixSeconds {
        UnixSeconds(self.0 / 1000)
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self` plus `d` (whole milliseconds), saturating at [`UnixMillis::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(whole_millis(d)))
    }

    /// `self` minus `d` (whole milliseconds), saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(whole_millis(d)))
    }
}

impl From<UnixSeconds> for UnixMillis {
    fn from(s: UnixSeconds) -> Self {
        Self::from_secs(s.0)
    }
}

impl Add<Duration> for UnixMillis {
    type Output = Self;

    /// Saturating addition: see [`UnixMillis::saturating_add`].
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl Add<Duration> for UnixSeconds {
    type Output = Self;

    /// Saturating addition of whole seconds: see [`UnixSeconds::saturating_add`].
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A [`SystemTime`] before the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeforeEpoch;

impl fmt::Display for BeforeEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("time is before the unix epoch")
    }
}

impl std::error::Error for BeforeEpoch {}

impl TryFrom<SystemTime> for UnixMillis {
    type Error = BeforeEpoch;

    /// The milliseconds of a clock reading (for services; the library crates never read a
    /// clock).
    fn try_from(t: SystemTime) -> Result<Self, BeforeEpoch> {
        t.duration_since(UNIX_EPOCH)
            .map(|d| Self(whole_millis(d)))
            .map_err(|_| BeforeEpoch)
    }
}

impl TryFrom<SystemTime> for UnixSeconds {
    type Error = BeforeEpoch;

    /// The whole seconds of a clock reading.
    fn try_from(t: SystemTime) -> Result<Self, BeforeEpoch> {
        UnixMillis::try_from(t).map(UnixMillis::to_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixMillis::MAX + Duration::from_secs(1), UnixMillis::MAX);
        assert_eq!(UnixMillis::from_secs(u64::MAX), UnixMillis::MAX);
        assert_eq!(UnixSeconds::MAX + Duration::from_secs(1), UnixSeconds::MAX);
        assert_eq!(
            UnixMillis::new(5).saturating_since(UnixMillis::new(9)),
            Duration::ZERO
        );
        assert_eq!(
            UnixSeconds::new(5).saturating_sub(Duration::from_secs(9)),
            UnixSeconds::ZERO
        );
        assert_eq!(
            UnixMillis::new(1).saturating_add(Duration::MAX),
            UnixMillis::MAX
        );
        assert_eq!(
            UnixSeconds::new(3).abs_diff(UnixSeconds::new(10)),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn conversions_round_down_to_seconds() {
        assert_eq!(UnixMillis::new(1999).to_seconds(), UnixSeconds::new(1));
        assert_eq!(UnixMillis::from(UnixSeconds::new(2)), UnixMillis::new(2000));
        assert_eq!(
            UnixSeconds::try_from(UNIX_EPOCH + Duration::from_millis(2500)),
            Ok(UnixSeconds::new(2))
        );
        assert_eq!(
            UnixMillis::try_from(UNIX_EPOCH - Duration::from_secs(1)),
            Err(BeforeEpoch)
        );
        assert_eq!(BeforeEpoch.to_string(), "time is before the unix epoch");
    }

    #[test]
    fn serializes_as_integers() {
        assert_eq!(serde_json::to_string(&UnixMillis::new(7)).unwrap(), "7");
        let back: UnixSeconds = serde_json::from_str("42").unwrap();
        assert_eq!(back, UnixSeconds::new(42));
    }
}
