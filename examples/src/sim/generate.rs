//! Generated webhook bodies: batches of 1 to 1,000 items from 40 countries, shaped as the
//! providers send them, every item with an id no other generated item has.
//!
//! Shapes are copied from the corpus (`../shared/corpus`): Cloud API bodies carry
//! `entry[].changes[].value` with `messages` (and their `contacts`) or `statuses`; WASender
//! bodies are one event each (`messages.upsert` and `messages.update` batches,
//! `message.sent`, `messages.received`). Cloud API message ids are wamid-like: `wamid.` and
//! base64 of a record holding the user's phone number, as Meta's are (so masking code meets
//! the real thing). WASender ids are `3EB0` and hex, like Baileys'.
//!
//! Everything follows from the seed: the same seed and options give the same bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::sim::numbers::Numbers;
use wa_payload::Provider;

use crate::sim::SimRng;

/// Largest batch Meta sends in one POST, and the largest the generator makes.
pub const MAX_BATCH: usize = 1_000;

/// What the generator makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenOptions {
    /// Fewest items in one body (at least 1).
    pub batch_min: usize,
    /// Most items in one body (at most [`MAX_BATCH`]).
    pub batch_max: usize,
    /// Share of bodies that are WASender events (the rest are Cloud API), in `[0, 1]`.
    pub wasender_share: f64,
}

impl Default for GenOptions {
    /// 1 to 1,000 items per body, 30% WASender.
    fn default() -> Self {
        Self {
            batch_min: 1,
            batch_max: MAX_BATCH,
            wasender_share: 0.3,
        }
    }
}

impl GenOptions {
    /// The options with the batch bounds put in order and into `1..=MAX_BATCH`.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        self.batch_min = self.batch_min.clamp(1, MAX_BATCH);
        self.batch_max = self.batch_max.clamp(self.batch_min, MAX_BATCH);
        self.wasender_share = self.wasender_share.clamp(0.0, 1.0);
        self
    }
}

/// One generated body.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedBody {
    /// The provider whose shape the body has.
    pub provider: Provider,
    /// The bytes to POST.
    pub body: Bytes,
    /// Items generated into it (each with its own id).
    pub items: usize,
}

impl std::fmt::Debug for GeneratedBody {
    /// Provider and sizes only: the body holds (made-up) phone numbers and names.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedBody")
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .field("items", &self.items)
            .finish()
    }
}

const NAMES: &[&str] = &[
    "Ana", "Bruno", "Chen", "Dara", "Emeka", "Fatima", "Greta", "Hiro", "Ines", "Jonas", "Kavya",
    "Luca", "Mina", "Noah", "Olga", "Pedro", "Quynh", "Rahul", "Sofia", "Tariq",
];

const TEXTS: &[&str] = &[
    "Hi, is my order on its way?",
    "Can I change the delivery address?",
    "Thanks!",
    "What time do you open tomorrow?",
    "Olá, preciso de ajuda com o pedido",
    "Hallo, wann kommt mein Paket?",
    "¿Tienen esto en talla M?",
    "नमस्ते, मेरा ऑर्डर कहाँ है?",
    "Bonjour, je voudrais annuler",
    "ok 👍",
];

/// Makes bodies from a seed.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SimRng,
    numbers: Numbers,
    options: GenOptions,
    /// Part of every id: tells runs with different seeds apart.
    tag: u32,
    /// Items generated so far: the other part of every id.
    counter: u64,
    waba_id: String,
    phone_number_id: String,
    display_phone: String,
    last_wamid: Option<String>,
}

/// First timestamp written (2025-12-01T00:00:00Z); each item adds a second.
const BASE_TIMESTAMP: u64 = 1_764_547_200;

