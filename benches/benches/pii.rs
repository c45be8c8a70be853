//! `pii-mask` benches.
//!
//! - `scan`: our single-pass scanner beside `baseline-regex` (the same entity set as plain
//!   `regex` patterns, one pass per pattern, with the same Luhn and mod-97 checks) over
//!   1,000 chat messages of about 100 bytes, 40% of them carrying one planted entity. Before
//!   measuring, both are scored on that corpus (recall per kind, hits on clean messages) and
//!   the scores are printed.
//! - `pseudonym`: one keyed token (pre-keyed HMAC state, cloned per value) beside
//!   `baseline-hmac-rekey` (a fresh `Hmac::new_from_slice` per value, what a naive caller
//!   writes).
//! - `mask`: whole webhook bodies masked in each mode beside `baseline-value-roundtrip`
//!   (parse to `serde_json::Value` and write back, no masking: the floor of any
//!   shape-preserving masker).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use pii_mask::pseudonym::Kind;
use pii_mask::scan::{self, Entity};
use pii_mask::{Masker, PseudonymKey};
use regex::Regex;
use sha2::Sha256;

// ------------------------------------------------------------------------------------------
// Corpus

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn nonzero(&mut self) -> char {
        char::from(b'1' + self.below(9) as u8)
    }
}

fn luhn_complete(payload: &str) -> String {
    let mut sum = 0u32;
    for (k, c) in payload.bytes().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if k % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    format!("{payload}{}", (10 - sum % 10) % 10)
}

