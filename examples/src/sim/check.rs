//! Checks the regional stores against the simulator's record: where every item ended up.
//!
//! Input: the record ([`PostRecord`] lines) and, per region, the items one of its nodes lists
//! at `GET /admin/items` (JSON lines `{"id","kind","status","country","region","masked"}`;
//! nodes of one region share its database, so one node's list is the region's). The checks,
//! each a [`Violation`] kind:
//!
//! - every countable item of an acknowledged POST is stored **exactly once, unmasked, in its
//!   own region** (`missing`, `duplicated`);
//! - no region holds another region's item unmasked (`unmasked_elsewhere`), by the id's home
//!   or by the row's own `region` field;
//! - a masked copy never carries a raw id of the record (`raw_id_in_masked_copy`: ids are
//!   personal data, DESIGN.md invariant 10; WASender's random message ids aside, which
//!   pii-mask's strip mode keeps), and every masked copy has its full copy at home
//!   (`masked_without_home`): exactly, through the pseudonym keys when the caller has them,
//!   otherwise by counting (no more masked copies of a home region's items of one kind and
//!   country than full copies at home);
//! - every POST ends with the status a correct edge gives (`unexpected_status`), and none
//!   is left unacknowledged (`unacknowledged`).
//!
//! An item is countable when its id occurs once in the record (duplicate deliveries of the
//! same bytes aside): the corpus reuses placeholder ids (`wamid.ID`) across files, and those
//! cannot be counted. Violations name the check, the region and a short digest of the id,
//! never the id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use pii_mask::PseudonymKey;
use serde::Deserialize;

use crate::sim::SimError;
use crate::sim::record::PostRecord;

/// One line of a node's `GET /admin/items`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredItem {
    /// The stored id (a pseudonym for a masked copy), `null` when the item has none.
    pub id: Option<String>,
    /// The item's kind.
    pub kind: String,
    /// The status of a status item.
    #[serde(default)]
    pub status: Option<String>,
    /// The party's country.
    #[serde(default)]
    pub country: Option<String>,
    /// The item's own region (its home).
    pub region: String,
    /// Whether this is a masked copy of another region's item.
    pub masked: bool,
}

/// Parses a `GET /admin/items` answer: one JSON object per non-empty line.
///
/// # Errors
/// [`SimError::Record`] naming the first line that is not an item.
pub fn parse_admin_items(text: &str) -> Result<Vec<StoredItem>, SimError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|_| SimError::Record { line: n + 1 }))
        .collect()
}

/// What a check found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Check {
    /// A countable item of an acknowledged POST is not stored unmasked at home.
    Missing,
    /// It is stored unmasked at home more than once.
    Duplicated,
    /// A region holds another region's item unmasked.
    UnmaskedElsewhere,
    /// A masked copy carries an id of the record in the clear.
    RawIdInMaskedCopy,
    /// A masked copy has no full copy at home.
    MaskedWithoutHome,
    /// A POST ended with another status than a correct edge gives.
    UnexpectedStatus,
    /// A POST that a correct edge acknowledges was never acknowledged.
    Unacknowledged,
}

impl Check {
    /// The check's name: `missing`, `duplicated`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Duplicated => "duplicated",
            Self::UnmaskedElsewhere => "unmasked_elsewhere",
            Self::RawIdInMaskedCopy => "raw_id_in_masked_copy",
            Self::MaskedWithoutHome => "masked_without_home",
            Self::UnexpectedStatus => "unexpected_status",
            Self::Unacknowledged => "unacknowledged",
        }
    }
}

/// One finding: the check, the region concerned, and a short digest of the id (never the
/// id itself) or the POST's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which check.
    pub check: Check,
    /// The region whose store (or the POST's first region) is concerned.
    pub region: String,
    /// The first 12 hex digits of the id's SHA-256, or `post <seq>`.
    pub subject: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in {}: {}",
            self.check.as_str(),
            self.region,
            self.subject
        )
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Countable items of acknowledged POSTs (each looked for at home).
    pub countable: usize,
    /// Items left out of the exactly-once check (ids repeated across the record, or none).
    pub uncountable: usize,
    /// Unmasked rows and masked copies seen over all regions.
    pub stored_unmasked: usize,
    /// Masked copies seen over all regions.
    pub stored_masked: usize,
    /// Every violation, in check order.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Violations per check, for a one-line summary.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for v in &self.violations {
            *m.entry(v.check.as_str()).or_default() += 1;
        }
        m
    }

    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

fn digest(id: &str) -> String {
    archive_hash::Sha256::digest(id.as_bytes())
        .to_hex()
        .chars()
        .take(12)
        .collect()
}

