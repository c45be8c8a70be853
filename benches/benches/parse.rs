//! `parse` group: our borrowed parse (`wa-payload/parse`) and parse plus party iteration
//! (`wa-payload/parse+items`) beside `baseline-serde-value` (parse into a `serde_json::Value`,
//! then index the usual tutorial path `entry[].changes[].value.messages[].from` and walk the
//! statuses' `recipient_id`), on one text message, one status and a 100-item batch.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

const TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Lena Vogel"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFRgA=","timestamp":"1763719200","type":"text","text":{"body":"Hallo, meine Bestellung 4711 ist noch nicht da. Bitte um Rueckruf."}}]},"field":"messages"}]}]}"#;

const STATUS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjRBMkY3QjE5RDBGRDk2QjMxAA==","status":"delivered","timestamp":"1763719260","recipient_id":"5511987654321","conversation":{"id":"c3b1f0e2a9d84f5e8a7b6c5d4e3f2a1b","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}}]},"field":"messages"}]}]}"#;

/// A batch of `n` items: half text messages (one change), half statuses (a second change),
/// from phones of several countries.
fn batch(n: usize) -> String {
    const PHONES: &[&str] = &[
        "4915112345678",
        "5511987654321",
        "919876543210",
        "16505551234",
    ];
    let mut contacts = Vec::new();
    let mut messages = Vec::new();
    let mut statuses = Vec::new();
    for i in 0..n {
        let phone = PHONES[i % PHONES.len()];
        if i % 2 == 0 {
            contacts.push(format!(
                r#"{{"profile":{{"name":"User {i}"}},"wa_id":"{phone}"}}"#
            ));
            messages.push(format!(
                r#"{{"from":"{phone}","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBB{i:06}","timestamp":"1763719200","type":"text","text":{{"body":"Message number {i} about order {}"}}}}"#,
                4000 + i
            ));
        } else {
            statuses.push(format!(
                r#"{{"id":"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjRB{i:06}","status":"read","timestamp":"1763719260","recipient_id":"{phone}","conversation":{{"id":"c3b1f0e2a9d84f5e","origin":{{"type":"service"}}}},"pricing":{{"billable":false,"pricing_model":"PMP","category":"service","type":"free_customer_service"}}}}"#
            ));
        }
    }
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"contacts":[{}],"messages":[{}]}},"field":"messages"}},{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"statuses":[{}]}},"field":"messages"}}]}}]}}"#,
        contacts.join(","),
        messages.join(","),
        statuses.join(",")
    )
}

/// The tutorial pattern: a `Value`, then indexing every entry, change, message and status.
fn baseline(body: &[u8]) -> usize {
    let v: Value = serde_json::from_slice(body).expect("bench input is valid JSON");
    let mut found = 0;
    for entry in v["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            for m in value["messages"].as_array().into_iter().flatten() {
                found += m["from"].as_str().map_or(0, str::len);
            }
            for s in value["statuses"].as_array().into_iter().flatten() {
                found += s["recipient_id"].as_str().map_or(0, str::len);
            }
        }
    }
    found
}

fn ours_parse(body: &[u8]) -> usize {
    let w = wa_payload::parse(body).expect("bench input parses");
    usize::from(w.provider() == wa_payload::Provider::CloudApi)
}

fn ours_items(body: &[u8]) -> usize {
    let w = wa_payload::parse(body).expect("bench input parses");
    w.items().map(|i| i.party.phone.map_or(0, str::len)).sum()
}

fn parse(c: &mut Criterion) {
    let big = batch(100);
    let inputs: [(&str, &[u8]); 3] = [
        ("text", TEXT.as_bytes()),
        ("status", STATUS.as_bytes()),
        ("batch-100", big.as_bytes()),
    ];
    let mut group = c.benchmark_group("parse");
    for (name, body) in inputs {
        let items = wa_payload::parse(body)
            .expect("bench input parses")
            .items()
            .count();
        assert_eq!(ours_items(body), baseline(body), "{name}: same phones");
        group.throughput(Throughput::Elements(items as u64));
        group.bench_with_input(
            BenchmarkId::new("wa-payload/parse", name),
            body,
            |b, body| b.iter(|| ours_parse(black_box(body))),
        );
        group.bench_with_input(
            BenchmarkId::new("wa-payload/parse+items", name),
            body,
            |b, body| b.iter(|| ours_items(black_box(body))),
        );
        group.bench_with_input(
            BenchmarkId::new("baseline-serde-value", name),
            body,
            |b, body| b.iter(|| baseline(black_box(body))),
        );
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
