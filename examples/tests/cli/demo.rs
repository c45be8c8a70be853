//! The `demo` binary: the stack on loopback, every bundled item landing in its region, the
//! archive records and a verified proof, within a bound, and nothing personal printed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use residency_core::route::Router;

/// Generous for a debug build on a shared machine; the demo itself takes about a second.
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `demo ARGS...`, killing it after [`LIMIT`]: (exit code, stdout, stderr, wall time).
fn demo(args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("demo did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    (
        status.code().unwrap_or(-1),
        out.join().expect("stdout"),
        err.join().expect("stderr"),
        wall,
    )
}

#[test]
fn demo_runs_the_stack_and_every_item_lands_in_its_region() {
    let (code, text, stderr, _) = demo(&[]);
    assert_eq!(code, 0, "{stderr}\n{text}");
    assert!(stderr.is_empty(), "{stderr}");
    let router = Router::seed();
    let mut items = 0;
    for sample in examples::samples::SAMPLES {
        let header = format!("] {}: ", sample.name);
        let start = text
            .find(&header)
            .unwrap_or_else(|| panic!("{}", sample.name));
        let section = &text[start..];
        let section = &section[..section[1..].find("\n[").map_or(section.len(), |e| e + 1)];
        assert!(section.contains("-> 200 in "), "{section}");
        let decision = router.route(Bytes::from_static(sample.body)).unwrap();
        // One landing line per item, in document order, on the node of its region.
        let landed: Vec<&str> = section
            .lines()
            .filter(|l| l.contains(" landed on "))
            .collect();
        assert_eq!(landed.len(), decision.items().len(), "{section}");
        for (line, item) in landed.iter().zip(decision.items()) {
            let region = item.region().as_str();
            let want = format!("-> {region:<6} landed on {}-1", region.to_ascii_lowercase());
            assert!(line.ends_with(&want), "{line}");
            assert!(
                line.trim_start().starts_with(item.kind().as_str()),
                "{line}"
            );
            items += 1;
        }
    }
    assert!(
        text.contains(&format!("summary: {items}/{items} items landed")),
        "{text}"
    );
    // The archive: each bundled media file, and the verified proof.
    for file in [
        "voice-note.ogg (audio/ogg; codecs=opus, 108 bytes): mismatch, as its manifest expects",
        "delivery-photo.png (image/png, 79 bytes): match, as its manifest expects",
        "invoice-48213.pdf (application/pdf, 601 bytes): match, as its manifest expects",
        "sticker.webp (image/webp, 30 bytes): unverifiable, as its manifest expects",
    ] {
        assert!(text.contains(file), "{file}\n{text}");
    }
    assert!(text.contains("template snapshot"), "{text}");
    assert!(text.contains("verdict verified"), "{text}");
    assert!(text.contains("stopped cleanly: yes"), "{text}");
}

#[test]
fn demo_prints_no_phone_number_user_id_or_raw_id() {
    for args in [&[][..], &["--library"][..]] {
        let (code, text, stderr, _) = demo(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        for sample in examples::samples::SAMPLES {
            let w = wa_payload::parse(sample.body).unwrap();
            for item in w.items() {
                let party = item.party;
                for value in [party.phone, party.user_id, party.lid]
                    .into_iter()
                    .flatten()
                {
                    assert!(!text.contains(value), "{args:?}: {} leaks", sample.name);
                }
            }
            let decision = Router::seed()
                .route(Bytes::from_static(sample.body))
                .unwrap();
            for item in decision.items() {
                if let Some(id) = item.id().filter(|id| id.starts_with("wamid.")) {
                    // Cloud API ids hold a phone number: only their pseudonyms appear.
                    assert!(!text.contains(id), "{args:?}: {} leaks an id", sample.name);
                }
            }
        }
    }
}

#[test]
fn demo_refuses_unknown_options() {
    let (code, text, stderr, _) = demo(&["--bogus"]);
    assert_eq!(code, 2);
    assert!(text.is_empty());
    assert_eq!(stderr, "demo: usage: demo [--library]\n");
}
