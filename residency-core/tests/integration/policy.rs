//! Regimes and the residency policy: conformance with `shared/data/regimes.md`, the seed
//! policy over every country of the numbering plan, and builder behaviour.

use proptest::prelude::*;
use residency_core::attribution::{attribute, attribute_phone};
use residency_core::numbering::{self, CallingCode};
use residency_core::{Country, Localisation, Policy, PolicyError, Regime, Region};

/// Removes parenthesised text (nested too).
fn without_parens(s: &str) -> String {
    let mut depth = 0usize;
    s.chars()
        .filter(|&c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// Two-letter uppercase words of `s`.
fn iso_tokens(s: &str) -> Vec<Country> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() == 2 && w.bytes().all(|b| b.is_ascii_uppercase()))
        .filter_map(|w| w.parse().ok())
        .collect()
}

fn table_rows<'a>(text: &'a str, heading: &str) -> Vec<Vec<&'a str>> {
    let Some(start) = text.find(heading) else {
        panic!("regimes.md lacks the section {heading}");
    };
    text.get(start..)
        .unwrap_or_default()
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

/// Every row of the main table: the listed countries have the row's regime, and the regime's
/// localisation is the row's.
#[test]
fn regimes_conform_to_shared_regimes_md() {
    let Some(dir) = crate::shared::shared_dir("the regimes.md conformance test") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("data/regimes.md")).expect("regimes.md");
    let by_name: &[(&str, Regime)] = &[
        ("EU GDPR", Regime::EuGdpr),
        ("GDPR via EEA", Regime::EeaGdpr),
        ("UK GDPR", Regime::UkGdpr),
        ("Crown dependencies", Regime::CrownDependency),
        ("Swiss nFADP", Regime::SwissFadp),
        ("Brazil LGPD", Regime::Lgpd),
        ("India DPDP", Regime::Dpdp),
        ("China PIPL", Regime::Pipl),
        ("Russia 152-FZ", Regime::Russia152Fz),
        ("Indonesia", Regime::IndonesiaPdp),
        ("Vietnam", Regime::VietnamPdp),
        ("Saudi", Regime::SaudiPdpl),
        ("Turkey", Regime::TurkeyKvkk),
        ("South Africa", Regime::SouthAfricaPopia),
        ("Canada", Regime::CanadaPipeda),
        ("United States", Regime::UsState),
        ("Australia", Regime::AustraliaPrivacyAct),
        ("Japan", Regime::JapanAppi),
        ("South Korea", Regime::KoreaPipa),
        ("Nigeria", Regime::NigeriaNdpa),
        ("Kenya", Regime::KenyaDpa),
    ];
    let rows = table_rows(&text, "## Main table");
    assert_eq!(rows.len(), by_name.len(), "one row per named regime");
    let mut countries_seen = 0;
    for row in &rows {
        let [name, regions, localisation, ..] = row.as_slice() else {
            panic!("short row in the main table");
        };
        let Some(&(_, regime)) = by_name.iter().find(|(n, _)| name.starts_with(n)) else {
            panic!("unknown regime row {name}");
        };
        for c in iso_tokens(&without_parens(regions)) {
            if c.as_str() == "EU" {
                continue; // "EU-27"
            }
            countries_seen += 1;
            assert_eq!(Regime::of(c), regime, "{c} in row {name}");
        }
        let expected = match localisation.split_whitespace().next() {
            Some("hard:" | "hard") => Localisation::Hard,
            Some("conditional" | "conditional:") => Localisation::Conditional,
            Some("sectoral") => Localisation::Sectoral,
            Some("none") => Localisation::None,
            other => panic!("unknown localisation {other:?} in row {name}"),
        };
        assert_eq!(regime.localisation(), expected, "localisation of {name}");
    }
    assert!(countries_seen > 50);
}

/// The special-territories table: a territory is EU GDPR exactly when the table says "yes"
/// (the Campione/Büsingen row is about Swiss numbers in EU enclaves: CH stays Swiss).
#[test]
fn special_territories_conform_to_shared_regimes_md() {
    let Some(dir) = crate::shared::shared_dir("the regimes.md conformance test") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("data/regimes.md")).expect("regimes.md");
    let rows = table_rows(&text, "## Special territories");
    assert!(rows.len() >= 15);
    let mut checked = 0;
    for row in &rows {
        let [name, range, _, gdpr, ..] = row.as_slice() else {
            panic!("short row in the special territories table");
        };
        if name.starts_with("Campione") {
            assert_eq!(Regime::of(Country::from_static("CH")), Regime::SwissFadp);
            continue;
        }
        for c in iso_tokens(range) {
            checked += 1;
            let is_eu = Regime::of(c) == Regime::EuGdpr;
            match gdpr.split_whitespace().next() {
                Some("yes") => assert!(is_eu, "{c} ({name}) should be EU GDPR"),
                Some("no" | "confirm") => assert!(!is_eu, "{c} ({name}) should not be EU GDPR"),
                other => panic!("unknown GDPR column {other:?} for {name}"),
            }
        }
    }
    assert!(checked >= 25, "{checked} territories checked");
}

