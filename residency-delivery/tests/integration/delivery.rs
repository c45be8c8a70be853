//! One POST end to end on a fake clock: verdicts, failover, masking, dead letters, timing and
//! the signed hop count.

use std::time::Duration;

use residency_core::auth::{AuthError, EdgeKey, EdgeVerifier, Secret};
use residency_core::route::Router;
use residency_core::{Policy, Regime, Region};
use residency_delivery::UnixSeconds;
use residency_delivery::{
    Answer, Compliance, CrossBorder, DeadLetter, DeliveryConfig, DeliveryError, EventKind,
    FailoverCount, HealthConfig, Next, Payload, PendingReason, Purpose, RegionOutcome,
    RegionTopology, RetryPolicy, Signal, Topology, UncoveredAction, UnixMillis, Verdict,
};

use crate::common::*;

const T0: UnixMillis = UnixMillis::new(1_000_000);

fn ok() -> (Answer, u64) {
    (Answer::Status(200), 20)
}

fn status(s: u16) -> (Answer, u64) {
    (Answer::Status(s), 20)
}

fn outcomes(regions: &[(Region, Option<RegionOutcome>)]) -> Vec<(&str, Option<RegionOutcome>)> {
    regions
        .iter()
        .map(|(r, o)| (r.as_str(), o.clone()))
        .collect()
}

fn endpoints(run: &Run) -> Vec<&str> {
    run.sent
        .iter()
        .map(|(_, a)| a.endpoint().as_str())
        .collect()
}

#[test]
fn a_single_region_body_goes_on_unchanged_and_is_acked() {
    let d = seed_deployment();
    let decision = route(batch("A", &[DE]));
    let run = drive(&d, &decision, &mut health(&d), T0, |_, _| ok());
    assert_eq!(run.verdict, Verdict::Ack);
    assert_eq!(run.verdict.http_status(), 200);
    assert_eq!(endpoints(&run), ["eu-1"]);
    let attempt = &run.sent[0].1;
    assert_eq!(attempt.purpose(), Purpose::Deliver);
    assert!(attempt.forwards_provider_signature());
    assert_eq!(attempt.body(), decision.original());
    assert!(run.events.is_empty(), "{:?}", run.events);
}

#[test]
fn sends_go_out_concurrently_across_regions() {
    let d = seed_deployment();
    let decision = route(batch("B", &[DE, IN, BR]));
    let mut delivery = d.deliver(&decision, T0);
    let mut book = health(&d);
    let mut rng = || 7u64;
    let mut sent = Vec::new();
    while let Next::Send(a) = delivery.next(&mut book, &mut rng, T0) {
        sent.push(a);
    }
    let to: Vec<_> = sent.iter().map(|a| a.endpoint().as_str()).collect();
    assert_eq!(
        to,
        ["eu-1", "in-1", "br-1"],
        "one attempt per region body, at once"
    );
    assert!(
        sent.iter().all(|a| !a.forwards_provider_signature()),
        "split bodies are rebuilt"
    );
    assert_eq!(
        delivery.next(&mut book, &mut rng, T0),
        Next::Wait {
            until: delivery.deadline()
        }
    );
    for a in &sent {
        delivery
            .report(
                a.id(),
                Answer::Status(200),
                &mut book,
                T0 + Duration::from_millis(5),
            )
            .unwrap();
    }
    assert_eq!(
        delivery.next(&mut book, &mut rng, T0 + Duration::from_millis(5)),
        Next::Done(Verdict::Ack)
    );
}

#[test]
fn the_verdict_waits_for_every_region_body() {
    let d = seed_deployment();
    let decision = route(batch("C", &[DE, IN]));
    let mut book = health(&d);
    let run = drive(&d, &decision, &mut book, T0, |a, _| {
        if a.region() == &Region::INDIA {
            status(503)
        } else {
            ok()
        }
    });
    assert_eq!(run.verdict, Verdict::RetryLater);
    assert_eq!(run.verdict.http_status(), 503);
    let got = outcomes(&run.outcomes);
    assert!(matches!(
        got[0],
        ("EU", Some(RegionOutcome::Accepted { .. }))
    ));
    assert!(matches!(
        got[1],
        (
            "INDIA",
            Some(RegionOutcome::Pending {
                reason: PendingReason::RoundsExhausted,
                masked_copy: None
            })
        )
    ));
    assert!(
        run.events.iter().any(|e| e.event == EventKind::Pending
            && e.home_region == Region::INDIA
            && e.items == 1)
    );
    // Every INDIA attempt stayed in India: no failover is configured for it.
    assert!(
        run.sent
            .iter()
            .filter(|(_, a)| a.home_region() == &Region::INDIA)
            .all(|(_, a)| a.region() == &Region::INDIA)
    );
}

