//! Property tests: what must hold for every policy, body, header, schedule and clock.

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use residency_core::delivery::{
    Compliance, CrossBorder, DeadLetter, DeadLetterQueue, DedupeWindow, DeliveryBody,
    DeliveryPolicy, FailoverCount, IdempotencyKey, Millis, Planned, RegionPolicy, RetryDecision,
    RetryPolicy, Seen,
};
use residency_core::{Country, Regime, Region};

const REGIONS: [&str; 6] = ["EU", "LATAM", "INDIA", "US", "RU", "CN"];
const COUNTRIES: [&str; 16] = [
    "DE", "FR", "NO", "GB", "JE", "CH", "BR", "AR", "IN", "CN", "RU", "US", "CA", "JP", "ID", "ZA",
];

/// Raw shape of one region: endpoint count, held regimes (one flag each), failover targets,
/// cross-border setting.
type RawRegion = (usize, Vec<bool>, Vec<usize>, u8);

fn build_policy(raw: &[RawRegion], conditional_is_hard: bool) -> DeliveryPolicy {
    let k = raw.len();
    let regions = raw
        .iter()
        .enumerate()
        .map(|(i, (endpoints, holds, failover, cross))| {
            let region: Region = REGIONS[i].parse().unwrap();
            let ids: Vec<String> = (0..*endpoints)
                .map(|e| format!("{}-{e}", REGIONS[i].to_lowercase()))
                .collect();
            let held = Regime::all()
                .iter()
                .zip(holds)
                .filter(|(_, h)| **h)
                .map(|(r, _)| *r);
            let mut targets: Vec<usize> = Vec::new();
            for t in failover.iter().map(|t| t % k) {
                if t != i && !targets.contains(&t) {
                    targets.push(t);
                }
            }
            let cross = match cross {
                0 => CrossBorder::Never,
                1 => CrossBorder::MaskedOnly,
                _ => CrossBorder::Compliant,
            };
            RegionPolicy::new(region, ids)
                .unwrap()
                .holding(held)
                .failover_to(
                    targets
                        .into_iter()
                        .map(|t| REGIONS[t].parse::<Region>().unwrap()),
                    cross,
                )
        })
        .collect();
    DeliveryPolicy::new(regions)
        .unwrap()
        .conditional_localisation_is_hard(conditional_is_hard)
}

