//! The steps of the `demo` binary, one module per crate they show.

pub mod archive;
pub mod pii;
pub mod route;

/// A phone number as the demo prints it: pii-mask's seed format (`4915****78`).
pub fn mask_phone(phone: &str) -> String {
    pii_mask::PhoneMask::SEED.mask(phone)
}

/// A business-scoped user id as the demo prints it: the country prefix only (`BR.****`).
pub fn mask_tail(user_id: &str) -> String {
    match user_id.split_once('.') {
        Some((prefix, _)) if prefix.len() == 2 => format!("{prefix}.****"),
        _ => "****".to_owned(),
    }
}
