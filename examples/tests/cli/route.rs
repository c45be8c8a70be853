//! `residency route` and `residency verify` against the contract in DESIGN.md.

use crate::support::{residency, sample};

#[test]
fn route_prints_every_item_and_one_body_per_region() {
    let run = residency(&["route", &sample("payloads/cloud-mixed-batch.json")], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.ends_with(b"}\n"));
    let v = run.json();
    assert_eq!(v["provider"], "cloud_api");
    let items = v["items"].as_array().unwrap();
    let countries: Vec<&str> = items
        .iter()
        .map(|i| i["country"].as_str().unwrap())
        .collect();
    assert_eq!(countries, ["DE", "IN", "JM", "KZ", "BR"]);
    let regions: Vec<&str> = items
        .iter()
        .map(|i| i["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["EU", "INDIA", "US", "US", "LATAM"]);
    assert_eq!(items[0]["kind"], "message");
    assert_eq!(items[0]["party"], "sender");
    assert_eq!(items[0]["basis"], "phone");
    assert_eq!(items[4]["basis"], "user_id");
    assert!(items[0]["id"].as_str().unwrap().starts_with("wamid."));
    let bodies = v["bodies"].as_array().unwrap();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| b["unchanged"] == false));
    let total: u64 = bodies.iter().map(|b| b["items"].as_u64().unwrap()).sum();
    assert_eq!(total, 5);
}

#[test]
fn route_reads_stdin_and_keeps_a_single_region_body_unchanged() {
    let body = std::fs::read(sample("payloads/wasender-message-in.json")).unwrap();
    for args in [&["route"][..], &["route", "-"][..]] {
        let run = residency(args, &body);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v = run.json();
        assert_eq!(v["provider"], "wasender");
        assert_eq!(
            v["items"][0],
            serde_json::json!({"kind":"event","id":"3EB0A1B2C3D4E5F60718","party":"sender",
                "country":"IN","basis":"phone","region":"INDIA"})
        );
        assert_eq!(
            v["bodies"],
            serde_json::json!([{"region":"INDIA","items":1,"unchanged":true}])
        );
    }
}

#[test]
fn route_management_fields_and_lids() {
    let run = residency(
        &["route", &sample("payloads/cloud-template-update.json")],
        b"",
    );
    let v = run.json();
    assert_eq!(
        v["items"][0],
        serde_json::json!({"kind":"account","id":null,"party":"business","country":null,
            "basis":"business","region":"US"})
    );
    let run = residency(&["route", &sample("payloads/wasender-group-lid.json")], b"");
    let v = run.json();
    assert_eq!(v["items"][0]["party"], "participant");
    assert_eq!(v["items"][0]["country"], serde_json::Value::Null);
    assert_eq!(v["items"][0]["basis"], "default");
}

#[test]
fn route_rejects_bad_input_with_one_line_and_no_personal_data() {
    let cases: &[&[u8]] = &[
        b"",
        b"not json",
        br#"{"object":"x","entry":[{"changes":[{"value":{"messages":[{"from":"4915112345678""#,
        br#"{"object":"x","entry":"4915112345678"}"#,
        b"[\"4915112345678\"]",
    ];
    for body in cases {
        let run = residency(&["route"], body);
        assert_eq!(run.code, 2, "{:?}", String::from_utf8_lossy(body));
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(!run.stderr.contains("4915"), "{}", run.stderr);
    }
    let run = residency(&["route", "a.json", "b.json"], b"");
    assert_eq!(run.code, 2);
    let run = residency(&["route", "/nonexistent/file.json"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read input"));
}

#[test]
fn verify_checks_the_raw_bytes() {
    // HMAC-SHA256("app-secret", body), computed with Python's hmac module.
    let body = br#"{"text":{"body":"caf\u00e9"}}"#;
    let good = "sha256=d1f2fd7ace6af436927a97f7b28b297050a0dc8cd1abc995446e82fe5dde500e";
    let run = residency(
        &["verify", "--secret", "app-secret", "--signature", good],
        body,
    );
    assert_eq!(
        (run.code, run.text().as_str()),
        (0, "{\"valid\":true}\n"),
        "{}",
        run.stderr
    );

    // The same text with the escape decoded is different bytes: the signature fails.
    let decoded = r#"{"text":{"body":"café"}}"#.as_bytes();
    let run = residency(
        &["verify", "--secret", "app-secret", "--signature", good],
        decoded,
    );
    assert_eq!((run.code, run.text().as_str()), (1, "{\"valid\":false}\n"));

    let run = residency(&["verify", "--secret", "wrong", "--signature", good], body);
    assert_eq!(run.code, 1);

    for bad in ["d1f2fd7a", "sha256=xyz", "sha1=d1f2", ""] {
        let run = residency(
            &["verify", "--secret", "app-secret", "--signature", bad],
            body,
        );
        assert_eq!(run.code, 2, "{bad}");
        assert_eq!(run.stderr.lines().count(), 1);
        assert!(!run.stderr.contains("app-secret"));
    }
    let run = residency(&["verify", "--signature", good], body);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--secret is required"));
}
