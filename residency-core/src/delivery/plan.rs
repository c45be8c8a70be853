//! The failover plan: the ordered attempts for one body, and what was skipped and why.
//!
//! A plan lists the home region's endpoints (primary first), then, when the request has not
//! failed over yet and the region's [`CrossBorder`] setting allows it, the endpoints of its
//! failover regions, each marked with the [`Compliance`] it requires:
//!
//! * a body holding a localised regime (hard, or conditional when the policy says so)
//!   never goes to a region that does not hold that regime: the attempt is skipped;
//! * a body holding a transfer-restricted regime (GDPR, LGPD, DPDP, PIPL, 152-FZ, ...) goes
//!   to a region that does not hold it only as [`Compliance::MaskedPii`]: the caller masks
//!   it first (with `pii-mask`, keeping message id, timestamp, type and country only).

use std::collections::BTreeSet;
use std::fmt;

use super::dead_letter::{DeadLetterReason, DecisionSummary};
use super::{CrossBorder, DeliveryError, DeliveryPolicy, EndpointId, FailoverCount, Millis};
use crate::{Country, Regime, Region};

/// One body to deliver, described by plain values (the router's decision adapts to it).
///
/// `Debug` shows the region, countries, regimes, timestamp and the number of message ids.
///
/// ```
/// use residency_core::delivery::{DeliveryBody, Millis};
/// use residency_core::{Regime, Region};
///
/// let body = DeliveryBody::new(Region::LATAM, Millis::from_secs(1_700_000_000))
///     .with_countries(["BR".parse()?, "AR".parse()?])
///     .with_message_ids(["wamid.A", "wamid.B"]);
/// assert!(body.regimes().any(|r| r == Regime::Lgpd));
/// assert_eq!(body.message_ids().len(), 2);
/// # Ok::<(), residency_core::ParseCountryError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryBody {
    region: Region,
    payload_timestamp: Millis,
    countries: BTreeSet<Country>,
    regimes: BTreeSet<Regime>,
    message_ids: Vec<String>,
}

impl DeliveryBody {
    /// A body routed to `region`, whose payload carries `payload_timestamp`.
    pub fn new(region: Region, payload_timestamp: Millis) -> Self {
        Self {
            region,
            payload_timestamp,
            countries: BTreeSet::new(),
            regimes: BTreeSet::new(),
            message_ids: Vec::new(),
        }
    }

    /// Adds the countries of the users whose data the body holds, and their regimes.
    #[must_use]
    pub fn with_countries(mut self, countries: impl IntoIterator<Item = Country>) -> Self {
        for c in countries {
            self.regimes.insert(Regime::of(c));
            self.countries.insert(c);
        }
        self
    }

    /// Adds regimes directly (e.g. for users without a known country whom the caller still
    /// treats as protected).
    #[must_use]
    pub fn with_regimes(mut self, regimes: impl IntoIterator<Item = Regime>) -> Self {
        self.regimes.extend(regimes);
        self
    }

    /// Adds the ids of the items in the body (wamids, WASender key ids), in document order.
    #[must_use]
    pub fn with_message_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.message_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// The body's home region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The payload's own timestamp.
    pub fn payload_timestamp(&self) -> Millis {
        self.payload_timestamp
    }

    /// The users' countries, sorted.
    pub fn countries(&self) -> impl Iterator<Item = Country> + '_ {
        self.countries.iter().copied()
    }

    /// The regimes of the body's users, sorted.
    pub fn regimes(&self) -> impl Iterator<Item = Regime> + '_ {
        self.regimes.iter().copied()
    }

    /// The item ids.
    pub fn message_ids(&self) -> &[String] {
        &self.message_ids
    }

    /// A serializable summary of this routing decision, for dead letters.
    pub fn summary(&self) -> DecisionSummary {
        DecisionSummary {
            region: self.region.clone(),
            countries: self.countries.iter().copied().collect(),
            regimes: self.regimes.iter().copied().collect(),
            item_ids: self.message_ids.clone(),
        }
    }
}

impl fmt::Debug for DeliveryBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryBody")
            .field("region", &self.region)
            .field("payload_timestamp", &self.payload_timestamp)
            .field("countries", &self.countries)
            .field("regimes", &self.regimes)
            .field("message_ids", &self.message_ids.len())
            .finish()
    }
}

/// Whether an attempt may carry the body as received or only with personal data masked.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Compliance {
    /// The body as received, byte for byte.
    Full,
    /// Only a masked body (message id, timestamp, type and country kept).
    #[serde(rename = "masked_pii")]
    MaskedPii,
}

impl Compliance {
    /// `full` or `masked_pii`, as in events and dead letters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::MaskedPii => "masked_pii",
        }
    }
}

/// One attempt of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    endpoint: EndpointId,
    region: Region,
    compliance: Compliance,
    failover_count: FailoverCount,
}

impl Attempt {
    /// The endpoint to send to.
    pub fn endpoint(&self) -> &EndpointId {
        &self.endpoint
    }