#[test]
fn a_masked_copy_leaves_the_home_region_pending_until_it_takes_the_body() {
    let d = seed_deployment();
    let decision = route(batch("D", &[DE]));
    let run = drive(&d, &decision, &mut health(&d), T0, |a, _| {
        if a.region() == &Region::EU {
            status(503)
        } else {
            ok()
        }
    });
    assert_eq!(run.verdict, Verdict::RetryLater);
    let us: Vec<_> = run
        .sent
        .iter()
        .filter(|(_, a)| a.region() == &Region::US)
        .collect();
    assert_eq!(us.len(), 1, "one masked copy is enough");
    let masked = &us[0].1;
    assert_eq!(masked.purpose(), Purpose::MaskedCopy);
    assert_eq!(masked.compliance(), Compliance::MaskedPii);
    assert_eq!(masked.failover_count(), FailoverCount::ONE);
    assert!(matches!(masked.payload(), Payload::Masked(m) if m.mode() == pii_mask::Mode::Strip));
    let text = std::str::from_utf8(masked.body()).unwrap();
    assert!(!text.contains(DE) && !text.contains("hello"), "{text}");
    assert!(
        run.events.iter().any(
            |e| e.event == EventKind::MaskedCopyAccepted && e.target_region == Some(Region::US)
        )
    );
    assert!(run.events.iter().any(|e| e.event == EventKind::Pending
        && e.target_region == Some(Region::US)
        && e.compliance == Some(Compliance::MaskedPii)));
    // EU comes back within the deadline: the full body reaches it, and the POST is acked.
    let run = drive(&d, &decision, &mut health(&d), T0, |a, now| {
        if a.region() == &Region::EU && now < T0 + Duration::from_millis(400) {
            status(503)
        } else {
            ok()
        }
    });
    assert_eq!(run.verdict, Verdict::Ack);
    let last = &run.sent.last().unwrap().1;
    assert_eq!(
        (last.region(), last.purpose()),
        (&Region::EU, Purpose::Deliver)
    );
}

#[test]
fn localised_data_does_not_fail_over_unless_allowed_masked() {
    let ru = Region::from_static("RU");
    let policy = Policy::builder(Region::US)
        .regime(Regime::Russia152Fz, ru.clone())
        .build()
        .unwrap();
    let topology = |masked_ok: bool| {
        let mut regions = vec![
            RegionTopology::new(ru.clone(), ["ru-1"])
                .unwrap()
                .holding([Regime::Russia152Fz])
                .failover_to([Region::EU], CrossBorder::Compliant),
            RegionTopology::new(Region::EU, ["eu-1"])
                .unwrap()
                .holding(EU_REGIMES),
        ];
        for (r, e) in [
            (Region::LATAM, "br-1"),
            (Region::INDIA, "in-1"),
            (Region::US, "us-1"),
        ] {
            regions.push(RegionTopology::new(r, [e]).unwrap());
        }
        Topology::new(regions)
            .unwrap()
            .masked_failover_for_localised(masked_ok)
    };
    let decision = Router::new(policy.clone())
        .route(batch("R", &[RU]))
        .unwrap();
    let down_in_russia = |a: &residency_delivery::Attempt, _: UnixMillis| {
        if a.region().as_str() == "RU" {
            status(503)
        } else {
            ok()
        }
    };
    let d = residency_delivery::Deployment::new(
        Router::new(policy.clone()),
        topology(false),
        DeliveryConfig::default(),
        failover_key(),
    )
    .unwrap();
    let run = drive(&d, &decision, &mut health(&d), T0, down_in_russia);
    assert_eq!(run.verdict, Verdict::RetryLater);
    assert!(run.sent.iter().all(|(_, a)| a.region().as_str() == "RU"));
    let d = residency_delivery::Deployment::new(
        Router::new(policy),
        topology(true),
        DeliveryConfig::default(),
        failover_key(),
    )
    .unwrap();
    let run = drive(&d, &decision, &mut health(&d), T0, down_in_russia);
    assert_eq!(
        run.verdict,
        Verdict::RetryLater,
        "a masked copy does not settle it"
    );
    assert!(
        run.sent
            .iter()
            .filter(|(_, a)| a.region() == &Region::EU)
            .all(|(_, a)| a.compliance() == Compliance::MaskedPii)
    );
}

