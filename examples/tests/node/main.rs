//! The regional node over real HTTP on loopback: signatures and purposes, routing (421),
//! dedupe, the admin listing, masked copies, media archiving (Cloud API through a local Graph
//! API stand-in, WASender encrypted media), checksum mismatches, retention and legal holds,
//! subject requests, dead letters and replay, inclusion proofs, S3 and PostgreSQL.
//!
//! SQLite always; PostgreSQL when `RESIDENCY_TEST_DATABASE_URL` is set (a test fails, not
//! skips, when it is set and the server does not answer); S3 against s3s + s3s-fs started
//! in process on a loopback port.

mod support;

use std::time::Duration;

use archive_hash::{Sha256, UnixSeconds};
use examples::node::{archive, replay, retention, subject};
use residency_core::Bytes;
use residency_core::auth::{EdgePurpose, HUB_SIGNATURE_HEADER, WASENDER_SIGNATURE_HEADER};
use residency_core::route::Router;
use residency_delivery::{DeadLetter, DeadLetterReason, UnixMillis};
use serde_json::Value;
use support::*;

const DE_TEXT: &[u8] = include_bytes!("../../samples/payloads/cloud-text-de.json");
const BR_STATUS: &[u8] = include_bytes!("../../samples/payloads/cloud-status-br.json");
const MIXED: &[u8] = include_bytes!("../../samples/payloads/cloud-mixed-batch.json");
const TEMPLATE: &[u8] = include_bytes!("../../samples/payloads/cloud-template-update.json");

