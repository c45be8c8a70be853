//! Loop protection: the `x-failover-count` header.
//!
//! A router writes the number of failover hops a body has taken into `x-failover-count`
//! when it forwards it. A request arriving with a count above one has already been bounced
//! between regions and goes to the dead-letter queue instead of being forwarded again (see
//! [`DeliveryPolicy::plan`](super::DeliveryPolicy::plan)); a request arriving with a count of
//! one may only be delivered in its home region. So two regions can never bounce a message
//! between them, and no plan takes more than one failover hop.

use std::fmt;

use super::DeliveryError;

/// The name of the loop-protection header, lowercase as HTTP/2 sends it.
pub const FAILOVER_COUNT_HEADER: &str = "x-failover-count";

/// The number of failover hops a body has taken, read from or written to
/// [`FAILOVER_COUNT_HEADER`].
///
/// ```
/// use residency_core::delivery::{DeliveryError, FailoverCount};
///
/// assert_eq!(FailoverCount::from_header(None)?, FailoverCount::ZERO);
/// assert_eq!(FailoverCount::from_header(Some(b" 1 "))?, FailoverCount::ONE);
/// assert!(FailoverCount::from_header(Some(b"2"))?.is_loop());
/// assert_eq!(
///     FailoverCount::from_header(Some(b"-1")),
///     Err(DeliveryError::InvalidFailoverCount { problem: "negative" })
/// );
/// assert_eq!(FailoverCount::ONE.to_string(), "1");
/// # Ok::<(), DeliveryError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailoverCount(u8);

impl FailoverCount {
    /// A body that has not failed over.
    pub const ZERO: Self = Self(0);
    /// A body that failed over once: the most a plan ever writes.
    pub const ONE: Self = Self(1);

    /// A count from a number.
    pub const fn new(hops: u8) -> Self {
        Self(hops)
    }

    /// The number of hops.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Whether a request arriving with this count must be dead-lettered (count above one).
    pub const fn is_loop(self) -> bool {
        self.0 > 1
    }

    /// The count after one more failover hop (saturating).
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// Reads the header's value; an absent header is zero.
    ///
    /// Accepts ASCII decimal digits with optional surrounding spaces or tabs, up to 255.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidFailoverCount`] when the value is empty, negative, not a
    /// decimal integer, or above 255.
    pub fn from_header(value: Option<&[u8]>) -> Result<Self, DeliveryError> {
        let Some(raw) = value else {
            return Ok(Self::ZERO);
        };
        let digits = raw.trim_ascii();
        if digits.is_empty() {
            return Err(DeliveryError::InvalidFailoverCount { problem: "empty" });
        }
        if digits.first() == Some(&b'-') {
            return Err(DeliveryError::InvalidFailoverCount {
                problem: "negative",
            });
        }
        let mut n: u32 = 0;
        for b in digits {
            if !b.is_ascii_digit() {
                return Err(DeliveryError::InvalidFailoverCount {
                    problem: "not a decimal integer",
                });
            }
            n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
        }
        u8::try_from(n)
            .map(Self)
            .map_err(|_| DeliveryError::InvalidFailoverCount {
                problem: "too large",
            })
    }

    /// The header value to write.
    pub fn to_header_value(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for FailoverCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<FailoverCount, DeliveryError> {
        FailoverCount::from_header(Some(s.as_bytes()))
    }

    #[test]
    fn parses_small_counts() {
        assert_eq!(parse("0"), Ok(FailoverCount::ZERO));
        assert_eq!(parse("\t001"), Ok(FailoverCount::ONE));
        assert_eq!(parse("255"), Ok(FailoverCount::new(255)));
        assert!(!FailoverCount::ONE.is_loop());
        assert!(FailoverCount::new(255).is_loop());
        assert_eq!(FailoverCount::new(255).next(), FailoverCount::new(255));
    }

    #[test]
    fn rejects_bad_values_without_echoing_them() {
        let bad = [
            ("", "empty"),
            ("  ", "empty"),
            ("-3", "negative"),
            ("+1", "not a decimal integer"),
            ("1.0", "not a decimal integer"),
            ("one", "not a decimal integer"),
            ("256", "too large"),
            ("99999999999999999999999", "too large"),
        ];
        for (value, problem) in bad {
            let err = parse(value).unwrap_err();
            assert_eq!(
                err,
                DeliveryError::InvalidFailoverCount { problem },
                "{value:?}"
            );
            assert!(
                value.trim().is_empty() || !err.to_string().contains(value.trim()),
                "{err}"
            );
        }
        assert!(FailoverCount::from_header(Some(&[0xff, 0x31])).is_err());
    }
}
