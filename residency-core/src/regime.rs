//! Data-protection regimes per country: [`Regime`] and [`Localisation`].
//!
//! The mapping follows the research snapshot in `shared/data/regimes.md` (Nov 2026). It is a
//! policy hint, not legal advice: a phone number is a proxy for the person's jurisdiction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::country::Country;

/// The data-protection regime that applies to data about a person in a country.
///
/// ```
/// use residency_core::{Country, Localisation, Regime};
///
/// assert_eq!(Regime::of(Country::from_static("DE")), Regime::EuGdpr);
/// assert_eq!(Regime::of(Country::from_static("RE")), Regime::EuGdpr); // outermost region
/// assert_eq!(Regime::of(Country::from_static("NC")), Regime::Other);  // OCT, not EU
/// assert_eq!(Regime::of(Country::from_static("RU")).localisation(), Localisation::Hard);
/// assert_eq!(Regime::Lgpd.as_str(), "lgpd");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Regime {
    /// EU GDPR (Reg. 2016/679): EU-27, AX and the outermost regions (GP, MF, MQ, GF, RE, YT).
    EuGdpr,
    /// GDPR via the EEA Agreement: NO, IS, LI.
    EeaGdpr,
    /// UK GDPR and the Data Protection Act 2018: GB.
    UkGdpr,
    /// The crown dependencies' own laws: GG, JE, IM.
    CrownDependency,
    /// Swiss revised Federal Act on Data Protection: CH.
    SwissFadp,
    /// Brazil's LGPD (Law 13.709/2018): BR.
    Lgpd,
    /// India's Digital Personal Data Protection Act 2023: IN.
    Dpdp,
    /// China's PIPL with the DSL and CSL: CN (not HK or MO).
    Pipl,
    /// Russia's Federal Law 152-FZ: RU.
    Russia152Fz,
    /// Indonesia's PDP Law 27/2022: ID.
    IndonesiaPdp,
    /// Vietnam's PDP Law 91/2025 and Decree 53/2022: VN.
    VietnamPdp,
    /// Saudi Arabia's PDPL: SA.
    SaudiPdpl,
    /// Turkey's KVKK (Law 6698): TR.
    TurkeyKvkk,
    /// South Africa's POPIA: ZA.
    SouthAfricaPopia,
    /// Canada's PIPEDA and Quebec Law 25: CA.
    CanadaPipeda,
    /// United States state laws (no federal omnibus law): US, PR, GU, VI, AS, MP.
    UsState,
    /// Australia's Privacy Act 1988: AU and its external territories CC, CX, NF.
    AustraliaPrivacyAct,
    /// Japan's APPI: JP.
    JapanAppi,
    /// South Korea's PIPA: KR.
    KoreaPipa,
    /// Nigeria's NDPA 2023: NG.
    NigeriaNdpa,
    /// Kenya's Data Protection Act 2019: KE.
    KenyaDpa,
    /// No specific regime listed in the snapshot (the rest of the world, and territories whose
    /// law must be confirmed such as SJ, BL, PM, NC, PF, WF, TF and the Dutch Caribbean).
    Other,
}

/// How strongly a regime mandates in-country storage (the "Localisation" column of
/// `regimes.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Localisation {
    /// A copy, or all processing, must stay in the country for the data in scope.
    Hard,
    /// Hard only for some controllers, sectors or volumes.
    Conditional,
    /// Only sector rules (payments, health, government) require in-country storage.
    Sectoral,
    /// No storage mandate; transfers abroad are allowed once a transfer tool applies.
    None,
}

const ALL: &[Regime] = &[
    Regime::EuGdpr,
    Regime::EeaGdpr,
    Regime::UkGdpr,
    Regime::CrownDependency,
    Regime::SwissFadp,
    Regime::Lgpd,
    Regime::Dpdp,
    Regime::Pipl,
    Regime::Russia152Fz,
    Regime::IndonesiaPdp,
    Regime::VietnamPdp,
    Regime::SaudiPdpl,
    Regime::TurkeyKvkk,
    Regime::SouthAfricaPopia,
    Regime::CanadaPipeda,
    Regime::UsState,
    Regime::AustraliaPrivacyAct,
    Regime::JapanAppi,
    Regime::KoreaPipa,
    Regime::NigeriaNdpa,
    Regime::KenyaDpa,
    Regime::Other,
];

