//! Data-residency routing for WhatsApp webhooks: numbering plan, regimes, policy, router, authentication and delivery policy
#![forbid(unsafe_code)]
pub mod auth;
pub mod attribution;
pub mod country;
pub mod plan;
pub mod policy;
pub mod delivery;
pub mod regime;
pub mod region;
pub mod route;

pub use attribution::{Attribution, Basis, Unattributed};
pub use country::{Country, ParseCountryError};
pub use plan::{CallingCode, PlanMatch};
pub use policy::{Policy, PolicyBuilder, PolicyError};
pub use regime::{Localisation, ParseRegimeError, Regime};
pub use region::{ParseRegionError, Region};
