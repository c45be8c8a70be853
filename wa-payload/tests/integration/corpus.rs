//! Conformance over the shared corpus (`../shared/corpus`): every Cloud API and WASender body
//! parses, yields its items, round-trips to an equal JSON value and redacts its personal data
//! in `Debug`; the malformed examples give a clear error.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wa_payload::{ItemKind, Provider, Role, Source, Webhook};

/// The corpus folder, or `None` (with a note) when it is absent outside CI.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the shared corpus is missing at {} and CI is set",
        dir.display()
    );
    eprintln!(
        "note: skipping corpus conformance, {} is missing",
        dir.display()
    );
    None
}

pub(crate) fn files(sub: &str) -> Vec<(String, Vec<u8>)> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Keys whose string values are personal data (phones, ids, names, bodies).
const PII_KEYS: &[&str] = &[
    "from",
    "to",
    "wa_id",
    "recipient_id",
    "recipient_participant_id",
    "user_id",
    "from_user_id",
    "to_user_id",
    "recipient_user_id",
    "parent_user_id",
    "parent_recipient_user_id",
    "from_parent_user_id",
    "to_parent_user_id",
    "recipient_participant_user_id",
    "recipient_participant_parent_user_id",
    "name",
    "username",
    "first_name",
    "last_name",
    "formatted_name",
    "full_name",
    "body",
    "caption",
    "filename",
    "address",
    "conversation",
    "messageBody",
    "pushName",
    "cleanedSenderPn",
    "senderPn",
    "remoteJid",
    "participant",
    "participantPn",
    "cleanedParticipantPn",
    "senderLid",
    "participantLid",
    "phone",
    "phone_number",
    "customer",
    "caller",
    "userJid",
    "jid",
    "notify",
    "verifiedName",
    "requester",
    "response_json",
];

fn collect_pii(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if let Value::String(s) = x
                    && PII_KEYS.contains(&k.as_str())
                    && s.chars().count() >= 5
                {
                    out.push((k.clone(), s.clone()));
                }
                collect_pii(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_pii(x, out)),
        _ => {}
    }
}

/// String values under keys that are not personal (business ids, message ids, ...).
fn collect_other(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if let Value::String(s) = x
                    && !PII_KEYS.contains(&k.as_str())
                {
                    out.push(s.clone());
                }
                collect_other(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_other(x, out)),
        _ => {}
    }
}

fn check_file(name: &str, body: &[u8], provider: Provider) {
    assert_eq!(wa_payload::detect(body), Ok(provider), "{name}: detect");
    let webhook = wa_payload::parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(webhook.provider(), provider, "{name}");
    crate::oracle::check(&webhook).unwrap_or_else(|e| panic!("{name}: scan vs model: {e}"));

    // Items: at least one, ids and parties consistent with the rules.
    let items: Vec<_> = webhook.items().collect();
    assert!(!items.is_empty(), "{name}: no items");
    for item in &items {
        match item.kind {
            ItemKind::Account => {
                assert_eq!(item.party.role, Role::Business, "{name}");
                assert!(item.party.business.is_some(), "{name}");
            }
            ItemKind::Message | ItemKind::Status | ItemKind::Call | ItemKind::Echo => {
                assert!(item.id.is_some(), "{name}: {:?} without id", item.kind);
                assert!(
                    item.party.phone.is_some() || item.party.user_id.is_some(),
                    "{name}: {:?} without identity",
                    item.kind
                );
            }
            _ => {}
        }
        if provider == Provider::Wasender {
            assert_eq!(item.kind, ItemKind::Event, "{name}");
        }
        // The typed object of every item is found, and carries the item's id.
        let source = webhook
            .source(item)
            .unwrap_or_else(|| panic!("{name}: no source for {item:?}"));
        if let Some(id) = item.id {
            assert_eq!(source_id(&source), Some(id), "{name}: source of {item:?}");
        }
    }

    // Round trip: the serialized model is the same JSON value, borrowed and owned.
    let original: Value = serde_json::from_slice(body).unwrap();
    let again = serde_json::to_value(&webhook).unwrap();
    assert_eq!(again, original, "{name}: round trip");
    let owned: Webhook<'static> = webhook.clone().into_owned();
    assert_eq!(
        serde_json::to_value(&owned).unwrap(),
        original,
        "{name}: owned round trip"
    );
    let owned_items: Vec<_> = owned.items().collect();
    assert_eq!(owned_items, items, "{name}: owned items");

    // Parse -> serialize -> parse is stable.
    let text = serde_json::to_vec(&webhook).unwrap();
    let reparsed = wa_payload::parse(&text).unwrap();
    assert_eq!(
        serde_json::to_value(&reparsed).unwrap(),
        original,
        "{name}: re-parse"
    );

    // Debug never shows personal data. A leaked string would print in its quoted Debug
    // form (which also keeps placeholder `PHONE_NUMBER` from matching `"PHONE_NUMBER_ID"`);
    // long values are also checked bare.
    let mut pii = Vec::new();
    collect_pii(&original, &mut pii);
    let debug = format!("{webhook:?}{items:?}{owned:?}");
    // Fixtures reuse one placeholder for a personal and a business field (e.g. a
    // `context.from` equal to the business `phone_number_id`): those values are printed
    // legitimately as the business field.
    let mut other = Vec::new();
    collect_other(&original, &mut other);
    let leaked: Vec<&str> = pii
        .iter()
        .filter(|(_, value)| !other.contains(value))
        .filter(|(_, value)| {
            debug.contains(&format!("{value:?}"))
                || (value.len() >= 16 && debug.contains(value.as_str()))
        })
        .map(|(key, _)| key.as_str())
        .collect();
    assert!(
        leaked.is_empty(),
        "{name}: Debug shows the values of {leaked:?}"
    );
}

