//! The router against the full `wa-payload` model: over the shared corpus and over generated
//! batches, the router accepts exactly the bodies `wa_payload::parse` accepts (with the same
//! error), finds exactly the items `Webhook::items` yields, and split bodies parse, hold only
//! their region's users, and together hold every item exactly once.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use residency_core::route::{Decision, RouteError, Router, Scratch};
use serde_json::{Value, json};

use crate::shared::{corpus, shared_dir};

/// Same verdict as the model: both accept, or both refuse with the same error.
fn assert_same_verdict(name: &str, body: &[u8]) -> bool {
    let parsed = wa_payload::parse(body);
    let routed = Router::seed().route(Bytes::copy_from_slice(body));
    match (&parsed, &routed) {
        (Ok(_), Ok(_)) => true,
        (Err(p), Err(RouteError::Payload(r))) => {
            assert_eq!(p, r, "{name}: different errors");
            false
        }
        // A policy-dependent refusal: the model has no policy.
        (Ok(_), Err(RouteError::Inseparable(_))) => false,
        _ => panic!(
            "{name}: parse {:?} but route {:?}",
            parsed.as_ref().map(|_| ()),
            routed.as_ref().map(|_| ())
        ),
    }
}

/// The scan's items equal the model's, field for field.
fn assert_scan_agrees(name: &str, body: &[u8]) {
    let model = wa_payload::parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected: Vec<_> = model.items().collect();
    let mut scratch = Scratch::default();
    let got: Vec<_> = Router::seed()
        .items(body, &mut scratch)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .collect();
    assert_eq!(got, expected, "{name}");
}

/// An item's identity, to compare the items of split bodies with the original's.
type Key = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn keys(body: &[u8]) -> Vec<Key> {
    let mut v = keys_in_order(body);
    v.sort();
    v
}

/// The identities of a body's items, in document order.
fn keys_in_order(body: &[u8]) -> Vec<Key> {
    let w = wa_payload::parse(body).expect("body parses");
    w.items()
        .map(|i| {
            (
                i.kind.as_str().to_owned(),
                i.id.map(str::to_owned),
                i.party.phone.map(str::to_owned),
                i.party.user_id.map(str::to_owned),
                i.party.lid.map(str::to_owned),
            )
        })
        .collect()
}

/// Split bodies parse, route whole to their own region, and hold every item exactly once.
fn assert_split_sound(name: &str, router: &Router, body: &[u8], decision: &Decision) {
    let items: Vec<_> = decision.items().collect();
    assert_eq!(items.len(), keys(body).len(), "{name}");
    if !decision.is_split() {
        let only = &decision.bodies()[0];
        assert!(only.is_unchanged(), "{name}");
        assert_eq!(
            only.body().as_ref(),
            body,
            "{name}: bytes are forwarded untouched"
        );
        return;
    }
    let mut union = Vec::new();
    for out in decision.bodies() {
        assert!(!out.is_unchanged(), "{name}");
        let again = router
            .route(out.body().clone())
            .unwrap_or_else(|e| panic!("{name}: split body does not route: {e}"));
        assert!(!again.is_split(), "{name}: a split body is single-region");
        for item in again.items() {
            assert_eq!(
                item.region(),
                out.region(),
                "{name}: foreign item in a split body"
            );
        }
        assert_eq!(again.items().len(), out.item_count(), "{name}");
        let mine = keys(out.body());
        union.extend(mine.iter().cloned());
        // Nothing of another region's users: every item re-routes here (above), and every
        // contact left in the body describes one of this body's own items.
        let own: Vec<&String> = mine
            .iter()
            .flat_map(|k| [k.2.as_ref(), k.3.as_ref()])
            .flatten()
            .collect();
        let v: Value = serde_json::from_slice(out.body()).unwrap();
        for entry in v["entry"].as_array().into_iter().flatten() {
            for change in entry["changes"].as_array().into_iter().flatten() {
                for contact in change["value"]["contacts"].as_array().into_iter().flatten() {
                    let ids = [&contact["wa_id"], &contact["user_id"]];
                    assert!(
                        ids.iter()
                            .filter_map(|id| id.as_str())
                            .any(|id| own.iter().any(|o| o.as_str() == id)),
                        "{name}: a contact of another region is in the {} body",
                        out.region()
                    );
                }
            }
        }
    }
    union.sort();
    assert_eq!(union, keys(body), "{name}: every item exactly once");
}