impl Generator {
    /// A generator whose every body follows from `seed` and `options`.
    pub fn new(seed: u64, options: GenOptions) -> Self {
        let mut rng = SimRng::new(seed);
        let tag = (rng.next_u64() >> 32) as u32;
        let mut digits = |n: usize, first: char| {
            let mut s = String::from(first);
            while s.len() < n {
                s.push(rng.digit());
            }
            s
        };
        let waba_id = digits(15, '1');
        let phone_number_id = digits(15, '1');
        let display_phone = format!("1555{}", &digits(7, '2'));
        Self {
            rng,
            numbers: Numbers::default(),
            options: options.normalized(),
            tag,
            counter: 0,
            waba_id,
            phone_number_id,
            display_phone,
            last_wamid: None,
        }
    }

    /// The next body: the provider drawn by the WASender share, the size log-uniform between
    /// the batch bounds (most bodies are small, a few are large, as in real traffic).
    pub fn next_body(&mut self) -> GeneratedBody {
        let items = self.batch_size();
        if self.rng.chance(self.options.wasender_share) {
            self.wasender(items)
        } else {
            self.cloud(items)
        }
    }

    fn batch_size(&mut self) -> usize {
        let (lo, hi) = (self.options.batch_min as f64, self.options.batch_max as f64);
        let v = (lo.ln() + self.rng.unit() * ((hi + 1.0).ln() - lo.ln())).exp();
        (v.floor() as usize).clamp(self.options.batch_min, self.options.batch_max)
    }

    /// A Cloud API body of `items` items (clamped to `1..=MAX_BATCH`): one to four changes
    /// over one or two entries, each change all messages (with their contacts) or all
    /// statuses.
    pub fn cloud(&mut self, items: usize) -> GeneratedBody {
        let items = items.clamp(1, MAX_BATCH);
        let changes = self.rng.range(1, items.min(4) as u64) as usize;
        let sizes = self.partition(items, changes);
        let two_entries = changes > 1 && self.rng.chance(0.5);
        let mut entries: Vec<Vec<Value>> = vec![Vec::new(); if two_entries { 2 } else { 1 }];
        for (i, size) in sizes.into_iter().enumerate() {
            let value = if self.rng.chance(0.55) {
                self.cloud_messages(size)
            } else {
                self.cloud_statuses(size)
            };
            let slot = if two_entries { i % 2 } else { 0 };
            entries[slot].push(json!({ "value": value, "field": "messages" }));
        }
        let entry: Vec<Value> = entries
            .into_iter()
            .map(|changes| json!({ "id": self.waba_id, "changes": changes }))
            .collect();
        let body = json!({ "object": "whatsapp_business_account", "entry": entry });
        GeneratedBody {
            provider: Provider::CloudApi,
            body: to_bytes(&body),
            items,
        }
    }

