//! Numbering plan and attribution: differential test against libphonenumber
//! (`rlibphonenumber`), conformance with `shared/data/calling-codes.csv`, and properties.

use std::collections::BTreeMap;

use proptest::prelude::*;
use residency_core::attribution::{self, Unattributed, attribute_phone, normalize_phone};
use residency_core::numbering::{self, CallingCode};
use residency_core::{Basis, Country};
use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, PhoneNumberType};

const TYPES: [PhoneNumberType; 10] = [
    PhoneNumberType::FixedLine,
    PhoneNumberType::Mobile,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::SharedCost,
    PhoneNumberType::VoIP,
    PhoneNumberType::PersonalNumber,
    PhoneNumberType::Pager,
    PhoneNumberType::UAN,
    PhoneNumberType::VoiceMail,
];

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn digit(&mut self) -> u8 {
        b'0' + (self.next() % 10) as u8
    }
}

/// libphonenumber's verdict on E.164 digits: `Some(region)` ("001" for non-geographic) when
/// the number is valid, `None` otherwise.
fn oracle(digits: &str) -> Option<String> {
    let n: PhoneNumber = format!("+{digits}").parse().ok()?;
    if !n.is_valid() {
        return None;
    }
    n.get_region_code().map(|r| r.to_string())
}

fn ours(digits: &str) -> String {
    match numbering::lookup(digits.as_bytes()) {
        Some(m) => m
            .country
            .map_or_else(|| "001".to_owned(), |c| c.to_string()),
        None => "unknown calling code".to_owned(),
    }
}

fn e164(n: &PhoneNumber) -> String {
    n.format_as(PhoneNumberFormat::E164)
        .trim_start_matches('+')
        .to_owned()
}

/// Compares our country with libphonenumber's region for `digits` if the number is valid.
fn check(digits: &str, checked: &mut usize, mismatches: &mut Vec<String>) {
    if let Some(expected) = oracle(digits) {
        *checked += 1;
        let got = ours(digits);
        if got != expected {
            mismatches.push(format!("+{digits}: libphonenumber {expected}, ours {got}"));
        }
    }
}

/// For every region libphonenumber knows: its example number of every type, then numbers
/// that keep the first k digits of each example and randomise the rest (for every k), then
/// a sweep of every NANP area code. Every valid one must get libphonenumber's region.
#[test]
fn country_equals_libphonenumber_region_for_valid_numbers() {
    let mut rng = Rng(0x5EED_2026_0000_0001);
    let mut examples: Vec<String> = Vec::new();
    let mut regions: Vec<_> = PHONE_NUMBER_UTIL.get_supported_regions().collect();
    regions.sort_by_key(|r| r.to_string());
    for region in &regions {
        for t in TYPES {
            if let Ok(n) = PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(*region, t) {
                examples.push(e164(&n));
            }
        }
    }
    for code in PHONE_NUMBER_UTIL.get_supported_global_network_calling_codes() {
        if let Ok(n) = PHONE_NUMBER_UTIL.get_example_number_for_non_geo_entity(code) {
            examples.push(e164(&n));
        }
    }
    assert!(
        regions.len() > 240,
        "oracle knows {} regions",
        regions.len()
    );
    assert!(
        examples.len() > 1000,
        "only {} example numbers",
        examples.len()
    );

    let mut checked = 0usize;
    let mut mismatches = Vec::new();
    let mut per_region: BTreeMap<String, usize> = BTreeMap::new();
    for ex in &examples {
        check(ex, &mut checked, &mut mismatches);
        if let Some(r) = oracle(ex) {
            *per_region.entry(r).or_default() += 1;
        }
        let bytes = ex.as_bytes();
        for keep in 1..bytes.len() {
            for _ in 0..3 {
                let mut v = bytes.to_vec();
                for d in v.iter_mut().skip(keep) {
                    *d = rng.digit();
                }
                let v = String::from_utf8(v).expect("ASCII digits");
                check(&v, &mut checked, &mut mismatches);
            }
        }
    }
    // NANP: every area code, a few subscriber numbers each.
    for area in 200..1000 {
        for _ in 0..4 {
            let mut v = format!("1{area}");
            v.push(char::from(b'2' + (rng.next() % 8) as u8));
            for _ in 0..6 {
                v.push(char::from(rng.digit()));
            }
            check(&v, &mut checked, &mut mismatches);
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {checked} valid numbers disagree:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 20_000, "only {checked} valid numbers generated");
    // Every region with example numbers was exercised.
    assert!(
        per_region.len() > 240,
        "{} regions exercised",
        per_region.len()
    );
}

/// The tutorials' traps from the issue, through the whole attribution path.
#[test]
fn shared_code_traps() {
    for (raw, iso) in [
        ("+1 876 555 0123", "JM"),
        ("+1 212 555 0123", "US"),
        ("+1 416 555 0123", "CA"),
        ("+7 701 234 5678", "KZ"),
        ("+7 916 123 4567", "RU"),
        ("+44 1481 256789", "GG"),
        ("+44 7700 900123", "GB"),
        ("+47 7901 2345", "SJ"),
        ("+358 18 123456", "AX"),
        ("+39 06 698 12345", "VA"),
        ("+61 8 9162 1234", "CC"),
        ("+262 269 60 1234", "YT"),
        ("+590 590 27 1234", "BL"),
        ("+599 318 1234", "BQ"),
        ("+212 528 123456", "MA"),
        ("+290 8123", "TA"),
    ] {
        let a = attribute_phone(raw);
        assert_eq!(a.country, Some(Country::from_static(iso)), "{raw}");
        assert_eq!(a.basis, Basis::LeadingDigits, "{raw}");
    }
}

/// Splits one CSV line on commas outside double quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            _ => out.last_mut().expect("one field").push(ch),
        }
    }
    out
}