fn iban_complete(country: &str, bban: &str) -> String {
    let rem = format!("{bban}{country}00").bytes().fold(0u32, |r, c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    format!("{country}{:02}{bban}", 98 - rem)
}

fn entity(r: &mut Rng) -> (String, Entity) {
    const INTL: &[(&str, usize)] = &[
        ("1", 10),
        ("44", 10),
        ("49", 11),
        ("33", 9),
        ("91", 10),
        ("55", 11),
        ("52", 10),
        ("34", 9),
        ("39", 10),
        ("234", 10),
        ("62", 11),
        ("971", 9),
        ("7", 10),
        ("81", 10),
    ];
    match r.below(6) {
        0 => {
            let (cc, len) = INTL[r.below(INTL.len())];
            let nsn = format!("{}{}", r.nonzero(), r.digits(len - 1));
            let v = match r.below(3) {
                0 => format!("+{cc}{nsn}"),
                1 => format!("+{cc} {} {}", &nsn[..3], &nsn[3..]),
                _ => format!("00{cc} {} {}", &nsn[..4], &nsn[4..]),
            };
            (v, Entity::Phone)
        }
        1 => {
            let v = match r.below(4) {
                0 => format!(
                    "({}{}) 555-{}",
                    r.nonzero().max('2'),
                    r.digits(2),
                    r.digits(4)
                ),
                1 => format!("015{} {}", r.below(10), r.digits(8)),
                2 => format!("9{} {}", r.digits(4), r.digits(5)),
                _ => format!("(11) 9{}-{}", r.digits(4), r.digits(4)),
            };
            (v, Entity::Phone)
        }
        2 => (format!("user{}@example.com", r.digits(3)), Entity::Email),
        3 => {
            let n = luhn_complete(&format!("4{}", r.digits(14)));
            (
                format!("{} {} {} {}", &n[..4], &n[4..8], &n[8..12], &n[12..]),
                Entity::Card,
            )
        }
        4 => (iban_complete("DE", &r.digits(18)), Entity::Iban),
        _ => (
            format!(
                "{}.{}.{}.{}",
                1 + r.below(222),
                r.below(256),
                r.below(256),
                1 + r.below(254)
            ),
            Entity::Ip,
        ),
    }
}

const CLEAN: &[&str] = &[
    "Order #A-20931 shipped on 2024-03-12, arriving between 09:00 and 18:45 tomorrow morning.",
    "Total: $1,299.99 incl. VAT, paid 12/03/2024. Tracking 1Z999AA10123456784 via UPS, thanks!",
    "Hello! Is the shop open on Sunday? We would like to pick up two boxes of the red ones 😊",
    "Price €49,90 per unit, 12 units, SKU X-4471, quote 88213377 valid for 30 days, ok?",
    "card 4111 1111 1111 1112 was declined, please try another one or pay at the counter",
];

/// 1,000 messages of about 100 bytes; 40% carry one planted entity.
fn corpus() -> Vec<(String, Option<Entity>)> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    (0..1000)
        .map(|i| {
            if i % 5 < 2 {
                let (v, e) = entity(&mut r);
                (format!("Hi there, as we discussed on the phone, my details are {v}. Please confirm soon!"), Some(e))
            } else {
                (CLEAN[r.below(CLEAN.len())].to_owned(), None)
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Baseline: plain regex patterns plus the same checksums

struct RegexScanner {
    patterns: Vec<(Entity, Regex)>,
}

fn luhn_ok(s: &str) -> bool {
    let d: Vec<u32> = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    (13..=19).contains(&d.len())
        && d.iter()
            .rev()
            .enumerate()
            .map(|(k, &v)| {
                if k % 2 == 1 {
                    if v * 2 > 9 { v * 2 - 9 } else { v * 2 }
                } else {
                    v
                }
            })
            .sum::<u32>()
            % 10
            == 0
}

fn mod97_ok(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if c.len() < 15 {
        return false;
    }
    c[4..].iter().chain(&c[..4]).fold(0u32, |r, &b| {
        if b.is_ascii_digit() {
            (r * 10 + u32::from(b - b'0')) % 97
        } else {
            (r * 100 + u32::from(b - b'A') + 10) % 97
        }
    }) == 1
}

impl RegexScanner {
    fn new() -> Self {
        let p = |e, s: &str| (e, Regex::new(s).expect("valid pattern"));
        Self {
            patterns: vec![
                p(
                    Entity::Email,
                    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
                ),
                p(Entity::Card, r"\b[1-9](?:[ -]?\d){12,18}\b"),
                p(
                    Entity::Iban,
                    r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
                ),
                p(
                    Entity::Ip,
                    r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
                ),
                p(Entity::Ip, r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"),
                p(
                    Entity::Phone,
                    r"(?:\+|\b00)[1-9]\d{0,2}[ .-]?(?:\(?\d{1,4}\)?[ .-]?){1,4}\d{2,}",
                ),
                p(Entity::Phone, r"\(?\b[2-9]\d{2}\)?[ .-]\d{3}-\d{4}\b"),
                p(Entity::Phone, r"\b0[1-9]\d{1,4}[ -]?\d{5,8}\b"),
                p(Entity::Phone, r"\b[6-9]\d{4} ?\d{5}\b"),
                p(Entity::Phone, r"\(\d{2}\) 9?\d{4}-\d{4}"),
            ],
        }
    }

    /// Findings as (kind, start, end), checksums applied, overlaps not resolved.
    fn scan(&self, text: &str) -> Vec<(Entity, usize, usize)> {
        let mut out = Vec::new();
        for (e, re) in &self.patterns {
            for m in re.find_iter(text) {
                let ok = match e {
                    Entity::Card => luhn_ok(m.as_str()),
                    Entity::Iban => mod97_ok(m.as_str()),
                    Entity::Phone => {
                        let n = m.as_str().bytes().filter(u8::is_ascii_digit).count();
                        (8..=15).contains(&n)
                    }
                    _ => true,
                };
                if ok {
                    out.push((*e, m.start(), m.end()));
                }
            }
        }
        out
    }
}

/// Prints recall on planted messages and hits on clean ones, for ours and the baseline.
fn score(corpus: &[(String, Option<Entity>)], re: &RegexScanner) {
    let kinds = [
        Entity::Phone,
        Entity::Email,
        Entity::Card,
        Entity::Iban,
        Entity::Ip,
    ];
    for (name, ours) in [("ours", true), ("baseline-regex", false)] {
        let mut planted = [0usize; 5];
        let mut found = [0usize; 5];
        let mut clean_hits = 0usize;
        for (text, e) in corpus {
            let hits: Vec<Entity> = if ours {
                scan::scan(text.as_bytes()).map(|f| f.entity()).collect()
            } else {
                re.scan(text).into_iter().map(|f| f.0).collect()
            };
            match e {
                Some(e) => {
                    let k = kinds.iter().position(|x| x == e).unwrap_or(0);
                    planted[k] += 1;
                    if hits.contains(e) {
                        found[k] += 1;
                    }
                }
                None => clean_hits += hits.len(),
            }
        }
        let recall: Vec<String> = kinds
            .iter()
            .zip(planted.iter().zip(&found))
            .map(|(k, (p, f))| format!("{k} {f}/{p}"))
            .collect();
        eprintln!(
            "scan recall {name}: {}; hits on clean messages: {clean_hits}",
            recall.join(", ")
        );
    }
}

fn scan_group(c: &mut Criterion) {
    let corpus = corpus();
    let re = RegexScanner::new();
    score(&corpus, &re);
    let texts: Vec<&str> = corpus.iter().map(|(t, _)| t.as_str()).collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    eprintln!(
        "scan corpus: {} messages, {} bytes on average",
        texts.len(),
        bytes / texts.len()
    );
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("ours", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| scan::scan(black_box(t.as_bytes())).count())
                .sum::<usize>()
        });
    });
    g.bench_function("ours-redact", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| scan::redact(black_box(t.as_bytes())).len())
                .sum::<usize>()
        });
    });
    g.bench_function("baseline-regex", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| re.scan(black_box(t)).len())
                .sum::<usize>()
        });
    });
    g.finish();
}

