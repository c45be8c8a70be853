//! Splitting a mixed batch into one body per region, by splicing the original bytes.
//!
//! A second pass of the routing scan records the byte span of every element of the arrays a
//! split thins out (entries, changes, the five item arrays, contacts, WASender's record
//! arrays). Each region's body is then the original body with the other regions' elements
//! cut out, commas included: what it keeps is **byte for byte** what was received (no
//! re-serialization, so escapes and number formats are untouched), metadata and every other
//! field included. Contacts stay with the items whose party they describe, matched by
//! `wa_id` or `user_id`, never by index; changes and entries left without items are cut.

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;

use super::scan::{Container, Elem, Loc, Scan, Slot};
use super::{RegionBody, RouteError, RoutedItem};
use crate::region::Region;

const ITEM_SLOTS: [Slot; 5] = [
    Slot::Messages,
    Slot::Statuses,
    Slot::Calls,
    Slot::Echoes,
    Slot::UserPreferences,
];

/// One body per region, in the order of `regions`.
///
/// `scan` must be a scan of `text` made with its layout recorded, and `items` the routed
/// items of that scan (same order).
pub(super) fn split(
    text: &str,
    scan: &Scan,
    items: &[RoutedItem],
    regions: &[Region],
) -> Result<Vec<RegionBody>, RouteError> {
    if scan.items.len() != items.len() {
        return Err(RouteError::Split("the layout scan found other items"));
    }
    // Each array's elements, in index order.
    let mut arrays: BTreeMap<Container, Vec<&Elem>> = BTreeMap::new();
    for elem in &scan.layout {
        arrays.entry(elem.container).or_default().push(elem);
    }
    for elems in arrays.values_mut() {
        elems.sort_by_key(|e| e.index);
    }
    let region_at: HashMap<Loc, usize> = items.iter().map(|i| (i.loc, i.region)).collect();

    let mut bodies = Vec::with_capacity(regions.len());
    for (r, region) in regions.iter().enumerate() {
        let mut cuts = Vec::new();
        if scan.provider == Some(wa_payload::Provider::Wasender) {
            for (container, elems) in &arrays {
                if let Container::Wa(slot) = *container {
                    prune(elems, &mut cuts, |el| {
                        region_at.get(&wa_loc(slot, el.index)) == Some(&r)
                    });
                }
            }
        } else {
            cloud_cuts(text, scan, items, &arrays, &region_at, r, &mut cuts);
        }
        cuts.sort_unstable();
        let body = splice(text.as_bytes(), &cuts);
        bodies.push(RegionBody {
            region: region.clone(),
            body: Bytes::from(body),
            items: items.iter().filter(|i| i.region == r).count(),
            unchanged: false,
        });
    }
    Ok(bodies)
}

fn wa_loc(slot: Slot, index: u32) -> Loc {
    Loc {
        entry: 0,
        change: 0,
        slot,
        index,
    }
}

/// The cuts that leave region `r`'s part of a Cloud API body.
fn cloud_cuts(
    text: &str,
    scan: &Scan,
    items: &[RoutedItem],
    arrays: &BTreeMap<Container, Vec<&Elem>>,
    region_at: &HashMap<Loc, usize>,
    r: usize,
    cuts: &mut Vec<(u32, u32)>,
) {
    // The changes holding an item of region `r`, and the ids of those items' parties.
    let mut changes: HashSet<(u32, u32)> = HashSet::new();
    let mut ids: HashMap<(u32, u32), HashSet<&str>> = HashMap::new();
    for (item, raw) in items.iter().zip(&scan.items) {
        if item.region != r {
            continue;
        }
        let at = (item.loc.entry, item.loc.change);
        changes.insert(at);
        let party = ids.entry(at).or_default();
        for t in [raw.phone, raw.user_id].into_iter().flatten() {
            party.insert(scan.text(text, t));
        }
    }
    let entries: HashSet<u32> = changes.iter().map(|&(e, _)| e).collect();
    let none = Vec::new();

    prune(
        arrays.get(&Container::Entries).unwrap_or(&none),
        cuts,
        |el| entries.contains(&el.index),
    );
    for &e in &entries {
        prune(
            arrays.get(&Container::Changes(e)).unwrap_or(&none),
            cuts,
            |el| changes.contains(&(e, el.index)),
        );
    }
    for &(e, c) in &changes {
        for slot in ITEM_SLOTS {
            if let Some(elems) = arrays.get(&Container::Items(e, c, slot)) {
                prune(elems, cuts, |el| {
                    let loc = Loc {
                        entry: e,
                        change: c,
                        slot,
                        index: el.index,
                    };
                    region_at.get(&loc) == Some(&r)
                });
            }
        }
        if let Some(contacts) = arrays.get(&Container::Contacts(e, c)) {
            let mine = ids.get(&(e, c));
            prune(contacts, cuts, |el| {
                el.ids
                    .iter()
                    .flatten()
                    .any(|&t| mine.is_some_and(|m| m.contains(scan.text(text, t))))
            });
        }
    }
}

