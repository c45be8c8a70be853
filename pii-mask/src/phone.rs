//! Phone-number masking for logs: the seed format, configurable prefix and suffix, and a
//! calling-code-only variant.
//!
//! Masks work on the digits of the number (`+`, spaces and dashes are dropped; digits of
//! other scripts count as their [value](decimal_digit)) and print a fixed `****` in the
//! middle, so the mask does not give the number's length away either.
//! Whatever the configuration, a mask never shows more than half of the digits, and numbers
//! with fewer than [`MIN_PARTIAL_DIGITS`] digits (short codes, placeholders, garbage) are
//! masked completely.
//!
//! ```
//! use pii_mask::PhoneMask;
//!
//! assert_eq!(PhoneMask::SEED.mask("+49 151 23456789"), "4915****89");
//! assert_eq!(PhoneMask::SEED.mask("16505551234"), "165****34"); // 11 digits: at most 5 shown
//! assert_eq!(PhoneMask::SEED.mask("112"), "****");
//! assert_eq!(pii_mask::phone::mask_to_calling_code("+49 151 23456789"), "+49 ****");
//! ```

use residency_core::numbering;

/// Numbers with fewer digits than this are masked completely.
pub const MIN_PARTIAL_DIGITS: usize = 7;

/// The masked middle (and the whole mask of a short number).
pub const STARS: &str = "****";

/// Longest digit string considered (E.164 allows 15); longer inputs are masked completely.
const MAX_DIGITS: usize = 32;

/// How much of a phone number a partial mask keeps: leading and trailing digits.
///
/// The kept counts are upper bounds: when they add up to more than half of a number's
/// digits, the suffix is kept first and the prefix shrinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhoneMask {
    keep_prefix: u8,
    keep_suffix: u8,
}

impl PhoneMask {
    /// The seed's format: the first four digits, `****`, the last two.
    pub const SEED: Self = Self::new(4, 2);

    /// A mask that keeps up to `keep_prefix` leading and `keep_suffix` trailing digits.
    pub const fn new(keep_prefix: u8, keep_suffix: u8) -> Self {
        Self {
            keep_prefix,
            keep_suffix,
        }
    }

    /// How many leading and trailing digits a number of `n` digits shows.
    ///
    /// ```
    /// use pii_mask::PhoneMask;
    ///
    /// assert_eq!(PhoneMask::SEED.revealed(13), (4, 2));
    /// assert_eq!(PhoneMask::SEED.revealed(10), (3, 2));
    /// assert_eq!(PhoneMask::new(2, 9).revealed(12), (0, 6));
    /// assert_eq!(PhoneMask::SEED.revealed(6), (0, 0));
    /// ```
    pub fn revealed(&self, n: usize) -> (usize, usize) {
        if !(MIN_PARTIAL_DIGITS..=MAX_DIGITS).contains(&n) {
            return (0, 0);
        }
        let budget = n / 2;
        let suffix = usize::from(self.keep_suffix).min(budget);
        let prefix = usize::from(self.keep_prefix).min(budget - suffix);
        (prefix, suffix)
    }

    /// The masked form of `raw`: kept leading digits, `****`, kept trailing digits.
    ///
    /// Only the digits of `raw` count (other scripts as [`decimal_digit`] reads them); everything
    /// else is dropped.
    pub fn mask(&self, raw: &str) -> String {
        let digits = Digits::of(raw);
        let d = digits.as_bytes();
        let (p, s) = self.revealed(d.len());
        let mut out = String::with_capacity(p + STARS.len() + s);
        for &c in d.iter().take(p) {
            out.push(char::from(c));
        }
        out.push_str(STARS);
        for &c in d.iter().skip(d.len() - s) {
            out.push(char::from(c));
        }
        out
    }
}

impl Default for PhoneMask {
    fn default() -> Self {
        Self::SEED
    }
}

/// The country calling code of `raw` (E.164 digits, with or without `+` or `00`), if the
/// numbering plan knows one and the number is long enough to show it without revealing
/// more than half of its digits.
///
/// ```
/// let cc = pii_mask::phone::calling_code("+44 7700 900123").unwrap();
/// assert_eq!(cc.get(), 44);
/// assert!(pii_mask::phone::calling_code("PHONE_NUMBER").is_none());
/// ```
pub fn calling_code(raw: &str) -> Option<numbering::CallingCode> {
    let digits = Digits::of(raw);
    let d = digits.as_bytes();
    if d.len() < MIN_PARTIAL_DIGITS || d.len() > MAX_DIGITS {
        return None;
    }
    let (code, len) = numbering::split_calling_code(d)?;
    (2 * len <= d.len()).then_some(code)
}

