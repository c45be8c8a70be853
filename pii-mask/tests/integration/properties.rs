//! Property tests: what must hold for every input.

use pii_mask::pseudonym::Kind;
use pii_mask::{Masker, PhoneMask, PseudonymKey, scan};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

proptest! {
    #![proptest_config(config())]

    /// A phone mask shows exactly the kept prefix and suffix and none of the hidden digits.
    #[test]
    fn phone_masks_never_show_hidden_digits(
        digits in "([1-9][0-9]{0,19})?",
        keep_prefix in 0u8..12,
        keep_suffix in 0u8..12,
        plus in any::<bool>(),
    ) {
        let raw = if plus { format!("+{digits}") } else { digits.clone() };
        let mask = PhoneMask::new(keep_prefix, keep_suffix);
        let out = mask.mask(&raw);
        let (p, s) = mask.revealed(digits.len());
        prop_assert!(2 * (p + s) <= digits.len());
        let shown: String = out.chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(shown.len(), p + s);
        prop_assert!(out.starts_with(&digits[..p]));
        prop_assert!(out.ends_with(&digits[digits.len() - s..]));
        prop_assert!(out.contains("****"));
    }

    /// A masked payload contains neither the phone number nor the run of digits it hid.
    #[test]
    fn masked_payloads_never_contain_the_hidden_digits(
        phone in "[1-9][0-9]{9,13}",
        name in "[A-Za-z]{4,12} [A-Za-z]{4,12}",
        body in "[ -~]{8,60}",
    ) {
        let raw = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "BIZ", "phone_number_id": "PNID"},
                "contacts": [{"profile": {"name": name}, "wa_id": phone}],
                "messages": [{"from": phone, "id": "wamid.X", "timestamp": "1",
                              "type": "text", "text": {"body": body}}]
            }}]}]
        });
        let bytes = serde_json::to_vec(&raw).unwrap();
        let (p, s) = PhoneMask::SEED.revealed(phone.len());
        let hidden = &phone[p..phone.len() - s];
        let key = PseudonymKey::new("k1", b"property test key").unwrap();
        for masker in [Masker::partial(), Masker::pseudonym(key.clone()), Masker::strip(key)] {
            let out = String::from_utf8(masker.mask(&bytes).unwrap()).unwrap();
            prop_assert!(!out.contains(phone.as_str()));
            prop_assert!(!out.contains(hidden));
            prop_assert!(!out.contains(name.as_str()));
            // A body of 8+ printable characters is gone (it may share short runs by chance).
            let quoted = serde_json::to_string(&body).unwrap();
            prop_assert!(!out.contains(quoted.as_str()));
        }
    }

    /// Pseudonyms are stable under one key, and differ across keys and kinds.
    #[test]
    fn pseudonyms_are_stable_and_separated(
        value in "[ -~]{1,40}",
        secret_a in proptest::collection::vec(any::<u8>(), 1..48),
        secret_b in proptest::collection::vec(any::<u8>(), 1..48),
    ) {
        prop_assume!(secret_a != secret_b);
        let a = PseudonymKey::new("ka", &secret_a).unwrap();
        let a_again = PseudonymKey::new("ka", &secret_a).unwrap();
        let b = PseudonymKey::new("ka", &secret_b).unwrap();
        prop_assert_eq!(a.pseudonymize(Kind::Name, &value), a_again.pseudonymize(Kind::Name, &value));
        prop_assert_ne!(a.pseudonymize(Kind::Name, &value), b.pseudonymize(Kind::Name, &value));
        let name = a.pseudonymize(Kind::Name, &value);
        let text = a.pseudonymize(Kind::Text, &value);
        prop_assert_ne!(&name.as_str()[name.as_str().len() - 16..], &text.as_str()[text.as_str().len() - 16..]);
    }

    /// The scanner never panics; findings are in bounds, ordered, disjoint and valid UTF-8
    /// (complete characters).
    #[test]
    fn scanner_is_total_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut last = 0;
        for f in scan::scan(&bytes) {
            prop_assert!(f.start() >= last && f.start() < f.end() && f.end() <= bytes.len());
            prop_assert!(std::str::from_utf8(&bytes[f.range()]).is_ok());
            last = f.end();
        }
        let _ = scan::redact(&bytes);
    }

    /// Text mixing the digits, signs and separators of other scripts with ASCII: findings
    /// stay on character boundaries.
    #[test]
    fn scanner_findings_stay_on_char_boundaries(
        text in "[0-9 +()\\-.,@a-fA-Z\u{660}-\u{669}\u{6f0}-\u{6f9}\u{966}-\u{96f}\u{ff10}-\u{ff19}\u{ff0b}\u{ff08}\u{ff09}\u{ff0d}\u{a0}\u{2013}\u{3000}\u{e9}\u{627}]{0,80}"
    ) {
        let mut last = 0;
        for f in scan::scan(text.as_bytes()) {
            prop_assert!(f.start() >= last && f.start() < f.end());
            prop_assert!(text.is_char_boundary(f.start()) && text.is_char_boundary(f.end()));
            last = f.end();
        }
    }

    /// Digit-heavy text exercises the phone, card and IP paths harder.
    #[test]
    fn scanner_is_total_on_digit_soup(text in "[0-9 +()\\-.:@a-fA-Z]{0,120}") {
        let bytes = text.as_bytes();
        let mut last = 0;
        for f in scan::scan(bytes) {
            prop_assert!(f.start() >= last && f.end() <= bytes.len());
            last = f.end();
        }
    }
}