/// Every country the numbering plan can return is routed by the seed as DESIGN.md says.
#[test]
fn seed_routes_every_plan_country_by_design() {
    let seed = Policy::seed();
    let mut countries: Vec<Country> = CallingCode::all()
        .filter_map(CallingCode::main_country)
        .collect();
    // Countries reached only through leading digits.
    for s in [
        "AG", "AI", "AS", "BB", "BM", "BS", "CA", "DM", "DO", "GD", "GU", "JM", "KN", "KY", "LC",
        "MP", "MS", "PR", "SX", "TC", "TT", "VC", "VG", "VI", "KZ", "VA", "GG", "IM", "JE", "SJ",
        "CC", "CX", "YT", "BL", "MF", "BQ", "TA", "AX",
    ] {
        countries.push(Country::from_static(s));
    }
    assert!(countries.len() > 240);
    for c in countries {
        let region = seed.region_for_country(c);
        let regime = Regime::of(c);
        let europe = matches!(
            regime,
            Regime::EuGdpr
                | Regime::EeaGdpr
                | Regime::UkGdpr
                | Regime::CrownDependency
                | Regime::SwissFadp
        );
        if europe || c.as_str() == "SJ" {
            assert_eq!(region, &Region::EU, "{c}");
        } else if regime == Regime::Dpdp {
            assert_eq!(region, &Region::INDIA, "{c}");
        } else if regime == Regime::Lgpd {
            assert_eq!(region, &Region::LATAM, "{c}");
        } else {
            assert!(
                region == &Region::US || region == &Region::LATAM,
                "{c} goes to {region}"
            );
        }
    }
}

/// A policy from configuration: overrides layered on the seed, errors before routing.
#[test]
fn operator_policy_end_to_end() {
    let ru = Region::from_static("RU");
    let cn = Region::from_static("CN");
    let policy = Policy::builder(Region::from_static("ROW"))
        .regime(Regime::Russia152Fz, ru.clone())
        .regime(Regime::Pipl, cn)
        .country(Country::from_static("KZ"), ru)
        .calling_code(882, Region::EU)
        .business("106540352242922", Region::INDIA)
        .build()
        .expect("valid configuration");
    let cases = [
        ("+7 916 123 4567", "RU"),
        ("+7 701 234 5678", "RU"),
        ("+86 139 1234 5678", "CN"),
        ("+852 6123 4567", "ROW"),
        ("+44 1534 123456", "EU"),
        ("+91 98765 43210", "INDIA"),
        ("+55 11 98765 4321", "LATAM"),
        ("+882 16 1234 5678", "EU"),
        ("+800 1234 5678", "ROW"),
        ("12345@lid", "ROW"),
    ];
    for (raw, region) in cases {
        assert_eq!(
            policy.region_for(&attribute_phone(raw)).as_str(),
            region,
            "{raw}"
        );
    }
    assert_eq!(
        policy.region_for_business(Some("1"), Some("106540352242922")),
        &Region::INDIA
    );
    let names: Vec<&str> = policy.regions().map(Region::as_str).collect();
    assert_eq!(names, ["CN", "EU", "INDIA", "LATAM", "ROW", "RU"]);

    // Invalid configuration fails at build time, naming only configuration.
    let err = Policy::builder(Region::US)
        .calling_code(999, Region::EU)
        .build()
        .expect_err("999 is unassigned");
    assert_eq!(err, PolicyError::UnknownCallingCode { code: 999 });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Routing is total: any phone or user id string gets a region the policy lists.
    #[test]
    fn routing_is_total(phone in proptest::option::of(".{0,24}"), user in proptest::option::of("[A-Za-z.0-9]{0,12}")) {
        let policy = Policy::seed();
        let a = attribute(phone.as_deref(), user.as_deref());
        let r = policy.region_for(&a);
        prop_assert!(policy.regions().any(|x| x == r));
    }

    /// For digit strings, the region follows the country whenever one is attributed.
    #[test]
    fn region_follows_country(digits in "[1-9][0-9]{7,12}") {
        let policy = Policy::seed();
        let a = attribute_phone(&digits);
        match (a.country, numbering::lookup(digits.as_bytes())) {
            (Some(c), Some(m)) => {
                prop_assert_eq!(Some(c), m.country);
                prop_assert_eq!(policy.region_for(&a), policy.region_for_country(c));
            }
            _ => prop_assert_eq!(policy.region_for(&a), policy.default_region()),
        }
    }
}
