//! A deterministic planted corpus of short chat messages, and the scanner's recall and
//! precision on it.
//!
//! Each planted message carries exactly one entity at a known byte range; clean messages
//! carry decoys (order numbers, dates, times, prices, tracking codes, Luhn-failing cards,
//! IBANs with a wrong check) and must yield nothing.

use pii_mask::scan::{self, Entity};

/// xorshift64*: small, deterministic, good enough to vary a corpus.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }
    pub(crate) fn nonzero(&mut self) -> char {
        char::from(b'1' + self.below(9) as u8)
    }
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| self.digit()).collect()
    }
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// (calling code, national significant number length) for international numbers.
pub(crate) const INTL: &[(&str, usize)] = &[
    ("1", 10),
    ("7", 10),
    ("20", 10),
    ("27", 9),
    ("30", 10),
    ("31", 9),
    ("32", 9),
    ("33", 9),
    ("34", 9),
    ("36", 9),
    ("39", 10),
    ("40", 9),
    ("41", 9),
    ("43", 10),
    ("44", 10),
    ("45", 8),
    ("46", 9),
    ("47", 8),
    ("48", 9),
    ("49", 11),
    ("51", 9),
    ("52", 10),
    ("54", 10),
    ("55", 11),
    ("56", 9),
    ("57", 10),
    ("60", 9),
    ("61", 9),
    ("62", 11),
    ("63", 10),
    ("64", 9),
    ("65", 8),
    ("66", 9),
    ("81", 10),
    ("82", 10),
    ("84", 9),
    ("86", 11),
    ("90", 10),
    ("91", 10),
    ("92", 10),
    ("94", 9),
    ("98", 10),
    ("212", 9),
    ("234", 10),
    ("254", 9),
    ("351", 9),
    ("353", 9),
    ("358", 9),
    ("380", 9),
    ("420", 9),
    ("852", 8),
    ("880", 10),
    ("966", 9),
    ("971", 9),
    ("972", 9),
];

