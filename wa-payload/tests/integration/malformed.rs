//! Bad input: each case gives a typed error naming the path and position, never the value,
//! and never panics.

use wa_payload::{Limits, PayloadError};

const SECRET: &str = "4915112345678";

fn err(body: &[u8]) -> PayloadError {
    let e = wa_payload::parse(body).expect_err("must fail");
    let text = e.to_string();
    assert!(!text.contains(SECRET), "error shows a value: {text}");
    assert!(!format!("{e:?}").contains(SECRET), "debug shows a value");
    assert!(!text.ends_with('.'));
    e
}

#[test]
fn truncated_json() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"4915112345678","#;
    assert!(matches!(err(body), PayloadError::Truncated { line: 1, .. }));
}

#[test]
fn syntax_error_has_position() {
    let body = b"{\"object\":\"w\",\n \"entry\": [}";
    assert!(matches!(err(body), PayloadError::Syntax { line: 2, .. }));
}

#[test]
fn wrong_type_names_the_path() {
    let body = br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"a"},{"id":"b","from":4915112345678}]}}]}]}"#;
    match err(body) {
        PayloadError::WrongType { path, expected, .. } => {
            assert_eq!(path, "entry[0].changes[0].value.messages[1].from");
            assert_eq!(expected, "a string");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn wrong_type_with_string_value_does_not_echo_it() {
    let body = br#"{"event":"messages.upsert","data":{"key":{"id":"b","fromMe":"4915112345678"}}}"#;
    match err(body) {
        PayloadError::WrongType { path, expected, .. } => {
            assert_eq!(path, "data.key.fromMe");
            assert_eq!(expected, "a boolean");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn fields_routing_does_not_read_keep_any_type() {
    // `context.forwarded` should be a boolean and `timestamp` a string or number; neither
    // decides a party, so another JSON type is kept verbatim instead of refusing the body.
    let body = br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"b","from":"4915112345678","timestamp":{"t":1},"context":{"forwarded":"yes"}}]}}]}]}"#;
    let w = wa_payload::parse(body).unwrap();
    let n = w.cloud().unwrap();
    let msg = &n.entries()[0].changes()[0]
        .value
        .as_ref()
        .unwrap()
        .messages
        .as_ref()
        .unwrap()[0];
    assert!(msg.timestamp.is_none());
    assert_eq!(msg.extra.get("timestamp").unwrap().as_str(), r#"{"t":1}"#);
    let ctx = msg.context.as_ref().unwrap();
    assert!(ctx.forwarded.is_none());
    assert_eq!(ctx.extra.get("forwarded").unwrap().as_str(), r#""yes""#);
    let back: serde_json::Value = serde_json::to_value(&w).unwrap();
    assert_eq!(
        back,
        serde_json::from_slice::<serde_json::Value>(body).unwrap()
    );
}

#[test]
fn missing_envelope_fields() {
    match err(br#"{"object":"w"}"#) {
        PayloadError::MissingField { path, .. } => assert_eq!(path, "entry"),
        other => panic!("{other}"),
    }
    match err(br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages"}]}]}"#) {
        PayloadError::MissingField { path, .. } => assert_eq!(path, "entry[0].changes[0].value"),
        other => panic!("{other}"),
    }
}

#[test]
fn empty_arrays_parse_and_yield_account_items() {
    let w = wa_payload::parse(br#"{"object":"w","entry":[]}"#).unwrap();
    assert_eq!(w.items().count(), 0);
    let w = wa_payload::parse(
        br#"{"object":"w","entry":[{"id":"W","changes":[{"field":"messages","value":{"messages":[],"statuses":[]}}]}]}"#,
    )
    .unwrap();
    let items: Vec<_> = w.items().collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, wa_payload::ItemKind::Account);
}

#[test]
fn non_digit_phones_are_kept_as_found() {
    let w = wa_payload::parse(
        br#"{"object":"w","entry":[{"id":"W","changes":[{"field":"messages","value":{"messages":[{"id":"a","from":"PHONE_NUMBER","timestamp":"TIMESTAMP"}]}}]}]}"#,
    )
    .unwrap();
    let item = w.items().next().unwrap();
    assert_eq!(item.party.phone, Some("PHONE_NUMBER"));
}

#[test]
fn non_object_roots() {
    for body in [&b""[..], b"   ", b"[]", b"42", b"\"x\"", b"null"] {
        assert_eq!(err(body), PayloadError::NotAnObject);
    }
    assert_eq!(err(br#"{"hello":1}"#), PayloadError::UnknownProvider);
}

#[test]
fn oversized_body() {
    let limits = Limits::default().with_max_body_bytes(64);
    let body = format!(r#"{{"event":"x","data":"{}"}}"#, "a".repeat(100));
    let e = wa_payload::parse_with(body.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        e,
        PayloadError::TooLarge {
            size: body.len(),
            limit: 64
        }
    );
    // The default bound is Meta's 3 MB.
    assert_eq!(Limits::default().max_body_bytes(), 3 * 1024 * 1024);
    let big = format!(
        r#"{{"event":"x","data":"{}"}}"#,
        "a".repeat(3 * 1024 * 1024)
    );
    assert!(matches!(
        wa_payload::parse(big.as_bytes()),
        Err(PayloadError::TooLarge { .. })
    ));
}

#[test]
fn deep_nesting() {
    let body = format!(
        r#"{{"event":"x","data":{}{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(matches!(
        err(body.as_bytes()),
        PayloadError::TooDeep { limit: 64, .. }
    ));
    // Brackets inside strings do not count.
    let body = format!(r#"{{"event":"x","data":"{}"}}"#, "[".repeat(100));
    assert!(wa_payload::parse(body.as_bytes()).is_ok());
    // A raised bound is honoured up to the typed model's own ceiling.
    let limits = Limits::default().with_max_depth(1000);
    assert_eq!(limits.max_depth(), Limits::MAX_DEPTH);
    let deep = |n: usize| {
        format!(
            r#"{{"event":"messages.upsert","data":{{"messages":{}{{}}{}}}}}"#,
            r#"{"message":"#.repeat(n),
            "}".repeat(n)
        )
    };
    assert!(wa_payload::parse_with(deep(90).as_bytes(), &limits).is_ok());
    let e = wa_payload::parse_with(deep(200).as_bytes(), &limits).unwrap_err();
    assert!(matches!(e, PayloadError::TooDeep { limit: 100, .. }), "{e}");
}

#[test]
fn invalid_utf8() {
    let mut body = br#"{"object":"w","entry":[{"id":""#.to_vec();
    let at = body.len();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}]}"#);
    assert_eq!(err(&body), PayloadError::InvalidUtf8 { offset: at });
}

#[test]
fn wasender_wrong_data_shape_names_data_path() {
    match err(br#"{"event":"messages.upsert","data":{"messages":[{"key":{"id":4915112345678}}]}}"#)
    {
        PayloadError::WrongType { path, .. } => assert_eq!(path, "data.messages[0].key.id"),
        other => panic!("{other}"),
    }
    match err(br#"{"event":"group-participants.update","data":{"participants":[4915112345678]}}"#) {
        PayloadError::WrongType { path, .. } => assert_eq!(path, "data.participants[0]"),
        other => panic!("{other}"),
    }
}

#[test]
fn trailing_garbage_is_a_syntax_error() {
    assert!(matches!(
        err(br#"{"event":"x"} {"#),
        PayloadError::Syntax { .. }
    ));
}
