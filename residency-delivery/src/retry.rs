//! Retries: rounds over a whole plan, exponential backoff with full jitter between them.
//!
//! A round tries every endpoint of a plan once, in order (the health book may skip the ones
//! that are down). After the `n`-th round in which something was tried and nothing took the
//! body, the next round waits a uniformly random time in `[0, min(cap, base * 2^(n-1))]`
//! ("full jitter"), so that many routers recovering at once do not retry in lock-step. After
//! `max_rounds` such rounds the region gives up for this POST (the provider retries it). A
//! round in which nothing could be tried does not count: the delivery waits for the first
//! endpoint's half-open probe instead. The randomness comes from the caller
//! ([`RandomSource`]).

use std::time::Duration;

use crate::DeliveryError;
use crate::time::duration_ms;

/// The hard ceiling on rounds for one region body in one POST.
pub const MAX_ROUNDS: u8 = 8;

/// A source of uniformly distributed 64-bit values, supplied by the caller.
///
/// Any `FnMut() -> u64` is one, so a closure over the caller's generator works:
///
/// ```
/// use residency_delivery::RandomSource;
///
/// let mut state = 7u64;
/// let mut xorshift = move || {
///     state ^= state << 13;
///     state ^= state >> 7;
///     state ^= state << 17;
///     state
/// };
/// assert_ne!(xorshift.next_u64(), xorshift.next_u64());
/// ```
pub trait RandomSource {
    /// The next uniformly distributed value.
    fn next_u64(&mut self) -> u64;
}

impl<F: FnMut() -> u64> RandomSource for F {
    fn next_u64(&mut self) -> u64 {
        self()
    }
}

/// What to do after a round in which every attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Start the next round after this delay.
    RetryAfter(Duration),
    /// The rounds are used up: give up for this POST.
    GiveUp,
}

/// A backoff schedule: base delay, cap, and the number of rounds (1 to [`MAX_ROUNDS`]).
///
/// ```
/// use residency_delivery::{RetryDecision, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::new(Duration::from_millis(100), Duration::from_secs(1), 3)?;
/// let mut always_max = || u64::MAX;
/// assert_eq!(policy.decide(1, &mut always_max), RetryDecision::RetryAfter(Duration::from_millis(100)));
/// assert_eq!(policy.decide(2, &mut always_max), RetryDecision::RetryAfter(Duration::from_millis(200)));
/// assert_eq!(policy.decide(3, &mut always_max), RetryDecision::GiveUp);
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    base: Duration,
    cap: Duration,
    max_rounds: u8,
}

impl RetryPolicy {
    /// A schedule starting at `base`, doubling up to `cap`, giving up after `max_rounds`.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidConfig`] (`retry.max_rounds`, `retry.base`, `retry.cap`) when
    /// `max_rounds` is not in `1..=8`, `base` is under a millisecond, or `cap` is below
    /// `base`.
    pub fn new(base: Duration, cap: Duration, max_rounds: u8) -> Result<Self, DeliveryError> {
        if !(1..=MAX_ROUNDS).contains(&max_rounds) {
            return Err(DeliveryError::InvalidConfig {
                field: "retry.max_rounds",
            });
        }
        if duration_ms(base) == 0 {
            return Err(DeliveryError::InvalidConfig {
                field: "retry.base",
            });
        }
        if cap < base {
            return Err(DeliveryError::InvalidConfig { field: "retry.cap" });
        }
        Ok(Self {
            base,
            cap,
            max_rounds,
        })
    }

    /// The schedule for forwarding a webhook body within a POST's deadline: 100 ms doubling
    /// to 800 ms, four rounds (at most 0.1 + 0.2 + 0.4 s of waiting between them).
    pub const fn forwarding() -> Self {
        Self {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(800),
            max_rounds: 4,
        }
    }

    /// The schedule for downloading media: 2 s doubling to 60 s, five rounds.
    ///
    /// Cloud API media URLs expire five minutes after they are issued, so the whole
    /// schedule (at most 2 + 4 + 8 + 16 s of waiting) stays well inside that.
    pub const fn media_download() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_rounds: 5,
        }
    }

    /// The first delay ceiling.
    pub const fn base(&self) -> Duration {
        self.base
    }

    /// The largest delay ceiling.
    pub const fn cap(&self) -> Duration {
        self.cap
    }

    /// Rounds allowed in total (the first one included).
    pub const fn max_rounds(&self) -> u8 {
        self.max_rounds
    }

    /// The delay ceiling after the `failed`-th failed round: `min(cap, base * 2^(failed-1))`.
    pub fn ceiling(&self, failed: u32) -> Duration {
        let shift = failed.saturating_sub(1).min(63);
        let base = duration_ms(self.base);
        let grown = base.saturating_mul(1u64 << shift);
        Duration::from_millis(grown.min(duration_ms(self.cap)))
    }

    /// What to do after `failed` rounds have failed (1 after the first; 0 reads as 1).
    pub fn decide(&self, failed: u32, rng: &mut impl RandomSource) -> RetryDecision {
        let failed = failed.max(1);
        if failed >= u32::from(self.max_rounds) {
            return RetryDecision::GiveUp;
        }
        let ceiling = duration_ms(self.ceiling(failed));
        // Multiply-shift maps a uniform u64 onto 0..=ceiling without a division.
        let span = u128::from(ceiling) + 1;
        let pick = (u128::from(rng.next_u64()) * span) >> 64;
        let ms = u64::try_from(pick).unwrap_or(ceiling);
        RetryDecision::RetryAfter(Duration::from_millis(ms))
    }
}

impl Default for RetryPolicy {
    /// [`RetryPolicy::forwarding`].
    fn default() -> Self {
        Self::forwarding()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_parameters() {
        let ms = Duration::from_millis;
        for (base, cap, rounds, field) in [
            (1, 2, 0, "retry.max_rounds"),
            (1, 2, 9, "retry.max_rounds"),
            (0, 2, 5, "retry.base"),
            (3, 2, 5, "retry.cap"),
        ] {
            assert!(matches!(
                RetryPolicy::new(ms(base), ms(cap), rounds),
                Err(DeliveryError::InvalidConfig { field: f }) if f == field
            ));
        }
        assert!(RetryPolicy::new(ms(1), ms(2), 8).is_ok());
    }

    #[test]
    fn ceilings_double_then_cap() {
        let p = RetryPolicy::forwarding();
        let got: Vec<u64> = (1..=6).map(|n| duration_ms(p.ceiling(n))).collect();
        assert_eq!(got, [100, 200, 400, 800, 800, 800]);
        assert_eq!(duration_ms(p.ceiling(u32::MAX)), 800);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = RetryPolicy::media_download();
        assert_eq!(
            p.decide(2, &mut || 0),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            p.decide(2, &mut || u64::MAX),
            RetryDecision::RetryAfter(Duration::from_secs(4))
        );
        assert_eq!(
            p.decide(2, &mut || u64::MAX / 2),
            RetryDecision::RetryAfter(Duration::from_millis(2000))
        );
    }

    #[test]
    fn gives_up_after_max_rounds() {
        let p = RetryPolicy::forwarding();
        for n in 0..4 {
            assert!(matches!(
                p.decide(n, &mut || 1),
                RetryDecision::RetryAfter(_)
            ));
        }
        assert_eq!(p.decide(4, &mut || 1), RetryDecision::GiveUp);
    }
}
