//! A fake-clock simulation of the whole path: a provider that redelivers (the same bytes, in
//! any order, sometimes twice at once), an edge that splits batches and delivers them with
//! `Delivery`, and regional nodes that verify the edge signature, route again, dedupe with
//! `claim` and store. Endpoints go down, a region goes dark, nodes crash mid-request or lose
//! their answer, and the edge's clock steps back. At the end every item is stored exactly once,
//! in its own region.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Duration;

use bytes::Bytes;
use residency_core::Region;
use residency_core::auth::{EdgeKey, EdgeVerifier, Secret};
use residency_core::route::{Decision, Router};
use residency_delivery::{
    Answer, Attempt, AttemptId, Claimed, DedupeConfig, DedupeWindow, Delivery, DeliveryConfig,
    EventKind, HealthConfig, ItemKey, KeyScheme, Next, Purpose, UnixMillis, Verdict, claim,
};

use crate::common::{Rng, deployment, seed_topology};

const UNIX_EPOCH_OFFSET: u64 = 1_790_000_000;
const POSTS: usize = 240;

/// Senders (and status recipients) in every region of the seed policy, Russia included
/// (routed to US: an uncovered regime, delivered with an event).
const PHONES: [&str; 9] = [
    "4915112345678",
    "33612345678",
    "447911123456",
    "5511987654321",
    "5491123456789",
    "919876543210",
    "12125550123",
    "819012345678",
    "79161234567",
];

/// Whether `endpoint` takes requests at true time `t` (ms).
fn is_up(endpoint: &str, t: u64) -> bool {
    let flapping = (t / 700) % 2 == 1;
    match endpoint {
        // The EU primary goes down, then the secondary too: EU is dark in 18-25 s.
        "eu-1" => !(10_000..25_000).contains(&t),
        "eu-2" => !(18_000..30_000).contains(&t),
        // India has no failover: its bodies wait with the provider for 15 s.
        "in-1" => !(35_000..50_000).contains(&t),
        // A restart of the US node.
        "us-1" => !(55_000..57_000).contains(&t),
        // A flapping LATAM node.
        "br-1" => !((60_000..70_000).contains(&t) && flapping),
        _ => false,
    }
}

/// The edge's clock: it steps back 700 ms for a while.
fn edge_clock(t: u64) -> UnixMillis {
    if (40_000..48_000).contains(&t) {
        UnixMillis::new(t - 700)
    } else {
        UnixMillis::new(t)
    }
}

/// A batch of messages from `senders` and statuses for `recipients`; ids unique to the post.
fn sim_batch(post: usize, senders: &[&str], recipients: &[(&str, &str, &str)]) -> Bytes {
    let messages: Vec<String> = senders
        .iter()
        .enumerate()
        .map(|(n, phone)| {
            format!(
                r#"{{"from":"{phone}","id":"wamid.S{post}m{n}","timestamp":"1763719200","type":"text","text":{{"body":"note {n} from {phone}"}}}}"#
            )
        })
        .collect();
    let statuses: Vec<String> = recipients
        .iter()
        .map(|(phone, id, status)| {
            format!(
                r#"{{"id":"{id}","status":"{status}","timestamp":"1763719300","recipient_id":"{phone}"}}"#
            )
        })
        .collect();
    Bytes::from(format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"messages":[{}],"statuses":[{}]}}}}]}}]}}"#,
        messages.join(","),
        statuses.join(",")
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The provider POSTs the webhook (first time or again).
    Post(usize),
    Wake(usize),
    Answer(usize, AttemptId, Answer),
}

/// A region's database, shared by its nodes: the dedupe store and what is stored.
struct RegionDb {
    dedupe: DedupeWindow,
    /// Item key -> times stored in full.
    stored: BTreeMap<ItemKey, usize>,
    masked_copies: usize,
}

struct Nodes {
    router: Router,
    scheme: KeyScheme,
    verifier: EdgeVerifier,
    edge_key: EdgeKey,
    dbs: BTreeMap<Region, RegionDb>,
    rng: Rng,
    busy: usize,
    crashes: usize,
    lost_answers: usize,
}