    /// The endpoint's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Whether the body goes as received or masked.
    pub fn compliance(&self) -> Compliance {
        self.compliance
    }

    /// The value to write into `x-failover-count` on this request (never above one).
    pub fn failover_count(&self) -> FailoverCount {
        self.failover_count
    }
}

/// Why a failover region was left out of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The home region's policy forbids crossing its border.
    CrossBorderNever,
    /// The body holds a localised regime the target does not hold.
    Localised(Regime),
    /// The request already failed over once; a second hop could bounce it back.
    AlreadyFailedOver,
}

/// A failover region left out of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The region left out.
    pub region: Region,
    /// Why.
    pub reason: SkipReason,
}

/// The ordered attempts for one body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    primary_region: Region,
    attempts: Vec<Attempt>,
    skipped: Vec<Skip>,
}

impl Plan {
    /// The body's home region.
    pub fn primary_region(&self) -> &Region {
        &self.primary_region
    }

    /// The attempts, in order: never empty.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The failover regions left out, with the reason.
    pub fn skipped(&self) -> &[Skip] {
        &self.skipped
    }
}

/// The result of planning: attempts to make, or a dead letter straight away.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Planned {
    /// Deliver by trying these attempts in order.
    Deliver(Plan),
    /// Do not forward: dead-letter the body for this reason.
    DeadLetter(DeadLetterReason),
}

impl Planned {
    /// The plan, if there is one.
    pub fn into_plan(self) -> Option<Plan> {
        match self {
            Self::Deliver(plan) => Some(plan),
            Self::DeadLetter(_) => None,
        }
    }
}

