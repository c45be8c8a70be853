//! [`ResidencyError`]: the crate's one error type, wrapping each module's own.

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
/// use residency_core::ResidencyError;
///
/// fn region(name: &str) -> Result<residency_core::Region, ResidencyError> {
///     Ok(name.parse()?)
/// }
/// let err = region("eu west").unwrap_err();
/// assert!(matches!(err, ResidencyError::Region(_)));
/// // Transparent: the message is the module error's own, printed once.
/// assert_eq!(err.to_string(), "eu west".parse::<residency_core::Region>().unwrap_err().to_string());
/// ```
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResidencyError {
    /// A body could not be routed.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// A request failed authentication.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A residency policy is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A country code did not parse.
    #[error(transparent)]
    Country(#[from] ParseCountryError),
    /// A region name did not parse.
    #[error(transparent)]
    Region(#[from] ParseRegionError),
    /// A regime name did not parse.
    #[error(transparent)]
    Regime(#[from] ParseRegimeError),
}