pub(crate) fn group(digits: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = String::new();
    let mut rest = digits;
    for (k, &n) in sizes.iter().enumerate() {
        if rest.is_empty() {
            break;
        }
        let n = if k == sizes.len() - 1 {
            rest.len()
        } else {
            n.min(rest.len())
        };
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

pub(crate) fn international_phone(r: &mut Rng) -> String {
    let &(cc, len) = r.pick(INTL);
    let nsn = format!("{}{}", r.nonzero(), r.digits(len - 1));
    let prefix = if r.below(4) == 0 {
        format!("00{cc}")
    } else {
        format!("+{cc}")
    };
    match r.below(5) {
        0 => format!("{prefix}{nsn}"),
        1 => format!("{prefix} {}", group(&nsn, &[3, 3, 4], " ")),
        2 => format!("{prefix}-{}", group(&nsn, &[3, 3, 4], "-")),
        3 => format!("{prefix} {}", group(&nsn, &[2, 2, 2, 2, 2], " ")),
        _ => format!(
            "{prefix} ({}) {}",
            &nsn[..3],
            group(&nsn[3..], &[3, 4], "-")
        ),
    }
}

pub(crate) fn national_phone(r: &mut Rng) -> String {
    let nanp = |r: &mut Rng| format!("{}{}", char::from(b'2' + r.below(8) as u8), r.digits(2));
    match r.below(9) {
        0 => format!("({}) {}-{}", nanp(r), nanp(r), r.digits(4)), // US
        1 => format!("{}-{}-{}", nanp(r), nanp(r), r.digits(4)),   // US
        2 => format!("1-{}-{}-{}", nanp(r), nanp(r), r.digits(4)), // US
        3 => format!("015{} {}", r.digit(), r.digits(8)),          // DE mobile
        4 => format!("07{} {}", r.digits(3), r.digits(6)),         // GB mobile
        5 => format!(
            "06 {} {} {} {}",
            r.digits(2),
            r.digits(2),
            r.digits(2),
            r.digits(2)
        ), // FR
        6 => format!(
            "{}{} {}",
            char::from(b'6' + r.below(4) as u8),
            r.digits(4),
            r.digits(5)
        ), // IN
        7 => format!(
            "({}{}) 9{}-{}",
            r.nonzero(),
            r.nonzero(),
            r.digits(4),
            r.digits(4)
        ), // BR
        _ => format!("13{} {} {}", r.digit(), r.digits(4), r.digits(4)), // CN
    }
}

pub(crate) fn email(r: &mut Rng) -> String {
    let users = [
        "maria.silva",
        "j.doe+orders",
        "k_tan",
        "anna-lena",
        "raj.patel77",
        "x",
    ];
    let domains = [
        "example.com",
        "mail.example.org",
        "uni-bonn.de",
        "correo.example.co",
        "ex.io",
    ];
    format!("{}{}@{}", r.pick(&users), r.below(100), r.pick(&domains))
}

pub(crate) fn luhn_check_digit(payload: &str) -> char {
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
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// A Luhn-valid card number, and the same number with its check digit broken.
pub(crate) fn card(r: &mut Rng) -> (String, String) {
    let (prefix, len, sizes): (&str, usize, &[usize]) = match r.below(3) {
        0 => ("4", 16, &[4, 4, 4, 4]),
        1 => ("5", 16, &[4, 4, 4, 4]),
        _ => ("37", 15, &[4, 6, 5]),
    };
    let payload = format!("{prefix}{}", r.digits(len - 1 - prefix.len()));
    let check = luhn_check_digit(&payload);
    let bad = char::from(b'0' + ((check as u8 - b'0' + 1) % 10));
    let sep = *r.pick(&[" ", "-", ""]);
    let good = format!("{payload}{check}");
    let wrong = format!("{payload}{bad}");
    if sep.is_empty() {
        (good, wrong)
    } else {
        (group(&good, sizes, sep), group(&wrong, sizes, sep))
    }
}

pub(crate) fn mod97(s: &str) -> u32 {
    s.bytes().fold(0, |rem, c| {
        if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        }
    })
}

/// A valid IBAN (grouped by four or contiguous) and one with a broken check.
pub(crate) fn iban(r: &mut Rng) -> (String, String) {
    let (country, bban) = match r.below(6) {
        0 => ("DE", r.digits(18)),
        1 => (
            "GB",
            format!("{}{}", r.pick(&["NWBK", "WEST", "BARC"]), r.digits(14)),
        ),
        2 => ("FR", r.digits(23)),
        3 => (
            "NL",
            format!("{}{}", r.pick(&["ABNA", "INGB", "RABO"]), r.digits(10)),
        ),
        4 => ("ES", r.digits(20)),
        _ => ("BR", format!("{}{}", r.digits(23), r.pick(&["P1", "C1"]))),
    };
    let check = 98 - mod97(&format!("{bban}{country}00"));
    let good = format!("{country}{check:02}{bban}");
    let wrong = format!(
        "{country}{:02}{bban}",
        if check == 97 { 2 } else { check + 1 }
    );
    if r.below(2) == 0 {
        (good, wrong)
    } else {
        let g = |s: &str| {
            s.as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        };
        (g(&good), g(&wrong))
    }
}

pub(crate) fn ip(r: &mut Rng) -> String {
    if r.below(2) == 0 {
        format!(
            "{}.{}.{}.{}",
            1 + r.below(223),
            r.below(256),
            r.below(256),
            1 + r.below(254)
        )
    } else {
        let h = |r: &mut Rng| format!("{:x}", r.below(0x10000));
        match r.below(2) {
            0 => (0..8).map(|_| h(r)).collect::<Vec<_>>().join(":"),
            _ => format!("2001:db8::{}:{}", h(r), h(r)),
        }
    }
}

const BEFORE: &[&str] = &[
    "Hi, you can reach me at ",
    "My number changed, new one is ",
    "pls send the invoice to ",
    "Oi! Meu contato: ",
    "Hallo, bitte an ",
    "ok here it is: ",
];
const AFTER: &[&str] = &[
    " thanks!",
    ", see you tomorrow at 10:30",
    ". Order #A-20931 still pending",
    " (ref 2024-03-12)",
    "",
    " 🙏 obrigado",
];

/// Decoy sentences: nothing in them is personal data the scanner looks for.
pub(crate) fn clean_message(r: &mut Rng) -> String {
    let (_, bad_card) = card(r);
    let (_, bad_iban) = iban(r);
    let parts = [
        format!("Order #A-{} shipped on {}", r.digits(5), "2024-03-12"),
        format!(
            "Your order {}-{} will arrive between 09:00 and 18:45",
            r.digits(4),
            r.digits(4)
        ),
        format!(
            "Total: $1,{}.99 incl. VAT, paid {}/03/2024",
            r.digits(3),
            r.digits(2)
        ),
        format!("Tracking 1Z999AA1{} via UPS, ETA 12.03.2024", r.digits(10)),
        format!("card {bad_card} was declined, try again"),
        format!("IBAN {bad_iban} looks wrong to me"),
        format!(
            "Meeting at 10:30:00, room 4B, build v1.2.3, code {}",
            r.digits(6)
        ),
        format!(
            "Price €{},90 per unit, {} units, SKU X-{}",
            r.digits(2),
            r.below(50),
            r.digits(4)
        ),
        "Hello! Is the shop open on Sunday? 😊".to_owned(),
        format!("Quote {} valid for 30 days", r.digits(8)),
    ];
    parts[r.below(parts.len())].clone()
}

/// One planted message: its text, the planted range and kind.
pub(crate) fn planted_message(r: &mut Rng) -> (String, std::ops::Range<usize>, Entity) {
    let (value, entity) = match r.below(7) {
        0 | 1 => (international_phone(r), Entity::Phone),
        2 => (national_phone(r), Entity::Phone),
        3 => (email(r), Entity::Email),
        4 => (card(r).0, Entity::Card),
        5 => (iban(r).0, Entity::Iban),
        _ => (ip(r), Entity::Ip),
    };
    let before = *r.pick(BEFORE);
    let after = *r.pick(AFTER);
    let text = format!("{before}{value}{after}");
    (text, before.len()..before.len() + value.len(), entity)
}

#[test]
fn full_recall_and_no_false_positives_on_the_planted_corpus() {
    let mut r = Rng::new(0x005e_ed0f_9111);
    let mut misses = Vec::new();
    let mut extra = Vec::new();
    let mut planted = 0usize;
    for _ in 0..4000 {
        let (text, range, entity) = planted_message(&mut r);
        planted += 1;
        let found: Vec<_> = scan::scan(text.as_bytes()).collect();
        let hit = found
            .iter()
            .any(|f| f.range() == range && f.entity() == entity);
        if !hit {
            misses.push(format!("{entity}: {text:?} -> {found:?}"));
        }
        for f in &found {
            if f.range() != range {
                extra.push(format!("{}: {text:?} at {:?}", f.entity(), f.range()));
            }
        }
    }
    let mut clean_hits = Vec::new();
    for _ in 0..4000 {
        let text = clean_message(&mut r);
        for f in scan::scan(text.as_bytes()) {
            clean_hits.push(format!("{}: {text:?} at {:?}", f.entity(), f.range()));
        }
    }
    assert!(planted == 4000);
    assert!(
        misses.is_empty(),
        "{} misses, e.g. {:#?}",
        misses.len(),
        &misses[..misses.len().min(10)]
    );
    assert!(
        extra.is_empty(),
        "{} extra, e.g. {:#?}",
        extra.len(),
        &extra[..extra.len().min(10)]
    );
    assert!(
        clean_hits.is_empty(),
        "{} clean hits, e.g. {:#?}",
        clean_hits.len(),
        &clean_hits[..clean_hits.len().min(10)]
    );
}

#[test]
fn redaction_removes_every_planted_value() {
    let mut r = Rng::new(42);
    for _ in 0..500 {
        let (text, range, entity) = planted_message(&mut r);
        let redacted = String::from_utf8(scan::redact(text.as_bytes())).unwrap();
        assert!(!redacted.contains(&text[range.clone()]), "{text}");
        assert!(redacted.contains(entity.placeholder()), "{text}");
        let mut expected = text.clone();
        expected.replace_range(range, entity.placeholder());
        assert_eq!(redacted, expected);
    }
}
