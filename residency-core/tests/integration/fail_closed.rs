//! Fail closed (DESIGN.md invariants 8-10): no body shape hides a party. Each test is one
//! way a crafted body used to put a German sender's data in the default (US) region, or one
//! rule that keeps that from happening, checked through the router and through
//! `wa_payload::parse` (one grammar: both must give the same verdict).

use bytes::Bytes;
use residency_core::route::{Decision, RouteError, Router};
use wa_payload::{ItemKind, Limits, PayloadError, Role};

const DE: &str = "4915112345678";

fn route(body: &str) -> Result<Decision, RouteError> {
    let routed = Router::seed().route(Bytes::copy_from_slice(body.as_bytes()));
    // The model accepts exactly what the router accepts, with the same error.
    match (&routed, wa_payload::parse(body.as_bytes())) {
        (Ok(_), Ok(_)) | (Err(RouteError::Inseparable(_)), Ok(_)) => {}
        (Err(RouteError::Payload(r)), Err(p)) => assert_eq!(r, &p, "{body}"),
        (r, p) => panic!("router {:?} but model {:?}: {body}", r.is_ok(), p.is_ok()),
    }
    routed
}

fn payload_error(body: &str) -> PayloadError {
    match route(body) {
        Err(RouteError::Payload(e)) => {
            let text = e.to_string();
            assert!(!text.contains("4915"), "an error echoes a value: {text}");
            e
        }
        other => panic!("expected a payload error, got {other:?}"),
    }
}

/// `(kind, role, country, region)` of every routed item.
fn routed(body: &str) -> Vec<(ItemKind, Role, Option<String>, String)> {
    route(body)
        .unwrap_or_else(|e| panic!("{e}: {body}"))
        .items()
        .map(|i| {
            (
                i.kind(),
                i.role(),
                i.country().map(|c| c.to_string()),
                i.region().to_string(),
            )
        })
        .collect()
}

fn cloud(field: &str, value: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398",
        "changes":[{{"field":"{field}","value":{value}}}]}}]}}"#
    )
}

// ---------------------------------------------------------------- 1. ambiguity is an error

#[test]
fn a_cloud_body_with_a_wasender_event_key_is_ambiguous() {
    let body = format!(
        r#"{{"event":"messages.received","object":"whatsapp_business_account","entry":[{{"id":"1",
        "changes":[{{"field":"messages","value":{{"messages":[{{"from":"{DE}","id":"wamid.A"}}]}}}}]}}]}}"#
    );
    assert_eq!(payload_error(&body), PayloadError::AmbiguousProvider);
    assert_eq!(
        wa_payload::detect(body.as_bytes()),
        Err(PayloadError::AmbiguousProvider)
    );
    for body in [
        r#"{"entry":[],"data":{}}"#,
        r#"{"event":"session.status","object":"x"}"#,
        r#"{"data":[],"entry":[]}"#,
    ] {
        assert_eq!(
            payload_error(body),
            PayloadError::AmbiguousProvider,
            "{body}"
        );
    }
}

// ---------------------------------------------------- 2. parties by shape, not by label

#[test]
fn messages_under_any_field_route_by_their_sender() {
    let value = format!(r#"{{"messages":[{{"from":"{DE}","id":"wamid.A"}}]}}"#);
    for field in [
        "messages",
        "account_update",
        "message_template_status_update",
        "history",
        "a_field_meta_adds_next_year",
    ] {
        assert_eq!(
            routed(&cloud(field, &value)),
            [(
                ItemKind::Message,
                Role::Sender,
                Some("DE".into()),
                "EU".into()
            )],
            "{field}"
        );
    }
}

#[test]
fn statuses_calls_echoes_and_preferences_under_any_field_route_by_their_party() {
    let value = format!(
        r#"{{"statuses":[{{"id":"wamid.S","recipient_id":"{DE}"}}],
            "calls":[{{"id":"wacid.C","from":"{DE}"}}],
            "message_echoes":[{{"id":"wamid.E","to":"{DE}"}}],
            "user_preferences":[{{"wa_id":"{DE}"}}]}}"#
    );
    let got = routed(&cloud("security", &value));
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|(_, _, c, r)| c.as_deref() == Some("DE") && r == "EU"),
        "{got:?}"
    );
}

