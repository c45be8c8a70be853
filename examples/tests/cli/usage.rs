//! `--help`, `--version` and usage errors on every command (clap, with our own one-line
//! errors: DESIGN.md's CLI contract).

use crate::support::residency;

const COMMANDS: [&str; 8] = [
    "route", "country", "verify", "mask", "scan", "hash", "canon", "merkle",
];

/// A phone number as a user might paste it where an option or value belongs.
const PHONE: &str = "4915112345678";

#[test]
fn help_goes_to_stdout_with_exit_0_on_every_command() {
    for args in std::iter::once(vec![])
        .chain(COMMANDS.iter().map(|c| vec![*c]))
        .chain(
            ["root", "inclusion", "consistency"]
                .iter()
                .map(|m| vec!["merkle", *m]),
        )
    {
        for flag in ["--help", "-h"] {
            let mut argv = args.clone();
            argv.push(flag);
            let run = residency(&argv, b"");
            assert_eq!(run.code, 0, "{argv:?}: {}", run.stderr);
            assert!(run.stderr.is_empty(), "{argv:?}: {}", run.stderr);
            let text = run.text();
            assert!(text.contains("Usage: residency"), "{argv:?}: {text}");
            if let Some(sub) = args.first() {
                assert!(
                    text.contains(&format!("residency {sub}")),
                    "{argv:?}: {text}"
                );
            }
        }
    }
    // Flags of a command appear in its help, with what they mean.
    let run = residency(&["hash", "--help"], b"");
    assert!(run.text().contains("--expect <VALUE>"), "{}", run.text());
    let run = residency(&["merkle", "inclusion", "--help"], b"");
    assert!(run.text().contains("--index <I>"), "{}", run.text());
}

#[test]
fn version_goes_to_stdout_with_exit_0_on_every_command() {
    let version = env!("CARGO_PKG_VERSION");
    let run = residency(&["--version"], b"");
    assert_eq!(
        (run.code, run.text()),
        (0, format!("residency {version}\n"))
    );
    for command in COMMANDS {
        for flag in ["--version", "-V"] {
            let run = residency(&[command, flag], b"");
            assert_eq!(run.code, 0, "{command} {flag}: {}", run.stderr);
            assert!(run.stderr.is_empty());
            let text = run.text();
            assert!(
                text.starts_with("residency") && text.ends_with(&format!(" {version}\n")),
                "{command} {flag}: {text}"
            );
        }
    }
}

/// Asserts exit 2, nothing on stdout and exactly `want` (one line) on stderr, which never
/// holds the phone number.
fn usage_error(args: &[&str], want: &str) {
    let run = residency(args, b"");
    assert_eq!(run.code, 2, "{args:?}");
    assert!(run.stdout.is_empty(), "{args:?}");
    assert_eq!(run.stderr, format!("{want}\n"), "{args:?}");
    assert!(!run.stderr.contains(PHONE), "{args:?}: {}", run.stderr);
    assert!(!run.stderr.contains("49151"), "{args:?}: {}", run.stderr);
}

#[test]
fn usage_errors_are_one_line_without_the_argument() {
    let flag = format!("--{PHONE}");
    let inline = format!("--expect={PHONE}");
    usage_error(&[PHONE], "usage: residency: unknown command");
    usage_error(&[&flag], "usage: residency: unexpected option");
    usage_error(
        &[],
        "usage: residency: expected a command: route, country, verify, mask, scan, hash, canon, merkle",
    );
    for command in COMMANDS {
        let want = format!("usage: residency {command}: unexpected option");
        if command == "merkle" {
            usage_error(
                &[command, "root", &flag],
                "usage: residency merkle root: unexpected option",
            );
        } else {
            usage_error(&[command, &flag], &want);
        }
    }
    // Too many FILEs: the extra one is a number.
    for command in ["route", "mask", "scan", "hash", "canon"] {
        usage_error(
            &[command, "-", PHONE],
            &format!("usage: residency {command}: unexpected argument"),
        );
    }
    usage_error(
        &["hash", &inline, "-"],
        "usage: residency hash: invalid value for --expect: digest must be 64 hex digits or 44 base64 characters, got 13 characters",
    );
    usage_error(
        &["hash", "--expect"],
        "usage: residency hash: --expect needs a value",
    );
    usage_error(
        &["verify", "--signature", PHONE],
        "usage: residency verify: --secret is required",
    );
    usage_error(
        &["merkle", PHONE],
        "usage: residency merkle: unknown command",
    );
    usage_error(
        &["merkle", "inclusion", "--index", "1", "-", PHONE],
        "usage: residency merkle inclusion: unexpected argument",
    );
    usage_error(
        &["merkle", "consistency", "--old", &format!("{PHONE}+")],
        "usage: residency merkle consistency: invalid value for --old: invalid digit found in string",
    );
    usage_error(
        &["scan", &format!("--redact={PHONE}")],
        "usage: residency scan: too many values for --redact",
    );
    usage_error(
        &["mask", "--mode", "strip", "--mode", PHONE],
        "usage: residency mask: --mode is given more than once",
    );
}

#[test]
fn a_file_named_like_a_number_is_not_echoed_when_it_cannot_be_read() {
    let path = format!("/nonexistent/+{PHONE}.json");
    for command in ["route", "mask", "scan", "hash", "canon", "verify"] {
        let mut args = vec![command, path.as_str()];
        if command == "verify" {
            args = vec![
                command,
                "--secret",
                "s",
                "--signature",
                "sha256=00",
                path.as_str(),
            ];
        }
        let run = residency(&args, b"");
        assert_eq!(run.code, 2, "{command}");
        assert_eq!(
            run.stderr, "residency: cannot read input: entity not found\n",
            "{command}"
        );
    }
}