impl Regime {
    /// The regime for a country (ISO 3166-1 alpha-2 as libphonenumber returns it).
    ///
    /// EU GDPR covers the EU-27, Åland (AX) and the outermost regions that have their own
    /// code (GP, MF, MQ, GF, RE, YT); it does not cover the overseas countries and territories
    /// (PM, BL, NC, PF, WF, TF) or the Dutch Caribbean (AW, CW, SX, BQ). Svalbard and Jan
    /// Mayen (SJ) is outside the EEA Agreement and maps to [`Regime::Other`].
    #[must_use]
    pub fn of(country: Country) -> Self {
        match &country.as_bytes() {
            b"AT" | b"BE" | b"BG" | b"HR" | b"CY" | b"CZ" | b"DK" | b"EE" | b"FI" | b"FR"
            | b"DE" | b"GR" | b"HU" | b"IE" | b"IT" | b"LV" | b"LT" | b"LU" | b"MT" | b"NL"
            | b"PL" | b"PT" | b"RO" | b"SK" | b"SI" | b"ES" | b"SE" | b"AX" | b"GP" | b"MF"
            | b"MQ" | b"GF" | b"RE" | b"YT" => Self::EuGdpr,
            b"NO" | b"IS" | b"LI" => Self::EeaGdpr,
            b"GB" => Self::UkGdpr,
            b"GG" | b"JE" | b"IM" => Self::CrownDependency,
            b"CH" => Self::SwissFadp,
            b"BR" => Self::Lgpd,
            b"IN" => Self::Dpdp,
            b"CN" => Self::Pipl,
            b"RU" => Self::Russia152Fz,
            b"ID" => Self::IndonesiaPdp,
            b"VN" => Self::VietnamPdp,
            b"SA" => Self::SaudiPdpl,
            b"TR" => Self::TurkeyKvkk,
            b"ZA" => Self::SouthAfricaPopia,
            b"CA" => Self::CanadaPipeda,
            b"US" | b"PR" | b"GU" | b"VI" | b"AS" | b"MP" => Self::UsState,
            b"AU" | b"CC" | b"CX" | b"NF" => Self::AustraliaPrivacyAct,
            b"JP" => Self::JapanAppi,
            b"KR" => Self::KoreaPipa,
            b"NG" => Self::NigeriaNdpa,
            b"KE" => Self::KenyaDpa,
            _ => Self::Other,
        }
    }

    /// How strongly the regime mandates in-country storage.
    ///
    /// PIPL, Indonesia, Vietnam and Kenya are conditional (hard for some controllers or
    /// sectors; regimes.md suggests treating CN as hard for a messaging product at scale).
    /// [`Regime::Other`] is [`Localisation::None`]: nothing is known to mandate it.
    #[must_use]
    pub fn localisation(self) -> Localisation {
        match self {
            Self::Russia152Fz => Localisation::Hard,
            Self::Pipl | Self::IndonesiaPdp | Self::VietnamPdp | Self::KenyaDpa => {
                Localisation::Conditional
            }
            Self::Dpdp
            | Self::SaudiPdpl
            | Self::TurkeyKvkk
            | Self::AustraliaPrivacyAct
            | Self::KoreaPipa
            | Self::NigeriaNdpa => Localisation::Sectoral,
            Self::EuGdpr
            | Self::EeaGdpr
            | Self::UkGdpr
            | Self::CrownDependency
            | Self::SwissFadp
            | Self::Lgpd
            | Self::SouthAfricaPopia
            | Self::CanadaPipeda
            | Self::UsState
            | Self::JapanAppi
            | Self::Other => Localisation::None,
        }
    }

    /// Whether exporting personal data under this regime needs a legal transfer tool.
    ///
    /// The choice: `true` when an export is lawful only through adequacy, safeguards,
    /// consent, a filing or an approval, or can be barred by a government list. That is the
    /// GDPR family (EU, EEA), UK GDPR, the crown dependencies, CH, LGPD, DPDP (negative list),
    /// PIPL, 152-FZ, and the Indonesian, Vietnamese, Saudi, Turkish, South African, Japanese,
    /// Korean, Nigerian and Kenyan laws. `false` for accountability-only regimes (Canada's
    /// PIPEDA, Australia's APP 8), for the US (no general export rule; the DOJ bulk-data rule
    /// only targets countries of concern) and for [`Regime::Other`] (unknown).
    #[must_use]
    pub fn restricts_transfer(self) -> bool {
        !matches!(
            self,
            Self::CanadaPipeda | Self::AustraliaPrivacyAct | Self::UsState | Self::Other
        )
    }