/// The id the typed object of an item carries, if any.
fn source_id<'m>(source: &Source<'m, '_>) -> Option<&'m str> {
    match *source {
        Source::Message(m) => m.id.as_ref().map(|i| i.as_str()),
        Source::Status(s) => s.id.as_ref().map(|i| i.as_str()),
        Source::Call(c) => c.id.as_ref().map(|i| i.as_str()),
        Source::Record(r) => r
            .key
            .as_ref()
            .and_then(|k| k.id.as_ref())
            .map(|i| i.as_str())
            .or(r.id.as_ref().map(|i| i.as_str()))
            .or(r.call_id.as_ref().map(|i| i.as_str())),
        Source::Key(k) => k.id.as_ref().map(|i| i.as_str()),
        _ => None,
    }
}

#[test]
fn every_cloud_api_body_parses_routes_and_round_trips() {
    let files = files("cloud-api");
    if corpus_dir().is_some() {
        assert!(files.len() >= 150, "only {} cloud-api files", files.len());
    }
    for (name, body) in &files {
        check_file(name, body, Provider::CloudApi);
    }
}

#[test]
fn every_wasender_body_parses_routes_and_round_trips() {
    let files = files("wasender");
    if corpus_dir().is_some() {
        assert!(files.len() >= 20, "only {} wasender files", files.len());
    }
    for (name, body) in &files {
        check_file(name, body, Provider::Wasender);
    }
}

#[test]
fn malformed_documentation_examples_give_a_clear_error() {
    let files = files("malformed");
    if corpus_dir().is_some() {
        assert_eq!(files.len(), 2);
    }
    for (name, body) in &files {
        let err = wa_payload::parse(body).expect_err(name);
        let text = err.to_string();
        assert!(
            matches!(err, wa_payload::PayloadError::MissingField { .. }),
            "{name}: {text}"
        );
        assert!(text.contains("missing field `"), "{name}: {text}");
        assert!(!text.contains("2949482758682047"), "{name}: {text}");
    }
}

