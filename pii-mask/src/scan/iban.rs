//! IBANs: uppercase, contiguous or in groups of four, with the country's exact length and the
//! mod-97 check.

use super::text::{byte_at, is_word_byte};

/// Longest IBAN of any country, in characters.
const MAX_IBAN_LEN: usize = 34;

/// IBAN length per country (SWIFT IBAN registry).
fn iban_length(country: [u8; 2]) -> Option<usize> {
    let n = match &country {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BI" => 27,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DJ" => 27,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FK" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"LY" => 25,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MN" => 20,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NI" => 28,
        b"NL" => 18,
        b"NO" => 15,
        b"OM" => 23,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"RU" => 33,
        b"SA" => 24,
        b"SC" => 31,
        b"SD" => 18,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"SO" => 23,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        b"YE" => 30,
        _ => return None,
    };
    Some(n)
}

/// An IBAN starting at `i` (an uppercase letter at a word start): returns its end.
pub(super) fn iban(text: &[u8], i: usize) -> Option<usize> {
    let country = [byte_at(text, i), byte_at(text, i + 1)];
    if !country[1].is_ascii_uppercase()
        || !byte_at(text, i + 2).is_ascii_digit()
        || !byte_at(text, i + 3).is_ascii_digit()
    {
        return None;
    }
    let want = iban_length(country)?;
    let mut chars = [0u8; MAX_IBAN_LEN];
    let mut n = 0usize;
    let mut j = i;
    while n < want {
        let b = byte_at(text, j);
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            *chars.get_mut(n)? = b;
            n += 1;
            j += 1;
        } else if b == b' ' && n.is_multiple_of(4) && n > 0 && {
            let c = byte_at(text, j + 1);
            c.is_ascii_uppercase() || c.is_ascii_digit()
        } {
            j += 1;
        } else {
            return None;
        }
    }
    if is_word_byte(byte_at(text, j)) {
        return None;
    }
    mod97_is_one(chars.get(..n)?).then_some(j)
}

/// The IBAN check: the first four characters moved to the end, letters as 10 to 35, the
/// whole read as one number, which must leave 1 modulo 97.
fn mod97_is_one(iban: &[u8]) -> bool {
    let (head, tail) = iban.split_at(4.min(iban.len()));
    let mut remainder = 0u32;
    for &c in tail.iter().chain(head) {
        if c.is_ascii_digit() {
            remainder = (remainder * 10 + u32::from(c - b'0')) % 97;
        } else {
            let v = u32::from(c - b'A') + 10;
            remainder = (remainder * 100 + v) % 97;
        }
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<&str> {
        iban(text.as_bytes(), 0).map(|end| &text[..end])
    }

    #[test]
    fn grouped_and_contiguous() {
        assert_eq!(
            found("DE89 3704 0044 0532 0130 00 ok"),
            Some("DE89 3704 0044 0532 0130 00")
        );
        assert_eq!(
            found("GB82WEST12345698765432"),
            Some("GB82WEST12345698765432")
        );
    }

    #[test]
    fn wrong_check_length_or_country() {
        for text in [
            "DE89 3704 0044 0532 0130 01",
            "DE89 3704 0044 0532 0130 0",
            "DE89 3704 0044 0532 0130 000",
            "ZZ89 3704 0044 0532 0130 00",
            "DE89 37040 044 0532 0130 00",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }

    #[test]
    fn every_listed_length_fits_the_buffer() {
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                if let Some(n) = iban_length([a, b]) {
                    assert!(
                        (15..=MAX_IBAN_LEN).contains(&n),
                        "{}{}",
                        a as char,
                        b as char
                    );
                }
            }
        }
    }
}