    /// The stable snake_case identifier (`eu_gdpr`, `russia_152fz`, ...), used in
    /// configuration and serde.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EuGdpr => "eu_gdpr",
            Self::EeaGdpr => "eea_gdpr",
            Self::UkGdpr => "uk_gdpr",
            Self::CrownDependency => "crown_dependency",
            Self::SwissFadp => "swiss_fadp",
            Self::Lgpd => "lgpd",
            Self::Dpdp => "dpdp",
            Self::Pipl => "pipl",
            Self::Russia152Fz => "russia_152fz",
            Self::IndonesiaPdp => "indonesia_pdp",
            Self::VietnamPdp => "vietnam_pdp",
            Self::SaudiPdpl => "saudi_pdpl",
            Self::TurkeyKvkk => "turkey_kvkk",
            Self::SouthAfricaPopia => "south_africa_popia",
            Self::CanadaPipeda => "canada_pipeda",
            Self::UsState => "us_state",
            Self::AustraliaPrivacyAct => "australia_privacy_act",
            Self::JapanAppi => "japan_appi",
            Self::KoreaPipa => "korea_pipa",
            Self::NigeriaNdpa => "nigeria_ndpa",
            Self::KenyaDpa => "kenya_dpa",
            Self::Other => "other",
        }
    }

    /// A human-readable name of the regime.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::EuGdpr => "EU GDPR",
            Self::EeaGdpr => "GDPR via the EEA Agreement",
            Self::UkGdpr => "UK GDPR and DPA 2018",
            Self::CrownDependency => "Crown dependencies' data protection laws",
            Self::SwissFadp => "Swiss nFADP",
            Self::Lgpd => "Brazil LGPD",
            Self::Dpdp => "India DPDP Act 2023",
            Self::Pipl => "China PIPL",
            Self::Russia152Fz => "Russia 152-FZ",
            Self::IndonesiaPdp => "Indonesia PDP Law",
            Self::VietnamPdp => "Vietnam PDP Law",
            Self::SaudiPdpl => "Saudi PDPL",
            Self::TurkeyKvkk => "Turkey KVKK",
            Self::SouthAfricaPopia => "South Africa POPIA",
            Self::CanadaPipeda => "Canada PIPEDA and Quebec Law 25",
            Self::UsState => "United States state privacy laws",
            Self::AustraliaPrivacyAct => "Australia Privacy Act 1988",
            Self::JapanAppi => "Japan APPI",
            Self::KoreaPipa => "South Korea PIPA",
            Self::NigeriaNdpa => "Nigeria NDPA 2023",
            Self::KenyaDpa => "Kenya Data Protection Act 2019",
            Self::Other => "no specific regime listed",
        }
    }

    /// Every regime, in declaration order.
    ///
    /// ```
    /// use residency_core::Regime;
    /// assert!(Regime::all().contains(&Regime::Pipl));
    /// assert_eq!(Regime::all().last(), Some(&Regime::Other));
    /// ```
    #[must_use]
    pub fn all() -> &'static [Self] {
        ALL
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not the identifier of a [`Regime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown regime identifier")]
#[non_exhaustive]
pub struct ParseRegimeError;

impl FromStr for Regime {
    type Err = ParseRegimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or(ParseRegimeError)
    }
}

impl Serialize for Regime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Regime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &'static str) -> Country {
        Country::from_static(s)
    }

    #[test]
    fn eu_includes_outermost_regions_and_aland_but_not_octs() {
        for s in [
            "DE", "FR", "AX", "GP", "MF", "MQ", "GF", "RE", "YT", "CY", "MT",
        ] {
            assert_eq!(Regime::of(c(s)), Regime::EuGdpr, "{s}");
        }
        for s in [
            "PM", "BL", "NC", "PF", "WF", "TF", "AW", "CW", "SX", "BQ", "GL", "FO",
        ] {
            assert_eq!(Regime::of(c(s)), Regime::Other, "{s}");
        }
    }

    #[test]
    fn named_regimes() {
        assert_eq!(Regime::of(c("NO")), Regime::EeaGdpr);
        assert_eq!(Regime::of(c("GB")), Regime::UkGdpr);
        assert_eq!(Regime::of(c("GG")), Regime::CrownDependency);
        assert_eq!(Regime::of(c("CH")), Regime::SwissFadp);
        assert_eq!(Regime::of(c("HK")), Regime::Other);
        assert_eq!(Regime::of(c("PR")), Regime::UsState);
        assert_eq!(Regime::of(c("CX")), Regime::AustraliaPrivacyAct);
        assert_eq!(Regime::of(c("SJ")), Regime::Other);
    }

    #[test]
    fn localisation_strength() {
        assert_eq!(Regime::Russia152Fz.localisation(), Localisation::Hard);
        assert_eq!(Regime::Pipl.localisation(), Localisation::Conditional);
        assert_eq!(Regime::Dpdp.localisation(), Localisation::Sectoral);
        assert_eq!(Regime::EuGdpr.localisation(), Localisation::None);
    }

    #[test]
    fn transfer_restrictions() {
        assert!(Regime::EuGdpr.restricts_transfer());
        assert!(Regime::Dpdp.restricts_transfer());
        assert!(!Regime::UsState.restricts_transfer());
        assert!(!Regime::Other.restricts_transfer());
    }

    #[test]
    fn identifiers_round_trip_and_are_unique() {
        for r in Regime::all() {
            assert_eq!(r.as_str().parse::<Regime>(), Ok(*r));
            assert!(!r.name().is_empty());
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(serde_json::from_str::<Regime>(&json).unwrap(), *r);
        }
        let mut ids: Vec<_> = Regime::all().iter().map(|r| r.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Regime::all().len());
        assert_eq!("gdpr".parse::<Regime>(), Err(ParseRegimeError));
    }
}
