//! Time: the engine is given [`UnixMillis`] (the workspace's convention, from
//! `residency-time`), never reads a clock, and reads a time earlier than one already seen as
//! the latest one seen, so a clock that steps back never breaks a state machine.

use std::time::Duration;

pub use residency_time::UnixMillis;

/// Whole milliseconds in `d`, saturating at `u64::MAX`.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A clock reading that never goes back: the latest time seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clamp(UnixMillis);

impl Clamp {
    /// Starts at `now`.
    pub(crate) fn new(now: UnixMillis) -> Self {
        Self(now)
    }

    /// `now`, or the latest time seen when `now` is earlier.
    pub(crate) fn read(&mut self, now: UnixMillis) -> UnixMillis {
        if now > self.0 {
            self.0 = now;
        }
        self.0
    }

    /// The latest time seen.
    pub(crate) fn latest(self) -> UnixMillis {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_millis_saturate() {
        assert_eq!(duration_ms(Duration::MAX), u64::MAX);
        assert_eq!(duration_ms(Duration::from_micros(2500)), 2);
    }

    #[test]
    fn clamp_never_goes_back() {
        let mut c = Clamp::new(UnixMillis::new(10));
        assert_eq!(c.read(UnixMillis::new(5)), UnixMillis::new(10));
        assert_eq!(c.read(UnixMillis::new(12)), UnixMillis::new(12));
        assert_eq!(c.read(UnixMillis::ZERO), UnixMillis::new(12));
        assert_eq!(c.latest(), UnixMillis::new(12));
    }
}
