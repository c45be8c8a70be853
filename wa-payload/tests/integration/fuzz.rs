//! Regressions found by the fuzz targets (`fuzz/`, `cargo fuzz run -s none TARGET`): one test
//! per bug, named after what broke.

use wa_payload::{ItemKind, PayloadError, Role};

/// Whether `body` is refused because two of its fields name different parties.
fn conflicts(body: &[u8]) -> bool {
    matches!(
        wa_payload::parse(body),
        Err(PayloadError::ConflictingParty { .. })
    )
}

/// Found by `mask`: pii-mask's strip mode leaves every user id as its bare country prefix
/// (`US.`), and a contact was matched with a message of another person through that prefix,
/// so the stripped body of two different users failed to parse ("name different parties").
#[test]
fn a_bare_user_id_prefix_does_not_match_a_contact_with_an_item() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"48","user_id":"US."}],
      "messages":[{"from":"972","from_user_id":"US.","id":"wamid.A","timestamp":"1","type":"text"}]}}]}]}"#;
    let w = wa_payload::parse(body).expect("two people who share a bare prefix");
    let items: Vec<_> = w
        .items()
        .map(|i| (i.kind, i.party.role, i.party.phone))
        .collect();
    assert_eq!(
        items,
        [
            (ItemKind::Message, Role::Sender, Some("972")),
            (ItemKind::Contact, Role::Participant, Some("48")),
        ]
    );
    // A full user id still matches, and still conflicts with another phone.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"4915112345678","user_id":"US.1349"}],
      "messages":[{"from":"972987654321","from_user_id":"US.1349","id":"wamid.A","timestamp":"1","type":"text"}]}}]}]}"#;
    assert!(conflicts(body));
}

/// Found by `parse`: a number beyond `u64` (an entry `time` of 22 digits) was read one unit in
/// the last place off by serde_json's fast float path, so the serialized model read back as
/// another number. The workspace turns on serde_json's `float_roundtrip`.
#[test]
fn a_large_number_round_trips_through_the_model_exactly() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1744823997298765432232,
      "changes":[{"field":"account_update","value":{"event":"AD_ACCOUNT_LINKED","waba_info":{"waba_id":"2"}}}]}]}"#;
    let w = wa_payload::parse(body).unwrap();
    let json = serde_json::to_vec(&w).unwrap();
    let again = wa_payload::parse(&json).unwrap();
    assert_eq!(again.model(), w.model());
    assert_eq!(serde_json::to_vec(&again).unwrap(), json);
    // Correctly rounded: the nearest double, as Rust's own parser reads it.
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        v["entry"][0]["time"].as_f64(),
        Some("1744823997298765432232".parse::<f64>().unwrap())
    );
}

/// Found while checking the fuzzing hints: in a WASender key, a placeholder in the first
/// address field read (`cleanedSenderPn`) stood for the party, and every later number was
/// compared with it alone, so two different numbers of one key passed unnoticed and the
/// item routed by a placeholder (to the default region) instead of failing closed.
#[test]
fn a_placeholder_does_not_hide_conflicting_numbers_in_a_wasender_key() {
    let body = |sender: &str| {
        format!(
            r#"{{"event":"messages.received","data":{{"messages":{{"key":{{"id":"K1",
            "cleanedSenderPn":"PHONE_NUMBER","senderPn":"{sender}@s.whatsapp.net",
            "remoteJid":"4915112345678@s.whatsapp.net"}}}}}}}}"#
        )
    };
    assert!(conflicts(body("919876543210").as_bytes()));
    // The same number twice behind a placeholder: the party is that number.
    let same = body("4915112345678");
    let w = wa_payload::parse(same.as_bytes()).unwrap();
    let phones: Vec<_> = w.items().map(|i| i.party.phone).collect();
    assert_eq!(phones, [Some("4915112345678")]);
}

/// Found by `mask`: pii-mask's partial mode turns every placeholder phone into `****` and
/// user ids into `US.****34`; a contact and a status of two people then matched by their
/// equal masked phones, and their masked user ids were taken for two different parties of
/// one item. A masked user id names no one, as a masked phone does not.
#[test]
fn masked_user_ids_do_not_conflict() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"****","user_id":"US.****34"}],
      "statuses":[{"id":"wamid.A","status":"read","timestamp":"1","recipient_id":"****","recipient_user_id":"US.****78"}]}}]}]}"#;
    let w = wa_payload::parse(body).expect("masked values name no one");
    assert_eq!(w.items().filter(|i| i.kind == ItemKind::Status).count(), 1);
    // Real user ids still conflict.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"4915112345678","user_id":"US.1234"}],
      "statuses":[{"id":"wamid.A","status":"read","timestamp":"1","recipient_id":"4915112345678","recipient_user_id":"US.5678"}]}}]}]}"#;
    assert!(conflicts(body));
}

/// Found by `mask`: a contact's `wa_id` written with separators (`16315(551181`) and a
/// status's `16315551181` are one number to attribution and to pii-mask's pseudonyms, but
/// the scan compared them as text, so the contact was not matched with the status, and the
/// two user ids given for that one number went unnoticed until masking made the phones
/// equal. Phones now compare by their digits.
#[test]
fn phones_written_with_separators_are_one_number() {
    let body = |wa_id: &str, user_id: &str| {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{
              "contacts":[{{"wa_id":"{wa_id}","user_id":"{user_id}"}}],
              "statuses":[{{"id":"wamid.A","status":"read","timestamp":"1","recipient_id":"16315551181",
                "recipient_user_id":"US.0853567323"}}]}}}}]}}]}}"#
        )
    };
    for wa_id in ["16315(((551181", "+1 631-555-1181", "1.631.555.1181"] {
        assert!(
            conflicts(body(wa_id, "US.0674560432").as_bytes()),
            "{wa_id}"
        );
        // With the same user id, the contact rides with the status.
        let same = body(wa_id, "US.0853567323");
        let w = wa_payload::parse(same.as_bytes()).unwrap();
        assert_eq!(w.items().count(), 1, "{wa_id}");
    }
}
