//! Conformance over `../shared/corpus`: every public payload gets one key per item, keys
//! survive the router's split, and a delivery of it ends in a verdict.

use std::time::Duration;

use bytes::Bytes;
use residency_core::route::Router;
use residency_delivery::{Answer, ItemKey, KeyScheme, UnixMillis, Verdict};

use crate::common::{corpus, drive, health, seed_deployment};

#[test]
fn every_corpus_item_has_a_key_that_survives_the_split() {
    let scheme = KeyScheme::new(b"corpus secret of sixteen+ bytes").unwrap();
    let router = Router::seed();
    let mut checked = 0;
    for sub in ["cloud-api", "wasender"] {
        for (name, body) in corpus(sub) {
            let keys = scheme.keys(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let decision = router.route(Bytes::from(body.clone())).unwrap();
            assert_eq!(keys.len(), decision.items().len(), "{name}");
            let mut whole = keys.clone();
            let mut parts: Vec<ItemKey> = Vec::new();
            for b in decision.bodies() {
                parts.extend(scheme.keys(b.body()).unwrap());
            }
            whole.sort_unstable();
            parts.sort_unstable();
            assert_eq!(whole, parts, "{name}: keys changed with the split");
            assert_eq!(scheme.keys(&body).unwrap(), keys, "{name}: keys are stable");
            checked += 1;
        }
    }
    if checked > 0 {
        assert!(checked >= 191, "{checked} corpus bodies");
    }
}

#[test]
fn every_corpus_body_is_delivered_and_acked() {
    let d = seed_deployment();
    for sub in ["cloud-api", "wasender"] {
        for (name, body) in corpus(sub) {
            let decision = d.router().route(Bytes::from(body)).unwrap();
            let run = drive(
                &d,
                &decision,
                &mut health(&d),
                UnixMillis::new(1),
                |_, _| (Answer::Status(200), 5),
            );
            assert_eq!(run.verdict, Verdict::Ack, "{name}");
            assert_eq!(run.sent.len(), decision.bodies().len(), "{name}");
            // Each region body can also be masked for a failover leg.
            for b in decision.bodies() {
                d.failover_masker()
                    .mask_body(b.body())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            assert!(run.finished_at < UnixMillis::new(1) + Duration::from_secs(1));
        }
    }
}