/// Where the record says an id belongs.
#[derive(Debug, Default)]
struct Home {
    regions: BTreeSet<String>,
    /// Distinct (body, position) occurrences: 1 makes the id countable.
    occurrences: BTreeSet<(String, usize)>,
    acknowledged: bool,
}

/// Checks `stores` (region -> the items its nodes list) against `record`. `keys` are the
/// pseudonym keys masked copies may have been made with (empty when unknown: masked copies
/// are then checked by counting).
pub fn check(
    record: &[PostRecord],
    stores: &BTreeMap<String, Vec<StoredItem>>,
    keys: &[PseudonymKey],
) -> Report {
    let mut report = Report::default();
    let mut push = |check, region: &str, subject: String| {
        report.violations.push(Violation {
            check,
            region: region.to_owned(),
            subject,
        });
    };

    // Where each id belongs, and whether it can be counted.
    let mut homes: HashMap<&str, Home> = HashMap::new();
    let mut acked_bodies: BTreeSet<&str> = BTreeSet::new();
    for post in record {
        if post.acknowledged() {
            acked_bodies.insert(&post.sha256);
        }
    }
    for post in record {
        for (position, item) in post.items.iter().enumerate() {
            if let Some(id) = item.id.as_deref() {
                let home = homes.entry(id).or_default();
                home.regions.insert(item.region.clone());
                home.occurrences.insert((post.sha256.clone(), position));
                home.acknowledged |= acked_bodies.contains(post.sha256.as_str());
            }
        }
    }

    // POST outcomes. A body delivered twice is judged by its best answer.
    let mut by_body: BTreeMap<&str, Vec<&PostRecord>> = BTreeMap::new();
    for post in record {
        by_body.entry(&post.sha256).or_default().push(post);
    }
    for posts in by_body.values() {
        let first = posts[0];
        let region = first.bodies.first().map_or("-", |b| b.region.as_str());
        let subject = format!("post {}", first.seq);
        if first.expected_status == 200 && !posts.iter().any(|p| p.acknowledged()) {
            push(Check::Unacknowledged, region, subject);
        } else if !posts.iter().any(|p| p.as_expected()) {
            push(Check::UnexpectedStatus, region, subject);
        }
    }

    // WASender message ids are random (they hold no number) and pii-mask's strip mode keeps
    // them on purpose (DESIGN.md invariant 10 names Cloud API ids, BSUIDs and LIDs): a masked
    // copy may carry one, and is then matched to its full copy by it.
    let wasender_ids: BTreeSet<&str> = record
        .iter()
        .filter(|p| p.provider == "wasender")
        .flat_map(|p| p.items.iter().filter_map(|i| i.id.as_deref()))
        .collect();

    // Pseudonym -> raw id, when the keys are known.
    let mut unmask: HashMap<String, &str> = HashMap::new();
    for key in keys {
        for id in homes.keys() {
            unmask.insert(key.pseudonymize_message_id(id).into_string(), id);
        }
    }

    // What each region holds, unmasked, by id; masked copies by raw id or by group.
    let mut at_home: HashMap<(&str, &str), usize> = HashMap::new();
    let mut home_groups: HashMap<(&str, &str, Option<&str>), usize> = HashMap::new();
    let mut masked_groups: HashMap<(&str, &str, Option<&str>), usize> = HashMap::new();
    let mut masked_known: Vec<(&str, &str)> = Vec::new();
    for (region, items) in stores {
        for row in items {
            if row.masked {
                report.stored_masked += 1;
                if let Some(id) = row.id.as_deref() {
                    if wasender_ids.contains(id) {
                        masked_known.push((region, id));
                        continue;
                    }
                    if homes.contains_key(id) {
                        push(Check::RawIdInMaskedCopy, region, digest(id));
                        continue;
                    }
                    if let Some(raw) = unmask.get(id) {
                        masked_known.push((region, raw));
                        continue;
                    }
                }
                *masked_groups
                    .entry((&row.region, &row.kind, row.country.as_deref()))
                    .or_default() += 1;
                continue;
            }
            report.stored_unmasked += 1;
            if row.region != *region {
                let subject = row.id.as_deref().map_or_else(|| row.kind.clone(), digest);
                push(Check::UnmaskedElsewhere, region, subject);
                continue;
            }
            *home_groups
                .entry((&row.region, &row.kind, row.country.as_deref()))
                .or_default() += 1;
            if let Some(id) = row.id.as_deref() {
                if let Some(home) = homes.get(id)
                    && !home.regions.contains(region)
                {
                    push(Check::UnmaskedElsewhere, region, digest(id));
                    continue;
                }
                *at_home.entry((region, id)).or_default() += 1;
            }
        }
    }

    // Exactly once at home.
    let mut ids: Vec<(&&str, &Home)> = homes.iter().collect();
    ids.sort_by(|a, b| a.0.cmp(b.0));
    for (id, home) in ids {
        if home.occurrences.len() != 1 || home.regions.len() != 1 {
            report.uncountable += 1;
            continue;
        }
        if !home.acknowledged {
            continue;
        }
        report.countable += 1;
        let region = home.regions.first().map_or("", String::as_str);
        match at_home.get(&(region, id)).copied().unwrap_or(0) {
            1 => {}
            0 => push(Check::Missing, region, digest(id)),
            _ => push(Check::Duplicated, region, digest(id)),
        }
    }
    for post in record {
        report.uncountable += post.items.iter().filter(|i| i.id.is_none()).count();
    }

    // Masked copies have their full copy at home.
    for (region, raw) in masked_known {
        let home = homes.get(raw).and_then(|h| h.regions.first());
        let held = home.is_some_and(|h| at_home.get(&(h.as_str(), raw)).copied().unwrap_or(0) > 0);
        if !held {
            push(Check::MaskedWithoutHome, region, digest(raw));
        }
    }
    let mut groups: Vec<_> = masked_groups.into_iter().collect();
    groups.sort();
    for ((home, kind, country), n) in groups {
        if n > home_groups
            .get(&(home, kind, country))
            .copied()
            .unwrap_or(0)
        {
            push(
                Check::MaskedWithoutHome,
                home,
                format!("{n} masked {kind} items of {}", country.unwrap_or("-")),
            );
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::record::{ItemRecord, RegionCount};

    fn post(seq: u64, sha: &str, status: Option<u16>, items: &[(&str, &str)]) -> PostRecord {
        PostRecord {
            seq,
            provider: "cloud_api".into(),
            source: "generated".into(),
            sha256: sha.into(),
            bytes: 10,
            duplicate_of: None,
            attempts: 1,
            status,
            expected_status: 200,
            route_error: None,
            bodies: vec![RegionCount {
                region: items[0].1.into(),
                items: items.len(),
                unchanged: true,
            }],
            items: items
                .iter()
                .map(|(id, region)| ItemRecord {
                    id: Some((*id).into()),
                    kind: "message".into(),
                    country: Some("DE".into()),
                    region: (*region).into(),
                })
                .collect(),
        }
    }

    fn row(id: &str, region: &str, masked: bool) -> StoredItem {
        StoredItem {
            id: Some(id.into()),
            kind: "message".into(),
            status: None,
            country: Some("DE".into()),
            region: region.into(),
            masked,
        }
    }

    fn stores(rows: &[(&str, StoredItem)]) -> BTreeMap<String, Vec<StoredItem>> {
        let mut m: BTreeMap<String, Vec<StoredItem>> = BTreeMap::new();
        for (region, r) in rows {
            m.entry((*region).into()).or_default().push(r.clone());
        }
        m
    }

    /// WASender message ids are random and survive pii-mask's strip mode: a masked copy
    /// carrying one is no leak, and its full copy at home is found by it. A Cloud API id in
    /// the clear still is one.
    #[test]
    fn wasender_message_ids_may_stay_in_masked_copies() {
        let mut wa = post(0, "a", Some(200), &[("3EB0F61A5790000000000677", "LATAM")]);
        wa.provider = "wasender".into();
        let record = vec![wa, post(1, "b", Some(200), &[("wamid.C", "LATAM")])];
        let clean = stores(&[
            ("LATAM", row("3EB0F61A5790000000000677", "LATAM", false)),
            ("US", row("3EB0F61A5790000000000677", "LATAM", true)),
            ("LATAM", row("wamid.C", "LATAM", false)),
        ]);
        let r = check(&record, &clean, &[]);
        assert!(r.is_clean(), "{:?}", r.violations);
        let leak = stores(&[
            ("LATAM", row("3EB0F61A5790000000000677", "LATAM", false)),
            ("LATAM", row("wamid.C", "LATAM", false)),
            ("US", row("wamid.C", "LATAM", true)),
        ]);
        let r = check(&record, &leak, &[]);
        assert_eq!(r.counts().get("raw_id_in_masked_copy"), Some(&1));
        let homeless = stores(&[
            ("LATAM", row("wamid.C", "LATAM", false)),
            ("US", row("3EB0F61A5790000000000677", "LATAM", true)),
        ]);
        let r = check(&record, &homeless, &[]);
        assert_eq!(
            r.counts().get("masked_without_home"),
            Some(&1),
            "{:?}",
            r.counts()
        );
    }

    #[test]
    fn a_clean_run_is_clean() {
        let mut dup = post(1, "b", Some(200), &[("wamid.B", "US")]);
        dup.duplicate_of = Some(0);
        let record = vec![
            post(0, "b", Some(503), &[("wamid.B", "US")]),
            dup,
            post(2, "a", Some(200), &[("wamid.A", "EU")]),
        ];
        let s = stores(&[
            ("EU", row("wamid.A", "EU", false)),
            ("US", row("wamid.B", "US", false)),
        ]);
        let r = check(&record, &s, &[]);
        assert!(r.is_clean(), "{:?}", r.violations);
        assert_eq!((r.countable, r.uncountable, r.stored_unmasked), (2, 0, 2));
    }

    #[test]
    fn each_check_finds_its_fault_and_names_no_id() {
        let record = vec![
            post(
                0,
                "a",
                Some(200),
                &[
                    ("wamid.LOST", "EU"),
                    ("wamid.TWICE", "EU"),
                    ("wamid.LEAK", "EU"),
                ],
            ),
            post(1, "b", None, &[("wamid.NEVER", "US")]),
            post(2, "c", Some(200), &[("wamid.X", "US"), ("wamid.X", "US")]),
        ];
        let s = stores(&[
            ("EU", row("wamid.TWICE", "EU", false)),
            ("EU", row("wamid.TWICE", "EU", false)),
            ("EU", row("wamid.LEAK", "EU", false)),
            ("US", row("wamid.LEAK", "US", false)),
            ("US", row("wamid.OTHER", "EU", false)),
            ("US", row("wamid.TWICE", "EU", true)),
            ("LATAM", row("wamid.Zpseudo", "EU", true)),
        ]);
        let r = check(&record, &s, &[]);
        let counts = r.counts();
        assert_eq!(counts.get("missing"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("duplicated"), Some(&1));
        assert_eq!(
            counts.get("unmasked_elsewhere"),
            Some(&2),
            "by home and by row region"
        );
        assert_eq!(counts.get("raw_id_in_masked_copy"), Some(&1));
        assert_eq!(counts.get("unacknowledged"), Some(&1));
        assert_eq!(
            counts.get("masked_without_home"),
            None,
            "one masked copy, full copies at home"
        );
        assert_eq!(r.uncountable, 1, "wamid.X occurs twice");
        let text: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
        assert!(text.iter().all(|t| !t.contains("wamid")), "{text:?}");
    }

    #[test]
    fn masked_copies_are_matched_through_the_pseudonym_key_or_counted() {
        let key = PseudonymKey::new("fk1", &[7u8; 32]).unwrap();
        let record = vec![post(
            0,
            "a",
            Some(200),
            &[("wamid.A", "EU"), ("wamid.B", "EU")],
        )];
        let pa = key.pseudonymize_message_id("wamid.A").into_string();
        let pb = key.pseudonymize_message_id("wamid.B").into_string();
        // A's full copy is at home; B's is not.
        let s = stores(&[
            ("EU", row("wamid.A", "EU", false)),
            ("US", row(&pa, "EU", true)),
            ("US", row(&pb, "EU", true)),
        ]);
        let r = check(&record, &s, std::slice::from_ref(&key));
        assert_eq!(r.counts().get("masked_without_home"), Some(&1));
        assert_eq!(r.counts().get("missing"), Some(&1));
        // Without the key: two masked DE messages of EU, one full copy at home.
        let r = check(&record, &s, &[]);
        assert_eq!(r.counts().get("masked_without_home"), Some(&1));
        assert_eq!(r.stored_masked, 2);
    }

    #[test]
    fn a_refused_body_must_stay_refused() {
        let mut p = post(0, "a", Some(200), &[("wamid.A", "EU")]);
        p.expected_status = 400;
        p.items.clear();
        let r = check(&[p], &BTreeMap::new(), &[]);
        assert_eq!(r.counts().get("unexpected_status"), Some(&1));
    }

    #[test]
    fn admin_items_lines_parse_and_a_bad_line_is_named() {
        let text = "{\"id\":\"wamid.A\",\"kind\":\"status\",\"status\":\"read\",\"country\":\"DE\",\"region\":\"EU\",\"masked\":false}\n\n{\"id\":null,\"kind\":\"account\",\"status\":null,\"country\":null,\"region\":\"US\",\"masked\":false}\n";
        let items = parse_admin_items(text).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].status.as_deref(), Some("read"));
        assert!(matches!(
            parse_admin_items("{}\n"),
            Err(SimError::Record { line: 1 })
        ));
    }
}