#[test]
fn a_change_without_party_shaped_content_routes_by_business() {
    let got = routed(&cloud("account_update", r#"{"event":"PARTNER_ADDED"}"#));
    assert_eq!(
        got,
        [(ItemKind::Account, Role::Business, None, "US".into())]
    );
}

#[test]
fn a_contact_no_item_matches_is_routed_on_its_own() {
    // A German's contact card riding in a US user's message body, or alone in a management
    // field: it is routed by its own party.
    let value = format!(
        r#"{{"contacts":[{{"profile":{{"name":"Lena"}},"wa_id":"{DE}"}},{{"profile":{{"name":"Sam"}},"wa_id":"12025550123"}}],
            "messages":[{{"from":"12025550123","id":"wamid.A"}}]}}"#
    );
    let d = route(&cloud("messages", &value)).unwrap();
    assert!(
        d.is_split(),
        "the German contact must not travel with the US body"
    );
    let eu = d
        .bodies()
        .iter()
        .find(|b| b.region().as_str() == "EU")
        .unwrap();
    let eu = String::from_utf8(eu.body().to_vec()).unwrap();
    assert!(eu.contains("Lena") && !eu.contains("Sam") && !eu.contains("wamid.A"));
    let alone = format!(r#"{{"contacts":[{{"profile":{{"name":"Lena"}},"wa_id":"{DE}"}}]}}"#);
    assert_eq!(
        routed(&cloud("account_update", &alone)),
        [(
            ItemKind::Contact,
            Role::Participant,
            Some("DE".into()),
            "EU".into()
        )]
    );
}

#[test]
fn history_messages_route_by_their_thread_user() {
    // The business wrote `from` its own (US) number; the conversation is the German user's.
    let value = format!(
        r#"{{"history":[{{"metadata":{{"phase":0}},"threads":[
            {{"id":"{DE}","messages":[{{"from":"15550783881","id":"wamid.H1"}},{{"from":"{DE}","id":"wamid.H2"}}]}},
            {{"id":"919876543210","messages":[]}}]}}]}}"#
    );
    let got = routed(&cloud("history", &value));
    assert_eq!(
        got,
        [
            (
                ItemKind::Message,
                Role::Participant,
                Some("DE".into()),
                "EU".into()
            ),
            (
                ItemKind::Message,
                Role::Participant,
                Some("DE".into()),
                "EU".into()
            ),
            (
                ItemKind::Contact,
                Role::Participant,
                Some("IN".into()),
                "INDIA".into()
            ),
        ]
    );
}

#[test]
fn state_sync_contacts_route_by_their_phone() {
    let value = format!(
        r#"{{"state_sync":[{{"type":"contact","contact":{{"full_name":"Lena","phone_number":"{DE}"}},"action":"add"}}]}}"#
    );
    assert_eq!(
        routed(&cloud("smb_app_state_sync", &value)),
        [(
            ItemKind::Contact,
            Role::Participant,
            Some("DE".into()),
            "EU".into()
        )]
    );
}

