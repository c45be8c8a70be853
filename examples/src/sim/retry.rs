//! When to try a POST again: exponential backoff with jitter, as Meta retries a webhook that
//! was not answered 200.
//!
//! Meta keeps retrying an unacknowledged webhook with growing delays for up to seven days;
//! the simulator compresses that into `max_attempts` tries whose delay doubles from `base`
//! up to `cap`, each drawn in the upper half of its step ("equal jitter": never shorter than
//! half the step, so the delays still grow, and spread so that clients that failed together
//! do not come back together). Answers that the same bytes can never turn into a 200 are not
//! retried: 400 (the router refuses the body), 401 (the signature is wrong) and 413 (too
//! large).

use std::time::Duration;

use crate::sim::SimRng;

/// How many times, and how far apart, a POST is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The first retry's step.
    pub base: Duration,
    /// The longest step.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// 8 tries, from 250 ms up to 10 s.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(10),
        }
    }
}

/// What one try got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP status.
    Status(u16),
    /// No answer: the connection failed, was cut, or the request timed out.
    NoAnswer,
}

impl RetryPolicy {
    /// The step before retry `retry` (1 for the first retry): `base * 2^(retry - 1)`, at
    /// most `cap`.
    pub fn step(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << shift).min(self.cap)
    }

    /// The delay before retry `retry`: uniform in the upper half of [`step`](Self::step).
    pub fn delay(&self, retry: u32, rng: &mut SimRng) -> Duration {
        let step = self.step(retry);
        let half = step / 2;
        let nanos = u64::try_from(step.saturating_sub(half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rng.range(0, nanos))
    }

    /// Whether try number `attempt` (1 for the first) that got `answer` is the last one.
    pub fn is_last(&self, attempt: u32, answer: Answer) -> bool {
        attempt >= self.max_attempts.max(1) || is_final(answer)
    }
}

/// Whether an answer ends the POST whatever the attempt count: a 2xx, or a status the same
/// bytes cannot change (400, 401, 413).
pub fn is_final(answer: Answer) -> bool {
    match answer {
        Answer::Status(s) => (200..300).contains(&s) || matches!(s, 400 | 401 | 413),
        Answer::NoAnswer => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        let steps: Vec<u128> = (1..=7).map(|r| p.step(r).as_millis()).collect();
        assert_eq!(steps, [100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(p.step(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn delays_lie_in_the_upper_half_of_their_step_and_vary() {
        let p = RetryPolicy::default();
        let mut rng = SimRng::new(11);
        for retry in 1..=8 {
            let step = p.step(retry);
            let delays: Vec<Duration> = (0..200).map(|_| p.delay(retry, &mut rng)).collect();
            assert!(
                delays.iter().all(|d| *d >= step / 2 && *d <= step),
                "retry {retry}"
            );
            let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
            assert!(distinct.len() > 100, "jitter spreads the retries");
        }
        let mut a = SimRng::new(4);
        let mut b = SimRng::new(4);
        assert_eq!(
            p.delay(3, &mut a),
            p.delay(3, &mut b),
            "deterministic from the seed"
        );
    }

    #[test]
    fn refusals_are_final_and_outages_are_retried() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        for s in [200, 204, 400, 401, 413] {
            assert!(p.is_last(1, Answer::Status(s)), "{s}");
        }
        for s in [408, 421, 429, 500, 502, 503, 504] {
            assert!(!p.is_last(1, Answer::Status(s)), "{s}");
            assert!(p.is_last(3, Answer::Status(s)), "{s} on the last try");
        }
        assert!(!p.is_last(2, Answer::NoAnswer));
        assert!(p.is_last(3, Answer::NoAnswer));
        let once = RetryPolicy {
            max_attempts: 0,
            ..p
        };
        assert!(
            once.is_last(1, Answer::NoAnswer),
            "at least one try, at most one"
        );
    }
}
