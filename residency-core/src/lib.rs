//! Data-residency routing for WhatsApp webhooks: numbering plan, regimes, policy, router, authentication and delivery policy
#![forbid(unsafe_code)]
pub mod auth;