#[test]
fn scan_agrees_with_the_model_over_the_corpus() {
    let mut n = 0;
    for sub in ["cloud-api", "wasender"] {
        for (name, body) in corpus(sub) {
            assert_scan_agrees(&name, &body);
            n += 1;
        }
    }
    if shared_dir("the corpus routing test").is_some() {
        assert_eq!(n, 191, "every corpus body was checked");
    }
}

#[test]
fn every_corpus_body_routes() {
    let router = Router::seed();
    for sub in ["cloud-api", "wasender"] {
        for (name, body) in corpus(sub) {
            let decision = router
                .route(Bytes::from(body.clone()))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_split_sound(&name, &router, &body, &decision);
        }
    }
}

#[test]
fn malformed_corpus_bodies_are_rejected_with_a_typed_error() {
    for (name, body) in corpus("malformed") {
        let err = Router::seed()
            .route(Bytes::from(body.clone()))
            .expect_err(&name);
        assert!(
            matches!(&err, RouteError::Payload(wa_payload::PayloadError::MissingField { path, .. }) if path.ends_with(".field")),
            "{name}: {err}"
        );
        assert!(
            err.to_string()
                .starts_with("missing field `entry[0].changes["),
            "{err}"
        );
        assert_eq!(
            wa_payload::parse(&body).err().map(RouteError::from),
            Some(err),
            "{name}"
        );
    }
}

// ------------------------------------------------------------------ generated batches

/// Phone numbers from different policy regions and attribution paths.
const PHONES: &[&str] = &[
    "4915112345678", // DE -> EU
    "447700900123",  // GB -> EU
    "441481256789",  // GG -> EU
    "5511987654321", // BR -> LATAM
    "5215512345678", // MX -> LATAM
    "919876543210",  // IN -> INDIA
    "12025550123",   // US -> US
    "18765550123",   // JM -> US
    "77012345678",   // KZ -> US
    "79161234567",   // RU -> US
    "8613812345678", // CN -> US
    "88213400123",   // non-geographic
    "PHONE_NUMBER",  // placeholder
    "",              // empty
];

const USER_IDS: &[&str] = &[
    "US.13491208655302741918",
    "BR.1029384756473829",
    "DE.ENT.998877",
    "x.bad",
];

fn opt<T: Clone + std::fmt::Debug + 'static>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![1 => Just(None), 3 => s.prop_map(Some)]
}

fn phone() -> impl Strategy<Value = String> {
    prop::sample::select(PHONES).prop_map(str::to_owned)
}

fn user_id() -> impl Strategy<Value = String> {
    prop::sample::select(USER_IDS).prop_map(str::to_owned)
}

fn put(obj: &mut serde_json::Map<String, Value>, key: &str, v: Option<String>) {
    if let Some(v) = v {
        obj.insert(key.to_owned(), Value::String(v));
    }
}

fn message() -> impl Strategy<Value = Value> {
    (
        opt(phone()),
        opt(user_id()),
        any::<bool>(),
        0u32..1_000_000,
        prop::sample::select(&["text", "image", "reaction", "unsupported"][..]),
    )
        .prop_map(|(from, uid, group, n, ty)| {
            let mut m = serde_json::Map::new();
            put(&mut m, "from", from);
            put(&mut m, "from_user_id", uid);
            m.insert("id".into(), json!(format!("wamid.M{n}")));
            m.insert("timestamp".into(), json!("1763719200"));
            if group {
                m.insert("group_id".into(), json!("120363041234567890"));
            }
            m.insert("type".into(), json!(ty));
            match ty {
                "text" => {
                    m.insert("text".into(), json!({"body": format!("hello {n}")}));
                }
                "image" => {
                    m.insert(
                        "image".into(),
                        json!({"id": "1003383421387256", "mime_type": "image/jpeg", "sha256": "abc="}),
                    );
                }
                "reaction" => {
                    m.insert("reaction".into(), json!({"message_id": "wamid.X", "emoji": "\u{1f44d}"}));
                }
                _ => {
                    m.insert("errors".into(), json!([{"code": 131051, "title": "Message type unknown"}]));
                }
            }
            Value::Object(m)
        })
}

fn status() -> impl Strategy<Value = Value> {
    (
        opt(phone()),
        opt(user_id()),
        any::<bool>(),
        0u32..1_000_000,
        prop::sample::select(&["sent", "delivered", "read", "failed"][..]),
    )
        .prop_map(|(rid, uid, group, n, st)| {
            let mut s = serde_json::Map::new();
            s.insert("id".into(), json!(format!("wamid.S{n}")));
            s.insert("status".into(), json!(st));
            s.insert("timestamp".into(), json!("1763719260"));
            if group {
                s.insert("recipient_type".into(), json!("group"));
                s.insert("recipient_id".into(), json!("120363041234567890"));
                put(&mut s, "recipient_participant_id", rid);
                put(&mut s, "recipient_participant_user_id", uid);
            } else {
                put(&mut s, "recipient_id", rid);
                put(&mut s, "recipient_user_id", uid);
            }
            Value::Object(s)
        })
}

