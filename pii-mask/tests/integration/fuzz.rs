//! Regressions found by the fuzz targets (`fuzz/`, `cargo fuzz run -s none mask`): one test
//! per bug, named after what broke.

use pii_mask::{Masker, PseudonymKey};

fn key() -> PseudonymKey {
    PseudonymKey::new("k1", b"fuzz regression key").unwrap()
}

fn maskers() -> [Masker; 3] {
    [
        Masker::partial(),
        Masker::pseudonym(key()),
        Masker::strip(key()),
    ]
}

fn masked(m: &Masker, body: &str) -> String {
    String::from_utf8(m.mask(body.as_bytes()).unwrap()).unwrap()
}

/// A WASender chat id written with dots (`49.151.12345678`) is a phone number to the routing
/// scan (the item is attributed to Germany), but the masker's own test for "shaped like a
/// phone number" knew no dots and kept it whole, in every mode.
#[test]
fn a_wasender_id_with_dotted_digits_is_masked_as_a_phone_number() {
    for body in [
        r#"{"event":"chats.upsert","data":[{"id":"49.151.12345678","name":"Jo"}]}"#,
        r#"{"event":"chats.delete","data":["49.151.12345678"]}"#,
    ] {
        for m in maskers() {
            let out = masked(&m, body);
            assert!(!out.contains("12345678"), "{}: {out}", m.mode());
            wa_payload::parse(out.as_bytes()).unwrap();
        }
        assert!(masked(&Masker::strip(key()), body).contains(r#""49""#));
    }
}

/// An address of another domain than WhatsApp's kept its domain, which can be as personal as
/// the user part (`jo@4915112345678.example`, an e-mail address).
#[test]
fn the_domain_of_a_non_whatsapp_address_is_masked() {
    let body = r#"{"event":"messages.received","data":{"messages":{"key":{"id":"K1",
      "remoteJid":"4915112345678@s.whatsapp.net","participant":"jo@4915112345678.example"}}}}"#;
    for m in maskers() {
        let out = masked(&m, body);
        assert!(!out.contains("5112345678"), "{}: {out}", m.mode());
        assert!(!out.contains("example"), "{}: {out}", m.mode());
        let again = wa_payload::parse(out.as_bytes()).unwrap();
        assert_eq!(again.items().count(), 1);
    }
    assert!(masked(&Masker::partial(), body).contains(r#""participant":"****@[REDACTED]""#));
    assert!(masked(&Masker::strip(key()), body).contains(r#""participant":"@""#));
    // WhatsApp's own domains still say what an address is.
    let out = masked(&Masker::strip(key()), body);
    assert!(out.contains(r#""remoteJid":"49@s.whatsapp.net""#), "{out}");
}

/// pii-mask's strip mode leaves every user id as its bare country prefix (`US.`); two people
/// whose ids became the same prefix were matched as one party, and the stripped body failed
/// to parse ("name different parties"). Fixed in wa-payload's contact matching.
#[test]
fn a_stripped_batch_of_two_people_with_one_user_id_prefix_still_parses() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"profile":{"name":"A"},"wa_id":"486493827160","user_id":"US.`3491208655302741918"}],
      "messages":[{"from":"972987654321","from_user_id":"US.13491208655302741918","id":"wamid.A",
        "timestamp":"1","type":"text","text":{"body":"x"}}]}}]}]}"#;
    let out = masked(&Masker::strip(key()), body);
    let w = wa_payload::parse(out.as_bytes()).unwrap();
    assert_eq!(w.items().count(), 2);
}

/// Two people whose phone fields hold placeholders (`<USER_PHONE_NUMBER>`, `<PHONE>`) and
/// whose user ids differ: pseudonym mode keyed both placeholders on their digits (none) and
/// gave them one phone token, and partial mode masked both to `****`, so the masked contact
/// matched the other person's status and the body no longer parsed. Placeholders now get a
/// token of their whole text, and masked user ids name no one (wa-payload).
#[test]
fn placeholder_phones_of_two_people_stay_two_parties() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"<USER_PHONE_NUMBER>","user_id":"US.85541834"}],
      "statuses":[{"id":"wamid.A","status":"read","timestamp":"1","recipient_id":"<PHONE>","recipient_user_id":"US.12345678"}]}}]}]}"#;
    for m in maskers() {
        let out = masked(&m, body);
        wa_payload::parse(out.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}: {out}", m.mode()));
    }
    let out = masked(&Masker::pseudonym(key()), body);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let value = &v["entry"][0]["changes"][0]["value"];
    assert_ne!(
        value["contacts"][0]["wa_id"],
        value["statuses"][0]["recipient_id"]
    );
    // A phone number written two ways is still one token.
    let m = Masker::pseudonym(key());
    let a = masked(
        &m,
        r#"{"event":"chats.delete","data":["+49 151 12345678"]}"#,
    );
    let b = masked(&m, r#"{"event":"chats.delete","data":["4915112345678"]}"#);
    assert_eq!(a, b);
}

