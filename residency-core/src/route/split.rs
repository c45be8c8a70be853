//! Splitting a mixed batch into one body per region, by splicing the original bytes.
//!
//! A second routing scan records the byte span of every element of the arrays a split thins
//! out (entries, changes, every item array, contacts, history chunks and threads, WASender's
//! record, key and participant arrays). Each region's body is then the original body with
//! the other regions' elements cut out, commas included: what it keeps is **byte for byte**
//! what was received (no re-serialization, so escapes and number formats are untouched),
//! metadata and every other field included. A contact stays with the item whose party it
//! describes (matched by the scan by `wa_id` or `user_id`, never by index); changes, entries,
//! chunks and threads left without items are cut.
//!
//! An element that is itself an item and also holds items of other regions (a WASender
//! group whose `owner` lives in one region and some participants in another) cannot be
//! split without copying one person's data into another region's body: that body is
//! refused ([`RouteError::Inseparable`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use wa_payload::Slot;
use wa_payload::scan::{Container, ElementSpan, Position};

use super::{RegionBody, RouteError, RoutedItem};
use crate::region::Region;

/// An element with the region of the item that decides whether it is kept ([`owner_pos`]).
type Owned<'a> = (&'a ElementSpan, Option<usize>);

/// One body per region, in the order of `regions`.
///
/// `elements` must come from a layout scan of `body`, and `items` be the routed items of a
/// scan of the same body (same order).
pub(super) fn split(
    body: &Bytes,
    elements: &[ElementSpan],
    items: &[RoutedItem],
    regions: &[Region],
) -> Result<Vec<RegionBody>, RouteError> {
    check_separable(items)?;
    // The region of each element that is an item or rides with one, looked up once for
    // all regions. Ordered maps: no hashing per lookup, and no hash to flood.
    let region_at: BTreeMap<Position, usize> = items.iter().map(|i| (i.pos, i.region)).collect();
    // Each array's elements with their owner's region, in index order.
    let mut arrays: BTreeMap<Container, Vec<Owned<'_>>> = BTreeMap::new();
    for el in elements {
        let owner = owner_pos(el).and_then(|p| region_at.get(&p).copied());
        arrays.entry(el.container).or_default().push((el, owner));
    }
    for elements in arrays.values_mut() {
        elements.sort_by_key(|(e, _)| e.index);
    }

    let mut bodies = Vec::with_capacity(regions.len());
    for (r, region) in regions.iter().enumerate() {
        let keep = Keep::new(items, r);
        let mut cuts = Vec::new();
        for (container, elements) in &arrays {
            prune(elements, &mut cuts, |el, owner| {
                keep.element(*container, el, owner == Some(r))
            });
        }
        cuts.sort_unstable();
        bodies.push(RegionBody {
            region: region.clone(),
            body: Bytes::from(splice(body, &cuts)),
            items: items.iter().filter(|i| i.region == r).count(),
            unchanged: false,
        });
    }
    Ok(bodies)
}

/// The position of the item that decides whether `el` is kept: the element itself when it
/// is an item, the item a contact rides with; `None` for the containers kept by what they
/// hold ([`Keep`]).
fn owner_pos(el: &ElementSpan) -> Option<Position> {
    let wa = |slot| Position {
        entry: 0,
        change: 0,
        slot,
        index: el.index,
    };
    match el.container {
        Container::Items {
            entry,
            change,
            slot,
        } => Some(Position {
            entry,
            change,
            slot,
            index: el.index,
        }),
        Container::Contacts { .. } => el.rides_with,
        Container::Messages { parent } => Some(wa(Slot::WaMessages { parent })),
        Container::Keys { parent } => Some(wa(Slot::WaKeys { parent })),
        Container::Participants { parent } => Some(wa(Slot::WaParticipants { parent })),
        _ => None,
    }
}

/// The containers holding an item of one region: which entries, changes, history chunks and
/// threads, and WASender `data` elements to keep.
struct Keep {
    entries: BTreeSet<u32>,
    changes: BTreeSet<(u32, u32)>,
    chunks: BTreeSet<(u32, u32, u32)>,
    threads: BTreeSet<(u32, u32, u32, u32)>,
    data: BTreeSet<u32>,
}

impl Keep {
    fn new(items: &[RoutedItem], r: usize) -> Self {
        let mut keep = Self {
            entries: BTreeSet::new(),
            changes: BTreeSet::new(),
            chunks: BTreeSet::new(),
            threads: BTreeSet::new(),
            data: BTreeSet::new(),
        };
        for item in items.iter().filter(|i| i.region == r) {
            let Position {
                entry,
                change,
                slot,
                index,
            } = item.pos;
            keep.entries.insert(entry);
            keep.changes.insert((entry, change));
            match slot {
                Slot::History { chunk, thread } => {
                    keep.chunks.insert((entry, change, chunk));
                    keep.threads.insert((entry, change, chunk, thread));
                }
                Slot::Thread { chunk } => {
                    keep.chunks.insert((entry, change, chunk));
                    keep.threads.insert((entry, change, chunk, index));
                }
                _ => {}
            }
            if let Some(i) = data_index(item.pos) {
                keep.data.insert(i);
            }
        }
        keep
    }

