//! Delivery to the nodes: byte-for-byte forwarding, split batches, failover within a region,
//! masked copies and dead letters across the node protocol, and the 503 when a region has no
//! node left.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use residency_core::Region;
use residency_core::auth::EdgePurpose;
use residency_core::route::Router;
use residency_delivery::DeadLetter;

use crate::support::{Cluster, Eu, Options, bounded, meta_signature, post_meta, sample};

#[tokio::test]
async fn single_region_body_is_forwarded_byte_for_byte_with_the_provider_signature() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let body = sample("cloud-text-de.json");
        // A hop count sent to the public ingress never reaches a node.
        let r = post_meta(&c.edge, &body, &[("x-failover-count", "1")]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok\n");
        let got = c.eu1.as_ref().unwrap().received();
        assert_eq!(got.len(), 1, "{got:?}");
        let got = &got[0];
        assert_eq!(got.purpose, EdgePurpose::Deliver);
        assert_eq!(got.body, body);
        assert_eq!(
            got.hub_signature.as_deref(),
            Some(meta_signature(&body).as_str())
        );
        assert_eq!(got.failover_count.as_deref(), Some("0"));
        assert_eq!(got.verified, Ok(0));
        assert_eq!(got.content_type.as_deref(), Some("application/json"));
        assert_eq!(c.all_received().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn mixed_batch_is_split_into_signed_per_region_bodies() {
    bounded(async {
        let c = Cluster::start(Options::default()).await;
        let body = sample("cloud-mixed-batch.json");
        let r = post_meta(&c.edge, &body, &[]).await;
        assert_eq!(r.status(), 200);
        let router = Router::seed();
        let mut items = BTreeMap::new();
        let nodes = [
            (Region::EU, c.eu1.as_ref().unwrap()),
            (Region::LATAM, &c.latam),
            (Region::INDIA, &c.india),
            (Region::US, &c.us),
        ];
        for (region, node) in nodes {
            let got = node.received();
            assert_eq!(got.len(), 1, "{region}: {got:?}");
            let got = &got[0];
            assert_eq!(got.purpose, EdgePurpose::Deliver);
            assert_eq!(got.verified, Ok(0), "{region}");
            assert_ne!(got.body, body, "{region} got a rebuilt body");
            // Rebuilt bodies go with the edge signature only.
            assert_eq!(got.hub_signature, None);
            let decision = router.route(got.body.clone()).unwrap();
            assert_eq!(decision.bodies().len(), 1, "{region}");
            for item in decision.items() {
                assert_eq!(item.region(), &region, "{region} holds a foreign item");
            }
            items.insert(region.to_string(), decision.items().len());
        }
        // DE; BR (by user id); IN; JM and KZ (the default region).
        assert_eq!(
            items,
            BTreeMap::from([
                ("EU".to_owned(), 1),
                ("INDIA".to_owned(), 1),
                ("LATAM".to_owned(), 1),
                ("US".to_owned(), 2)
            ])
        );
        assert!(c.eu2.as_ref().unwrap().received().is_empty());
    })
    .await;
}

#[tokio::test]
async fn primary_answering_503_fails_over_to_the_secondary() {
    bounded(async {
        let c = Cluster::start(Options {
            eu: Eu::PrimaryAnswers(503),
            ..Options::default()
        })
        .await;
        let body = sample("cloud-text-de.json");
        let r = post_meta(&c.edge, &body, &[]).await;
        assert_eq!(r.status(), 200);
        let primary = c.eu1.as_ref().unwrap().received();
        let secondary = c.eu2.as_ref().unwrap().received();
        assert_eq!(primary.len(), 1);
        assert_eq!(secondary.len(), 1);
        // In-region failover: the same bytes, hop count 0, the provider's signature kept.
        assert_eq!(secondary[0].body, body);
        assert_eq!(secondary[0].verified, Ok(0));
        assert!(secondary[0].hub_signature.is_some());
    })
    .await;
}

#[tokio::test]
async fn primary_down_fails_over_to_the_secondary() {
    bounded(async {
        let c = Cluster::start(Options {
            eu: Eu::PrimaryDown,
            ..Options::default()
        })
        .await;
        let body = sample("cloud-text-de.json");
        let r = post_meta(&c.edge, &body, &[]).await;
        assert_eq!(r.status(), 200);
        let secondary = c.eu2.as_ref().unwrap().received();
        assert_eq!(secondary.len(), 1);
        assert_eq!(secondary[0].body, body);
    })
    .await;
}

#[tokio::test]
async fn region_with_every_node_down_is_503_with_retry_after_within_the_deadline() {
    bounded(async {
        let deadline = Duration::from_millis(1_200);
        let c = Cluster::start(Options {
            eu: Eu::AllDown,
            deadline_ms: 1_200,
            extra: "[delivery.retry]\nrounds = 8\nbase_ms = 200\ncap_ms = 400\n".to_owned(),
            ..Options::default()
        })
        .await;
        let started = Instant::now();
        let r = post_meta(&c.edge, &sample("cloud-mixed-batch.json"), &[]).await;
        let took = started.elapsed();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "5");
        assert!(took < deadline + Duration::from_millis(500), "{took:?}");
        // The other regions' bodies were delivered; the EU's stays with the provider.
        assert_eq!(c.india.received().len(), 1);
        assert_eq!(c.latam.received().len(), 1);
        assert_eq!(c.us.received().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn masked_copy_goes_to_the_failover_region_masked_path_and_the_post_still_waits() {
    bounded(async {
        let c = Cluster::start(Options {
            eu: Eu::AllDown,
            deadline_ms: 1_000,
            eu_extra: "failover = [\"US\"]\ncross_border = \"masked_only\"\n".to_owned(),
            ..Options::default()
        })
        .await;
        let body = sample("cloud-text-de.json");
        let r = post_meta(&c.edge, &body, &[]).await;
        // A masked copy elsewhere does not settle the EU body: the provider keeps it.
        assert_eq!(r.status(), 503);
        let got = c.us.received();
        assert!(!got.is_empty());
        let copy = &got[0];
        assert_eq!(copy.purpose, EdgePurpose::MaskedCopy);
        assert_eq!(copy.verified, Ok(1));
        assert_eq!(copy.failover_count.as_deref(), Some("1"));
        assert_eq!(copy.hub_signature, None);
        let text = String::from_utf8_lossy(&copy.body);
        for raw in ["4915112345678", "Lena", "Hamburg", "wamid.HBgN"] {
            assert!(!text.contains(raw), "{raw} in the masked copy");
        }
        let metrics = c.edge.state.metrics().render();
        assert!(
            metrics.contains(r#"edge_failovers_total{home_region="EU",kind="masked_copy"} 1"#),
            "{metrics}"
        );
    })
    .await;
}

#[tokio::test]
async fn poison_answer_sends_the_body_to_its_regions_dead_letters() {
    bounded(async {
        // The EU primary refuses the body itself (422) and stores dead letters.
        let c = Cluster::start(Options {
            eu: Eu::PrimaryAnswers(422),
            ..Options::default()
        })
        .await;
        let body = sample("cloud-mixed-batch.json");
        let r = post_meta(&c.edge, &body, &[]).await;
        // A dead letter in its own region settles the body: the provider need not retry it.
        assert_eq!(r.status(), 200);
        let got = c.eu1.as_ref().unwrap().received();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].purpose, EdgePurpose::Deliver);
        let letter = &got[1];
        assert_eq!(letter.purpose, EdgePurpose::DeadLetter);
        assert_eq!(letter.verified, Ok(0));
        let text = std::str::from_utf8(&letter.body).unwrap();
        let letter = DeadLetter::from_json_line(text.trim_end()).unwrap();
        assert_eq!(letter.region(), &Region::EU);
        // The letter holds the EU body only.
        let decision = Router::seed().route(letter.body().clone()).unwrap();
        assert!(decision.items().all(|i| i.region() == &Region::EU));
        assert!(c.eu2.as_ref().unwrap().received().is_empty());
    })
    .await;
}