/// Found by `mask`: a contact and a message of one phone number, whose user ids differ but
/// one is malformed (`US.1349…%918`, which names no one), parse; pseudonym mode kept the
/// `US.` prefix of the malformed id and made it a well-formed `US.uid_k1_…`, so the masked
/// body had two user ids for one party. A malformed id is now masked whole.
#[test]
fn a_malformed_user_id_does_not_become_a_well_formed_one() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "contacts":[{"wa_id":"16315551181","user_id":"US.13491208655302741918"}],
      "messages":[{"from":"16315551181","from_user_id":"US.1349120865530274%918","id":"wamid.A",
        "timestamp":"1","type":"text","text":{"body":"x"}}]}}]}]}"#;
    wa_payload::parse(body.as_bytes()).unwrap();
    for m in maskers() {
        let out = masked(&m, body);
        wa_payload::parse(out.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}: {out}", m.mode()));
        assert!(!out.contains("%918"), "{out}");
    }
    let out = masked(&Masker::strip(key()), body);
    assert!(out.contains(r#""user_id":"US.""#), "{out}");
    assert!(out.contains(r#""from_user_id":"""#), "{out}");
    let out = masked(&Masker::pseudonym(key()), body);
    assert!(out.contains(r#""from_user_id":"uid_k1_"#), "{out}");
}

/// Found by `mask`: strip mode emptied a phone number with no calling code
/// (`0617283945`), and a WASender chat whose id is emptied addresses no one, so the chat's
/// item vanished from the stripped body. Such a number now leaves `+`.
#[test]
fn stripping_a_number_without_a_calling_code_keeps_its_item() {
    let body = r#"{"event":"chats.upsert","timestamp":1,"data":[{"id":"0617283945","name":"Jo"},
      {"id":"PHONE_NUMBER@s.whatsapp.net"},{"id":""}]}"#;
    let before = wa_payload::parse(body.as_bytes()).unwrap();
    let out = masked(&Masker::strip(key()), body);
    assert!(
        out.contains(r#"[{"id":"+","name":""},{"id":"+@s.whatsapp.net"},{"id":""}]"#),
        "{out}"
    );
    let after = wa_payload::parse(out.as_bytes()).unwrap();
    let shape = |w: &wa_payload::Webhook<'_>| {
        w.items()
            .map(|i| (i.kind, i.party.role, i.index))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&after), shape(&before));
}

/// Found by `mask`: strip mode read a calling code out of the digits of a value that is no
/// phone number (`q234567890`, which names no one), so a key whose `senderPn` and
/// `remoteJid` agreed before masking held two numbers (`1` and `234`) after it.
#[test]
fn stripping_a_placeholder_does_not_invent_a_calling_code() {
    let body = r#"{"event":"messages.received","data":{"messages":{"key":{"id":"K1","fromMe":false,
      "remoteJid":"q234567890@s.whatsapp.net","senderPn":"1234567890@s.whatsapp.net"}}}}"#;
    wa_payload::parse(body.as_bytes()).unwrap();
    let out = masked(&Masker::strip(key()), body);
    assert!(out.contains(r#""remoteJid":"+@s.whatsapp.net""#), "{out}");
    assert!(out.contains(r#""senderPn":"1@s.whatsapp.net""#), "{out}");
    let w = wa_payload::parse(out.as_bytes()).unwrap();
    let phones: Vec<_> = w.items().map(|i| i.party.phone).collect();
    assert_eq!(phones, [Some("1")]);
}

/// Found by `mask`: the masker split an address at its last `@` where the routing scan
/// splits at the first, so `189@lid2345678'9@lid` (no LID to the scan) was masked as a LID
/// (`****'9@lid`) that then conflicted with the key's real `senderLid`.
#[test]
fn an_address_with_two_ats_is_read_as_the_scan_reads_it() {
    let body = r#"{"event":"messages.received","data":{"messages":{"key":{"id":"K1",
      "remoteJid":"189@lid2345678'9@lid","cleanedSenderPn":"5551274567","senderLid":"420426339@lid"}}}}"#;
    wa_payload::parse(body.as_bytes()).unwrap();
    for m in maskers() {
        let out = masked(&m, body);
        wa_payload::parse(out.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}: {out}", m.mode()));
        assert!(!out.contains("2345678"), "{out}");
    }
    assert!(masked(&Masker::partial(), body).contains(r#""remoteJid":"****@[REDACTED]""#));
}

/// Found by `mask`: a group `owner` of `:234567890@s.whatsapp.net` has an empty user part and
/// addresses no one to the routing scan, but partial mode masked it to
/// `****@s.whatsapp.net`, a phone JID, and the masked body gained an item. The masker now
/// reads every address with `wa_payload::Address`.
#[test]
fn an_address_that_names_no_one_is_masked_to_one_that_names_no_one() {
    let body = r#"{"event":"groups.upsert","timestamp":1,"data":[{"jid":"123456789-987654321@g.us",
      "owner":":234567890@s.whatsapp.net","participants":[{"id":"1234567890@s.whatsapp.net"},{"id":"098"}]}]}"#;
    let before = wa_payload::parse(body.as_bytes()).unwrap();
    for m in maskers() {
        let out = masked(&m, body);
        let after = wa_payload::parse(out.as_bytes()).unwrap();
        assert_eq!(
            after.items().count(),
            before.items().count(),
            "{}: {out}",
            m.mode()
        );
        assert!(out.contains(r#""owner":"@s.whatsapp.net""#), "{out}");
        assert!(!out.contains("234567890"), "{out}");
    }
}

/// Found by `mask`: attribution reads a phone field holding a calling code alone (`36`, here
/// the user part of `36:7654321@s.whatsapp.net`) as that code's country, but strip mode kept
/// calling codes only of numbers of seven digits or more, so the stripped item lost its
/// country (Hungary). Strip mode now keeps the calling code attribution reads.
#[test]
fn strip_mode_keeps_the_calling_code_attribution_reads() {
    use residency_core::attribution::attribute;
    for (participant, country) in [
        ("36:7654321@s.whatsapp.net", "HU"),
        ("491511@s.whatsapp.net", "DE"),
    ] {
        let body = format!(
            r#"{{"event":"groups.upsert","data":[{{"jid":"1-2@g.us","participants":[{{"id":"{participant}"}}]}}]}}"#
        );
        let before = wa_payload::parse(body.as_bytes()).unwrap();
        let out = masked(&Masker::strip(key()), &body);
        let after = wa_payload::parse(out.as_bytes()).unwrap();
        let countries = |w: &wa_payload::Webhook<'_>| {
            w.items()
                .map(|i| {
                    attribute(i.party.phone, i.party.user_id)
                        .country
                        .map(|c| c.to_string())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            countries(&before),
            [Some(country.to_owned())],
            "{participant}"
        );
        assert_eq!(countries(&after), countries(&before), "{out}");
    }
}

/// Found by `mask`: a WASender participant id the routing scan reads as the participant
/// (`1234567890wh.wamid.pp.net`: no `@`, so an address) was kept whole because it is not
/// shaped like a phone number, and the masked party still held all ten digits of a number.
/// A chat, contact or participant id holding a run of five digits is now masked as an
/// address.
#[test]
fn a_wasender_id_holding_a_number_is_masked_even_when_not_phone_shaped() {
    let body = r#"{"event":"groups.upsert","data":[{"jid":"1-2@g.us","owner":"1234567890@s.whatsapp.net",
      "participants":[{"id":"1234567890wh.wamid.pp.net"},{"id":"226"},{"id":"MSG1"}]}]}"#;
    let before = wa_payload::parse(body.as_bytes()).unwrap();
    for m in maskers() {
        let out = masked(&m, body);
        assert!(!out.contains("45678"), "{}: {out}", m.mode());
        let after = wa_payload::parse(out.as_bytes()).unwrap();
        assert_eq!(after.items().count(), before.items().count());
        // Short labels stay as they are.
        assert!(out.contains(r#"{"id":"MSG1"}"#), "{out}");
    }
}

/// Found by `mask`: the ids of the message keys in a WASender `keys` list
/// (`messages.delete`) were classed as chat ids rather than message ids, so partial mode
/// masked one holding a run of digits, and the masked body's item had another id.
#[test]
fn message_keys_in_a_keys_list_keep_their_ids_like_a_single_key() {
    let body = r#"{"event":"messages.delete","data":{"keys":[{"remoteJid":"4915112345678@s.whatsapp.net",
      "id":"88888888DEF","fromMe":false}]}}"#;
    let out = masked(&Masker::partial(), body);
    assert!(out.contains(r#""id":"88888888DEF""#), "{out}");
    let ids = |b: &[u8]| {
        wa_payload::parse(b)
            .unwrap()
            .items()
            .map(|i| i.id.map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(out.as_bytes()), ids(body.as_bytes()));
}

/// Found by `mask`: `16+315551181` (a `+` inside) is no phone number to attribution or the
/// routing scan, so a contact holding it is another party than a status of `16315551181`;
/// pseudonym mode keyed both on their digits and gave them one phone token, and the masked
/// body had two user ids for one number. A `+` counts only in front.
#[test]
fn a_plus_inside_a_number_makes_it_no_phone_number_to_the_masker_either() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "statuses":[{"id":"ABG","status":"read","timestamp":"1","recipient_id":"16315551181","recipient_user_id":"US.0853567323"}],
      "contacts":[{"wa_id":"16+315551181","user_id":"US.0674560432"}]}}]}]}"#;
    wa_payload::parse(body.as_bytes()).unwrap();
    for m in maskers() {
        let out = masked(&m, body);
        wa_payload::parse(out.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}: {out}", m.mode()));
    }
}
