//! `wa_payload::parse` never panics, and an accepted body round-trips: the model serialized
//! with `serde_json` parses again to an equal model with equal items.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = wa_payload::detect(body);
    let Ok(webhook) = wa_payload::parse(body) else {
        return;
    };
    // Accepted bodies are objects of one provider, so `detect` agrees.
    assert_eq!(wa_payload::detect(body), Ok(webhook.provider()));
    let json = serde_json::to_vec(&webhook).expect("an accepted model serializes");
    let again = wa_payload::parse(&json).expect("a serialized model parses again");
    assert_eq!(again.provider(), webhook.provider());
    assert_eq!(again.model(), webhook.model(), "the model round-trips");
    assert!(
        again.items().eq(webhook.items()),
        "the items of a round-tripped model differ"
    );
    // Serializing is stable: the round-tripped model writes the same bytes.
    assert_eq!(serde_json::to_vec(&again).expect("serializes"), json);
});
