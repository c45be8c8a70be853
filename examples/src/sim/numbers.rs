//! Phone numbers the simulator makes up: real calling codes and mobile ranges, random
//! subscriber digits.
//!
//! Each [`NumberPlan`] writes numbers the way a WhatsApp user's `wa_id` looks: calling code,
//! a mobile prefix of that country's numbering plan, then random digits up to the national
//! length. The country a number belongs to is **not** taken from this table by the
//! simulator's expectations: those come from `residency-core`'s router run over the body. The
//! `iso` column is the intent of the row, which a test checks against the numbering plan.

use crate::sim::SimRng;

/// How to make up mobile numbers of one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberPlan {
    /// The country the row means to produce numbers for (ISO 3166-1 alpha-2).
    pub iso: &'static str,
    /// Country calling code and mobile prefix, as digits (`49151`: Germany, `151`).
    pub prefix: &'static str,
    /// Digits of the whole international number, calling code included.
    pub len: usize,
    /// Relative frequency in generated traffic.
    pub weight: u32,
}

/// Mobile ranges of 40 countries across the seed policy's four regions (EU, LATAM, INDIA and
/// US, the default region), with shared calling codes on both sides of their split (`+1` US,
/// CA and JM; `+7` RU and KZ).
#[rustfmt::skip]
pub const PLANS: &[NumberPlan] = &[
    // EU, EEA, UK and Switzerland.
    NumberPlan { iso: "DE", prefix: "49151", len: 13, weight: 8 },
    NumberPlan { iso: "FR", prefix: "336", len: 11, weight: 6 },
    NumberPlan { iso: "ES", prefix: "346", len: 11, weight: 5 },
    NumberPlan { iso: "IT", prefix: "393", len: 12, weight: 5 },
    NumberPlan { iso: "NL", prefix: "316", len: 11, weight: 3 },
    NumberPlan { iso: "BE", prefix: "3247", len: 11, weight: 2 },
    NumberPlan { iso: "PL", prefix: "4851", len: 11, weight: 3 },
    NumberPlan { iso: "SE", prefix: "4670", len: 11, weight: 2 },
    NumberPlan { iso: "IE", prefix: "35385", len: 12, weight: 2 },
    NumberPlan { iso: "PT", prefix: "35191", len: 12, weight: 2 },
    NumberPlan { iso: "AT", prefix: "43664", len: 12, weight: 2 },
    NumberPlan { iso: "GB", prefix: "447400", len: 12, weight: 5 },
    NumberPlan { iso: "CH", prefix: "4178", len: 11, weight: 2 },
    NumberPlan { iso: "NO", prefix: "474", len: 10, weight: 1 },
    // Latin America.
    NumberPlan { iso: "BR", prefix: "55119", len: 13, weight: 8 },
    NumberPlan { iso: "MX", prefix: "5255", len: 12, weight: 5 },
    NumberPlan { iso: "AR", prefix: "54911", len: 13, weight: 3 },
    NumberPlan { iso: "CO", prefix: "573", len: 12, weight: 3 },
    NumberPlan { iso: "CL", prefix: "569", len: 11, weight: 2 },
    NumberPlan { iso: "PE", prefix: "519", len: 11, weight: 2 },
    // India.
    NumberPlan { iso: "IN", prefix: "9198", len: 12, weight: 8 },
    // Everything else goes to the default region.
    NumberPlan { iso: "US", prefix: "1415", len: 11, weight: 6 },
    NumberPlan { iso: "CA", prefix: "1416", len: 11, weight: 2 },
    NumberPlan { iso: "JM", prefix: "1876", len: 11, weight: 1 },
    NumberPlan { iso: "NG", prefix: "234803", len: 13, weight: 3 },
    NumberPlan { iso: "ZA", prefix: "2782", len: 11, weight: 2 },
    NumberPlan { iso: "KE", prefix: "254712", len: 12, weight: 2 },
    NumberPlan { iso: "EG", prefix: "2010", len: 12, weight: 2 },
    NumberPlan { iso: "JP", prefix: "8190", len: 12, weight: 1 },
    NumberPlan { iso: "KR", prefix: "8210", len: 12, weight: 1 },
    NumberPlan { iso: "ID", prefix: "62812", len: 13, weight: 3 },
    NumberPlan { iso: "PH", prefix: "63917", len: 12, weight: 2 },
    NumberPlan { iso: "AU", prefix: "614", len: 11, weight: 1 },
    NumberPlan { iso: "RU", prefix: "79", len: 11, weight: 2 },
    NumberPlan { iso: "KZ", prefix: "770", len: 11, weight: 1 },
    NumberPlan { iso: "TR", prefix: "905", len: 12, weight: 2 },
    NumberPlan { iso: "SA", prefix: "9665", len: 12, weight: 2 },
    NumberPlan { iso: "AE", prefix: "97150", len: 12, weight: 1 },
    NumberPlan { iso: "PK", prefix: "92300", len: 12, weight: 2 },
    NumberPlan { iso: "SG", prefix: "658", len: 10, weight: 1 },
];

