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