fn call() -> impl Strategy<Value = Value> {
    (opt(phone()), opt(phone()), any::<bool>(), 0u32..1000).prop_map(|(from, to, outbound, n)| {
        let mut c = serde_json::Map::new();
        c.insert("id".into(), json!(format!("wacid.C{n}")));
        put(&mut c, "from", from);
        put(&mut c, "to", to);
        c.insert("event".into(), json!("connect"));
        c.insert("timestamp".into(), json!("1763719300"));
        c.insert(
            "direction".into(),
            json!(if outbound {
                "BUSINESS_INITIATED"
            } else {
                "USER_INITIATED"
            }),
        );
        Value::Object(c)
    })
}

/// One change: a messages change with any mix of arrays, or a management field.
fn change() -> impl Strategy<Value = Value> {
    let arrays = (
        prop::collection::vec(message(), 0..6),
        prop::collection::vec(status(), 0..6),
        prop::collection::vec(call(), 0..3),
        any::<bool>(),
    );
    prop_oneof![
        4 => arrays.prop_map(|(messages, statuses, calls, statuses_first)| {
            let contacts: Vec<Value> = messages
                .iter()
                .filter_map(|m| m.get("from").cloned())
                .map(|wa_id| json!({"profile": {"name": "Someone"}, "wa_id": wa_id}))
                .collect();
            let mut v = serde_json::Map::new();
            v.insert("messaging_product".into(), json!("whatsapp"));
            v.insert(
                "metadata".into(),
                json!({"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}),
            );
            // Key order varies: the scan must not depend on it.
            if statuses_first && !statuses.is_empty() {
                v.insert("statuses".into(), Value::Array(statuses.clone()));
            }
            if !contacts.is_empty() {
                v.insert("contacts".into(), Value::Array(contacts));
            }
            if !messages.is_empty() {
                v.insert("messages".into(), Value::Array(messages));
            }
            if !statuses_first && !statuses.is_empty() {
                v.insert("statuses".into(), Value::Array(statuses));
            }
            if !calls.is_empty() {
                v.insert("calls".into(), Value::Array(calls));
            }
            json!({"value": Value::Object(v), "field": "messages"})
        }),
        1 => Just(json!({"field": "message_template_status_update",
            "value": {"event": "APPROVED", "message_template_id": 594425479261596_u64,
                      "message_template_name": "order_shipped", "message_template_language": "en_US",
                      "reason": "NONE"}})),
    ]
}

fn cloud_body() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::collection::vec(change(), 1..4), 1..3).prop_map(|entries| {
        let entries: Vec<Value> = entries
            .into_iter()
            .enumerate()
            .map(|(i, changes)| json!({"id": format!("10229012934039{i}"), "changes": changes}))
            .collect();
        json!({"object": "whatsapp_business_account", "entry": entries})
    })
}

fn jid() -> impl Strategy<Value = String> {
    prop_oneof![
        phone().prop_map(|p| format!("{p}@s.whatsapp.net")),
        (0u64..1_000_000).prop_map(|n| format!("{n}@lid")),
        Just("120363041234567890@g.us".to_owned()),
        phone(),
        // Odd shapes where a sloppy rule would disagree with the model.
        phone().prop_map(|p| format!("{p}@x@s.whatsapp.net")),
        phone().prop_map(|p| format!("{p}:12@s.whatsapp.net")),
        Just("@s.whatsapp.net".to_owned()),
        Just("@lid".to_owned()),
        phone().prop_map(|p| format!("{p}@c.us")),
    ]
}

fn wa_key() -> impl Strategy<Value = Value> {
    (
        0u32..100_000,
        opt(any::<bool>()),
        opt(jid()),
        opt(jid()),
        opt(phone()),
        opt(jid()),
        opt(jid()),
    )
        .prop_map(
            |(n, from_me, remote, participant, cleaned, sender_pn, lid)| {
                let mut k = serde_json::Map::new();
                k.insert("id".into(), json!(format!("3EB0{n:08}")));
                if let Some(b) = from_me {
                    k.insert("fromMe".into(), json!(b));
                }
                put(&mut k, "remoteJid", remote);
                put(&mut k, "participant", participant);
                put(&mut k, "cleanedSenderPn", cleaned);
                put(&mut k, "senderPn", sender_pn);
                put(&mut k, "senderLid", lid);
                Value::Object(k)
            },
        )
}