/// `(kind, id, role, phone, user_id, lid)` of one item.
type Row = (
    ItemKind,
    Option<String>,
    Role,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn items_of(sub: &str, name: &str) -> Vec<Row> {
    let Some((_, body)) = files(sub).into_iter().find(|(n, _)| n == name) else {
        return Vec::new();
    };
    let w = wa_payload::parse(&body).unwrap();
    w.items()
        .map(|i| {
            (
                i.kind,
                i.id.map(str::to_owned),
                i.party.role,
                i.party.phone.map(str::to_owned),
                i.party.user_id.map(str::to_owned),
                i.party.lid.map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn known_parties_of_selected_files() {
    if corpus_dir().is_none() {
        return;
    }
    let s = |v: &str| Some(v.to_owned());
    // Meta's example gives the contact a user id (`uUS.…`) that matches no message: that
    // contact is routed as a party of its own rather than assumed to be the sender.
    assert_eq!(
        items_of("cloud-api", "message-text-username-no-phone.meta-docs.json"),
        vec![
            (
                ItemKind::Message,
                s("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="),
                Role::Sender,
                None,
                s("US.13491208655302741918"),
                None
            ),
            (
                ItemKind::Contact,
                None,
                Role::Participant,
                None,
                s("uUS.13491208655302741918"),
                None
            )
        ]
    );
    assert_eq!(
        items_of("cloud-api", "status-read-group-bsuid.pywa.json"),
        vec![(
            ItemKind::Status,
            s("<WHATSAPP_MESSAGE_ID>"),
            Role::Participant,
            s("<GROUP_PARTICIPANT_USER_PHONE_NUMBER>"),
            s("US.123456"),
            None
        )]
    );
    assert_eq!(
        items_of("cloud-api", "calls-connect-business-initiated.pywa.json")[0].2,
        Role::Recipient
    );
    let group = items_of("cloud-api", "message-group-text.meta-docs-repaired.json");
    assert_eq!(group[0].2, Role::Participant);
    assert_eq!(group[0].3, s("16505551234"));
    let template = items_of("cloud-api", "template-status-approved.pywa.json");
    assert_eq!(template.len(), 1);
    assert_eq!(
        (template[0].0, template[0].2),
        (ItemKind::Account, Role::Business)
    );
    let batch = items_of("cloud-api", "batch-two-changes-one-entry.netflie.json");
    assert_eq!(batch.len(), 2);
    assert_eq!(
        items_of(
            "wasender",
            "messages-received-pn.wasender-docs-repaired.json"
        ),
        vec![(
            ItemKind::Event,
            s("3EB0X123456789"),
            Role::Sender,
            s("1234567890"),
            None,
            s("555555555@lid")
        )]
    );
    assert_eq!(
        items_of("wasender", "messages-received-lid.wasender-docs.json"),
        vec![(
            ItemKind::Event,
            s("3EB0X123456789"),
            Role::Sender,
            s("5551234567"),
            None,
            s("123456789@lid")
        )]
    );
    let receipt = items_of(
        "wasender",
        "message-receipt-update-group.wasender-docs.json",
    );
    assert_eq!(
        (receipt[0].1.as_deref(), receipt[0].2),
        (Some("message_id_here"), Role::Participant)
    );
    let deleted = items_of("wasender", "messages-delete.wasender-py-tests.json");
    assert_eq!(
        (deleted[0].1.as_deref(), deleted[0].3.as_deref()),
        (Some("DEF"), Some("remote"))
    );
    let participants = items_of(
        "wasender",
        "group-participants-update.wasender-py-tests.json",
    );
    assert_eq!(
        (participants[0].2, participants[0].3.as_deref()),
        (Role::Participant, Some("1234567890"))
    );
    let call = items_of("wasender", "call-received.wasender-py-tests.json");
    assert_eq!(call[0].1.as_deref(), Some("ABC123"));
}

#[test]
fn strings_borrow_from_the_body_unless_escaped() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
      "value":{"messages":[{"from":"4915112345678","id":"wamid.A","type":"text","text":{"body":"caf\u00e9"}}]}}]}]}"#;
    let w = wa_payload::parse(body).unwrap();
    let Some(n) = w.cloud() else {
        panic!("not cloud")
    };
    let value = n.entries()[0].changes()[0].value.as_ref().unwrap();
    let msg = &value.messages.as_ref().unwrap()[0];
    assert!(matches!(n.object, Some(std::borrow::Cow::Borrowed(_))));
    assert!(matches!(
        msg.from.as_ref().unwrap().as_cow(),
        std::borrow::Cow::Borrowed(_)
    ));
    // The borrowed string points into the body itself.
    let from = msg.from.as_ref().unwrap().as_str();
    let range = body.as_ptr_range();
    assert!(range.contains(&from.as_ptr()));
    let text = msg.text.as_ref().unwrap().body.as_ref().unwrap();
    assert!(matches!(text.as_cow(), std::borrow::Cow::Owned(_)));
    assert_eq!(text.as_str(), "café");
}
