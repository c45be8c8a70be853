//! The `demo` binary: the topology of DESIGN.md run in one process ([`stack`]), the bundled
//! samples sent through it and what became of them printed ([`tour`]); and, behind
//! `demo --library`, the older walkthrough of the library crates without any service
//! ([`library`], with one module per crate it shows: [`route`], [`pii`], [`archive`]).
//!
//! Every identity printed is masked ([`masked_identity`]): phone numbers keep their first
//! four and last two digits, user ids their country, WASender LIDs nothing; ids and archive
//! keys are pseudonyms.

pub mod archive;
pub mod library;
pub mod pii;
pub mod route;
pub mod stack;
pub mod tour;

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

/// How the demo names an item's party: `phone 4915****78`, `user id BR.****`,
/// `lid (no phone)`, `business` or `-`.
pub fn masked_identity(party: &wa_payload::Party<'_>) -> String {
    match (party.phone, party.user_id, party.lid) {
        (Some(phone), _, _) => format!("phone {}", mask_phone(phone)),
        (None, Some(uid), _) => format!("user id {}", mask_tail(uid)),
        (None, None, Some(_)) => "lid (no phone)".to_owned(),
        (None, None, None) => match party.business {
            Some(_) => "business".to_owned(),
            None => "-".to_owned(),
        },
    }
}