/// Adds the cuts that remove the elements `keep` rejects from one array, each with one
/// adjacent comma, so the rest stays valid JSON. An array left empty becomes `[]`.
fn prune(elems: &[&Elem], cuts: &mut Vec<(u32, u32)>, keep: impl Fn(&Elem) -> bool) {
    let kept: Vec<bool> = elems.iter().map(|e| keep(e)).collect();
    let (Some(first), Some(last)) = (elems.first(), elems.last()) else {
        return;
    };
    if !kept.contains(&true) {
        cuts.push((first.start, last.end));
        return;
    }
    let mut prev_kept_end: Option<u32> = None;
    let mut i = 0;
    while let Some(elem) = elems.get(i) {
        if kept.get(i) == Some(&true) {
            prev_kept_end = Some(elem.end);
            i += 1;
            continue;
        }
        let run_start = elem.start;
        while kept.get(i) == Some(&false) {
            i += 1;
        }
        let run_end = elems.get(i - 1).map_or(run_start, |e| e.end);
        match (prev_kept_end, elems.get(i)) {
            // `, dropped, dropped` after a kept element: cut from its end.
            (Some(prev_end), _) => cuts.push((prev_end, run_end)),
            // `dropped, dropped, ` before the first kept element: cut up to it.
            (None, Some(next_kept)) => cuts.push((run_start, next_kept.start)),
            (None, None) => cuts.push((run_start, run_end)),
        }
    }
}

/// `bytes` without the sorted, disjoint `cuts`.
fn splice(bytes: &[u8], cuts: &[(u32, u32)]) -> Vec<u8> {
    let removed: usize = cuts.iter().map(|&(a, b)| (b - a) as usize).sum();
    let mut out = Vec::with_capacity(bytes.len().saturating_sub(removed));
    let mut at = 0usize;
    for &(a, b) in cuts {
        let (a, b) = (a as usize, b as usize);
        if a >= at {
            out.extend_from_slice(bytes.get(at..a).unwrap_or_default());
            at = b;
        }
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elems(spans: &[(u32, u32)]) -> Vec<Elem> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| Elem {
                container: Container::Entries,
                index: u32::try_from(i).unwrap(),
                start,
                end,
                ids: [None, None],
            })
            .collect()
    }

    fn cut(src: &str, spans: &[(u32, u32)], keep: &[u32]) -> String {
        let owned = elems(spans);
        let refs: Vec<&Elem> = owned.iter().collect();
        let mut cuts = Vec::new();
        prune(&refs, &mut cuts, |el| keep.contains(&el.index));
        cuts.sort_unstable();
        String::from_utf8(splice(src.as_bytes(), &cuts)).unwrap()
    }

    #[test]
    fn pruning_keeps_valid_json_for_every_pattern() {
        let src = "[1, 22 ,333]";
        let spans = [(1, 2), (4, 6), (8, 11)];
        let cases: &[(&[u32], &str)] = &[
            (&[0, 1, 2], "[1, 22 ,333]"),
            (&[0], "[1]"),
            (&[1], "[22]"),
            (&[2], "[333]"),
            (&[0, 2], "[1 ,333]"),
            (&[1, 2], "[22 ,333]"),
            (&[0, 1], "[1, 22]"),
            (&[], "[]"),
        ];
        for (keep, want) in cases {
            let got = cut(src, &spans, keep);
            assert_eq!(got, *want, "{keep:?}");
            let v: serde_json::Value = serde_json::from_str(&got).unwrap();
            assert_eq!(v.as_array().unwrap().len(), keep.len());
        }
    }
}