#[test]
fn uncovered_items_are_marked_and_can_be_held() {
    let d = seed_deployment();
    // The seed policy routes Russia to US, which does not hold 152-FZ.
    let decision = route(batch("U", &[US, RU]));
    let delivery = d.deliver(&decision, T0);
    assert_eq!(delivery.uncovered_items().collect::<Vec<_>>(), [1]);
    let status: Vec<_> = delivery
        .regions()
        .map(|r| (r.items(), r.uncovered()))
        .collect();
    assert_eq!(status, [(2, 1)]);
    let run = drive(&d, &decision, &mut health(&d), T0, |_, _| ok());
    assert_eq!(
        run.verdict,
        Verdict::Ack,
        "delivered as the policy says, with an event"
    );
    assert!(
        run.events
            .iter()
            .any(|e| e.event == EventKind::UncoveredRegime && e.items == 1)
    );

    let held = deployment(
        seed_topology(),
        DeliveryConfig::default().with_uncovered(UncoveredAction::Hold),
    );
    let run = drive(&held, &decision, &mut health(&held), T0, |_, _| ok());
    assert_eq!(run.verdict, Verdict::RetryLater);
    assert!(run.sent.is_empty(), "nothing leaves the edge");
    assert!(run.events.iter().any(|e| e.event == EventKind::Held));
    // A covered body of the same POST still goes.
    let mixed = route(batch("V", &[DE, RU]));
    let run = drive(&held, &mixed, &mut health(&held), T0, |_, _| ok());
    assert_eq!(endpoints(&run), ["eu-1"]);
    assert_eq!(run.verdict, Verdict::RetryLater);
}

#[test]
fn poison_goes_to_the_regions_own_dead_letters() {
    let d = seed_deployment();
    let decision = route(batch("P", &[DE, BR]));
    let run = drive(&d, &decision, &mut health(&d), T0, |a, _| {
        match (a.region().as_str(), a.purpose()) {
            ("LATAM", Purpose::Deliver) => status(422),
            _ => ok(),
        }
    });
    assert_eq!(
        run.verdict,
        Verdict::Ack,
        "a stored dead letter settles the region body"
    );
    let letters: Vec<_> = run
        .sent
        .iter()
        .filter(|(_, a)| a.purpose() == Purpose::DeadLetter)
        .collect();
    assert_eq!(letters.len(), 1);
    let attempt = &letters[0].1;
    assert_eq!(attempt.region(), &Region::LATAM);
    assert_eq!(attempt.failover_count(), FailoverCount::ZERO);
    let line = std::str::from_utf8(attempt.body()).unwrap();
    assert!(!line.contains("wamid") && !line.contains(BR), "{line}");
    let letter = DeadLetter::from_json_line(line).unwrap();
    assert_eq!(letter.region(), &Region::LATAM);
    let body = std::str::from_utf8(letter.body()).unwrap();
    assert!(
        body.contains("wamid.P1") && !body.contains("wamid.P0"),
        "only LATAM's items"
    );
    assert_eq!(letter.attempts()[0].status, Some(422));
    assert!(
        run.sent
            .iter()
            .all(|(_, a)| a.home_region() != &Region::LATAM || a.region() == &Region::LATAM)
    );
    let kinds: Vec<_> = run.events.iter().map(|e| e.event).collect();
    assert!(kinds.contains(&EventKind::Poisoned) && kinds.contains(&EventKind::DeadLettered));
}

#[test]
fn every_endpoint_of_a_plan_gets_its_turn_and_rounds_are_counted() {
    let six: Vec<String> = (1..=6).map(|n| format!("us-{n}")).collect();
    let topology = Topology::new(vec![
        RegionTopology::new(Region::US, &six).unwrap(),
        RegionTopology::new(Region::EU, ["eu-1"]).unwrap(),
        RegionTopology::new(Region::LATAM, ["br-1"]).unwrap(),
        RegionTopology::new(Region::INDIA, ["in-1"]).unwrap(),
    ])
    .unwrap();
    let config = DeliveryConfig::default()
        .with_retry(
            RetryPolicy::new(Duration::from_millis(10), Duration::from_millis(20), 2).unwrap(),
        )
        .with_health(HealthConfig::default().with_down_after(10));
    let d = deployment(topology, config);
    let decision = route(batch("S", &[US]));
    let run = drive(&d, &decision, &mut health(&d), T0, |a, _| {
        if a.endpoint().as_str() == "us-6" {
            ok()
        } else {
            status(503)
        }
    });
    assert_eq!(run.verdict, Verdict::Ack);
    assert_eq!(
        endpoints(&run),
        ["us-1", "us-2", "us-3", "us-4", "us-5", "us-6"]
    );
    // Two rounds of six failures, then the region gives up for this POST.
    let run = drive(&d, &decision, &mut health(&d), T0, |_, _| status(503));
    assert_eq!(run.sent.len(), 12);
    assert_eq!(run.verdict, Verdict::RetryLater);
    assert!(run.finished_at < T0 + Duration::from_millis(3_000));
}