impl Nodes {
    fn region_of(endpoint: &str) -> Region {
        match endpoint.split('-').next() {
            Some("eu") => Region::EU,
            Some("br") => Region::LATAM,
            Some("in") => Region::INDIA,
            _ => Region::US,
        }
    }

    /// The node's handling of one request at true time `t`: its reply and latency.
    fn receive(&mut self, a: &Attempt, t: u64) -> (Answer, u64) {
        let endpoint = a.endpoint().as_str();
        if !is_up(endpoint, t) {
            return (Answer::NoResponse, 0);
        }
        let latency = 5 + self.rng.below(60);
        // The request as it travels: body and the two headers. The node trusts the hop
        // count only under the edge signature.
        let unix = residency_delivery::UnixSeconds::new(UNIX_EPOCH_OFFSET + t / 1000);
        let [(_, count), (_, signature)] = a.headers(&self.edge_key, unix);
        let hops = self
            .verifier
            .verify(
                a.body(),
                &signature,
                Some(count.as_bytes()),
                a.purpose().edge_purpose(),
                unix,
            )
            .expect("the edge signature verifies");
        let here = Self::region_of(endpoint);
        match a.purpose() {
            Purpose::MaskedCopy => {
                assert_eq!(hops, 1, "a masked copy is a failover hop");
                let text = String::from_utf8_lossy(a.body());
                for phone in PHONES {
                    assert!(
                        !text.contains(phone),
                        "a masked copy carries a phone number"
                    );
                }
                self.dbs.get_mut(&here).unwrap().masked_copies += 1;
                (Answer::Status(200), latency)
            }
            Purpose::Deliver => {
                // The node routes the body again with the same policy.
                let decision = self.router.route(a.body().clone()).unwrap();
                if decision.items().any(|i| i.region() != &here) {
                    return (Answer::Status(421), latency);
                }
                let keys = self.scheme.keys(a.body()).unwrap();
                let now = UnixMillis::new(t);
                let db = self.dbs.get_mut(&here).unwrap();
                let claimed = claim(&mut db.dedupe, &keys, now).unwrap();
                let Claimed::Ready(c) = claimed else {
                    self.busy += 1;
                    return (Answer::Status(503), latency);
                };
                if self.rng.below(100) < 3 {
                    // The node crashes after reserving: nothing stored, the leases expire.
                    self.crashes += 1;
                    return (Answer::NoResponse, 0);
                }
                // Store the fresh items and commit, in one transaction.
                for (i, _) in c.fresh() {
                    *db.stored.entry(keys[*i]).or_default() += 1;
                }
                c.commit(&mut db.dedupe, now).unwrap();
                if self.rng.below(100) < 3 {
                    // Stored and committed, but the answer is lost on the way back.
                    self.lost_answers += 1;
                    return (Answer::NoResponse, 0);
                }
                (Answer::Status(200), latency)
            }
            _ => panic!("no dead letter in this scenario"),
        }
    }
}

struct Live<'a> {
    delivery: Delivery<'a>,
    post: usize,
    started: u64,
    wake: Option<u64>,
}

