//! Property tests: what must hold for every topology, batch, network and clock.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use proptest::prelude::*;
use residency_core::route::{Decision, Router};
use residency_core::{Country, Policy, Regime, Region};
use residency_delivery::{
    Answer, AttemptId, CrossBorder, DeadLetter, DeadLetterQueue, DeadLetterReason, DedupeConfig,
    DedupeStore, DedupeWindow, DeliveryConfig, Deployment, FailoverCount, HealthConfig, ItemKey,
    KeyScheme, Next, Payload, RegionOutcome, RegionTopology, Reserve, RetryDecision, RetryPolicy,
    Topology, UnixMillis, Verdict,
};

use crate::common::{Rng, batch, failover_key};

const REGIONS: [Region; 4] = [Region::EU, Region::LATAM, Region::INDIA, Region::US];

/// Senders across regimes: GDPR, UK GDPR, LGPD, Latin America, DPDP, US, Japan, 152-FZ
/// (hard), PIPL, Indonesia (conditional), South Africa, Canada.
const PHONES: [&str; 12] = [
    "4915112345678",
    "447911123456",
    "5511987654321",
    "5491123456789",
    "919876543210",
    "12125550123",
    "819012345678",
    "79161234567",
    "8613812345678",
    "6281234567890",
    "27821234567",
    "14165550123",
];

/// Raw shape of one region: endpoint count, held regimes (a flag each), failover targets,
/// cross-border setting.
type RawRegion = (usize, Vec<bool>, Vec<usize>, u8);

fn arb_topology() -> impl Strategy<Value = (Vec<RawRegion>, bool, bool)> {
    let n = Regime::all().len();
    (
        proptest::collection::vec(
            (
                1usize..=3,
                proptest::collection::vec(any::<bool>(), n),
                proptest::collection::vec(0usize..REGIONS.len(), 0..4),
                0u8..3,
            ),
            REGIONS.len(),
        ),
        any::<bool>(),
        any::<bool>(),
    )
}

fn build_topology(
    raw: &[RawRegion],
    conditional_is_hard: bool,
    masked_localised: bool,
) -> Topology {
    let regions = raw
        .iter()
        .enumerate()
        .map(|(i, (endpoints, holds, failover, cross))| {
            let ids: Vec<String> = (0..*endpoints)
                .map(|e| format!("{}-{e}", REGIONS[i].as_str().to_lowercase()))
                .collect();
            let held = Regime::all()
                .iter()
                .zip(holds)
                .filter(|(_, h)| **h)
                .map(|(r, _)| *r);
            let mut targets: Vec<usize> = Vec::new();
            for &t in failover {
                if t != i && !targets.contains(&t) {
                    targets.push(t);
                }
            }
            let cross = match cross {
                0 => CrossBorder::Never,
                1 => CrossBorder::MaskedOnly,
                _ => CrossBorder::Compliant,
            };
            RegionTopology::new(REGIONS[i].clone(), ids)
                .unwrap()
                .holding(held)
                .failover_to(targets.into_iter().map(|t| REGIONS[t].clone()), cross)
        })
        .collect();
    Topology::new(regions)
        .unwrap()
        .conditional_localisation_is_hard(conditional_is_hard)
        .masked_failover_for_localised(masked_localised)
}

fn config() -> DeliveryConfig {
    DeliveryConfig::default().with_health(
        HealthConfig::default()
            .with_down_after(2)
            .with_up_after(1)
            .with_cooldown(Duration::from_millis(700)),
    )
}

/// What a random run ended with: the verdict, the outcome per region body, every attempt.
type RandomRun = (
    Verdict,
    Vec<(Region, Option<RegionOutcome>)>,
    Vec<residency_delivery::Attempt>,
);

