//! `residency country [NUMBER...]`.

use crate::support::residency;

#[test]
fn numbers_as_arguments_with_or_without_plus() {
    let run = residency(
        &[
            "country",
            "+49 151 23456789",
            "18765550123",
            "+7 701 234 5678",
            "+44 1481 256789",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.text(), "DE EU\nJM US\nKZ US\nGG EU\n");
    assert!(run.stderr.is_empty());
}

#[test]
fn numbers_one_per_line_on_stdin() {
    // Contract (issue 9): one answer per input line, the blank line included.
    let run = residency(
        &["country"],
        b"5511987654321\n+91 98765 43210\n\n0049 30 1234567\r\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.text(), "BR LATAM\nIN INDIA\n- US\nDE EU\n");
}

#[test]
fn every_stdin_line_gets_one_answer_in_order() {
    // Blank, spaces only, not a number, invalid UTF-8, longer than any line read as a number,
    // CRLF, a final line without a newline: one answer each.
    let mut bytes = b"+49 151 23456789\n\n   \nnot a number\n\xff\xfe\n+49".to_vec();
    bytes.extend(std::iter::repeat_n(b'1', 5000));
    bytes.extend(b"\n+55 11 98765 4321\r\n\r\n+91 98765 43210");
    let run = residency(&["country"], &bytes);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.text(),
        "DE EU\n- US\n- US\n- US\n- US\n- US\nBR LATAM\n- US\nIN INDIA\n"
    );
    assert!(run.stderr.is_empty());
    // No input, no answer; one newline, one blank line.
    assert_eq!(residency(&["country"], b"").text(), "");
    assert_eq!(residency(&["country"], b"\n").text(), "- US\n");
}

#[test]
fn a_blank_argument_is_answered_too() {
    let run = residency(&["country", "+49 151 23456789", "", "+91 98765 43210"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.text(), "DE EU\n- US\nIN INDIA\n");
}

#[test]
fn each_line_is_answered_before_the_next_is_written() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Command::new(env!("CARGO_BIN_EXE_residency"))
        .arg("country")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.expect("utf-8")).is_err() {
                break;
            }
        }
    });
    for (number, want) in [
        ("+49 151 23456789", "DE EU"),
        ("", "- US"),
        ("+91 98765 43210", "IN INDIA"),
    ] {
        writeln!(stdin, "{number}").expect("write a line");
        stdin.flush().expect("flush");
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer while stdin stays open");
        assert_eq!(got, want);
    }
    drop(stdin);
    assert!(child.wait().expect("exits").success());
    reader.join().expect("reader");
}

#[test]
fn no_country_prints_a_dash_and_the_default_region() {
    let run = residency(
        &[
            "country",
            "+800 1234 5678",
            "2801234567",
            "not a number",
            "1@lid",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.text(), "- US\n- US\n- US\n- US\n");
}

#[test]
fn a_number_written_as_a_flag_is_not_echoed() {
    for arg in ["--4915112345678", "-4915112345678", "--4915112345678=1"] {
        let run = residency(&["country", arg], b"");
        assert_eq!(run.code, 2, "{arg}");
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr, "usage: residency country: unexpected option\n");
    }
}

#[test]
fn flags_are_usage_errors_without_personal_data() {
    let run = residency(&["country", "--default", "4915123456789"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("4915123456789"));
    assert!(run.stderr.contains("usage: residency country"));
}