/// The calling-code-only mask: `+49 ****`, or `****` when no calling code applies.
pub fn mask_to_calling_code(raw: &str) -> String {
    match calling_code(raw) {
        Some(code) => format!("+{} {STARS}", code.get()),
        None => STARS.to_owned(),
    }
}

/// The value of a decimal digit in ASCII or one of the other scripts phone numbers are
/// written in: Arabic-Indic (`٠`..`٩`), Extended Arabic-Indic as used for Persian and Urdu
/// (`۰`..`۹`), Devanagari (`०`..`९`) and fullwidth (`０`..`９`), as libphonenumber normalizes
/// them.
///
/// ```
/// use pii_mask::phone::decimal_digit;
///
/// assert_eq!(decimal_digit('7'), Some(7));
/// assert_eq!(decimal_digit('٧'), Some(7));
/// assert_eq!(decimal_digit('۷'), Some(7));
/// assert_eq!(decimal_digit('७'), Some(7));
/// assert_eq!(decimal_digit('７'), Some(7));
/// assert_eq!(decimal_digit('x'), None);
/// ```
pub fn decimal_digit(c: char) -> Option<u8> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{660}'..='\u{669}' => '\u{660}',
        '\u{6f0}'..='\u{6f9}' => '\u{6f0}',
        '\u{966}'..='\u{96f}' => '\u{966}',
        '\u{ff10}'..='\u{ff19}' => '\u{ff10}',
        _ => return None,
    };
    // Each block is ten consecutive code points, so the difference is 0 to 9.
    u8::try_from(u32::from(c) - u32::from(zero)).ok()
}

/// The digits of a raw number as ASCII (other scripts normalized by [`decimal_digit`]),
/// without an international `00` prefix.
struct Digits {
    buf: [u8; MAX_DIGITS + 1],
    len: usize,
}

impl Digits {
    fn of(raw: &str) -> Self {
        let mut out = Self {
            buf: [0; MAX_DIGITS + 1],
            len: 0,
        };
        let mut digits = raw.chars().filter_map(decimal_digit).peekable();
        // An international `00` prefix is dropped when the number starts with it.
        let starts_with_zeros = raw
            .trim_start()
            .chars()
            .take(2)
            .map(decimal_digit)
            .eq([Some(0), Some(0)]);
        if starts_with_zeros {
            digits.nth(1);
        }
        for d in digits {
            match out.buf.get_mut(out.len) {
                Some(slot) => {
                    *slot = b'0' + d;
                    out.len += 1;
                }
                // Longer than any phone number: report it as too long.
                None => break,
            }
        }
        out
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_format_on_long_numbers() {
        assert_eq!(PhoneMask::SEED.mask("4915123456789"), "4915****89");
        assert_eq!(PhoneMask::SEED.mask("+972 98765-4321"), "9729****21");
    }

    #[test]
    fn never_more_than_half() {
        for n in 0..40 {
            for p in 0..10u8 {
                for s in 0..10u8 {
                    let (a, b) = PhoneMask::new(p, s).revealed(n);
                    assert!(2 * (a + b) <= n, "n={n} p={p} s={s}");
                }
            }
        }
    }

    #[test]
    fn short_and_placeholder_numbers_are_fully_masked() {
        for raw in [
            "",
            "112",
            "123456",
            "CUSTOMER_PHONE_NUMBER",
            "<WHATSAPP_USER_PHONE_NUMBER>",
        ] {
            assert_eq!(PhoneMask::SEED.mask(raw), "****", "{raw}");
        }
        assert_eq!(PhoneMask::SEED.mask(&"9".repeat(40)), "****");
    }

    #[test]
    fn digits_of_other_scripts_count_as_digits() {
        assert_eq!(PhoneMask::SEED.mask("+٤٩ ١٥١ ٢٣٤٥٦٧٨٩"), "4915****89");
        assert_eq!(PhoneMask::SEED.mask("۰۰۴۹۱۵۱۲۳۴۵۶۷۸۹"), "4915****89");
        assert_eq!(
            PhoneMask::SEED.mask("＋４９ １５１ ２３４５６７８９"),
            "4915****89"
        );
        assert_eq!(mask_to_calling_code("+९१ ९८७६५ ४३२१०"), "+91 ****");
    }

    #[test]
    fn calling_code_variant() {
        assert_eq!(mask_to_calling_code("4915123456789"), "+49 ****");
        assert_eq!(mask_to_calling_code("0044 7700 900123"), "+44 ****");
        assert_eq!(mask_to_calling_code("16505551234"), "+1 ****");
        assert_eq!(mask_to_calling_code("12"), "****");
    }
}
