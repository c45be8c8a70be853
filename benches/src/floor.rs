//! Validation floors: what checking a body's UTF-8 and JSON alone costs, with nothing read
//! out of it.
//!
//! The router refuses a body that is not valid UTF-8 and JSON (fail closed), so it reads every
//! byte of it at least once, and no route can be faster than validating the body. The `route`
//! group and the instruction-count workloads measure three floors beside the router, on the
//! same bodies:
//!
//! - [`lex`]: the router's own lexer ([`wa_payload::lex::validate`]) after the UTF-8 check the
//!   routing scan makes (simdutf8): the routing scan with everything but validation taken out.
//! - [`serde_json()`]: serde_json deserializing into [`IgnoredAny`], the validation a serde user
//!   already has.
//! - [`sonic`]: the same with sonic-rs, a JSON parser built on SIMD.
//!
//! ```
//! let body = benches::inputs::TEXT.as_bytes();
//! assert!(benches::floor::lex(body) && benches::floor::serde_json(body) && benches::floor::sonic(body));
//! assert!(!benches::floor::lex(b"{\"a\":") && !benches::floor::serde_json(b"{\"a\":"));
//! ```

use serde::de::IgnoredAny;
use wa_payload::Limits;

/// A floor: whether a body is valid, by one validator.
pub type Check = fn(&[u8]) -> bool;

/// Every floor with the name the `route` group gives it.
pub const ALL: [(&str, Check); 3] = [
    ("floor-lex-validate", lex),
    ("floor-serde-json-validate", serde_json),
    ("floor-sonic-rs-validate", sonic),
];

/// Whether `body` is UTF-8 and one JSON text, by the routing scan's own checks.
pub fn lex(body: &[u8]) -> bool {
    simdutf8::basic::from_utf8(body).is_ok()
        && wa_payload::lex::validate(body, Limits::default().max_depth()).is_ok()
}

/// Whether `body` is one JSON text, by serde_json (which checks UTF-8 inside strings).
pub fn serde_json(body: &[u8]) -> bool {
    ::serde_json::from_slice::<IgnoredAny>(body).is_ok()
}

/// Whether `body` is one JSON text, by sonic-rs.
pub fn sonic(body: &[u8]) -> bool {
    sonic_rs::from_slice::<IgnoredAny>(body).is_ok()
}
