//! Properties: arbitrary bytes never panic; parse -> serialize -> parse is stable.

use proptest::prelude::*;

/// JSON values shaped like webhooks: objects with known and unknown keys.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1.0e6f64..1.0e6).prop_map(serde_json::Value::from),
        "[a-zA-Z0-9@._ \"\\\\é+-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        let key = prop_oneof![
            Just("from".to_owned()),
            Just("id".to_owned()),
            Just("timestamp".to_owned()),
            Just("key".to_owned()),
            Just("remoteJid".to_owned()),
            Just("messages".to_owned()),
            Just("statuses".to_owned()),
            Just("text".to_owned()),
            Just("body".to_owned()),
            Just("value".to_owned()),
            Just("field".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((key, inner), 0..5)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn cloud_body() -> impl Strategy<Value = serde_json::Value> {
    (json_value(), json_value(), "[a-z_]{1,12}").prop_map(|(msg, extra, field)| {
        serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "time": 1, "changes": [
                {"field": field, "value": {"messages": [msg], "x": extra}},
                {"field": "messages", "value": {"statuses": [{"id": "s", "recipient_id": "49"}]}}
            ]}]
        })
    })
}

fn wasender_body() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![
            Just("messages.upsert"),
            Just("messages.update"),
            Just("messages.delete"),
            Just("call"),
            Just("group-participants.update"),
            Just("session.status"),
        ],
        json_value(),
    )
        .prop_map(|(event, data)| serde_json::json!({"event": event, "timestamp": 1, "data": data}))
}

fn stable(body: &[u8]) {
    if let Ok(w) = wa_payload::parse(body) {
        crate::oracle::check(&w).unwrap_or_else(|e| panic!("scan vs model: {e}"));
        let items = w.items().count();
        let once = serde_json::to_vec(&w).unwrap();
        let original: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&once).unwrap(),
            original
        );
        let again = wa_payload::parse(&once).expect("re-parse of our own output");
        assert_eq!(again.items().count(), items);
        let twice = serde_json::to_vec(&again).unwrap();
        assert_eq!(once, twice);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = wa_payload::detect(&body);
        if let Ok(w) = wa_payload::parse(&body) {
            let _ = w.items().count();
        }
    }

    #[test]
    fn json_like_bytes_never_panic(v in json_value(), cut in 0usize..64) {
        let text = serde_json::to_vec(&v).unwrap();
        let body = format!(r#"{{"object":"w","entry":{}}}"#, String::from_utf8(text).unwrap());
        let end = body.len().saturating_sub(cut);
        let _ = wa_payload::parse(&body.as_bytes()[..end]);
        let wbody = body.replacen("\"object\"", "\"event\"", 1);
        let _ = wa_payload::parse(&wbody.as_bytes()[..end.min(wbody.len())]);
    }

    #[test]
    fn cloud_parse_serialize_parse_is_stable(v in cloud_body()) {
        stable(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn wasender_parse_serialize_parse_is_stable(v in wasender_body()) {
        stable(&serde_json::to_vec(&v).unwrap());
    }
}

/// Every corpus body (empty when the corpus is absent outside CI).
fn corpus_bodies() -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = crate::corpus::files("cloud-api")
        .into_iter()
        .chain(crate::corpus::files("wasender"))
        .map(|(_, body)| body)
        .collect();
    if all.is_empty() {
        all.push(br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"a","from":"49"}]}}]}]}"#.to_vec());
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Corpus bodies with a byte replaced and a tail cut never panic, and when they still
    /// parse they round-trip.
    #[test]
    fn mutated_corpus_bodies_never_panic(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in 0usize..32) {
        let bodies = corpus_bodies();
        let mut body = bodies[pick.index(bodies.len())].clone();
        let i = at.index(body.len());
        body[i] = byte;
        body.truncate(body.len().saturating_sub(cut));
        stable(&body);
    }
}