#[test]
fn providers_redeliveries_splits_failures_and_clock_steps_store_every_item_once_in_its_region() {
    let config = DeliveryConfig::default().with_health(
        HealthConfig::default()
            .with_down_after(2)
            .with_up_after(1)
            .with_cooldown(Duration::from_millis(800)),
    );
    let deployment = deployment(seed_topology(), config);
    let router = Router::seed();
    let scheme = KeyScheme::new(b"the regions' item-key secret!!!!").unwrap();
    let edge_key = EdgeKey::new("k1", Secret::new(vec![3; 32]).unwrap()).unwrap();
    let mut scenario = Rng(0x51_7cc1_b727_220a);

    // The provider's webhooks, routed once each (the same bytes route the same way).
    let mut bodies: Vec<Bytes> = Vec::new();
    let mut earlier_messages: Vec<(String, &str)> = Vec::new();
    for post in 0..POSTS {
        let senders: Vec<&str> = (0..1 + scenario.below(4))
            .map(|_| PHONES[scenario.below(PHONES.len() as u64) as usize])
            .collect();
        // Statuses of earlier messages ("delivered", later also "read").
        let mut statuses: Vec<(&str, String, &str)> = Vec::new();
        for _ in 0..scenario.below(3) {
            if let Some((id, phone)) = earlier_messages
                .get(scenario.below(earlier_messages.len().max(1) as u64) as usize)
                .cloned()
            {
                let status = if scenario.below(2) == 0 {
                    "delivered"
                } else {
                    "read"
                };
                if !statuses.iter().any(|(_, i, s)| *i == id && *s == status) {
                    statuses.push((phone, id, status));
                }
            }
        }
        let recipients: Vec<(&str, &str, &str)> = statuses
            .iter()
            .map(|(p, i, s)| (*p, i.as_str(), *s))
            .collect();
        bodies.push(sim_batch(post, &senders, &recipients));
        for (n, phone) in senders.iter().enumerate() {
            earlier_messages.push((format!("wamid.S{post}m{n}"), phone));
        }
    }
    let decisions: Vec<Decision> = bodies
        .iter()
        .map(|b| router.route(b.clone()).unwrap())
        .collect();
    assert!(
        decisions.iter().filter(|d| d.is_split()).count() > POSTS / 3,
        "many split batches"
    );

    // Every distinct item, with the region it must end up in.
    let mut expected: BTreeMap<ItemKey, Region> = BTreeMap::new();
    for (body, decision) in bodies.iter().zip(&decisions) {
        for (key, item) in scheme.keys(body).unwrap().into_iter().zip(decision.items()) {
            expected.insert(key, item.region().clone());
        }
    }

    let dbs = [Region::EU, Region::LATAM, Region::INDIA, Region::US]
        .into_iter()
        .map(|r| {
            let dedupe = DedupeWindow::new(
                DedupeConfig::default().with_lease(Duration::from_secs(5)),
                scenario.next(),
            )
            .unwrap();
            (
                r,
                RegionDb {
                    dedupe,
                    stored: BTreeMap::new(),
                    masked_copies: 0,
                },
            )
        })
        .collect();
    let mut nodes = Nodes {
        router,
        scheme,
        verifier: EdgeVerifier::new(vec![edge_key.clone()], Duration::from_secs(300)),
        edge_key,
        dbs,
        rng: Rng(0x1234_5678_9abc_def1),
        busy: 0,
        crashes: 0,
        lost_answers: 0,
    };

    let mut heap: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |heap: &mut BinaryHeap<Reverse<(u64, u64, Event)>>, at: u64, e: Event| {
        seq += 1;
        heap.push(Reverse((at, seq, e)));
    };
    let mut redeliveries = vec![0u32; POSTS];
    let mut acked = vec![false; POSTS];
    let mut spontaneous = 0;
    for post in 0..POSTS {
        let t = 300 * post as u64;
        schedule(&mut heap, t, Event::Post(post));
        if scenario.below(5) == 0 {
            // The provider sends the same update again, possibly while the first is in flight.
            schedule(&mut heap, t + scenario.below(3_000), Event::Post(post));
            spontaneous += 1;
        }
    }

    let mut health = deployment.health_book();
    let mut jitter_state = Rng(0x0dd_ba11);
    let mut jitter = move || jitter_state.next();
    let mut live: BTreeMap<usize, Live<'_>> = BTreeMap::new();
    let mut next_delivery = 0usize;
    let mut events = Vec::new();
    let mut verdicts = BTreeMap::<Verdict, usize>::new();
    let mut late = 0;
    let mut now = 0u64;

    while let Some(Reverse((t, _, event))) = heap.pop() {
        assert!(t >= now, "events run in time order");
        now = t;
        let id = match event {
            Event::Post(post) => {
                if acked[post] && scenario.below(2) == 0 {
                    continue; // the provider stopped retrying this one
                }
                let id = next_delivery;
                next_delivery += 1;
                live.insert(
                    id,
                    Live {
                        delivery: deployment.deliver(&decisions[post], edge_clock(t)),
                        post,
                        started: t,
                        wake: None,
                    },
                );
                id
            }
            Event::Wake(id) => {
                match live.get(&id) {
                    Some(l) if l.wake == Some(t) => {}
                    _ => continue, // a stale wake-up
                }
                id
            }
            Event::Answer(id, attempt, reply) => {
                let Some(l) = live.get_mut(&id) else {
                    continue; // the delivery already gave its verdict
                };
                l.delivery
                    .report(attempt, reply, &mut health, edge_clock(t))
                    .unwrap();
                id
            }
        };
        // Drive the delivery until it waits or finishes.
        loop {
            let reading = edge_clock(t);
            let Some(l) = live.get_mut(&id) else { break };
            match l.delivery.next(&mut health, &mut jitter, reading) {
                Next::Send(a) => {
                    let (reply, latency) = nodes.receive(&a, t);
                    let at = match reply {
                        Answer::NoResponse => {
                            t + a.respond_by().get().saturating_sub(reading.get())
                        }
                        _ => t + latency,
                    };
                    schedule(&mut heap, at, Event::Answer(id, a.id(), reply));
                }
                Next::Wait { until } => {
                    let at = t + until.get().saturating_sub(reading.get()).max(1);
                    l.wake = Some(at);
                    schedule(&mut heap, at, Event::Wake(id));
                    break;
                }
                Next::Done(verdict) => {
                    // In the edge's own clock the verdict is never late; in true time, by the
                    // clock's step at most.
                    if t > l.started + 3_000 {
                        late += 1;
                        assert!(t <= l.started + 3_700, "a delivery wedged");
                    }
                    *verdicts.entry(verdict).or_default() += 1;
                    events.extend(l.delivery.take_events());
                    let post = l.post;
                    live.remove(&id);
                    if verdict == Verdict::Ack {
                        acked[post] = true;
                    } else if !acked[post] {
                        // 503: the provider keeps the body and delivers it again later.
                        redeliveries[post] += 1;
                        let backoff = (1_000u64 << redeliveries[post].min(5)).min(30_000);
                        schedule(
                            &mut heap,
                            t + backoff + scenario.below(1_000),
                            Event::Post(post),
                        );
                    }
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    assert!(live.is_empty(), "every delivery gave a verdict");
    assert!(
        acked.iter().all(|a| *a),
        "every webhook was acknowledged in the end"
    );

    // Every item stored exactly once, in its own region, and nowhere else in full.
    let mut misplaced = Vec::new();
    for (key, home) in &expected {
        for (region, db) in &nodes.dbs {
            let times = db.stored.get(key).copied().unwrap_or(0);
            let want = usize::from(region == home);
            if times != want {
                misplaced.push((*key, home.clone(), region.clone(), times));
            }
        }
    }
    assert!(misplaced.is_empty(), "{misplaced:?}");
    let stored: usize = nodes.dbs.values().map(|db| db.stored.len()).sum();
    assert_eq!(stored, expected.len());

    // The scenario did what it says.
    let redelivered = redeliveries.iter().filter(|n| **n > 0).count();
    assert!(redelivered > 0, "the provider redelivered");
    assert!(
        spontaneous > 0 && nodes.busy > 0,
        "a redelivery met a reservation in flight"
    );
    assert!(nodes.crashes > 0 && nodes.lost_answers > 0);
    assert!(
        nodes.dbs[&Region::US].masked_copies > 0,
        "EU went dark: masked copies in US"
    );
    let kinds: BTreeSet<EventKind> = events.iter().map(|e| e.event).collect();
    for k in [
        EventKind::FailoverTriggered,
        EventKind::MaskedCopyAccepted,
        EventKind::Pending,
        EventKind::UncoveredRegime,
        EventKind::Recovered,
    ] {
        assert!(kinds.contains(&k), "no {k:?} event");
    }
    for e in &events {
        let json = e.to_json();
        assert!(
            !json.contains("wamid") && !PHONES.iter().any(|p| json.contains(p)),
            "{json}"
        );
    }
    eprintln!(
        "simulation: {POSTS} webhooks, {} items, {next_delivery} deliveries ({verdicts:?}), {redelivered} redelivered, {spontaneous} sent twice, {} busy, {} crashes, {} lost answers, {} masked copies, {late} verdicts after the clock step",
        expected.len(),
        nodes.busy,
        nodes.crashes,
        nodes.lost_answers,
        nodes.dbs[&Region::US].masked_copies
    );
}