#[test]
fn auth_refusals_move_on_to_the_next_endpoint() {
    let d = seed_deployment();
    let decision = route(batch("K", &[FR]));
    let run = drive(&d, &decision, &mut health(&d), T0, |a, _| {
        if a.endpoint().as_str() == "eu-1" {
            status(401)
        } else {
            ok()
        }
    });
    assert_eq!(run.verdict, Verdict::Ack);
    assert_eq!(endpoints(&run), ["eu-1", "eu-2"]);
    let refused: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.event == EventKind::EndpointRefused)
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].status, Some(401));
    assert_eq!(refused[0].endpoint.as_ref().unwrap().as_str(), "eu-1");
}

#[test]
fn a_half_open_probe_fits_in_the_budget_and_an_empty_round_does_not_count() {
    let config = DeliveryConfig::default()
        .with_retry(
            RetryPolicy::new(Duration::from_millis(10), Duration::from_millis(10), 1).unwrap(),
        )
        .with_health(fast_breaker());
    let d = deployment(seed_topology(), config);
    let mut book = health(&d);
    for e in ["eu-1", "eu-2", "us-1"] {
        book.observe(&e.parse().unwrap(), Signal::CheckFailed, T0);
    }
    let decision = route(batch("H", &[DE]));
    let start = T0 + Duration::from_millis(10);
    let run = drive(&d, &decision, &mut book, start, |_, _| ok());
    // Nothing was admitted at first; with one round allowed, counting that would have given
    // up. The delivery waited for the probe instead, one cool-down after the failures.
    assert_eq!(run.verdict, Verdict::Ack);
    assert_eq!(run.sent[0].0, T0 + Duration::from_millis(1_000));
    assert_eq!(endpoints(&run), ["eu-1"]);
}

#[test]
fn a_clock_stepping_back_never_wedges_a_delivery() {
    let d = seed_deployment();
    let decision = route(batch("W", &[DE]));
    let mut book = health(&d);
    let mut rng = || 3u64;
    let mut delivery = d.deliver(&decision, T0);
    let Next::Send(first) = delivery.next(&mut book, &mut rng, T0) else {
        panic!("expected a send")
    };
    // The answer is reported with a time before the send, then the clock goes back further.
    delivery
        .report(
            first.id(),
            Answer::NoResponse,
            &mut book,
            UnixMillis::new(5),
        )
        .unwrap();
    let Next::Send(second) = delivery.next(&mut book, &mut rng, UnixMillis::ZERO) else {
        panic!("expected the next endpoint")
    };
    assert_eq!(second.endpoint().as_str(), "eu-2");
    assert!(second.respond_by() > T0);
    delivery
        .report(
            second.id(),
            Answer::Status(200),
            &mut book,
            UnixMillis::new(1),
        )
        .unwrap();
    assert_eq!(
        delivery.next(&mut book, &mut rng, UnixMillis::ZERO),
        Next::Done(Verdict::Ack)
    );
}

#[test]
fn the_deadline_answers_retry_later_in_time() {
    let d = seed_deployment();
    let decision = route(batch("T", &[DE]));
    let run = drive(&d, &decision, &mut health(&d), T0, |_, _| {
        (Answer::NoResponse, 0)
    });
    assert_eq!(run.verdict, Verdict::RetryLater);
    assert!(run.finished_at <= T0 + Duration::from_millis(3_000));
    assert!(
        run.sent
            .iter()
            .all(|(_, a)| a.respond_by() <= T0 + Duration::from_millis(3_000))
    );
}