fn arb_raw_policy() -> impl Strategy<Value = (Vec<RawRegion>, bool)> {
    let n = Regime::all().len();
    (
        proptest::collection::vec(
            (
                1usize..=3,
                proptest::collection::vec(any::<bool>(), n),
                proptest::collection::vec(0usize..REGIONS.len(), 0..5),
                0u8..3,
            ),
            2..=REGIONS.len(),
        ),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No plan sends an unmasked body of a restricted regime to a region that does not hold
    /// it; no localised regime leaves for a region that does not hold it, masked or not; no
    /// plan takes more than one failover hop.
    #[test]
    fn plans_never_leak_and_never_hop_twice(
        (raw, conditional_is_hard) in arb_raw_policy(),
        home in 0usize..REGIONS.len(),
        countries in proptest::collection::vec(0usize..COUNTRIES.len(), 0..5),
        extra in proptest::collection::vec(0usize..22, 0..2),
        arrived in 0u8..4,
    ) {
        let policy = build_policy(&raw, conditional_is_hard);
        let home: Region = REGIONS[home % raw.len()].parse().unwrap();
        let body = DeliveryBody::new(home.clone(), Millis::ZERO)
            .with_countries(countries.iter().map(|&c| Country::from_static(COUNTRIES[c])))
            .with_regimes(extra.iter().filter_map(|&r| Regime::all().get(r).copied()));
        let planned = policy.plan(&body, FailoverCount::new(arrived)).unwrap();
        let plan = match planned {
            Planned::DeadLetter(_) => {
                prop_assert!(arrived > 1);
                return Ok(());
            }
            Planned::Deliver(plan) => plan,
            _ => unreachable!("new Planned variant"),
        };
        prop_assert!(arrived <= 1, "a looping request must be dead-lettered");
        prop_assert!(!plan.attempts().is_empty());
        let home_policy = policy.region(&home).unwrap();
        for a in plan.attempts() {
            prop_assert!(a.failover_count().get() <= 1, "at most one hop is ever written");
            if a.region() == &home {
                prop_assert_eq!(a.failover_count().get(), arrived);
                prop_assert_eq!(a.compliance(), Compliance::Full);
                continue;
            }
            prop_assert_eq!(arrived, 0, "a request that already failed over never fails over again");
            prop_assert_eq!(a.failover_count(), FailoverCount::ONE);
            prop_assert!(home_policy.cross_border() != CrossBorder::Never);
            prop_assert!(home_policy.failover().contains(a.region()));
            let target = policy.region(a.region()).unwrap();
            for r in body.regimes() {
                if policy.is_localised(r) {
                    prop_assert!(target.holds(r), "localised {r} left for {}", a.region());
                }
                if r.restricts_transfer() && a.compliance() == Compliance::Full {
                    prop_assert!(target.holds(r), "unmasked {r} sent to {}", a.region());
                }
            }
            if home_policy.cross_border() == CrossBorder::MaskedOnly {
                prop_assert_eq!(a.compliance(), Compliance::MaskedPii);
            }
        }
    }

    /// Replay order is chronological by payload timestamp, then by arrival; stable; and
    /// survives the JSON-lines round trip.
    #[test]
    fn replay_order_is_chronological_and_stable(stamps in proptest::collection::vec(0u64..20, 0..60)) {
        let mut queue = DeadLetterQueue::new();
        for (i, ts) in stamps.iter().enumerate() {
            let body = DeliveryBody::new(Region::US, Millis::from_secs(*ts));
            queue.push(DeadLetter::new(Bytes::from(i.to_string()), &body, Millis::from_secs(100)));
        }
        let mut back = DeadLetterQueue::from_json_lines(&queue.to_json_lines()).unwrap();
        let order: Vec<(u64, usize)> = back
            .drain_for_replay()
            .into_iter()
            .map(|l| (l.payload_timestamp.as_u64(), std::str::from_utf8(&l.body).unwrap().parse().unwrap()))
            .collect();
        let mut expected: Vec<(u64, usize)> = stamps.iter().enumerate().map(|(i, ts)| (ts * 1000, i)).collect();
        expected.sort_by_key(|&(ts, _)| ts); // std's sort is stable: arrival breaks ties
        prop_assert_eq!(order, expected);
    }

    /// The dedupe window never holds more than its cap, agrees with a naive model, and
    /// never forgets a key younger than its window while it has never been full.
    #[test]
    fn dedupe_window_is_bounded_and_remembers(
        window_ms in 1u64..5_000,
        cap in 1usize..40,
        ops in proptest::collection::vec((0u32..60, -800i64..1_500), 1..300),
    ) {
        let mut window = DedupeWindow::new(Duration::from_millis(window_ms), cap).unwrap().with_seed(7);
        let mut model: Vec<(u32, u64)> = Vec::new(); // (key, effective time), arrival order
        let mut latest = 0u64;
        let mut clock = 10_000i64;
        let mut ever_full = false;
        for (k, dt) in ops {
            clock = (clock + dt).max(0);
            let now = u64::try_from(clock).unwrap();
            latest = latest.max(now);
            model.retain(|&(_, at)| latest - at < window_ms);
            let held = model.iter().find(|(mk, _)| *mk == k).map(|&(_, at)| at);
            let expected = if held.is_some() { Seen::Duplicate } else { Seen::New };
            if expected == Seen::New {
                model.push((k, latest));
                if model.len() > cap {
                    model.remove(0);
                    ever_full = true;
                }
            }
            let key = IdempotencyKey::wasender("session", &k.to_string(), "messages.upsert");
            let got = window.check(key, Millis::new(now));
            prop_assert_eq!(got, expected);
            prop_assert!(window.len() <= cap);
            prop_assert_eq!(window.len(), model.len());
            if !ever_full {
                for &(mk, at) in &model {
                    let key = IdempotencyKey::wasender("session", &mk.to_string(), "messages.upsert");
                    prop_assert!(latest - at < window_ms);
                    prop_assert!(window.contains(&key, Millis::new(now)), "forgot a young key");
                }
            }
        }
    }

    /// Full jitter stays within the ceiling, the ceiling within the cap, and the fifth
    /// failure is critical.
    #[test]
    fn retry_delays_stay_in_bounds(
        base_ms in 1u64..5_000,
        extra_ms in 0u64..100_000,
        max in 1u8..=5,
        failed in 1u32..12,
        r in any::<u64>(),
    ) {
        let policy = RetryPolicy::new(Duration::from_millis(base_ms), Duration::from_millis(base_ms + extra_ms), max).unwrap();
        let mut rng = || r;
        match policy.decide(failed, &mut rng).unwrap() {
            RetryDecision::RetryAfter(d) => {
                prop_assert!(failed < u32::from(max));
                prop_assert!(d <= policy.ceiling(failed));
                prop_assert!(policy.ceiling(failed) <= policy.cap());
            }
            RetryDecision::GiveUp => prop_assert!(failed >= u32::from(max)),
            _ => unreachable!("new RetryDecision variant"),
        }
        prop_assert!(RetryPolicy::new(Duration::from_millis(base_ms), Duration::from_secs(1000), 6).is_err());
    }

    /// Untrusted header values and dead-letter lines never panic.
    #[test]
    fn untrusted_inputs_never_panic(header in proptest::collection::vec(any::<u8>(), 0..12), line in ".{0,200}") {
        match FailoverCount::from_header(Some(&header)) {
            Ok(count) => prop_assert_eq!(count.to_header_value().parse::<u8>().unwrap(), count.get()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = DeadLetter::from_json_line(&line);
        let _ = DeadLetterQueue::from_json_lines(&line);
    }

    /// Dead letters round-trip through JSON lines whatever their bytes.
    #[test]
    fn dead_letters_round_trip(body in proptest::collection::vec(any::<u8>(), 0..300), ts in any::<u32>(), ids in proptest::collection::vec("[a-zA-Z0-9.=_-]{1,40}", 0..4)) {
        let decision = DeliveryBody::new(Region::LATAM, Millis::from_secs(u64::from(ts)))
            .with_countries([Country::from_static("BR")])
            .with_message_ids(ids);
        let letter = DeadLetter::new(Bytes::from(body), &decision, Millis::new(1));
        prop_assert_eq!(DeadLetter::from_json_line(&letter.to_json_line()).unwrap(), letter);
    }
}