/// Every row of `shared/data/calling-codes.csv` (metadata 9.0.35) holds with our table
/// (9.0.42): codes, main regions, non-geographic codes and every listed leading-digit prefix.
#[test]
fn conforms_to_shared_calling_codes_csv() {
    let Some(dir) = crate::shared::shared_dir("the calling-codes.csv conformance test") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("data/calling-codes.csv"))
        .expect("calling-codes.csv is readable");
    let mut rows = 0;
    let mut codes = std::collections::BTreeSet::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(line);
        let [code, region, prefixes, ..] = f.as_slice() else {
            panic!("short row in calling-codes.csv");
        };
        let code: u16 = code.parse().expect("numeric calling code");
        codes.insert(code);
        let cc = CallingCode::new(code).unwrap_or_else(|| panic!("+{code} missing"));
        rows += 1;
        match (region.as_str(), prefixes.as_str()) {
            ("001", "NONE") => assert!(cc.is_non_geographic(), "+{code} non-geographic"),
            // Listed in the metadata but never returned (EH under +212).
            (_, "NONE") => assert!(cc.is_shared(), "+{code}"),
            (iso, "MAIN") => assert_eq!(
                cc.main_country().map(|c| c.to_string()).as_deref(),
                Some(iso),
                "+{code} main region"
            ),
            (iso, list) => {
                for p in list.split(';') {
                    let digits = format!("{code}{p}0000000");
                    assert_eq!(ours(&digits), iso, "+{code} {p}");
                }
            }
        }
    }
    assert_eq!(rows, 254);
    let ours_codes: std::collections::BTreeSet<u16> =
        CallingCode::all().map(CallingCode::get).collect();
    assert_eq!(codes, ours_codes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Attribution is total: any string gives either a country or a reason, never both.
    #[test]
    fn attribution_is_total(raw in ".{0,40}") {
        let a = attribute_phone(&raw);
        prop_assert_ne!(a.country.is_some(), a.reason.is_some());
        if a.reason.is_some() && a.reason != Some(Unattributed::NonGeographic) {
            prop_assert_eq!(a.basis, Basis::Default);
        }
        let u = attribution::attribute_user_id(&raw);
        prop_assert_ne!(u.country.is_some(), u.reason.is_some());
    }

    /// Separators never change the answer, and `+`, `00` and none are equivalent.
    #[test]
    fn separators_do_not_matter(digits in "[1-9][0-9]{6,13}", seps in proptest::collection::vec(0u8..5, 15)) {
        let mut spaced = String::new();
        for (i, ch) in digits.chars().enumerate() {
            spaced.push(ch);
            match seps.get(i).copied().unwrap_or(0) {
                1 => spaced.push(' '),
                2 => spaced.push('-'),
                3 => spaced.push('.'),
                _ => {}
            }
        }
        let plain = attribute_phone(&digits);
        prop_assert_eq!(attribute_phone(&format!("+{spaced}")), plain);
        prop_assert_eq!(attribute_phone(&format!("00{spaced}")), plain);
        let mut buf = [0u8; 15];
        prop_assert_eq!(normalize_phone(&spaced, &mut buf).ok(), Some(digits.as_bytes()));
    }

    /// Any digit string: lookup either finds a code that prefixes it, or none does.
    #[test]
    fn lookup_is_consistent_with_split(digits in "[0-9]{0,17}") {
        let m = numbering::lookup(digits.as_bytes());
        let s = numbering::split_calling_code(digits.as_bytes());
        prop_assert_eq!(m.map(|m| m.calling_code), s.map(|(c, _)| c));
        if let Some((c, n)) = s {
            prop_assert!(digits.starts_with(&c.to_string()));
            prop_assert_eq!(c.to_string().len(), n);
        }
    }
}