    /// Whether this region's body keeps `el` of `container`; `owned` tells whether the item
    /// that decides it ([`owner_pos`]) is this region's.
    fn element(&self, container: Container, el: &ElementSpan, owned: bool) -> bool {
        match container {
            Container::Entries => self.entries.contains(&el.index),
            Container::Changes { entry } => self.changes.contains(&(entry, el.index)),
            Container::Items { .. }
            | Container::Contacts { .. }
            | Container::Messages { .. }
            | Container::Keys { .. }
            | Container::Participants { .. } => owned,
            Container::History { entry, change } => {
                self.chunks.contains(&(entry, change, el.index))
            }
            Container::Threads {
                entry,
                change,
                chunk,
            } => self.threads.contains(&(entry, change, chunk, el.index)),
            Container::Data => self.data.contains(&el.index),
            // A container this version does not know is kept whole: never cut blind.
            _ => true,
        }
    }
}

/// The index in WASender `data` (an array) an item belongs to.
fn data_index(pos: Position) -> Option<u32> {
    match pos.slot {
        Slot::WaData => Some(pos.index),
        Slot::WaMessages { parent } | Slot::WaKeys { parent } | Slot::WaParticipants { parent } => {
            parent
        }
        _ => None,
    }
}

/// Refuses a body where an item that is a whole WASender element (or `data` itself) shares
/// that element with items of another region.
fn check_separable(items: &[RoutedItem]) -> Result<(), RouteError> {
    // For each element (a `data` index, or `None` for `data` itself): the region of the item
    // that is the element itself, and whether another region's item sits inside it.
    let mut whole: HashMap<Option<u32>, usize> = HashMap::new();
    for item in items {
        match item.pos.slot {
            Slot::WaData => {
                whole.insert(Some(item.pos.index), item.region);
            }
            Slot::WaWhole => {
                whole.insert(None, item.region);
            }
            _ => {}
        }
    }
    if whole.is_empty() {
        return Ok(());
    }
    for item in items {
        let element = match item.pos.slot {
            Slot::WaMessages { parent }
            | Slot::WaKeys { parent }
            | Slot::WaParticipants { parent } => parent,
            _ => continue,
        };
        if let Some(&region) = whole.get(&element)
            && region != item.region
        {
            let path = match element {
                Some(i) => format!("data[{i}]"),
                None => "data".to_owned(),
            };
            return Err(RouteError::Inseparable(path));
        }
    }
    Ok(())
}

/// Adds the cuts that remove the elements `keep` rejects from one array, each with one
/// adjacent comma, so the rest stays valid JSON. An array left empty becomes `[]`.
/// Each element comes with the region of its owner ([`owner_pos`]), passed on to `keep`.
fn prune(
    elems: &[Owned<'_>],
    cuts: &mut Vec<(usize, usize)>,
    keep: impl Fn(&ElementSpan, Option<usize>) -> bool,
) {
    let kept: Vec<bool> = elems.iter().map(|&(e, owner)| keep(e, owner)).collect();
    let (Some((first, _)), Some((last, _))) = (elems.first(), elems.last()) else {
        return;
    };
    if !kept.contains(&true) {
        cuts.push((first.start, last.end));
        return;
    }
    let mut prev_kept_end: Option<usize> = None;
    let mut i = 0;
    while let Some((elem, _)) = elems.get(i) {
        if kept.get(i) == Some(&true) {
            prev_kept_end = Some(elem.end);
            i += 1;
            continue;
        }
        let run_start = elem.start;
        while kept.get(i) == Some(&false) {
            i += 1;
        }
        let run_end = elems.get(i - 1).map_or(run_start, |(e, _)| e.end);
        match (prev_kept_end, elems.get(i)) {
            // `, dropped, dropped` after a kept element: cut from its end.
            (Some(prev_end), _) => cuts.push((prev_end, run_end)),
            // `dropped, dropped, ` before the first kept element: cut up to it.
            (None, Some((next_kept, _))) => cuts.push((run_start, next_kept.start)),
            (None, None) => cuts.push((run_start, run_end)),
        }
    }
}

/// `bytes` without the sorted `cuts`; a cut inside one already made is skipped.
fn splice(bytes: &[u8], cuts: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0usize;
    for &(a, b) in cuts {
        if a >= at {
            out.extend_from_slice(bytes.get(at..a).unwrap_or_default());
            at = b;
        } else if b > at {
            // Overlapping cuts never come from one scan; keep the output valid regardless.
            at = b;
        }
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(spans: &[(usize, usize)]) -> Vec<ElementSpan> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| ElementSpan {
                container: Container::Entries,
                index: u32::try_from(i).unwrap(),
                start,
                end,
                rides_with: None,
            })
            .collect()
    }

    fn cut(src: &str, spans: &[(usize, usize)], keep: &[u32]) -> String {
        let owned = elements(spans);
        let refs: Vec<Owned<'_>> = owned.iter().map(|e| (e, None)).collect();
        let mut cuts = Vec::new();
        prune(&refs, &mut cuts, |el, _| keep.contains(&el.index));
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

    #[test]
    fn nested_cuts_inside_a_cut_are_skipped() {
        assert_eq!(splice(b"[a,[b,c],d]", &[(2, 8), (4, 6)]), b"[a,d]".to_vec());
    }
}