/// One delivery on a fake network whose replies, latencies and clock skews come from `seed`.
fn run_random(deployment: &Deployment, decision: &Decision, seed: u64) -> RandomRun {
    let mut rng = Rng(seed | 1);
    let mut jitter = Rng(seed.rotate_left(7) | 1);
    let mut jitter = move || jitter.next();
    let mut book = deployment.health_book();
    let start = UnixMillis::new(10_000);
    let mut delivery = deployment.deliver(decision, start);
    let mut true_now = start.get();
    let mut answers: BinaryHeap<Reverse<(u64, u32, AttemptId, Answer)>> = BinaryHeap::new();
    let mut sent = Vec::new();
    let mut seq = 0u32;
    for _ in 0..100_000 {
        // Sometimes the clock reads up to 0.8 s behind.
        let skew = if rng.below(10) < 3 { rng.below(800) } else { 0 };
        let reading = UnixMillis::new(true_now.saturating_sub(skew));
        match delivery.next(&mut book, &mut jitter, reading) {
            Next::Send(a) => {
                let reply = match rng.below(10) {
                    0..=3 => Answer::Status(200),
                    4 => Answer::Status(503),
                    5 => Answer::Status(401),
                    6 => Answer::Status(422),
                    7 => Answer::Status(429),
                    _ => Answer::NoResponse,
                };
                let at = match reply {
                    Answer::NoResponse => {
                        true_now + a.respond_by().get().saturating_sub(reading.get())
                    }
                    _ => true_now + 1 + rng.below(400),
                };
                seq += 1;
                answers.push(Reverse((at, seq, a.id(), reply)));
                sent.push(a);
            }
            Next::Wait { until } => {
                let wake = true_now + until.get().saturating_sub(reading.get()).max(1);
                match answers.peek() {
                    Some(Reverse((at, ..))) if *at <= wake => {
                        let Some(Reverse((at, _, id, reply))) = answers.pop() else {
                            unreachable!()
                        };
                        true_now = true_now.max(at);
                        let skew = if rng.below(10) < 3 { rng.below(800) } else { 0 };
                        let reading = UnixMillis::new(true_now.saturating_sub(skew));
                        delivery.report(id, reply, &mut book, reading).unwrap();
                    }
                    _ => true_now = wake,
                }
            }
            Next::Done(verdict) => {
                assert!(
                    true_now <= start.get() + 3_000 + 800,
                    "the verdict came late: {true_now}"
                );
                let outcomes = delivery
                    .regions()
                    .map(|r| (r.region().clone(), r.outcome().cloned()))
                    .collect();
                return (verdict, outcomes, sent);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("the delivery never finished");
}

fn decision_of(senders: &[usize], tag: &str) -> Decision {
    let phones: Vec<&str> = senders.iter().map(|&i| PHONES[i % PHONES.len()]).collect();
    Router::seed().route(batch(tag, &phones)).unwrap()
}

/// The regimes of the items `decision` routes to `region`.
fn regimes_of(decision: &Decision, region: &Region) -> Vec<Regime> {
    decision
        .items()
        .filter(|i| i.region() == region)
        .filter_map(|i| i.regime())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Point 1 and 5: a POST is never `Ack` while a region body is pending (a masked copy
    /// elsewhere included), and `Ack` whenever every region body is settled.
    #[test]
    fn a_post_is_never_ack_while_a_region_body_is_pending(
        (raw, hard, masked) in arb_topology(),
        senders in proptest::collection::vec(0usize..PHONES.len(), 1..6),
        seed in any::<u64>(),
    ) {
        let deployment = Deployment::new(Router::seed(), build_topology(&raw, hard, masked), config(), failover_key()).unwrap();
        let decision = decision_of(&senders, "P");
        let (verdict, outcomes, _) = run_random(&deployment, &decision, seed);
        prop_assert_eq!(outcomes.len(), decision.bodies().len());
        let all_settled = outcomes.iter().all(|(_, o)| o.as_ref().is_some_and(RegionOutcome::is_settled));
        prop_assert_eq!(verdict == Verdict::Ack, all_settled, "{:?}", outcomes);
        for (home, outcome) in &outcomes {
            if let Some(RegionOutcome::Accepted { region, .. }) = outcome
                && region != home
            {
                // Accepted elsewhere only unmasked into a region that holds every restricted
                // and localised regime of the body.
                let target = deployment.topology().region(region).unwrap();
                for r in regimes_of(&decision, home) {
                    let must_hold = r.restricts_transfer() || deployment.topology().is_localised(r);
                    prop_assert!(!must_hold || target.holds(r), "{r} accepted in {region}");
                }
            }
        }
    }

    /// Point 5 and 8: no unmasked body reaches a region that may not hold it; localised data
    /// leaves only masked, and only when allowed; a masked payload holds no full phone number;
    /// dead letters stay home; no attempt writes a hop count above one.
    #[test]
    fn no_unmasked_body_reaches_a_region_that_may_not_hold_it(
        (raw, hard, masked) in arb_topology(),
        senders in proptest::collection::vec(0usize..PHONES.len(), 1..6),
        seed in any::<u64>(),
    ) {
        let topology = build_topology(&raw, hard, masked);
        let deployment = Deployment::new(Router::seed(), topology, config(), failover_key()).unwrap();
        let decision = decision_of(&senders, "M");
        let (_, _, sent) = run_random(&deployment, &decision, seed);
        for a in &sent {
            prop_assert!(a.failover_count().get() <= 1);
            let home = a.home_region();
            if a.region() == home {
                prop_assert_eq!(a.failover_count(), FailoverCount::ZERO);
                continue;
            }
            prop_assert_eq!(a.failover_count(), FailoverCount::ONE);
            let home_rules = deployment.topology().region(home).unwrap();
            prop_assert!(home_rules.failover().contains(a.region()));
            prop_assert!(home_rules.cross_border() != CrossBorder::Never);
            let target = deployment.topology().region(a.region()).unwrap();
            match a.payload() {
                Payload::Full(_) => {
                    prop_assert!(home_rules.cross_border() != CrossBorder::MaskedOnly);
                    for r in regimes_of(&decision, home) {
                        let must_hold = r.restricts_transfer() || deployment.topology().is_localised(r);
                        prop_assert!(!must_hold || target.holds(r), "unmasked {r} sent to {}", a.region());
                    }
                }
                Payload::Masked(m) => {
                    for r in regimes_of(&decision, home) {
                        if deployment.topology().is_localised(r) && !target.holds(r) {
                            prop_assert!(masked, "localised {r} left for {}", a.region());
                        }
                    }
                    let text = String::from_utf8_lossy(m.bytes());
                    for phone in PHONES {
                        prop_assert!(!text.contains(phone), "a masked copy holds a phone number");
                    }
                }
                Payload::DeadLetter(_) => prop_assert!(false, "a dead letter left its region"),
                _ => prop_assert!(false, "new payload kind"),
            }
        }
    }

    /// Point 2: dedupe never drops a body that was not stored. Whatever the interleaving of
    /// reservations, failures (release), crashes (a reservation left to expire), commits and
    /// clock steps, a key answers `Duplicate` only once it was committed; a key never
    /// committed can always be stored once the leases are over; the window stays bounded.
    #[test]
    fn dedupe_never_drops_a_body_that_was_not_stored(
        ops in proptest::collection::vec((0u8..12, 0u8..4, -300i64..600), 1..400),
        cap in 4usize..64,
        seed in any::<u64>(),
    ) {
        let config = DedupeConfig::default().with_window(Duration::from_secs(3600)).with_cap(cap).with_lease(Duration::from_millis(500)).with_max_reserved(1024);
        let mut store = DedupeWindow::new(config, seed).unwrap();
        let key = |k: u8| ItemKey::from_bytes([k; 16]);
        let mut committed: Vec<u8> = Vec::new(); // in commit order, as the model of the store
        let mut clock = 100_000i64;
        let mut latest = 0u64;
        for (k, action, dt) in ops {
            clock = (clock + dt).max(0);
            let now = u64::try_from(clock).unwrap();
            latest = latest.max(now);
            match store.reserve(key(k), UnixMillis::new(now)).unwrap() {
                Reserve::Duplicate => {
                    prop_assert!(committed.contains(&k), "a key never stored answered duplicate");
                }
                Reserve::Busy { until } => prop_assert!(until.get() > latest),
                Reserve::Reserved(r) => match action {
                    0 => store.release(&r, UnixMillis::new(now)).unwrap(),
                    1 => {} // the node crashed: the lease expires on its own
                    _ => {
                        store.commit(&r, UnixMillis::new(now)).unwrap();
                        committed.retain(|c| *c != k);
                        committed.push(k);
                        if committed.len() > cap {
                            committed.remove(0);
                        }
                    }
                },
                _ => prop_assert!(false, "new answer"),
            }
            prop_assert!(store.len() <= cap);
        }
        // Once every lease is over, every key not held as committed can be stored.
        let later = UnixMillis::new(latest + 1_000);
        for k in 0u8..12 {
            let answer = store.reserve(key(k), later).unwrap();
            if committed.contains(&k) {
                prop_assert_eq!(answer, Reserve::Duplicate);
            } else {
                prop_assert!(matches!(answer, Reserve::Reserved(_)), "{k}: {answer:?}");
            }
        }
    }

    /// Point 4: replay never sends a letter outside its region, even after the policy moved
    /// some of its countries elsewhere.
    #[test]
    fn replay_never_sends_a_letter_outside_its_region(
        senders in proptest::collection::vec(0usize..PHONES.len(), 1..7),
        moves in proptest::collection::vec((0usize..PHONES.len(), 0usize..REGIONS.len()), 0..4),
        seed in any::<u64>(),
    ) {
        let decision = decision_of(&senders, "D");
        // The policy in force at replay time moves some countries to other regions.
        let mut builder = Policy::builder(Region::US);
        let mut moved: BTreeMap<Country, Region> = BTreeMap::new();
        for (phone, region) in moves {
            let a = residency_core::attribution::attribute_phone(PHONES[phone]);
            if let Some(c) = a.country && !moved.contains_key(&c) {
                moved.insert(c, REGIONS[region].clone());
                builder = builder.country(c, REGIONS[region].clone());
            }
        }
        let router = Router::new(builder.build().unwrap());
        let topology = build_topology(
            &REGIONS.iter().map(|_| (2, vec![true; Regime::all().len()], vec![0, 1, 2, 3], 2)).collect::<Vec<_>>(),
            true,
            true,
        );
        let deployment = Deployment::new(router.clone(), topology, config(), failover_key()).unwrap();
        for body in decision.bodies() {
            let region = body.region().clone();
            let letter = DeadLetter::new(&decision, &region, UnixMillis::new(1), DeadLetterReason::Rejected { status: 422 }).unwrap();
            let mut queue = DeadLetterQueue::new(region.clone(), 8, 1 << 20).unwrap();
            queue.push(letter).unwrap();
            for letter in queue.drain_for_replay() {
                let rerouted = letter.reroute(&router).unwrap();
                let moved_items: usize = rerouted.elsewhere().iter().map(|(_, n)| n).sum();
                prop_assert_eq!(rerouted.items() + moved_items, body.item_count());
                prop_assert!(rerouted.elsewhere().iter().all(|(r, _)| r != &region));
                if let Some(replayable) = rerouted.body() {
                    let again = router.route(replayable.clone()).unwrap();
                    prop_assert!(again.items().all(|i| i.region() == &region));
                }
                // Replayed through the edge: attempts only to the letter's region.
                let again = router.route(letter.body().clone()).unwrap();
                let mut replay = deployment.replay(&region, &again, UnixMillis::new(5_000));
                let mut book = deployment.health_book();
                let mut rng = Rng(seed | 1);
                let mut jitter = Rng(seed.rotate_left(3) | 1);
                let mut jitter = move || jitter.next();
                let mut now = UnixMillis::new(5_000);
                loop {
                    match replay.next(&mut book, &mut jitter, now) {
                        Next::Send(a) => {
                            prop_assert_eq!(a.region(), &region);
                            prop_assert_eq!(a.home_region(), &region);
                            let reply = if rng.below(2) == 0 { Answer::Status(200) } else { Answer::Status(503) };
                            replay.report(a.id(), reply, &mut book, now).unwrap();
                        }
                        Next::Wait { until } => now = until,
                        Next::Done(_) => break,
                        _ => prop_assert!(false, "new step"),
                    }
                }
            }
        }
    }

    /// Keys survive a split: the keys of the split bodies are the keys of the batch.
    #[test]
    fn item_keys_survive_a_split(senders in proptest::collection::vec(0usize..PHONES.len(), 1..8)) {
        let scheme = KeyScheme::new(&[4; 32]).unwrap();
        let phones: Vec<&str> = senders.iter().map(|&i| PHONES[i]).collect();
        let body = batch("K", &phones);
        let mut whole = scheme.keys(&body).unwrap();
        let decision = Router::seed().route(body).unwrap();
        let mut parts: Vec<ItemKey> = Vec::new();
        for b in decision.bodies() {
            parts.extend(scheme.keys(b.body()).unwrap());
        }
        whole.sort_unstable();
        parts.sort_unstable();
        prop_assert_eq!(whole, parts);
    }

    /// Full jitter stays within the ceiling, the ceiling within the cap; the rounds run out.
    #[test]
    fn retry_delays_stay_in_bounds(
        base_ms in 1u64..5_000,
        extra_ms in 0u64..100_000,
        max in 1u8..=8,
        failed in 0u32..12,
        r in any::<u64>(),
    ) {
        let policy = RetryPolicy::new(Duration::from_millis(base_ms), Duration::from_millis(base_ms + extra_ms), max).unwrap();
        match policy.decide(failed, &mut || r) {
            RetryDecision::RetryAfter(d) => {
                prop_assert!(failed.max(1) < u32::from(max));
                prop_assert!(d <= policy.ceiling(failed.max(1)));
                prop_assert!(policy.ceiling(failed.max(1)) <= policy.cap());
            }
            RetryDecision::GiveUp => prop_assert!(failed.max(1) >= u32::from(max)),
            _ => prop_assert!(false, "new decision"),
        }
    }

    /// Untrusted inputs never panic: header values, dead-letter lines, item keys, bodies.
    #[test]
    fn untrusted_inputs_never_panic(
        header in proptest::collection::vec(any::<u8>(), 0..12),
        line in ".{0,200}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        match FailoverCount::from_header(Some(&header)) {
            Ok(count) => prop_assert_eq!(count.to_header_value().parse::<u8>().unwrap(), count.get()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = DeadLetter::from_json_line(&line);
        let _ = DeadLetterQueue::from_json_lines(Region::EU, 4, 1024, &line);
        let _ = line.parse::<ItemKey>();
        let _ = KeyScheme::new(&[1; 16]).unwrap().keys(&body);
    }

    /// Dead letters round-trip through JSON lines whatever their body.
    #[test]
    fn dead_letters_round_trip(senders in proptest::collection::vec(0usize..PHONES.len(), 1..5), at in any::<u32>()) {
        let decision = decision_of(&senders, "R");
        for body in decision.bodies() {
            let letter = DeadLetter::new(&decision, body.region(), UnixMillis::new(u64::from(at)), DeadLetterReason::Rejected { status: 400 }).unwrap();
            prop_assert_eq!(letter.body(), body.body());
            prop_assert_eq!(DeadLetter::from_json_line(&letter.to_json_line()).unwrap(), letter);
        }
    }
}