impl NumberPlan {
    /// A number of this plan: the prefix, then random digits up to [`len`](Self::len). The
    /// first random digit is 2 to 9 (a NANP exchange code never starts with 0 or 1, and no
    /// row's next digit needs one).
    pub fn number(&self, rng: &mut SimRng) -> String {
        let mut out = String::with_capacity(self.len);
        out.push_str(self.prefix);
        if out.len() < self.len {
            out.push(char::from(b'2' + rng.below(8) as u8));
        }
        while out.len() < self.len {
            out.push(rng.digit());
        }
        out
    }
}

/// Picks plans by weight.
#[derive(Debug, Clone)]
pub struct Numbers {
    plans: &'static [NumberPlan],
    total: u64,
}

impl Default for Numbers {
    fn default() -> Self {
        Self::new(PLANS)
    }
}

impl Numbers {
    /// Draws from `plans` by their weights (every plan when all weights are 0).
    pub fn new(plans: &'static [NumberPlan]) -> Self {
        let total = plans.iter().map(|p| u64::from(p.weight)).sum();
        Self { plans, total }
    }

    /// A plan drawn by weight; `None` only for an empty table.
    pub fn plan(&self, rng: &mut SimRng) -> Option<&'static NumberPlan> {
        if self.total == 0 {
            return rng.pick(self.plans);
        }
        let mut at = rng.below(self.total);
        for plan in self.plans {
            let w = u64::from(plan.weight);
            if at < w {
                return Some(plan);
            }
            at -= w;
        }
        self.plans.last()
    }

    /// A number from a plan drawn by weight (empty for an empty table).
    pub fn number(&self, rng: &mut SimRng) -> String {
        self.plan(rng).map(|p| p.number(rng)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use residency_core::numbering::{lookup, national_lengths};
    use std::collections::BTreeSet;

    #[test]
    fn every_row_makes_numbers_of_its_country_and_a_possible_length() {
        let mut rng = SimRng::new(3);
        for plan in PLANS {
            for _ in 0..50 {
                let n = plan.number(&mut rng);
                assert_eq!(n.len(), plan.len, "{}", plan.iso);
                let m = lookup(n.as_bytes()).expect("an assigned calling code");
                assert_eq!(
                    m.country.map(|c| c.to_string()).as_deref(),
                    Some(plan.iso),
                    "the numbering plan puts the row's numbers in its country"
                );
                let (min, max) = national_lengths(m.calling_code).expect("lengths");
                let nsn = n.len() - m.calling_code.to_string().len();
                assert!(
                    (usize::from(min)..=usize::from(max)).contains(&nsn),
                    "{}",
                    plan.iso
                );
            }
        }
    }

    #[test]
    fn the_table_spans_forty_countries_and_every_seed_region() {
        let countries: BTreeSet<&str> = PLANS.iter().map(|p| p.iso).collect();
        assert_eq!(countries.len(), PLANS.len(), "one row per country");
        assert!(countries.len() >= 30);
        let policy = residency_core::Policy::seed();
        let regions: BTreeSet<String> = PLANS
            .iter()
            .map(|p| {
                let c: residency_core::Country = p.iso.parse().unwrap();
                policy.region_for_country(c).to_string()
            })
            .collect();
        let all: BTreeSet<String> = policy.regions().map(ToString::to_string).collect();
        assert_eq!(regions, all);
    }

    #[test]
    fn weighted_draws_reach_every_plan() {
        let numbers = Numbers::default();
        let mut rng = SimRng::new(9);
        let seen: BTreeSet<&str> = (0..20_000)
            .filter_map(|_| numbers.plan(&mut rng).map(|p| p.iso))
            .collect();
        assert_eq!(seen.len(), PLANS.len());
    }
}
