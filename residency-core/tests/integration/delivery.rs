//! Delivery policy: properties of plans, hops, retries, dedupe and replay, and an outage
//! simulation driven by a fake clock.

mod props;
mod simulation;

use residency_core::delivery::{
    CrossBorder, DeliveryBody, DeliveryError, DeliveryPolicy, FailoverCount, Millis, Planned,
    RegionPolicy,
};
use residency_core::{Country, Regime, Region};

#[test]
fn loop_protection_reads_the_header() {
    let policy = DeliveryPolicy::new(vec![
        RegionPolicy::new(Region::EU, ["eu-1"])
            .unwrap()
            .holding([Regime::EuGdpr])
            .failover_to([Region::US], CrossBorder::Compliant),
        RegionPolicy::new(Region::US, ["us-1"]).unwrap(),
    ])
    .unwrap();
    let body =
        DeliveryBody::new(Region::EU, Millis::ZERO).with_countries([Country::from_static("FR")]);
    let plan_for = |header: &[u8]| -> Result<Planned, DeliveryError> {
        policy.plan(&body, FailoverCount::from_header(Some(header))?)
    };
    let fresh = plan_for(b"0").unwrap().into_plan().unwrap();
    assert_eq!(fresh.attempts().len(), 2);
    let once = plan_for(b"1").unwrap().into_plan().unwrap();
    assert_eq!(
        once.attempts().len(),
        1,
        "a request that already failed over stays home"
    );
    assert!(matches!(plan_for(b"2").unwrap(), Planned::DeadLetter(_)));
    assert!(matches!(
        plan_for(b"-1"),
        Err(DeliveryError::InvalidFailoverCount {
            problem: "negative"
        })
    ));
    assert!(matches!(
        plan_for(b"x"),
        Err(DeliveryError::InvalidFailoverCount { .. })
    ));
}

#[test]
fn plans_for_unknown_regions_are_errors() {
    let policy =
        DeliveryPolicy::new(vec![RegionPolicy::new(Region::US, ["us-1"]).unwrap()]).unwrap();
    let body = DeliveryBody::new(Region::LATAM, Millis::ZERO);
    assert_eq!(
        policy.plan(&body, FailoverCount::ZERO),
        Err(DeliveryError::UnknownRegion)
    );
    assert_eq!(
        RegionPolicy::new(Region::US, Vec::<String>::new()).unwrap_err(),
        DeliveryError::EmptyEndpoints
    );
}
