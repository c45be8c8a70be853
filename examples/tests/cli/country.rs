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
    let run = residency(
        &["country"],
        b"5511987654321\n+91 98765 43210\n\n0049 30 1234567\r\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.text(), "BR LATAM\nIN INDIA\nDE EU\n");
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
