//! Data-residency routing for WhatsApp webhooks: numbering plan, regimes, policy, router, authentication and delivery policy
#![forbid(unsafe_code)]
pub mod auth;
pub mod country;
pub mod delivery;
pub mod regime;
pub mod region;

pub use country::{Country, ParseCountryError};
pub use regime::{Localisation, ParseRegimeError, Regime};
pub use region::{ParseRegionError, Region};