fn wa_record() -> impl Strategy<Value = Value> {
    wa_key().prop_map(|key| {
        json!({"key": key, "pushName": "Someone", "messageBody": "hi", "message": {"conversation": "hi"}})
    })
}

fn wasender_body() -> impl Strategy<Value = Value> {
    prop_oneof![
        wa_record().prop_map(|r| json!({"event": "messages.received", "timestamp": 1763719500123_u64, "data": {"messages": r}})),
        prop::collection::vec(wa_record(), 0..5)
            .prop_map(|rs| json!({"event": "messages.upsert", "sessionId": "s1", "data": rs})),
        prop::collection::vec(wa_record(), 0..5)
            .prop_map(|rs| json!({"event": "messages.upsert", "data": {"messages": rs}})),
        prop::collection::vec(jid(), 0..5).prop_map(|ps| json!({"event": "group-participants.update",
            "data": {"jid": "120363041234567890@g.us", "participants": ps, "action": "add"}})),
        (opt(jid()), 0u32..1000).prop_map(|(from, n)| {
            let mut c = serde_json::Map::new();
            c.insert("id".into(), json!(format!("CALL{n}")));
            put(&mut c, "from", from);
            json!({"event": "call.received", "data": Value::Object(c)})
        }),
        Just(json!({"event": "session.status", "data": {"status": "connected"}})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scan_agrees_with_the_model_on_generated_cloud_batches(body in cloud_body()) {
        let bytes = serde_json::to_vec(&body).unwrap();
        if assert_same_verdict("generated", &bytes) {
            assert_scan_agrees("generated", &bytes);
            let router = Router::seed();
            let decision = router.route(Bytes::from(bytes.clone())).unwrap();
            assert_split_sound("generated", &router, &bytes, &decision);
        }
    }

    #[test]
    fn scan_agrees_with_the_model_on_generated_wasender_events(body in wasender_body()) {
        let bytes = serde_json::to_vec(&body).unwrap();
        if assert_same_verdict("generated", &bytes) {
            assert_scan_agrees("generated", &bytes);
            let router = Router::seed();
            let decision = router.route(Bytes::from(bytes.clone())).unwrap();
            assert_split_sound("generated", &router, &bytes, &decision);
        }
    }

    #[test]
    fn routing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Router::seed().route(Bytes::from(bytes));
    }

    #[test]
    fn routing_mutated_bodies_never_panics_and_agrees_when_they_parse(body in cloud_body(), cut in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut bytes = serde_json::to_vec(&body).unwrap();
        let i = cut.index(bytes.len());
        bytes[i] = b;
        // Same verdict as the model on any mutation, and the same items when accepted.
        if assert_same_verdict("mutated", &bytes) {
            assert_scan_agrees("mutated", &bytes);
        }
        bytes.truncate(i);
        let _ = Router::seed().route(Bytes::from(bytes));
    }
}

#[test]
fn a_mixed_batch_splits_and_keeps_contacts_with_their_users() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "metadata":{"phone_number_id":"2"},
      "contacts":[{"profile":{"name":"Lena"},"wa_id":"4915112345678"},{"profile":{"name":"Ravi"},"wa_id":"919876543210"}],
      "messages":[{"from":"4915112345678","id":"wamid.A","timestamp":"1","type":"text","text":{"body":"hallo"}},
                  {"from":"919876543210","id":"wamid.B","timestamp":"2","type":"text","text":{"body":"namaste"}}]}}]}]}"#;
    let decision = Router::seed().route(Bytes::from_static(body)).unwrap();
    assert!(decision.is_split());
    let by_region: BTreeMap<String, String> = decision
        .bodies()
        .iter()
        .map(|b| {
            (
                b.region().to_string(),
                String::from_utf8(b.body().to_vec()).unwrap(),
            )
        })
        .collect();
    let eu = &by_region["EU"];
    let india = &by_region["INDIA"];
    assert!(
        eu.contains("Lena") && eu.contains("hallo") && eu.contains("\"phone_number_id\":\"2\"")
    );
    assert!(!eu.contains("Ravi") && !eu.contains("919876543210") && !eu.contains("namaste"));
    assert!(india.contains("Ravi") && !india.contains("Lena") && !india.contains("4915112345678"));
}