#[test]
fn any_wasender_event_that_carries_a_person_routes_by_it() {
    let key = format!(r#"{{"key":{{"id":"K","remoteJid":"{DE}@s.whatsapp.net"}}}}"#);
    for event in [
        "session.status",
        "qrcode.updated",
        "chats.update",
        "no.such.event",
    ] {
        let body = format!(r#"{{"event":"{event}","data":{key}}}"#);
        assert_eq!(
            routed(&body),
            [(
                ItemKind::Event,
                Role::Sender,
                Some("DE".into()),
                "EU".into()
            )],
            "{event}"
        );
    }
    // Contacts, chats (a bare id), a caller, and a group's participants.
    for data in [
        format!(r#"[{{"jid":"{DE}","name":"Lena"}}]"#),
        format!(r#"["{DE}"]"#),
        format!(r#"{{"from":"{DE}@s.whatsapp.net","id":"CALL1"}}"#),
        format!(
            r#"{{"jid":"1203@g.us","participants":[{{"id":"{DE}@s.whatsapp.net","admin":null}}]}}"#
        ),
    ] {
        let body = format!(r#"{{"event":"groups.upsert","data":{data}}}"#);
        let got = routed(&body);
        assert_eq!(got.len(), 1, "{data}");
        assert_eq!(
            (got[0].2.as_deref(), got[0].3.as_str()),
            (Some("DE"), "EU"),
            "{data}"
        );
    }
}

#[test]
fn a_group_whose_owner_and_participants_live_in_different_regions_is_refused() {
    // Splitting it would copy the owner's number into the other region's body.
    let body = format!(
        r#"{{"event":"groups.upsert","data":[{{"jid":"1203@g.us","subject":"S","owner":"{DE}@s.whatsapp.net",
           "participants":[{{"id":"{DE}@s.whatsapp.net"}},{{"id":"5511987654321@s.whatsapp.net"}}]}}]}}"#
    );
    assert!(matches!(route(&body), Err(RouteError::Inseparable(p)) if p == "data[0]"));
    // Same region: fine.
    let body = body.replace("5511987654321", "4915199999999");
    assert_eq!(route(&body).unwrap().bodies().len(), 1);
}

#[test]
fn a_record_with_the_fields_of_two_shapes_is_refused() {
    let body = format!(
        r#"{{"event":"messages.upsert","data":{{"key":{{"id":"K","remoteJid":"12025550123@s.whatsapp.net"}},"from":"{DE}@s.whatsapp.net"}}}}"#
    );
    assert!(
        matches!(payload_error(&body), PayloadError::AmbiguousRecord { path, .. } if path == "data")
    );
}

// --------------------------------------------------------------------- 3. one grammar

#[test]
fn a_routing_field_of_another_type_is_an_error_not_a_missing_party() {
    for (value, path) in [
        (
            format!(r#"{{"messages":[{{"from":{DE},"id":"wamid.A"}}]}}"#),
            "entry[0].changes[0].value.messages[0].from",
        ),
        (
            format!(r#"{{"messages":{{"from":"{DE}"}}}}"#),
            "entry[0].changes[0].value.messages",
        ),
        (
            format!(r#"{{"messages":["{DE}"]}}"#),
            "entry[0].changes[0].value.messages[0]",
        ),
        (
            format!(r#"{{"statuses":[{{"recipient_id":["{DE}"]}}]}}"#),
            "entry[0].changes[0].value.statuses[0].recipient_id",
        ),
    ] {
        match payload_error(&cloud("messages", &value)) {
            PayloadError::WrongType { path: got, .. } => assert_eq!(got, path),
            other => panic!("{other}"),
        }
    }
    let body =
        format!(r#"{{"event":"messages.upsert","data":{{"key":{{"cleanedSenderPn":{DE}}}}}}}"#);
    assert!(
        matches!(payload_error(&body), PayloadError::WrongType { path, .. } if path == "data.key.cleanedSenderPn")
    );
}

#[test]
fn a_routing_field_given_twice_is_an_error() {
    let value = format!(r#"{{"messages":[{{"from":"12025550123","from":"{DE}","id":"a"}}]}}"#);
    assert!(matches!(
        payload_error(&cloud("messages", &value)),
        PayloadError::DuplicateField { path, .. } if path == "entry[0].changes[0].value.messages[0].from"
    ));
    let body = format!(
        r#"{{"object":"w","entry":[],"entry":[{{"changes":[{{"field":"messages","value":{{"messages":[{{"from":"{DE}"}}]}}}}]}}]}}"#
    );
    assert!(
        matches!(payload_error(&body), PayloadError::DuplicateField { path, .. } if path == "entry")
    );
}

#[test]
fn escaped_identities_are_read_as_their_decoded_value() {
    let escaped =
        r#"\u0034\u0039\u0031\u0035\u0031\u0031\u0032\u0033\u0034\u0035\u0036\u0037\u0038"#;
    let value = format!(r#"{{"messages":[{{"from":"{escaped}","id":"wamid.A"}}]}}"#);
    assert_eq!(routed(&cloud("messages", &value))[0].3, "EU");
    let body = format!(
        r#"{{"event":"group-participants.update","data":{{"participants":["{escaped}"]}}}}"#
    );
    assert_eq!(routed(&body)[0].3, "EU");
}

#[test]
fn lone_surrogates_and_infinite_numbers_are_refused_everywhere() {
    for bad in [r#""\ud800""#, r#""\udc00x""#, "1e400", "-1E309"] {
        // In a field nothing reads: refused all the same.
        let value = format!(r#"{{"messages":[{{"from":"{DE}","id":"a","unknown":{bad}}}]}}"#);
        assert!(
            matches!(
                payload_error(&cloud("messages", &value)),
                PayloadError::Syntax { .. }
            ),
            "{bad}"
        );
    }
}

// ------------------------------------------------------------ 4. conflicting parties

#[test]
fn a_wasender_key_whose_fields_name_two_people_is_refused() {
    for (a, b, first, second) in [
        (
            "cleanedSenderPn",
            "remoteJid",
            "data.key.cleanedSenderPn",
            "data.key.remoteJid",
        ),
        (
            "senderPn",
            "remoteJid",
            "data.key.senderPn",
            "data.key.remoteJid",
        ),
        (
            "cleanedSenderPn",
            "participant",
            "data.key.cleanedSenderPn",
            "data.key.participant",
        ),
    ] {
        let body = format!(
            r#"{{"event":"messages.upsert","data":{{"key":{{"id":"K","{a}":"{DE}@s.whatsapp.net","{b}":"12025550123@s.whatsapp.net"}}}}}}"#
        );
        match payload_error(&body) {
            PayloadError::ConflictingParty {
                first: f,
                second: s,
                ..
            } => assert_eq!((f.as_str(), s.as_str()), (first, second)),
            other => panic!("{other}"),
        }
    }
    // The same number written two ways is one person.
    let body = format!(
        r#"{{"event":"messages.upsert","data":{{"key":{{"id":"K","cleanedSenderPn":"+{DE}","remoteJid":"{DE}:3@s.whatsapp.net"}}}}}}"#
    );
    assert_eq!(routed(&body)[0].3, "EU");
}

#[test]
fn a_cloud_contact_that_contradicts_its_message_is_refused() {
    // Same user id, different phones.
    let value = format!(
        r#"{{"contacts":[{{"wa_id":"12025550123","user_id":"DE.42"}}],"messages":[{{"from":"{DE}","from_user_id":"DE.42","id":"a"}}]}}"#
    );
    match payload_error(&cloud("messages", &value)) {
        PayloadError::ConflictingParty { first, second, .. } => {
            assert_eq!(first, "entry[0].changes[0].value.contacts[0].wa_id");
            assert_eq!(second, "entry[0].changes[0].value.messages[0].from");
        }
        other => panic!("{other}"),
    }
    // Same phone, different user ids.
    let value = format!(
        r#"{{"contacts":[{{"wa_id":"{DE}","user_id":"US.7"}}],"messages":[{{"from":"{DE}","from_user_id":"DE.42","id":"a"}}]}}"#
    );
    assert!(matches!(
        payload_error(&cloud("messages", &value)),
        PayloadError::ConflictingParty { first, .. } if first.ends_with("contacts[0].user_id")
    ));
}

// ------------------------------------------------------------------------- 6. bounds

#[test]
fn a_million_empty_messages_are_refused_at_the_item_limit() {
    let items = vec!["{}"; 1_000_000].join(",");
    let body = format!(
        r#"{{"object":"w","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"messages":[{items}]}}}}]}}]}}"#
    );
    assert!(body.len() < 3 * 1024 * 1024);
    assert_eq!(
        payload_error(&body),
        PayloadError::TooManyItems { limit: 10_000 }
    );
}

#[test]
fn the_item_limit_counts_contacts_and_is_configurable() {
    let contacts = vec![format!(r#"{{"wa_id":"{DE}"}}"#); 6].join(",");
    let value = format!(r#"{{"contacts":[{contacts}],"messages":[{{"from":"{DE}","id":"a"}}]}}"#);
    let body = cloud("messages", &value);
    let router = Router::seed().with_limits(Limits::default().with_max_items(6));
    assert!(matches!(
        router.route(Bytes::from(body.clone())),
        Err(RouteError::Payload(PayloadError::TooManyItems { limit: 6 }))
    ));
    let router = Router::seed().with_limits(Limits::default().with_max_items(7));
    assert_eq!(router.route(Bytes::from(body)).unwrap().items().len(), 1);
}