    /// Splits `n` into `parts` positive sizes.
    fn partition(&mut self, n: usize, parts: usize) -> Vec<usize> {
        let parts = parts.clamp(1, n.max(1));
        let mut cuts: Vec<usize> = Vec::with_capacity(parts + 1);
        while cuts.len() < parts - 1 {
            let c = self.rng.range(1, (n - 1) as u64) as usize;
            if !cuts.contains(&c) {
                cuts.push(c);
            }
        }
        cuts.push(0);
        cuts.push(n);
        cuts.sort_unstable();
        cuts.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn metadata(&self) -> Value {
        json!({
            "display_phone_number": self.display_phone,
            "phone_number_id": self.phone_number_id,
        })
    }

    fn cloud_messages(&mut self, n: usize) -> Value {
        let mut contacts = Vec::with_capacity(n);
        let mut messages = Vec::with_capacity(n);
        for _ in 0..n {
            let phone = self.numbers.number(&mut self.rng);
            let id = self.wamid(&phone);
            let name = self.rng.pick(NAMES).copied().unwrap_or("Ana");
            contacts.push(json!({ "profile": { "name": name }, "wa_id": phone }));
            let ts = self.timestamp();
            let message = match self.rng.below(10) {
                0 => json!({
                    "from": phone, "id": id, "timestamp": ts, "type": "location",
                    "location": {
                        "latitude": self.rng.range(0, 80_000) as f64 / 1000.0,
                        "longitude": self.rng.range(0, 170_000) as f64 / 1000.0,
                    },
                }),
                1 if self.last_wamid.is_some() => json!({
                    "from": phone, "id": id, "timestamp": ts, "type": "reaction",
                    "reaction": { "message_id": self.last_wamid, "emoji": "👍" },
                }),
                2 => json!({
                    "context": { "from": self.display_phone, "id": self.last_wamid.clone().unwrap_or_else(|| id.clone()) },
                    "from": phone, "id": id, "timestamp": ts, "type": "interactive",
                    "interactive": {
                        "type": "button_reply",
                        "button_reply": { "id": format!("btn-{}", self.rng.below(3)), "title": "Yes" },
                    },
                }),
                _ => json!({
                    "from": phone, "id": id, "timestamp": ts, "type": "text",
                    "text": { "body": self.rng.pick(TEXTS).copied().unwrap_or("hi") },
                }),
            };
            self.last_wamid = Some(id);
            messages.push(message);
        }
        json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "contacts": contacts,
            "messages": messages,
        })
    }

    fn cloud_statuses(&mut self, n: usize) -> Value {
        let mut statuses = Vec::with_capacity(n);
        for _ in 0..n {
            let phone = self.numbers.number(&mut self.rng);
            let id = self.wamid(&phone);
            let ts = self.timestamp();
            let status = *self
                .rng
                .pick(&["sent", "delivered", "read"])
                .unwrap_or(&"sent");
            let category = *self
                .rng
                .pick(&["service", "utility", "marketing"])
                .unwrap_or(&"service");
            let mut s = json!({
                "id": id, "status": status, "timestamp": ts, "recipient_id": phone,
            });
            if status != "read" {
                s["conversation"] = json!({
                    "id": self.hex(32, false),
                    "origin": { "type": category },
                });
                s["pricing"] = json!({
                    "billable": category != "service",
                    "pricing_model": "PMP",
                    "category": category,
                });
            }
            statuses.push(s);
        }
        json!({
            "messaging_product": "whatsapp",
            "metadata": self.metadata(),
            "statuses": statuses,
        })
    }

    /// A WASender body of `items` items (clamped to `1..=MAX_BATCH`): a `messages.upsert` or
    /// `messages.update` batch, or for one item also `message.sent` or `messages.received`.
    pub fn wasender(&mut self, items: usize) -> GeneratedBody {
        let items = items.clamp(1, MAX_BATCH);
        let pick = if items == 1 {
            self.rng.below(4)
        } else {
            self.rng.below(2)
        };
        let ts = BASE_TIMESTAMP + self.counter;
        let (event, data) = match pick {
            0 => {
                let messages: Vec<Value> = (0..items).map(|_| self.wasender_message()).collect();
                ("messages.upsert", json!({ "messages": messages }))
            }
            1 => {
                let updates: Vec<Value> = (0..items).map(|_| self.wasender_update()).collect();
                ("messages.update", Value::Array(updates))
            }
            2 => {
                let phone = self.numbers.number(&mut self.rng);
                let id = self.key_id();
                let data = json!({
                    "key": { "remoteJid": jid(&phone), "id": id, "fromMe": true },
                    "status": "sent",
                    "timestamp": ts,
                });
                ("message.sent", data)
            }
            _ => {
                let message = self.wasender_message();
                ("messages.received", json!({ "messages": message }))
            }
        };
        let body = json!({ "event": event, "timestamp": ts, "data": data });
        GeneratedBody {
            provider: Provider::Wasender,
            body: to_bytes(&body),
            items,
        }
    }

    fn wasender_message(&mut self) -> Value {
        let phone = self.numbers.number(&mut self.rng);
        let id = self.key_id();
        let text = self.rng.pick(TEXTS).copied().unwrap_or("hi");
        let name = self.rng.pick(NAMES).copied().unwrap_or("Ana");
        json!({
            "key": {
                "id": id,
                "fromMe": false,
                "remoteJid": jid(&phone),
                "senderPn": jid(&phone),
                "cleanedSenderPn": phone,
                "addressingMode": "pn",
            },
            "pushName": name,
            "messageTimestamp": BASE_TIMESTAMP + self.counter,
            "messageBody": text,
            "message": { "conversation": text },
        })
    }

    fn wasender_update(&mut self) -> Value {
        let phone = self.numbers.number(&mut self.rng);
        let id = self.key_id();
        let status = match self.rng.below(4) {
            0 => json!("delivered"),
            1 => json!("read"),
            2 => json!(3),
            _ => json!(4),
        };
        json!({
            "key": { "remoteJid": jid(&phone), "id": id, "fromMe": true },
            "update": { "status": status },
        })
    }

    fn timestamp(&self) -> String {
        (BASE_TIMESTAMP + self.counter).to_string()
    }

    /// A fresh Cloud API message id for a party: `wamid.` and base64 of the record Meta
    /// encodes (the phone number, then a 20-character hex message key), the key made of this
    /// run's tag and a counter, so no two generated ids are equal.
    fn wamid(&mut self, phone: &str) -> String {
        self.counter += 1;
        let key = format!("{:08X}{:012X}", self.tag, self.counter);
        let mut raw = Vec::with_capacity(phone.len() + key.len() + 10);
        raw.extend_from_slice(&[0x1c, 0x18, phone.len() as u8]);
        raw.extend_from_slice(phone.as_bytes());
        raw.extend_from_slice(&[0x15, 0x02, 0x00, 0x12, 0x18, key.len() as u8]);
        raw.extend_from_slice(key.as_bytes());
        raw.push(0x00);
        format!("wamid.{}", STANDARD.encode(raw))
    }

    /// A fresh WASender message key id: `3EB0`, this run's tag and a counter.
    fn key_id(&mut self) -> String {
        self.counter += 1;
        format!("3EB0{:08X}{:012X}", self.tag, self.counter)
    }

    fn hex(&mut self, n: usize, upper: bool) -> String {
        const LOWER: &[u8; 16] = b"0123456789abcdef";
        const UPPER: &[u8; 16] = b"0123456789ABCDEF";
        let table = if upper { UPPER } else { LOWER };
        (0..n)
            .map(|_| char::from(table[self.rng.below(16) as usize]))
            .collect()
    }
}