impl DeliveryPolicy {
    /// Plans the delivery of `body`, which arrived with `arrived` in `x-failover-count`.
    ///
    /// * `arrived` above one: [`Planned::DeadLetter`] with [`DeadLetterReason::LoopDetected`].
    /// * `arrived` equal to one: the home region's endpoints only.
    /// * otherwise: the home region's endpoints, then the failover regions' allowed ones.
    ///
    /// # Errors
    /// [`DeliveryError::UnknownRegion`] when the policy has no rules for the body's region.
    pub fn plan(
        &self,
        body: &DeliveryBody,
        arrived: FailoverCount,
    ) -> Result<Planned, DeliveryError> {
        let home = self
            .region(&body.region)
            .ok_or(DeliveryError::UnknownRegion)?;
        if arrived.is_loop() {
            return Ok(Planned::DeadLetter(DeadLetterReason::LoopDetected {
                failover_count: arrived.get(),
            }));
        }
        let mut attempts: Vec<Attempt> = home
            .endpoints()
            .iter()
            .map(|e| Attempt {
                endpoint: e.clone(),
                region: home.region().clone(),
                compliance: Compliance::Full,
                failover_count: arrived,
            })
            .collect();
        let mut skipped = Vec::new();
        for target_region in home.failover() {
            let skip = |reason| Skip {
                region: target_region.clone(),
                reason,
            };
            if arrived != FailoverCount::ZERO {
                skipped.push(skip(SkipReason::AlreadyFailedOver));
                continue;
            }
            if home.cross_border() == CrossBorder::Never {
                skipped.push(skip(SkipReason::CrossBorderNever));
                continue;
            }
            // Validated by DeliveryPolicy::new: every failover target is known.
            let Some(target) = self.region(target_region) else {
                continue;
            };
            if let Some(r) = body
                .regimes()
                .find(|&r| self.is_localised(r) && !target.holds(r))
            {
                skipped.push(skip(SkipReason::Localised(r)));
                continue;
            }
            let restricted_elsewhere = body
                .regimes()
                .any(|r| r.restricts_transfer() && !target.holds(r));
            let compliance =
                if home.cross_border() == CrossBorder::MaskedOnly || restricted_elsewhere {
                    Compliance::MaskedPii
                } else {
                    Compliance::Full
                };
            attempts.extend(target.endpoints().iter().map(|e| Attempt {
                endpoint: e.clone(),
                region: target_region.clone(),
                compliance,
                failover_count: FailoverCount::ONE,
            }));
        }
        Ok(Planned::Deliver(Plan {
            primary_region: body.region.clone(),
            attempts,
            skipped,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::RegionPolicy;

    const RU_REGION: Region = Region::from_static("RU");

    fn policy(cross: CrossBorder) -> DeliveryPolicy {
        DeliveryPolicy::new(vec![
            RegionPolicy::new(Region::EU, ["eu-1", "eu-2"])
                .unwrap()
                .holding([Regime::EuGdpr, Regime::EeaGdpr, Regime::UkGdpr])
                .failover_to([Region::LATAM, Region::US], cross),
            RegionPolicy::new(Region::LATAM, ["br-1"])
                .unwrap()
                .holding([Regime::Lgpd, Regime::EuGdpr]),
            RegionPolicy::new(Region::US, ["us-1"])
                .unwrap()
                .holding([Regime::UsState]),
            RegionPolicy::new(RU_REGION, ["ru-1"])
                .unwrap()
                .holding([Regime::Russia152Fz])
                .failover_to([Region::EU], CrossBorder::MaskedOnly),
        ])
        .unwrap()
    }

    fn body(region: Region, countries: &[&'static str]) -> DeliveryBody {
        DeliveryBody::new(region, Millis::new(1))
            .with_countries(countries.iter().map(|c| Country::from_static(c)))
    }

    fn targets(p: &Plan) -> Vec<(&str, Compliance, u8)> {
        p.attempts()
            .iter()
            .map(|a| {
                (
                    a.endpoint().as_str(),
                    a.compliance(),
                    a.failover_count().get(),
                )
            })
            .collect()
    }

    #[test]
    fn restricted_data_goes_masked_where_it_is_not_held() {
        let plan = policy(CrossBorder::Compliant)
            .plan(&body(Region::EU, &["DE"]), FailoverCount::ZERO)
            .unwrap();
        let plan = plan.into_plan().unwrap();
        assert_eq!(
            targets(&plan),
            [
                ("eu-1", Compliance::Full, 0),
                ("eu-2", Compliance::Full, 0),
                ("br-1", Compliance::Full, 1), // LATAM holds EU GDPR in this policy
                ("us-1", Compliance::MaskedPii, 1),
            ]
        );
        // A UK user is not held in LATAM: masked there too.
        let plan = policy(CrossBorder::Compliant)
            .plan(&body(Region::EU, &["DE", "GB"]), FailoverCount::ZERO)
            .unwrap();
        assert_eq!(
            targets(&plan.into_plan().unwrap())[2],
            ("br-1", Compliance::MaskedPii, 1)
        );
    }

    #[test]
    fn masked_only_and_never_settings() {
        let plan = policy(CrossBorder::MaskedOnly)
            .plan(&body(Region::EU, &["DE"]), FailoverCount::ZERO)
            .unwrap();
        let plan = plan.into_plan().unwrap();
        assert!(
            plan.attempts()[2..]
                .iter()
                .all(|a| a.compliance() == Compliance::MaskedPii)
        );
        let plan = policy(CrossBorder::Never)
            .plan(&body(Region::EU, &["DE"]), FailoverCount::ZERO)
            .unwrap();
        let plan = plan.into_plan().unwrap();
        assert_eq!(plan.attempts().len(), 2);
        assert_eq!(
            plan.skipped(),
            [
                Skip {
                    region: Region::LATAM,
                    reason: SkipReason::CrossBorderNever
                },
                Skip {
                    region: Region::US,
                    reason: SkipReason::CrossBorderNever
                }
            ]
        );
    }

    #[test]
    fn hard_localisation_never_leaves_even_masked() {
        let plan = policy(CrossBorder::Compliant)
            .plan(&body(RU_REGION, &["RU"]), FailoverCount::ZERO)
            .unwrap();
        let plan = plan.into_plan().unwrap();
        assert_eq!(targets(&plan), [("ru-1", Compliance::Full, 0)]);
        assert_eq!(
            plan.skipped(),
            [Skip {
                region: Region::EU,
                reason: SkipReason::Localised(Regime::Russia152Fz)
            }]
        );
        // A mixed EU body with a Russian user stays in the EU as well.
        let plan = policy(CrossBorder::Compliant)
            .plan(&body(Region::EU, &["DE", "RU"]), FailoverCount::ZERO)
            .unwrap();
        assert_eq!(plan.into_plan().unwrap().attempts().len(), 2);
    }

    #[test]
    fn loop_protection() {
        let p = policy(CrossBorder::Compliant);
        let plan = p
            .plan(&body(Region::EU, &["DE"]), FailoverCount::ONE)
            .unwrap()
            .into_plan()
            .unwrap();
        assert_eq!(
            targets(&plan),
            [("eu-1", Compliance::Full, 1), ("eu-2", Compliance::Full, 1)]
        );
        assert!(
            plan.skipped()
                .iter()
                .all(|s| s.reason == SkipReason::AlreadyFailedOver)
        );
        assert_eq!(
            p.plan(&body(Region::EU, &["DE"]), FailoverCount::new(2))
                .unwrap(),
            Planned::DeadLetter(DeadLetterReason::LoopDetected { failover_count: 2 })
        );
    }

    #[test]
    fn unknown_region_is_an_error() {
        let p = policy(CrossBorder::Compliant);
        assert_eq!(
            p.plan(&body(Region::INDIA, &["IN"]), FailoverCount::ZERO),
            Err(DeliveryError::UnknownRegion)
        );
    }

    #[test]
    fn debug_counts_message_ids() {
        let b = body(Region::EU, &["DE"]).with_message_ids(["wamid.SECRET"]);
        let s = format!("{b:?}");
        assert!(!s.contains("SECRET") && s.contains("message_ids: 1"), "{s}");
    }
}
