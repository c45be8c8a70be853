//! [`Error`]: the crate's one error type, wrapping each module's own.

use crate::auth::AuthError;
use crate::country::ParseCountryError;
use crate::policy::PolicyError;
use crate::regime::ParseRegimeError;
use crate::region::ParseRegionError;
use crate::route::RouteError;

/// Any error of this crate. Each module has its own precise error type, and every one of them
/// converts into this with `?`. Messages name fields, positions and configuration, never a
/// phone number, an id or a secret.
///
/// ```
/// use residency_core::Error;
///
/// fn region(name: &str) -> Result<residency_core::Region, Error> {
///     Ok(name.parse()?)
/// }
/// let err = region("eu west").unwrap_err();
/// assert!(matches!(err, Error::Region(_)));
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A body could not be routed.
    #[error("cannot route: {0}")]
    Route(#[from] RouteError),
    /// A request failed authentication.
    #[error("cannot authenticate: {0}")]
    Auth(#[from] AuthError),
    /// A residency policy is invalid.
    #[error("invalid policy: {0}")]
    Policy(#[from] PolicyError),
    /// A country code did not parse.
    #[error("invalid country: {0}")]
    Country(#[from] ParseCountryError),
    /// A region name did not parse.
    #[error("invalid region: {0}")]
    Region(#[from] ParseRegionError),
    /// A regime name did not parse.
    #[error("invalid regime: {0}")]
    Regime(#[from] ParseRegimeError),
}