fn jid(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

fn to_bytes(v: &Value) -> Bytes {
    // Serializing a `Value` into a Vec cannot fail.
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use residency_core::route::Router;
    use std::collections::{BTreeMap, BTreeSet};

    fn route_all(
        bodies: &[GeneratedBody],
    ) -> Vec<(String, Option<String>, Option<String>, String)> {
        let router = Router::seed();
        let mut out = Vec::new();
        for b in bodies {
            wa_payload::parse(&b.body).expect("the model parses every generated body");
            let d = router.route(b.body.clone()).expect("the router routes it");
            assert_eq!(
                d.items().len(),
                b.items,
                "one routed item per generated item"
            );
            assert_eq!(d.provider(), b.provider);
            for item in d.items() {
                out.push((
                    item.kind().as_str().to_owned(),
                    item.id().map(str::to_owned),
                    item.country().map(|c| c.to_string()),
                    item.region().to_string(),
                ));
            }
        }
        out
    }

    #[test]
    fn a_thousand_item_batch_parses_routes_and_spans_thirty_countries() {
        let mut g = Generator::new(1, GenOptions::default());
        for body in [g.cloud(1000), g.wasender(1000)] {
            let items = route_all(std::slice::from_ref(&body));
            assert_eq!(items.len(), 1000);
            let countries: BTreeSet<_> = items.iter().filter_map(|i| i.2.clone()).collect();
            assert!(countries.len() >= 30, "{} countries", countries.len());
            let regions: BTreeSet<_> = items.iter().map(|i| i.3.clone()).collect();
            assert_eq!(regions.len(), 4, "every seed region: {regions:?}");
            let router = Router::seed();
            let d = router.route(body.body.clone()).unwrap();
            assert!(d.is_split(), "a mixed batch is split per region");
            assert!(body.body.len() < wa_payload::Limits::default().max_body_bytes());
        }
    }

    #[test]
    fn every_generated_item_has_an_id_of_its_own() {
        let mut g = Generator::new(
            5,
            GenOptions {
                batch_max: 60,
                ..GenOptions::default()
            },
        );
        let bodies: Vec<_> = (0..300).map(|_| g.next_body()).collect();
        let items = route_all(&bodies);
        let ids: Vec<&str> = items
            .iter()
            .map(|i| i.1.as_deref().expect("an id"))
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
        let kinds: BTreeMap<&str, usize> = items.iter().fold(BTreeMap::new(), |mut m, i| {
            *m.entry(i.0.as_str()).or_default() += 1;
            m
        });
        for kind in ["message", "status", "event"] {
            assert!(
                kinds.get(kind).copied().unwrap_or(0) > 0,
                "{kind}: {kinds:?}"
            );
        }
        let providers: BTreeSet<_> = bodies.iter().map(|b| b.provider.as_str()).collect();
        assert_eq!(providers.len(), 2);
    }

    #[test]
    fn wamids_encode_the_party_as_metas_do() {
        let mut g = Generator::new(2, GenOptions::default());
        let body = g.cloud(1);
        let d = Router::seed().route(body.body.clone()).unwrap();
        let item = d.items().next().unwrap();
        let id = item.id().unwrap();
        let raw = STANDARD.decode(id.strip_prefix("wamid.").unwrap()).unwrap();
        let v: Value = serde_json::from_slice(&body.body).unwrap();
        let value = &v["entry"][0]["changes"][0]["value"];
        let party = value["messages"][0]["from"]
            .as_str()
            .or(value["statuses"][0]["recipient_id"].as_str())
            .unwrap();
        assert_eq!(&raw[3..3 + party.len()], party.as_bytes());
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let a: Vec<_> = {
            let mut g = Generator::new(77, GenOptions::default());
            (0..20).map(|_| g.next_body()).collect()
        };
        let mut g = Generator::new(77, GenOptions::default());
        let b: Vec<_> = (0..20).map(|_| g.next_body()).collect();
        assert_eq!(a, b);
        let mut other = Generator::new(78, GenOptions::default());
        assert_ne!(a[0], other.next_body());
        for body in &a {
            let shown = format!("{body:?}");
            assert!(
                !shown.contains("whatsapp") && !shown.contains("wamid") && !shown.contains("3EB0"),
                "Debug shows sizes only: {shown}"
            );
        }
    }

    #[test]
    fn batch_sizes_stay_within_bounds_and_reach_both_ends() {
        let mut g = Generator::new(
            3,
            GenOptions {
                batch_min: 1,
                batch_max: 1000,
                wasender_share: 0.5,
            },
        );
        let sizes: Vec<usize> = (0..2000).map(|_| g.batch_size()).collect();
        assert!(sizes.iter().all(|s| (1..=1000).contains(s)));
        assert!(sizes.contains(&1));
        assert!(sizes.iter().any(|s| *s > 500));
        let opts = GenOptions {
            batch_min: 0,
            batch_max: 5000,
            wasender_share: 2.0,
        }
        .normalized();
        assert_eq!(
            (opts.batch_min, opts.batch_max, opts.wasender_share),
            (1, 1000, 1.0)
        );
    }
}
