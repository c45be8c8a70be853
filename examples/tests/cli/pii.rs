//! `residency mask` and `residency scan` (DESIGN.md contract).

use crate::support::residency;

const CLOUD: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Lena Vogel"},"wa_id":"4915123456789"}],"messages":[{"from":"4915123456789","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"Meine IBAN ist DE89 3704 0044 0532 0130 00"}}]}}]}]}"#;

fn assert_no_personal_data(out: &str) {
    for leak in ["4915123456789", "Lena Vogel", "Meine IBAN", "DE89"] {
        assert!(!out.contains(leak), "{leak} leaked: {out}");
    }
}

#[test]
fn mask_defaults_to_partial() {
    let run = residency(&["mask"], CLOUD.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.text();
    assert!(text.ends_with("}\n"));
    assert_eq!(text.lines().count(), 1);
    assert_no_personal_data(&text);
    let v = run.json();
    let value = &v["entry"][0]["changes"][0]["value"];
    assert_eq!(value["messages"][0]["from"], "4915****89");
    assert_eq!(value["messages"][0]["text"]["body"], "[REDACTED]");
    assert_eq!(value["messages"][0]["id"], "wamid.A");
    assert_eq!(value["metadata"]["phone_number_id"], "106540352242922");
    let explicit = residency(&["mask", "--mode", "partial", "-"], CLOUD.as_bytes());
    assert_eq!(explicit.stdout, run.stdout);
}

#[test]
fn mask_strip_keeps_the_calling_code_and_still_routes() {
    let run = residency(&["mask", "--mode", "strip"], CLOUD.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_personal_data(&run.text());
    let v = run.json();
    assert_eq!(
        v["entry"][0]["changes"][0]["value"]["messages"][0]["from"],
        "49"
    );
    assert_eq!(
        v["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"],
        ""
    );
    // The stripped body is still a webhook the router reads.
    let routed = residency(&["route"], &run.stdout);
    assert_eq!(routed.code, 0, "{}", routed.stderr);
}

#[test]
fn mask_pseudonym_needs_a_key_and_is_stable() {
    let run = residency(&["mask", "--mode", "pseudonym"], CLOUD.as_bytes());
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--key"), "{}", run.stderr);

    for bad in ["", "abc", "zz"] {
        let run = residency(
            &["mask", "--mode", "pseudonym", "--key", bad],
            CLOUD.as_bytes(),
        );
        assert_eq!(run.code, 2, "key {bad:?}");
        assert_eq!(run.stderr.lines().count(), 1);
    }

    let a = residency(
        &[
            "mask",
            "--mode=pseudonym",
            "--key",
            "00112233445566778899aabbccddeeff",
        ],
        CLOUD.as_bytes(),
    );
    let b = residency(
        &[
            "mask",
            "--mode=pseudonym",
            "--key",
            "00112233445566778899aabbccddeeff",
        ],
        CLOUD.as_bytes(),
    );
    let c = residency(
        &[
            "mask",
            "--mode=pseudonym",
            "--key",
            "ffeeddccbbaa99887766554433221100",
        ],
        CLOUD.as_bytes(),
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert_no_personal_data(&a.text());
    let v = a.json();
    let value = &v["entry"][0]["changes"][0]["value"];
    let from = value["messages"][0]["from"].as_str().unwrap();
    assert!(from.starts_with("ph_k"), "{from}");
    assert_eq!(value["contacts"][0]["wa_id"].as_str(), Some(from));
}

#[test]
fn mask_refuses_bad_bodies_without_echo() {
    for body in [
        &br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"4915123456789"}]}}]}]}"#[..],
        b"{\"from\":\"4915123456789\"",
        b"not json 4915123456789",
        b"",
    ] {
        let run = residency(&["mask"], body);
        assert_eq!(run.code, 2);
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(!run.stderr.contains("4915123456789"), "{}", run.stderr);
    }
    let run = residency(&["mask", "--mode", "loud"], CLOUD.as_bytes());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown masking mode"),
        "{}",
        run.stderr
    );
}

#[test]
fn scan_prints_json_lines_with_byte_offsets() {
    let text = "Olá! call +49 151 23456789, mail ana@example.org, card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32 from 10.0.0.7";
    let run = residency(&["scan"], text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<serde_json::Value> = run
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["phone", "email", "card", "iban", "ip"]);
    let first = &lines[0];
    let (s, e) = (
        first["start"].as_u64().unwrap() as usize,
        first["end"].as_u64().unwrap() as usize,
    );
    // Byte offsets: "Olá" has a two-byte character.
    assert_eq!(&text.as_bytes()[s..e], b"+49 151 23456789");
}

#[test]
fn scan_redact_replaces_each_finding() {
    let run = residency(
        &["scan", "--redact"],
        b"call +1 (415) 555-0132 or ana@example.org\n",
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.text(), "call [PHONE] or [EMAIL]\n");
}

#[test]
fn scan_takes_invalid_utf8_and_clean_text() {
    let run = residency(&["scan"], b"\xff\xfe +49 151 23456789 \xc3");
    assert_eq!(run.code, 0);
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        "{\"kind\":\"phone\",\"start\":3,\"end\":19}\n"
    );
    let clean = residency(
        &["scan"],
        b"Order #A-20931 ships 2024-03-12 at 10:30 for $1,299.99",
    );
    assert_eq!(clean.code, 0);
    assert!(clean.stdout.is_empty());
    let redacted = residency(&["scan", "--redact"], b"\xff+49 151 23456789");
    assert_eq!(redacted.stdout, b"\xff[PHONE]".to_vec());
}