#[test]
fn attempts_sign_their_hop_count() {
    let d = seed_deployment();
    let key = EdgeKey::new("k1", Secret::new(vec![5; 32]).unwrap()).unwrap();
    let verifier = EdgeVerifier::new(vec![key.clone()], Duration::from_secs(300));
    let decision = route(batch("G", &[DE]));
    let run = drive(&d, &decision, &mut health(&d), T0, |a, _| {
        if a.region() == &Region::EU {
            status(503)
        } else {
            ok()
        }
    });
    for (_, a) in &run.sent {
        let [(count_name, count), (sig_name, sig)] =
            a.headers(&key, UnixSeconds::new(1_790_000_000));
        assert_eq!(
            (count_name, sig_name),
            ("x-failover-count", "x-residency-signature")
        );
        let verified = verifier.verify(
            a.body(),
            &sig,
            Some(count.as_bytes()),
            a.purpose().edge_purpose(),
            UnixSeconds::new(1_790_000_000),
        );
        assert_eq!(verified, Ok(a.failover_count().get()));
        let forged = if count == "0" { "1" } else { "0" };
        assert_eq!(
            verifier.verify(
                a.body(),
                &sig,
                Some(forged.as_bytes()),
                a.purpose().edge_purpose(),
                UnixSeconds::new(1_790_000_000)
            ),
            Err(AuthError::SignatureMismatch)
        );
    }
    assert!(
        run.sent
            .iter()
            .any(|(_, a)| a.failover_count() == FailoverCount::ONE)
    );
}

#[test]
fn relayed_bodies_stay_home_and_loops_are_refused() {
    let d = seed_deployment();
    let decision = route(batch("L", &[DE]));
    let mut delivery = d.relay(&decision, FailoverCount::ONE, T0).unwrap();
    let mut book = health(&d);
    let mut rng = || 9u64;
    let mut now = T0;
    let mut regions = Vec::new();
    loop {
        match delivery.next(&mut book, &mut rng, now) {
            Next::Send(a) => {
                regions.push((a.region().clone(), a.failover_count()));
                delivery
                    .report(a.id(), Answer::Status(503), &mut book, now)
                    .unwrap();
            }
            Next::Wait { until } => now = until,
            Next::Done(v) => {
                assert_eq!(v, Verdict::RetryLater);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(
        regions
            .iter()
            .all(|(r, n)| r == &Region::EU && *n == FailoverCount::ONE)
    );
    assert!(matches!(
        d.relay(&decision, FailoverCount::new(2), T0),
        Err(DeliveryError::LoopDetected { failover_count: 2 })
    ));
}

#[test]
fn late_and_unknown_replies() {
    let d = seed_deployment();
    let decision = route(batch("Z", &[DE]));
    let mut book = health(&d);
    let mut rng = || 9u64;
    let mut delivery = d.deliver(&decision, T0);
    let Next::Send(a) = delivery.next(&mut book, &mut rng, T0) else {
        panic!("expected a send")
    };
    let end = delivery.deadline();
    assert_eq!(
        delivery.next(&mut book, &mut rng, end),
        Next::Done(Verdict::RetryLater)
    );
    // The answer comes after the verdict: it feeds health, changes nothing else.
    delivery
        .report(a.id(), Answer::Status(200), &mut book, end)
        .unwrap();
    assert_eq!(delivery.verdict(), Some(Verdict::RetryLater));
    assert!(matches!(
        delivery.report(a.id(), Answer::Status(200), &mut book, end),
        Err(DeliveryError::UnknownAttempt)
    ));
}

#[test]
fn replay_sends_only_to_the_letters_region() {
    let d = seed_deployment();
    let decision = route(batch("Y", &[DE, BR, IN]));
    let mut book = health(&d);
    let mut delivery = d.replay(&Region::LATAM, &decision, T0);
    let mut rng = || 9u64;
    let mut sent = Vec::new();
    let mut now = T0;
    loop {
        match delivery.next(&mut book, &mut rng, now) {
            Next::Send(a) => {
                sent.push(a.region().clone());
                delivery
                    .report(a.id(), Answer::Status(503), &mut book, now)
                    .unwrap();
            }
            Next::Wait { until } => now = until,
            Next::Done(_) => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|r| r == &Region::LATAM),
        "no masked failover on replay"
    );
}

#[test]
fn debug_output_never_shows_bodies_or_ids() {
    let d = seed_deployment();
    let decision = route(batch("Q", &[DE, BR]));
    let mut delivery = d.deliver(&decision, T0);
    let mut book = health(&d);
    let Next::Send(a) = delivery.next(&mut book, &mut || 1u64, T0) else {
        panic!("expected a send")
    };
    for text in [format!("{a:?}"), format!("{delivery:?}"), format!("{d:?}")] {
        assert!(
            !text.contains("wamid") && !text.contains(DE) && !text.contains("hello"),
            "{text}"
        );
    }
    assert!(format!("{a:?}").contains("Full("));
}
