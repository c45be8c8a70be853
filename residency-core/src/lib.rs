#![doc = include_str!("../README.md")]
// The crate parses untrusted bytes: no unsafe code anywhere.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

mod error;

pub use error::ResidencyError;
pub mod attribution;
pub mod auth;
pub mod country;
pub mod numbering;
pub mod policy;
pub mod regime;
pub mod region;
pub mod route;

pub use attribution::{Attribution, Basis, Unattributed};
pub use country::{Country, ParseCountryError};
pub use numbering::{CallingCode, PlanBasis, PlanMatch};
pub use policy::{Policy, PolicyBuilder, PolicyError};
pub use regime::{Localisation, ParseRegimeError, Regime};
pub use region::{ParseRegionError, Region};

// Foreign types in this crate's signatures, re-exported so callers need not depend on (and
// keep in step with) the crates that define them.
pub use bytes::Bytes;
pub use residency_time::{UnixMillis, UnixSeconds};
pub use wa_payload;
