//! Retries: exponential backoff with full jitter, a cap, and at most five attempts.
//!
//! After the `n`-th failed attempt, the next one waits a uniformly random time in
//! `[0, min(cap, base * 2^(n-1))]` ("full jitter"), so that many routers recovering at once
//! do not retry in lock-step. After `max_attempts` failures the decision is
//! [`RetryDecision::GiveUp`]: a critical failure, the body goes to the dead-letter queue.
//! The randomness comes from the caller through [`RandomSource`].

use std::time::Duration;

use super::{DeliveryError, duration_ms};

/// The hard ceiling on attempts for one body: a retry policy allows at most this many.
pub const MAX_ATTEMPTS: u8 = 5;

/// A source of uniformly distributed 64-bit values, supplied by the caller.
///
/// Any `FnMut() -> u64` is one, so a closure over the caller's generator works:
///
/// ```
/// use residency_core::delivery::RandomSource;
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

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// The attempts are used up: a critical failure, dead-letter the body.
    GiveUp,
}

/// A backoff schedule: base delay, cap, and the maximum number of attempts (1 to 5).
///
/// ```
/// use residency_core::delivery::{RetryDecision, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::new(Duration::from_millis(100), Duration::from_secs(1), 3)?;
/// let mut always_max = || u64::MAX;
/// assert_eq!(policy.decide(1, &mut always_max)?, RetryDecision::RetryAfter(Duration::from_millis(100)));
/// assert_eq!(policy.decide(2, &mut always_max)?, RetryDecision::RetryAfter(Duration::from_millis(200)));
/// assert_eq!(policy.decide(3, &mut always_max)?, RetryDecision::GiveUp);
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    base: Duration,
    cap: Duration,
    max_attempts: u8,
}

impl RetryPolicy {
    /// A schedule starting at `base`, doubling up to `cap`, giving up after `max_attempts`.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidRetryPolicy`] when `max_attempts` is not in `1..=5`, `base`
    /// is zero, or `cap` is below `base`.
    pub fn new(base: Duration, cap: Duration, max_attempts: u8) -> Result<Self, DeliveryError> {
        if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
            return Err(DeliveryError::InvalidRetryPolicy {
                field: "max_attempts",
            });
        }
        if base.is_zero() {
            return Err(DeliveryError::InvalidRetryPolicy { field: "base" });
        }
        if cap < base {
            return Err(DeliveryError::InvalidRetryPolicy { field: "cap" });
        }
        Ok(Self {
            base,
            cap,
            max_attempts,
        })
    }

    /// The schedule for forwarding a webhook body: 500 ms doubling to 30 s, five attempts.
    pub const fn forwarding() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: MAX_ATTEMPTS,
        }
    }

    /// The schedule for downloading media: 2 s doubling to 60 s, five attempts.
    ///
    /// Cloud API media URLs expire five minutes after they are issued, so the whole
    /// schedule (at most 2 + 4 + 8 + 16 s of waiting) stays well inside that.
    pub const fn media_download() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_attempts: MAX_ATTEMPTS,
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

    /// Attempts allowed in total (the first one included).
    pub const fn max_attempts(&self) -> u8 {
        self.max_attempts
    }

    /// The delay ceiling after the `failed`-th failed attempt: `min(cap, base * 2^(failed-1))`.
    pub fn ceiling(&self, failed: u32) -> Duration {
        let shift = failed.saturating_sub(1).min(63);
        let base = duration_ms(self.base);
        let grown = base.saturating_mul(1u64 << shift);
        Duration::from_millis(grown.min(duration_ms(self.cap)))
    }

    /// What to do after `failed` attempts have failed (1 after the first failure).
    ///
    /// # Errors
    /// [`DeliveryError::InvalidAttemptNumber`] when `failed` is 0.
    pub fn decide(
        &self,
        failed: u32,
        rng: &mut impl RandomSource,
    ) -> Result<RetryDecision, DeliveryError> {
        if failed == 0 {
            return Err(DeliveryError::InvalidAttemptNumber);
        }
        if failed >= u32::from(self.max_attempts) {
            return Ok(RetryDecision::GiveUp);
        }
        let ceiling = duration_ms(self.ceiling(failed));
        // Multiply-shift maps a uniform u64 onto 0..=ceiling without a division.
        let span = u128::from(ceiling) + 1;
        let pick = (u128::from(rng.next_u64()) * span) >> 64;
        let ms = u64::try_from(pick).unwrap_or(ceiling);
        Ok(RetryDecision::RetryAfter(Duration::from_millis(ms)))
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
        assert_eq!(
            RetryPolicy::new(ms(1), ms(2), 0),
            Err(DeliveryError::InvalidRetryPolicy {
                field: "max_attempts"
            })
        );
        assert_eq!(
            RetryPolicy::new(ms(1), ms(2), 6),
            Err(DeliveryError::InvalidRetryPolicy {
                field: "max_attempts"
            })
        );
        assert_eq!(
            RetryPolicy::new(ms(0), ms(2), 5),
            Err(DeliveryError::InvalidRetryPolicy { field: "base" })
        );
        assert_eq!(
            RetryPolicy::new(ms(3), ms(2), 5),
            Err(DeliveryError::InvalidRetryPolicy { field: "cap" })
        );
    }

    #[test]
    fn ceilings_double_then_cap() {
        let p = RetryPolicy::forwarding();
        let got: Vec<u64> = (1..=8).map(|n| duration_ms(p.ceiling(n))).collect();
        assert_eq!(got, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(duration_ms(p.ceiling(u32::MAX)), 30000);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = RetryPolicy::media_download();
        assert_eq!(
            p.decide(2, &mut || 0).unwrap(),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            p.decide(2, &mut || u64::MAX).unwrap(),
            RetryDecision::RetryAfter(Duration::from_secs(4))
        );
        assert_eq!(
            p.decide(2, &mut || u64::MAX / 2).unwrap(),
            RetryDecision::RetryAfter(Duration::from_millis(2000))
        );
    }

    #[test]
    fn gives_up_at_five_attempts() {
        let p = RetryPolicy::forwarding();
        for n in 1..5 {
            assert!(matches!(
                p.decide(n, &mut || 1).unwrap(),
                RetryDecision::RetryAfter(_)
            ));
        }
        assert_eq!(p.decide(5, &mut || 1).unwrap(), RetryDecision::GiveUp);
        assert_eq!(
            p.decide(0, &mut || 1),
            Err(DeliveryError::InvalidAttemptNumber)
        );
    }
}
