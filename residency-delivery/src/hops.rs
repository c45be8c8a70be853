//! Loop protection: [`FailoverCount`], the value of `x-failover-count`.
//!
//! The edge writes the number of failover hops a body has taken into
//! [`FAILOVER_COUNT_HEADER`] of every request it forwards: `0` to the body's home region, `1`
//! to a failover region. The value is part of the edge signature
//! ([`EdgeKey::sign`](residency_core::auth::EdgeKey::sign)), so only a request whose edge
//! signature verifies has a hop count, the one
//! [`EdgeVerifier::verify`](residency_core::auth::EdgeVerifier::verify) returns.
//!
//! The public ingress ignores any value it is sent: a provider's request is authenticated by
//! the provider's signature, which does not cover the header, so the edge starts every body
//! at [`FailoverCount::ZERO`] ([`Deployment::deliver`](crate::Deployment::deliver) takes no
//! count at all). Only a relay of an edge-signed request passes the verified count on
//! ([`Deployment::relay`](crate::Deployment::relay)): a count of one may only go to its home
//! region, a count above one is refused. So two regions never bounce a body between them.

use std::fmt;

pub use residency_core::auth::FAILOVER_COUNT_HEADER;

use crate::DeliveryError;

/// The number of failover hops a body has taken.
///
/// ```
/// use residency_delivery::{DeliveryError, FailoverCount};
///
/// assert_eq!(FailoverCount::from_header(None)?, FailoverCount::ZERO);
/// assert_eq!(FailoverCount::from_header(Some(b" 1 "))?, FailoverCount::ONE);
/// assert!(FailoverCount::from_header(Some(b"2"))?.is_loop());
/// assert!(matches!(
///     FailoverCount::from_header(Some(b"-1")),
///     Err(DeliveryError::InvalidFailoverCount { problem: "negative" })
/// ));
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

    /// Whether a request arriving with this count must not be forwarded again (above one).
    pub const fn is_loop(self) -> bool {
        self.0 > 1
    }

    /// Reads the header's value (absent is zero) with the same rule as the edge signature
    /// ([`residency_core::auth::parse_failover_count`]).
    ///
    /// Only trust the result under a verified edge signature; prefer the count
    /// [`EdgeVerifier::verify`](residency_core::auth::EdgeVerifier::verify) returns.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidFailoverCount`] when the value is empty, negative, not a
    /// decimal integer, or above 255.
    pub fn from_header(value: Option<&[u8]>) -> Result<Self, DeliveryError> {
        Ok(Self(residency_core::auth::parse_failover_count(value)?))
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

    #[test]
    fn reads_and_writes_the_header() {
        assert_eq!(
            FailoverCount::from_header(Some(b"\t001")).unwrap(),
            FailoverCount::ONE
        );
        assert_eq!(
            FailoverCount::from_header(Some(b"255")).unwrap(),
            FailoverCount::new(255)
        );
        assert!(!FailoverCount::ONE.is_loop());
        assert!(FailoverCount::new(2).is_loop());
        assert_eq!(FailoverCount::ONE.to_header_value(), "1");
        let err = FailoverCount::from_header(Some(b"256")).unwrap_err();
        assert_eq!(err.to_string(), "header x-failover-count is too large");
        assert_eq!(FAILOVER_COUNT_HEADER, "x-failover-count");
    }
}