#[test]
fn unattributed_items_go_to_the_default_region_without_failing_the_batch() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "messages":[{"from":"not-a-number","id":"a","timestamp":"1","type":"text","text":{"body":"x"}},
                  {"from":"4915112345678","id":"b","timestamp":"1","type":"text","text":{"body":"y"}},
                  {"id":"c","timestamp":"1","type":"text","text":{"body":"z"}},
                  {"from":"99912345678","id":"d","timestamp":"1","type":"text","text":{"body":"w"}},
                  {"from_user_id":"XX-bad","id":"e","timestamp":"1","type":"text","text":{"body":"v"}}]}}]}]}"#;
    let decision = Router::seed().route(Bytes::from_static(body)).unwrap();
    let got: Vec<(Option<String>, String, bool)> = decision
        .items()
        .map(|i| {
            (
                i.country().map(|c| c.to_string()),
                i.region().to_string(),
                i.reason().is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (None, "US".into(), true),
            (Some("DE".into()), "EU".into(), false),
            (None, "US".into(), true),
            (None, "US".into(), true),
            (None, "US".into(), true),
        ]
    );
}

#[test]
fn route_errors_name_positions_never_values() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "the root is not a json object"),
        (b"[1]", "the root is not a json object"),
        (
            br#"{"foo":1}"#,
            "unknown provider: no top-level `object`, `entry`, `event` or `data` field",
        ),
        (
            br#"{"object":"x","entry":"4915112345678"}"#,
            "wrong type at `entry`: expected an array, at line 1, column 23",
        ),
        (
            br#"{"entry":[{"changes":[{"value":{"messages":[{"from":"4915112345678"#,
            "unexpected end of json at line 1, column 67",
        ),
        (b"{\"entry\":[],\"x\":\"\xff\"}", "invalid utf-8 at byte 17"),
        (
            br#"{"object":"x","entry":[],"event":"messages.received"}"#,
            "ambiguous provider: top-level fields of both the cloud api and wasender",
        ),
    ];
    for (body, want) in cases {
        let err = Router::seed()
            .route(Bytes::copy_from_slice(body))
            .unwrap_err();
        assert_eq!(err.to_string(), *want);
        assert!(!err.to_string().contains("4915"));
    }
    let deep = format!(
        "{{\"entry\":[],\"x\":{}{}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(matches!(
        Router::seed().route(Bytes::from(deep)),
        Err(RouteError::Payload(wa_payload::PayloadError::TooDeep {
            limit: 64,
            ..
        }))
    ));
    let big = Router::seed().with_limits(wa_payload::Limits::default().with_max_body_bytes(10));
    assert_eq!(
        big.route(Bytes::from_static(b"{\"entry\":[]}"))
            .unwrap_err(),
        RouteError::Payload(wa_payload::PayloadError::TooLarge {
            size: 12,
            limit: 10
        })
    );
}

#[test]
fn regression_a_jid_with_two_ats_gives_no_phone_as_in_the_model() {
    // The scan once took the user part of any value ending in `@s.whatsapp.net`; the model
    // requires the domain after the first `@` to be exactly `s.whatsapp.net`.
    let body = br#"{"event":"messages.received","data":{"messages":{"key":{"id":"K",
      "remoteJid":"4915112345678@x@s.whatsapp.net"}}}}"#;
    assert_scan_agrees("two-ats", body);
    let mut scratch = Scratch::default();
    let item = Router::seed()
        .items(body, &mut scratch)
        .unwrap()
        .next()
        .unwrap();
    assert_eq!(item.party.phone, None);
}

#[test]
fn decision_debug_shows_no_identifiers() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "messages":[{"from":"4915112345678","id":"wamid.SECRETID","timestamp":"1","type":"text","text":{"body":"x"}}]}}]}]}"#;
    let d = Router::seed().route(Bytes::from_static(body)).unwrap();
    let dbg = format!("{d:?}");
    assert!(
        !dbg.contains("4915112345678") && !dbg.contains("SECRETID"),
        "{dbg}"
    );
    assert!(dbg.contains("EU"));

    // The scratch buffers hold decoded (escaped) strings of the last body: not in Debug.
    let escaped = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "messages":[{"from":"\u0034915112345678","id":"wamid.X","timestamp":"1","type":"text","text":{"body":"x"}}]}}]}]}"#;
    let mut scratch = Scratch::default();
    let d = Router::seed()
        .route_with(Bytes::from_static(escaped), &mut scratch)
        .unwrap();
    assert_eq!(d.items().next().unwrap().country().unwrap().as_str(), "DE");
    let dbg = format!("{scratch:?} {d:?}");
    assert!(!dbg.contains("4915112345678"), "{dbg}");
}