fn pseudonym_group(c: &mut Criterion) {
    let secret = b"an operator secret of 32 bytes!!";
    let key = PseudonymKey::new("k1", secret).expect("valid key");
    let phone = "+49 151 23456789";
    let mut g = c.benchmark_group("pseudonym");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours-phone", |b| {
        b.iter(|| key.pseudonymize(Kind::Phone, black_box(phone)))
    });
    g.bench_function("ours-name", |b| {
        b.iter(|| key.pseudonymize(Kind::Name, black_box("Sheena Nelson")))
    });
    g.bench_function("baseline-hmac-rekey", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(secret)).expect("any length");
            mac.update(b"pii-mask/v1\0phone\0");
            mac.update(black_box(b"4915123456789"));
            mac.finalize().into_bytes()
        });
    });
    g.finish();
}

const CLOUD_TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}"#;
const CLOUD_STATUS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ=","status":"delivered","timestamp":"1750263773","recipient_id":"16505551234","pricing":{"billable":true,"pricing_model":"PMP","category":"utility"}}]},"field":"messages"}]}]}"#;
const WASENDER: &str = r#"{"event":"messages.upsert","timestamp":1633456789,"data":{"messages":[{"key":{"id":"message-id-123","fromMe":false,"remoteJid":"5551234567@s.whatsapp.net","senderPn":"5551234567@s.whatsapp.net","cleanedSenderPn":"5551234567","senderLid":"123456789@lid","addressingMode":"pn"},"pushName":"John Doe","messageBody":"Hello!","message":{"conversation":"Hello!"}}]}}"#;

fn mask_group(c: &mut Criterion) {
    let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!").expect("valid key");
    let maskers = [
        ("ours-partial", Masker::partial()),
        ("ours-pseudonym", Masker::pseudonym(key.clone())),
        ("ours-strip", Masker::strip(key)),
    ];
    let mut g = c.benchmark_group("mask");
    g.throughput(Throughput::Elements(1));
    for (name, body) in [
        ("cloud-text", CLOUD_TEXT),
        ("cloud-status", CLOUD_STATUS),
        ("wasender", WASENDER),
    ] {
        for (mode, masker) in &maskers {
            g.bench_with_input(BenchmarkId::new(*mode, name), body.as_bytes(), |b, body| {
                b.iter(|| masker.mask(black_box(body)).expect("corpus body masks"));
            });
        }
        g.bench_with_input(
            BenchmarkId::new("baseline-value-roundtrip", name),
            body.as_bytes(),
            |b, body| {
                b.iter(|| {
                    let v: serde_json::Value =
                        serde_json::from_slice(black_box(body)).expect("json");
                    serde_json::to_vec(&v).expect("serializes")
                });
            },
        );
    }
    g.finish();
}

criterion_group!(benches, scan_group, pseudonym_group, mask_group);
criterion_main!(benches);