#[tokio::test]
async fn signatures_are_checked_and_unsigned_bodies_refused() {
    let node = Node::start(Opts::eu()).await;
    let c = client();
    let url = node.url("/ingest");
    // No signature, a wrong provider signature, a wrong edge signature: 401.
    assert_eq!(
        c.post(&url).body(DE_TEXT).send().await.unwrap().status(),
        401
    );
    let wrong = residency_core::auth::sign_hub_signature(&secret("not-the-app-secret"), DE_TEXT);
    let r = c
        .post(&url)
        .header(HUB_SIGNATURE_HEADER, wrong)
        .body(DE_TEXT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let other_key = residency_core::auth::EdgeKey::new("k1", secret_bytes(vec![8; 32])).unwrap();
    let forged = other_key.sign(DE_TEXT, 0, EdgePurpose::Deliver, now());
    let r = c
        .post(&url)
        .header("x-residency-signature", forged)
        .body(DE_TEXT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The provider's own signature over the unchanged body: stored.
    let r = post_hub(&c, &url, DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(node.listing().await.len(), 1);
    // A WASender body with its secret header.
    let body = wasender_text("4915112345678", "3EB0AAAA0000000000A1");
    let r = c
        .post(&url)
        .header(WASENDER_SIGNATURE_HEADER, "wrong")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(&url)
        .header(WASENDER_SIGNATURE_HEADER, WASENDER_SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The provider signature is not accepted where only the edge may write.
    let r = post_hub(&c, &node.url("/ingest/masked"), DE_TEXT).await;
    assert_eq!(r.status(), 401);
    // Over the body bound: 413.
    let big = vec![b' '; 4 * 1024 * 1024];
    let r = c.post(&url).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    node.stop().await;
}

#[tokio::test]
async fn edge_signatures_are_bound_to_the_endpoint_purpose() {
    let node = Node::start(Opts::eu()).await;
    let c = client();
    let masked = strip_mask(DE_TEXT);
    // A body signed as a masked copy is refused where full bodies are stored...
    let r = post_edge(&c, &node.url("/ingest"), &masked, EdgePurpose::MaskedCopy).await;
    assert_eq!(r.status(), 401);
    // ...a full body signed for delivery is refused as a masked copy...
    let r = post_edge(
        &c,
        &node.url("/ingest/masked"),
        DE_TEXT,
        EdgePurpose::Deliver,
    )
    .await;
    assert_eq!(r.status(), 401);
    // ...and a dead-letter signature opens neither.
    let r = post_edge(&c, &node.url("/ingest"), DE_TEXT, EdgePurpose::DeadLetter).await;
    assert_eq!(r.status(), 401);
    // A full body signed as a masked copy (a misbehaving edge): not a strip masker output.
    let r = post_edge(
        &c,
        &node.url("/ingest/masked"),
        DE_TEXT,
        EdgePurpose::MaskedCopy,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(node.listing().await.is_empty());
    // The same bodies at the right endpoints.
    let r = post_edge(&c, &node.url("/ingest"), DE_TEXT, EdgePurpose::Deliver).await;
    assert_eq!(r.status(), 200);
    node.stop().await;
}

#[tokio::test]
async fn a_foreign_item_is_421_and_nothing_is_stored() {
    let node = Node::start(Opts::eu()).await;
    let c = client();
    let r = post_hub(&c, &node.url("/ingest"), BR_STATUS).await;
    assert_eq!(r.status(), 421);
    // A mixed batch as the provider sent it holds other regions' items: 421 too.
    let r = post_hub(&c, &node.url("/ingest"), MIXED).await;
    assert_eq!(r.status(), 421);
    // Malformed: 400.
    let r = post_hub(&c, &node.url("/ingest"), b"{\"object\":").await;
    assert_eq!(r.status(), 400);
    assert!(node.listing().await.is_empty());
    node.stop().await;
}

async fn mixed_batch_case(backend: &Backend) {
    let eu = Node::start(Opts::eu().on(backend)).await;
    let us = Node::start(Opts::region("US").on(backend)).await;
    let india = Node::start(Opts::region("INDIA").on(backend)).await;
    let latam = Node::start(Opts::region("LATAM").on(backend)).await;
    let c = client();
    let decision = Router::seed().route(Bytes::from_static(MIXED)).unwrap();
    assert!(decision.is_split());
    for body in decision.bodies() {
        let node = match body.region().as_str() {
            "EU" => &eu,
            "US" => &us,
            "INDIA" => &india,
            _ => &latam,
        };
        // Sent to another region's node first: 421.
        let wrong = if body.region().as_str() == "EU" {
            &us
        } else {
            &eu
        };
        let r = post_edge(&c, &wrong.url("/ingest"), body.body(), EdgePurpose::Deliver).await;
        assert_eq!(r.status(), 421, "{}", body.region());
        let r = post_edge(&c, &node.url("/ingest"), body.body(), EdgePurpose::Deliver).await;
        assert_eq!(r.status(), 200, "{}", body.region());
    }
    // Item by item, each in its region's database.
    let expected = |region: &str| -> Vec<String> {
        decision
            .items()
            .filter(|i| i.region().as_str() == region)
            .map(|i| {
                serde_json::json!({
                    "id": i.id(), "kind": i.kind().as_str(), "status": null,
                    "country": i.country().map(|c| c.to_string()), "region": region, "masked": false
                })
                .to_string()
            })
            .collect()
    };
    assert_eq!(eu.listing().await, expected("EU"));
    assert_eq!(us.listing().await, expected("US"));
    assert_eq!(india.listing().await, expected("INDIA"));
    assert_eq!(latam.listing().await, expected("LATAM"));
    assert_eq!(
        eu.listing().await.len()
            + us.listing().await.len()
            + india.listing().await.len()
            + latam.listing().await.len(),
        5
    );
    for n in [eu, us, india, latam] {
        n.stop().await;
    }
}

#[tokio::test]
async fn a_mixed_batch_lands_item_by_item_in_each_region() {
    mixed_batch_case(&Backend::Sqlite).await;
}

async fn redelivery_case(backend: &Backend) {
    let node = Node::start(Opts::eu().on(backend)).await;
    let c = client();
    let r = post_hub(&c, &node.url("/ingest"), DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{\"stored\":1,\"duplicates\":0}\n");
    // The provider redelivers; the edge also forwards the same item in a rebuilt body.
    let r = post_hub(&c, &node.url("/ingest"), DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{\"stored\":0,\"duplicates\":1}\n");
    let r = post_edge(&c, &node.url("/ingest"), DE_TEXT, EdgePurpose::Deliver).await;
    assert_eq!(r.status(), 200);
    // Concurrent redeliveries: one stores, the others are duplicates or 503 (busy).
    let body = wasender_text("4915112345600", "3EB0CCCC0000000000C1");
    let sends = (0..4).map(|_| {
        let c = c.clone();
        let url = node.url("/ingest");
        let body = body.clone();
        async move {
            c.post(url)
                .header(WASENDER_SIGNATURE_HEADER, WASENDER_SECRET)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join(sends).await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(node.listing().await.len(), 2);
    node.stop().await;
}

#[tokio::test]
async fn a_redelivery_is_200_and_stored_once() {
    redelivery_case(&Backend::Sqlite).await;
}

#[tokio::test]
async fn the_admin_listing_is_exact_and_needs_the_token() {
    let node = Node::start(Opts::region("LATAM")).await;
    let c = client();
    let r = c.get(node.url("/admin/items")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(node.url("/admin/items"))
        .bearer_auth("wrong-token-of-the-same-length!!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), BR_STATUS).await.status(),
        200
    );
    let lines = node.listing().await;
    assert_eq!(
        lines,
        [
            r#"{"id":"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjRBMkY3QjE5RDBGRDk2QjMxAA==","kind":"status","status":"delivered","country":"BR","region":"LATAM","masked":false}"#
        ]
    );
    // Health and metrics.
    assert_eq!(
        c.get(node.url("/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let metrics = c
        .get(node.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("node_ingest_requests_total{endpoint=\"deliver\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains(ADMIN_TOKEN));
    node.stop().await;
}

#[tokio::test]
async fn masked_copies_are_stored_flagged_and_hold_no_identity() {
    let node = Node::start(Opts::region("US")).await;
    let c = client();
    let masked = strip_mask(DE_TEXT);
    let r = post_edge(
        &c,
        &node.url("/ingest/masked"),
        &masked,
        EdgePurpose::MaskedCopy,
    )
    .await;
    assert_eq!(r.status(), 200);
    let lines = node.listing().await;
    assert_eq!(lines.len(), 1);
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["masked"], true);
    assert_eq!(line["region"], "EU");
    assert_eq!(line["kind"], "message");
    assert!(!lines[0].contains("4915112345678"));
    // The same masked copy again: stored once.
    let r = post_edge(
        &c,
        &node.url("/ingest/masked"),
        &masked,
        EdgePurpose::MaskedCopy,
    )
    .await;
    assert_eq!(r.text().await.unwrap(), "{\"stored\":0,\"duplicates\":1}\n");
    node.stop().await;
}

async fn cloud_media_case(backend: &Backend) {
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let photo = b"\x89PNG\r\n\x1a\n a photo of a parcel".to_vec();
    graph.add(
        "1003383421387256",
        photo.clone(),
        Some(Sha256::digest(&photo).to_hex()),
    );
    let node = Node::start(Opts::eu().on(backend).media(&graph).business_here()).await;
    let c = client();
    let id = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFMQA=";
    let body = cloud_image(
        "4915112345678",
        id,
        "1003383421387256",
        &Sha256::digest(&photo).to_base64(),
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &body).await.status(),
        200
    );
    // A template status update: its snapshot is archived too.
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), TEMPLATE).await.status(),
        200
    );
    assert_eq!(archive::drain(&node.state, 100).await, 2);
    // The record: verified, at a pseudonymous key, with the object in the store.
    let proof = proof_of(&node, id).await;
    assert_eq!(proof.record.verification, archive_hash::Verification::Match);
    assert_eq!(proof.record.media_sha256, Sha256::digest(&photo));
    assert!(
        proof.record.object_key.starts_with("eu/archive/"),
        "{}",
        proof.record.object_key
    );
    assert!(!proof.record.object_key.contains("4915112345678"));
    assert!(!proof.record.object_key.contains("HBgN"));
    assert_eq!(node.object(&proof.record.object_key).await.unwrap(), photo);
    // The proof verifies against the signed head the node serves.
    assert!(proof.verify());
    let head = head_of(&node).await;
    assert!(head.verify());
    assert_eq!(head.tree_size, 2);
    assert_eq!(head.public_key, node.state.head_key.public_hex());
    assert_eq!(proof.tree_head, head);
    // The Graph API was asked with the bearer token.
    assert!(graph.saw_token());
    // The template snapshot: canonical JSON, keyed by its hash.
    let hashes = node.state.store.leaf_hashes().await.unwrap();
    assert_eq!(hashes.len(), 2);
    let snapshot = br#"{"message_template_id":594425479261596,"message_template_language":"en_US","message_template_name":"order_shipped"}"#;
    let key = format!("eu/templates/{}.json", Sha256::digest(snapshot).to_hex());
    assert_eq!(node.object(&key).await.unwrap(), snapshot.to_vec());
    node.stop().await;
    graph.stop();
}

#[tokio::test]
async fn cloud_media_is_fetched_hashed_verified_and_archived_with_a_proof() {
    cloud_media_case(&Backend::Sqlite).await;
}

#[tokio::test]
async fn a_checksum_mismatch_is_recorded_and_never_archived_as_good() {
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let bytes = b"the bytes the CDN serves".to_vec();
    graph.add("777", bytes.clone(), Some(Sha256::digest(&bytes).to_hex()));
    let node = Node::start(Opts::eu().media(&graph)).await;
    let c = client();
    let id = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFMgA=";
    let claimed = Sha256::digest(b"what the webhook said").to_base64();
    let body = cloud_image("4915112345678", id, "777", &claimed);
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &body).await.status(),
        200
    );
    assert_eq!(archive::drain(&node.state, 10).await, 1);
    let proof = proof_of(&node, id).await;
    assert_eq!(
        proof.record.verification,
        archive_hash::Verification::Mismatch
    );
    assert_eq!(proof.record.object_key, "", "no object is kept");
    assert!(proof.verify(), "the mismatch itself is in the log");
    assert!(node.objects().await.is_empty());
    let metrics = c
        .get(node.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("node_archive_checksum_mismatches_total 1"),
        "{metrics}"
    );
    // A URL off the allowlist is refused: the job fails, nothing is archived.
    graph.add_redirect("888", "https://evil.example/file");
    let body = cloud_image(
        "4915112345678",
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFMwA=",
        "888",
        &claimed,
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &body).await.status(),
        200
    );
    assert_eq!(archive::drain(&node.state, 10).await, 1);
    assert_eq!(node.state.store.outbox_counts().await.unwrap(), (0, 1));
    assert_eq!(node.state.store.leaf_hashes().await.unwrap().len(), 1);
    node.stop().await;
    graph.stop();
}

#[tokio::test]
async fn wasender_media_is_decrypted_and_verified() {
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let plain = b"\xff\xd8\xff\xe0 a jpeg of a receipt, long enough for two blocks".to_vec();
    let media_key = [42u8; 32];
    let encrypted = whatsapp_encrypt(&media_key, b"WhatsApp Image Keys", &plain);
    graph.add_file("enc1", encrypted.clone());
    let node = Node::start(Opts::eu().media(&graph)).await;
    let c = client();
    let body = wasender_image(
        "4915112345678",
        "3EB0DDDD0000000000D1",
        &graph.file_url("enc1"),
        &media_key,
        &Sha256::digest(&plain).to_base64(),
        &Sha256::digest(&encrypted).to_base64(),
    );
    let r = c
        .post(node.url("/ingest"))
        .header(WASENDER_SIGNATURE_HEADER, WASENDER_SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(archive::drain(&node.state, 10).await, 1);
    let proof = proof_of(&node, "3EB0DDDD0000000000D1").await;
    assert_eq!(proof.record.verification, archive_hash::Verification::Match);
    assert_eq!(proof.record.media_sha256, Sha256::digest(&plain));
    assert_eq!(
        node.object(&proof.record.object_key).await.unwrap(),
        plain,
        "the plaintext is archived"
    );
    assert!(proof.verify());
    // The same file announced with another key: the MAC fails, recorded as a mismatch.
    let body = wasender_image(
        "4915112345678",
        "3EB0DDDD0000000000D2",
        &graph.file_url("enc1"),
        &[43u8; 32],
        &Sha256::digest(&plain).to_base64(),
        &Sha256::digest(&encrypted).to_base64(),
    );
    let r = c
        .post(node.url("/ingest"))
        .header(WASENDER_SIGNATURE_HEADER, WASENDER_SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(archive::drain(&node.state, 10).await, 1);
    let proof = proof_of(&node, "3EB0DDDD0000000000D2").await;
    assert_eq!(
        proof.record.verification,
        archive_hash::Verification::Mismatch
    );
    assert_eq!(node.objects().await.len(), 1);
    node.stop().await;
    graph.stop();
}

#[tokio::test]
async fn retention_deletes_on_schedule_and_honours_a_legal_hold() {
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let a = b"media of the person not on hold".to_vec();
    let b = b"media of the person on hold".to_vec();
    graph.add("501", a.clone(), None);
    graph.add("502", b.clone(), None);
    let node = Node::start(
        Opts::eu()
            .media(&graph)
            .retention(30, 10)
            .hold("case-2026-17", "+49 151 99999999"),
    )
    .await;
    let c = client();
    let free = cloud_image(
        "4915112345678",
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFNAA=",
        "501",
        &Sha256::digest(&a).to_base64(),
    );
    let held = cloud_image(
        "4915199999999",
        "wamid.HBgNNDkxNTE5OTk5OTk5ORUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFNQA=",
        "502",
        &Sha256::digest(&b).to_base64(),
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &free).await.status(),
        200
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &held).await.status(),
        200
    );
    assert_eq!(archive::drain(&node.state, 10).await, 2);
    let policy = node.state.settings.retention.clone().unwrap();
    let now = now().get();
    let day = 86_400;
    let head_before = head_of(&node).await;

    // Day 5: nothing is due.
    let s = retention::sweep(&node.state, &policy, UnixSeconds::new(now + 5 * day))
        .await
        .unwrap();
    assert_eq!((s.items, s.records, s.held), (0, 0, 0));
    // Day 15: the media period (10 days) is over; the held person's record stays.
    let s = retention::sweep(&node.state, &policy, UnixSeconds::new(now + 15 * day))
        .await
        .unwrap();
    assert_eq!((s.items, s.records, s.held), (0, 1, 1));
    assert!(s.tombstone.is_some());
    assert_eq!(
        node.objects().await.len(),
        1,
        "only the held object is left"
    );
    // Day 40: the message period (30 days) is over too.
    let s = retention::sweep(&node.state, &policy, UnixSeconds::new(now + 40 * day))
        .await
        .unwrap();
    assert_eq!(s.items, 1);
    assert!(s.held >= 2);
    let lines = node.listing().await;
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("wamid.HBgNNDkxNTE5OTk5OTk5ORUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFNQA=")
    );
    // The log only grew: the old head's leaves are still the new log's prefix.
    let head = head_of(&node).await;
    assert!(head.verify());
    assert_eq!(head.tree_size, head_before.tree_size + 1);
    let log = examples::node::tlog::log_of(&node.state.store.leaf_hashes().await.unwrap());
    assert_eq!(
        log.root_at(head_before.tree_size).unwrap().to_hex(),
        head_before.root_hash
    );
    node.stop().await;
    graph.stop();
}

async fn subject_case(backend: &Backend) {
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let photo = b"a photo the person sent".to_vec();
    graph.add("601", photo.clone(), None);
    let node = Node::start(
        Opts::eu()
            .on(backend)
            .media(&graph)
            .hold("case-9", "+49 151 88888888"),
    )
    .await;
    let c = client();
    let mine = cloud_image(
        "4915112345678",
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFNgA=",
        "601",
        &Sha256::digest(&photo).to_base64(),
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &mine).await.status(),
        200
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), DE_TEXT).await.status(),
        200
    );
    let someone_else = wasender_text("4915100000001", "3EB0EEEE0000000000E1");
    let r = c
        .post(node.url("/ingest"))
        .header(WASENDER_SIGNATURE_HEADER, WASENDER_SECRET)
        .body(someone_else)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(archive::drain(&node.state, 10).await, 1);

    let who = subject::Subject::Phone("+49 151 12345678".into());
    let export = subject::export(&node.state, &who).await.unwrap();
    assert_eq!(export["items"].as_array().unwrap().len(), 2);
    assert_eq!(export["archive"].as_array().unwrap().len(), 1);
    assert_eq!(export["media_keys"].as_array().unwrap().len(), 1);
    assert_eq!(export["items"][0]["item"]["from"], "4915112345678");

    let erased = subject::erase(&node.state, &who).await.unwrap();
    assert_eq!(
        (erased.items, erased.archive_records, erased.media_objects),
        (2, 1, 1)
    );
    assert!(erased.tombstone.is_some());
    assert!(node.objects().await.is_empty());
    let lines = node.listing().await;
    assert_eq!(lines.len(), 1, "the other person's item stays");
    let again = subject::export(&node.state, &who).await.unwrap();
    assert!(again["items"].as_array().unwrap().is_empty());
    assert!(again["archive"].as_array().unwrap().is_empty());
    // Under a legal hold: refused, naming the hold.
    let held = subject::Subject::Phone("4915188888888".into());
    let err = subject::erase(&node.state, &held).await.unwrap_err();
    assert_eq!(err.to_string(), "refused: legal hold `case-9` applies");
    // The head still verifies and grew by the tombstone.
    let head = head_of(&node).await;
    assert!(head.verify());
    assert_eq!(head.tree_size, 2);
    node.stop().await;
    graph.stop();
}

#[tokio::test]
async fn one_person_is_exported_and_erased_and_a_hold_refuses() {
    subject_case(&Backend::Sqlite).await;
}

#[tokio::test]
async fn the_binary_checks_configs_and_answers_subject_requests() {
    // Every sample config is accepted (run from the examples folder, where they live).
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    for name in [
        "node-eu.toml",
        "node-us.toml",
        "node-latam.toml",
        "node-india.toml",
    ] {
        let out = node_bin(
            &[
                "--config",
                samples.join(name).to_str().unwrap(),
                "--check-config",
            ],
            &[],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A bad value names its key, not the value.
    let out = node_bin(
        &[
            "--config",
            samples.join("node-eu.toml").to_str().unwrap(),
            "--check-config",
        ],
        &[("RESIDENCY_KEYS_ITEM_SECRET", "s3cr3t-not-hex")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keys.item_secret") && !err.contains("s3cr3t"),
        "{err}"
    );

    // Subject requests against a node's files.
    let node = Node::start(Opts::eu().hold("case-12", "+4915177777777")).await;
    let c = client();
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), DE_TEXT).await.status(),
        200
    );
    let config = node.config_path();
    let cfg = config.to_str().unwrap();
    let out = node_bin(
        &[
            "subject",
            "export",
            "--config",
            cfg,
            "--phone",
            "+4915112345678",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["items"].as_array().unwrap().len(), 1);
    let out = node_bin(
        &[
            "subject",
            "erase",
            "--config",
            cfg,
            "--phone",
            "+4915177777777",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("case-12") && !err.contains("4915177777777"),
        "{err}"
    );
    let out = node_bin(
        &[
            "subject",
            "erase",
            "--config",
            cfg,
            "--phone",
            "not a number",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not a number"));
    let out = node_bin(&["subject", "erase", "--config", cfg], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = node_bin(
        &[
            "subject",
            "erase",
            "--config",
            cfg,
            "--user-id",
            "DE.1",
            "--phone",
            "1234567",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = node_bin(
        &[
            "subject",
            "erase",
            "--config",
            cfg,
            "--phone",
            "+49 151 12345678",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts["items"], 1);
    assert!(node.listing().await.is_empty());
    node.stop().await;
}

async fn dead_letter_case(backend: &Backend) {
    let node = Node::start(Opts::eu().on(backend)).await;
    let c = client();
    let decision = Router::seed().route(Bytes::from_static(MIXED)).unwrap();
    let letter = DeadLetter::new(
        &decision,
        &residency_core::Region::EU,
        UnixMillis::new(1_763_719_300_000),
        DeadLetterReason::Rejected { status: 422 },
    )
    .unwrap();
    let line = letter.to_json_line();
    let r = post_edge(
        &c,
        &node.url("/ingest/dead-letters"),
        line.as_bytes(),
        EdgePurpose::DeadLetter,
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post_edge(
        &c,
        &node.url("/ingest/dead-letters"),
        line.as_bytes(),
        EdgePurpose::DeadLetter,
    )
    .await;
    assert_eq!(
        r.text().await.unwrap(),
        "{\"stored\":0,\"duplicates\":1}\n",
        "a redelivered letter is stored once"
    );
    // Another region's letter: 421. A letter signed for delivery: 401.
    let us = DeadLetter::new(
        &decision,
        &residency_core::Region::US,
        UnixMillis::new(1),
        DeadLetterReason::Rejected { status: 400 },
    )
    .unwrap();
    let r = post_edge(
        &c,
        &node.url("/ingest/dead-letters"),
        us.to_json_line().as_bytes(),
        EdgePurpose::DeadLetter,
    )
    .await;
    assert_eq!(r.status(), 421);
    let r = post_edge(
        &c,
        &node.url("/ingest/dead-letters"),
        line.as_bytes(),
        EdgePurpose::Deliver,
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(node.listing().await.is_empty());
    // Replay: the letter's EU item is stored through the node's own checks, the letter goes.
    let replayed = replay::replay(&node.state).await.unwrap();
    assert_eq!(
        (replayed.letters, replayed.replayed, replayed.items_stored),
        (1, 1, 1)
    );
    let lines = node.listing().await;
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("\"country\":\"DE\""));
    assert!(node.state.store.dead_letters().await.unwrap().is_empty());
    let again = replay::replay(&node.state).await.unwrap();
    assert_eq!(again.letters, 0);
    node.stop().await;
}

#[tokio::test]
async fn dead_letters_are_kept_in_region_and_replayed() {
    dead_letter_case(&Backend::Sqlite).await;
}

#[tokio::test]
async fn the_archive_runs_on_s3_and_the_tasks_run_embedded() {
    let s3 = S3Server::start().await;
    let graph = Graph::start(GRAPH_TOKEN).await.unwrap();
    let photo = b"a photo stored in S3".to_vec();
    graph.add("901", photo.clone(), Some(Sha256::digest(&photo).to_hex()));
    let node = Node::start(Opts::eu().media(&graph).s3(&s3)).await;
    let tasks = examples::node::spawn_tasks(&node.state);
    let c = client();
    let id = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFOQA=";
    let body = cloud_image(
        "4915112345678",
        id,
        "901",
        &Sha256::digest(&photo).to_base64(),
    );
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), &body).await.status(),
        200
    );
    // The worker, woken by the ingest, archives it.
    let mut proof = None;
    for _ in 0..100 {
        if let (200, Some(p)) = get_proof(&node, id).await {
            proof = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let proof = proof.expect("archived within 5 s");
    assert!(proof.verify());
    // The object is in the S3 server's bucket, under the configured prefix.
    let on_disk = s3
        .root()
        .join("archive-bucket")
        .join("node-eu")
        .join(&proof.record.object_key);
    assert_eq!(std::fs::read(&on_disk).unwrap(), photo);
    assert_eq!(node.object(&proof.record.object_key).await.unwrap(), photo);
    // Erasure deletes it from S3.
    let erased = subject::erase(
        &node.state,
        &subject::Subject::Phone("4915112345678".into()),
    )
    .await
    .unwrap();
    assert_eq!(erased.media_objects, 1);
    assert!(!on_disk.exists());
    tasks.shutdown().await;
    node.stop().await;
    graph.stop();
    s3.stop();
}

/// The same behaviours on PostgreSQL, several nodes of one region sharing the database.
#[tokio::test]
async fn postgres_backend() {
    let Some(pg) = Backend::postgres().await else {
        eprintln!("RESIDENCY_TEST_DATABASE_URL is not set: the PostgreSQL cases did not run");
        return;
    };
    redelivery_case(&pg).await;
    pg.reset().await;
    mixed_batch_case(&pg).await;
    pg.reset().await;
    cloud_media_case(&pg).await;
    pg.reset().await;
    subject_case(&pg).await;
    pg.reset().await;
    dead_letter_case(&pg).await;
    pg.reset().await;
    // Two nodes of one region on one database: a body delivered to both is stored once.
    let a = Node::start(Opts::eu().on(&pg)).await;
    let b = Node::start(Opts::eu().on(&pg)).await;
    let c = client();
    let (ua, ub) = (a.url("/ingest"), b.url("/ingest"));
    let (ra, rb) = tokio::join!(post_hub(&c, &ua, DE_TEXT), post_hub(&c, &ub, DE_TEXT));
    assert!([ra.status().as_u16(), rb.status().as_u16()].contains(&200));
    assert_eq!(a.listing().await.len(), 1);
    assert_eq!(b.listing().await, a.listing().await);
    a.stop().await;
    b.stop().await;
    pg.drop_database().await;
}

#[tokio::test]
async fn an_item_redelivered_after_its_key_was_forgotten_is_not_stored_twice() {
    let node = Node::start(Opts::eu()).await;
    let c = client();
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), DE_TEXT).await.status(),
        200
    );
    // The dedupe window forgets every committed key (as after seven days).
    assert_eq!(node.state.store.forget_keys(i64::MAX).await.unwrap(), 1);
    let r = post_hub(&c, &node.url("/ingest"), DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{\"stored\":0,\"duplicates\":1}\n");
    assert_eq!(node.listing().await.len(), 1);
    node.stop().await;
}

/// The nodes of a region share its database and start together: on a fresh SQLite file
/// their migrations race (sqlx takes no lock on SQLite), and the loser used to exit with
/// "table already exists" or "database is locked". Every opener must come up.
#[tokio::test]
async fn nodes_sharing_a_fresh_sqlite_database_all_start() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/data/eu.db", dir.path().display());
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { examples::node::store::open(&url).await.map(|_| ()) })
            })
            .collect();
        for open in opens {
            let opened = open.await.unwrap();
            assert!(opened.is_ok(), "round {round}: {opened:?}");
        }
    }
}

/// A request whose client goes away (the edge's deadline passed) still finishes: its items
/// are committed, or its reservations released. It used to be dropped at the disconnect,
/// between reserving its keys and committing them, leaving them reserved for the whole
/// lease (30 s): every redelivery in that time was answered 503 "busy", and under load the
/// redeliveries were cut off the same way, so an item could stay unstored for minutes.
#[tokio::test]
async fn an_ingest_the_client_gave_up_on_still_commits() {
    use sqlx::Connection as _;
    let node = Node::start(Opts::eu()).await;
    // Hold SQLite's write lock: the ingest waits inside the store (its busy timeout).
    let db = format!(
        "sqlite://{}",
        node.config_path().with_file_name("node.db").display()
    );
    let mut lock = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(node.url("/ingest"))
        .header(
            HUB_SIGNATURE_HEADER,
            residency_core::auth::sign_hub_signature(&secret(APP_SECRET), DE_TEXT),
        )
        .body(DE_TEXT.to_vec())
        .send()
        .await;
    assert!(gave_up.is_err(), "the client gave up: {gave_up:?}");
    // Let the node notice the disconnect while the ingest still waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while node.listing().await.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        node.listing().await.len(),
        1,
        "the abandoned ingest committed"
    );
    // The provider's retry is a duplicate at once, not 503 for the lease.
    let r = post_hub(&client(), &node.url("/ingest"), DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{\"stored\":0,\"duplicates\":1}\n");
    node.stop().await;
}

/// Committed keys are looked up together (`Store::committed`), so a redelivered batch is a
/// duplicate without a reservation per item: 1,000 of them, two statements each, outlasted
/// the edge's 3 s deadline under load in the full outage run, and since every retry of the
/// same batch was cut off the same way, 17 of 1,673 POSTs were never acknowledged.
async fn committed_keys_case(backend: &Backend) {
    let node = Node::start(Opts::eu().on(backend)).await;
    let c = client();
    assert_eq!(
        post_hub(&c, &node.url("/ingest"), DE_TEXT).await.status(),
        200
    );
    let stored = node.state.settings.keys.keys(DE_TEXT).unwrap();
    assert!(!stored.is_empty());
    // Reserved (not committed) keys and unknown ones are not reported; more keys than one
    // statement takes are looked up in several.
    let reserved = residency_delivery::ItemKey::from_bytes([7; 16]);
    let token = node.state.next_token();
    node.state
        .store
        .reserve(&reserved, token, i64::MAX / 2, Duration::from_secs(30))
        .await
        .unwrap();
    let mut asked: Vec<_> = (0..1200u16)
        .map(|i| {
            let mut b = [0u8; 16];
            b[..2].copy_from_slice(&i.to_le_bytes());
            b[15] = 0xee;
            residency_delivery::ItemKey::from_bytes(b)
        })
        .collect();
    asked.insert(700, stored[0]);
    asked.push(reserved);
    let found = node.state.store.committed(&asked).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(found.contains(&stored[0]));
    // The redelivery is answered from that lookup.
    let r = post_hub(&c, &node.url("/ingest"), DE_TEXT).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "{\"stored\":0,\"duplicates\":1}\n");
    node.stop().await;
}

#[tokio::test]
async fn committed_keys_are_looked_up_together() {
    committed_keys_case(&Backend::Sqlite).await;
    if let Some(pg) = Backend::postgres().await {
        committed_keys_case(&pg).await;
        pg.drop_database().await;
    }
}
