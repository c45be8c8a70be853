//! The built `edge-router` binary: `--check-config` on the sample and on broken
//! configurations, and a real run whose JSON logs never hold a phone number, an id, a body or
//! a secret, stopped by SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{
    APP_SECRET, EDGE_KEY_HEX, FAILOVER_KEY_HEX, FakeNode, Options, VERIFY_TOKEN, WASENDER_SECRET,
    bounded, client, config_toml, meta_signature, sample,
};

const EXE: &str = env!("CARGO_BIN_EXE_edge-router");

fn sample_config() -> String {
    std::fs::read_to_string(format!("{}/config/edge.toml", env!("CARGO_MANIFEST_DIR")))
        .expect("examples/config/edge.toml")
}

/// `edge-router --config FILE --check-config` with only `env` in the environment.
fn check(config: &str, env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("edge.toml");
    std::fs::write(&path, config).expect("write");
    Command::new(EXE)
        .env_clear()
        .envs(env.iter().copied())
        .arg("--config")
        .arg(&path)
        .arg("--check-config")
        .output()
        .expect("edge-router runs")
}

#[test]
fn check_config_accepts_the_sample_config_silently() {
    let path = format!("{}/config/edge.toml", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(EXE)
        .env_clear()
        .args(["--config", &path, "--check-config"])
        .output()
        .expect("edge-router runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn check_config_names_the_bad_key_in_one_line_and_never_the_value() {
    let good = sample_config();
    let secret = "SUPERSECRETVALUE";
    // (configuration, environment, the key the line must name)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            good.replacen(
                "secret = \"0000000000000000000000000000000000000000000000000000000000000000\"",
                &format!("secret = \"{secret}\""),
                1,
            ),
            vec![],
            "`edge_key.secret`",
        ),
        (
            good.clone(),
            vec![("RESIDENCY_META_APP_SECRET", "")],
            "`meta.app_secret`",
        ),
        (
            good.clone(),
            vec![("RESIDENCY_DELIVERY_DEADLINE_MS", secret)],
            "`delivery.deadline_ms`",
        ),
        (
            good.replace(
                "[regions.INDIA]\nendpoints = [\"http://127.0.0.1:9301/ingest\"]\n",
                "",
            ),
            vec![],
            "`regions.INDIA`",
        ),
        (
            good.replacen("[meta]\n", &format!("[meta]\nbroken = \"{secret}\n"), 1),
            vec![],
            "`file`",
        ),
        (
            good.replacen("[meta]\n", &format!("[meta]\n{secret} = 1\n"), 1),
            vec![],
            "`meta.SUPERSECRETVALUE`",
        ),
        (
            good.replace(
                "http://127.0.0.1:9101/ingest",
                &format!("http://u:{secret}@us/ingest"),
            ),
            vec![],
            "`regions.US.endpoints[0]`",
        ),
    ];
    for (config, env, key) in cases {
        let out = check(&config, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(out.stdout.is_empty(), "{key}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(key), "{key}: {stderr}");
        if key != "`meta.SUPERSECRETVALUE`" {
            // (An unknown key is named: a key is not a value.)
            assert!(!stderr.contains(secret), "{stderr}");
        }
    }
    let usage = Command::new(EXE)
        .env_clear()
        .arg(format!("--{secret}"))
        .output()
        .expect("edge-router runs");
    assert_eq!(usage.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&usage.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}

/// Kills the child if the test ends before it does.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_logs_json_without_personal_data_or_secrets_and_stops_on_sigterm() {
    bounded(async {
        let eu = FakeNode::start(200).await;
        let latam = FakeNode::start(200).await;
        let india = FakeNode::start(200).await;
        let us = FakeNode::start(200).await;
        let toml = config_toml(
            &Options {
                wasender: true,
                ..Options::default()
            },
            &[
                ("EU", vec![eu.endpoint()]),
                ("LATAM", vec![latam.endpoint()]),
                ("INDIA", vec![india.endpoint()]),
                ("US", vec![us.endpoint()]),
            ],
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("edge.toml");
        std::fs::write(&path, toml).expect("write");
        let child = Command::new(EXE)
            .env_clear()
            .env("RUST_LOG", "info,examples=debug,edge_router=debug")
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("edge-router starts");
        let mut child = Running(child);
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let stdout = child.0.stdout.take().expect("stdout");
        let reader = {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    lines.lock().expect("lock").push(line);
                }
            })
        };
        // The address it listens on, from its own log.
        let started = Instant::now();
        let addr = loop {
            let found = lines.lock().expect("lock").iter().find_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                (v["fields"]["message"] == "listening")
                    .then(|| v["fields"]["addr"].as_str().map(str::to_owned))
                    .flatten()
            });
            if let Some(a) = found {
                break a;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "edge-router did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let url = |p: &str| format!("http://{addr}{p}");

        let mixed = sample("cloud-mixed-batch.json");
        let r = client()
            .post(url("/webhook/meta"))
            .header("x-hub-signature-256", meta_signature(&mixed))
            .body(mixed.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let de = sample("cloud-text-de.json");
        let bad = client()
            .post(url("/webhook/meta"))
            .header("x-hub-signature-256", meta_signature(b"other"))
            .body(de)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 401);
        let ws = client()
            .post(url("/webhook/wasender"))
            .header("x-webhook-signature", WASENDER_SECRET)
            .body(sample("wasender-message-in.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(ws.status(), 200);
        let handshake = client()
            .get(url("/webhook/meta?hub.mode=subscribe&hub.verify_token=919876543210&hub.challenge=4915112345678"))
            .send()
            .await
            .unwrap();
        assert_eq!(handshake.status(), 403);
        assert_eq!(eu.received().len(), 1);
        assert_eq!(india.received().len(), 2);

        let pid = child.0.id().to_string();
        let term = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(term.success());
        let waited = Instant::now();
        let status = loop {
            if let Some(s) = child.0.try_wait().expect("wait") {
                break s;
            }
            assert!(waited.elapsed() < Duration::from_secs(10), "no exit after SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(status.success(), "{status:?}");
        reader.join().expect("reader");
        let mut stderr = String::new();
        if let Some(mut e) = child.0.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        assert!(stderr.is_empty(), "{stderr}");

        let lines = lines.lock().expect("lock").clone();
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
            assert!(v["level"].is_string(), "{line}");
        }
        let all = lines.join("\n");
        let answered: Vec<&String> = lines.iter().filter(|l| l.contains("webhook answered")).collect();
        assert_eq!(answered.len(), 2, "{all}");
        assert!(answered[0].contains(r#""regions":"EU:1:accepted,"#), "{}", answered[0]);
        assert!(all.contains("\"attempt\""), "debug logs of attempts are on");
        assert!(all.contains("edge-router stopped"));
        for forbidden in [
            // Parties of the samples: phones, user ids, names; message ids; bodies.
            "4915112345678",
            "919876543210",
            "18765550123",
            "77012345678",
            "919812345678",
            "1029384756473829",
            "2093887719384756",
            "203948576612345",
            "wamid.",
            "3EB0A1B2C3D4E5F60718",
            "Lena",
            "Ravi",
            "Hamburg",
            "Namaste",
            // Secrets.
            APP_SECRET,
            VERIFY_TOKEN,
            WASENDER_SECRET,
            EDGE_KEY_HEX,
            FAILOVER_KEY_HEX,
        ] {
            assert!(!all.contains(forbidden), "{forbidden} in the logs:\n{all}");
        }
    })
    .await;
}
