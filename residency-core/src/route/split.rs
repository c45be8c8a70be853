//! Splitting a mixed batch into one body per region.
//!
//! Only this path parses the body into a `serde_json::Value` (key order kept). For each region
//! it keeps that region's items, the `contacts[]` entries of those items' users (matched by
//! `wa_id` or `user_id`, never by index), the metadata and everything else that is not a
//! user's item; it drops changes and entries left without items.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use serde_json::Value;

use super::scan::{Loc, Scan, Slot};
use super::{RegionBody, RouteError, RoutedItem};
use crate::region::Region;

const CLOUD_ARRAYS: [(Slot, &str); 5] = [
    (Slot::Messages, "messages"),
    (Slot::Statuses, "statuses"),
    (Slot::Calls, "calls"),
    (Slot::Echoes, "message_echoes"),
    (Slot::UserPreferences, "user_preferences"),
];

pub(super) fn split(
    text: &str,
    scan: &Scan,
    items: &[RoutedItem],
    regions: &[Region],
) -> Result<Vec<RegionBody>, RouteError> {
    let root: Value =
        serde_json::from_str(text).map_err(|_| RouteError::Split("body does not parse"))?;
    // Where each item lives -> its region, so that filtering an array is linear.
    let region_at: HashMap<Loc, usize> = items.iter().map(|i| (i.loc, i.region)).collect();
    let mut bodies = Vec::with_capacity(regions.len());
    for (r, region) in regions.iter().enumerate() {
        let mut copy = root.clone();
        let kept = match scan.provider {
            Some(wa_payload::Provider::Wasender) => wasender(&mut copy, items, &region_at, r)?,
            _ => cloud(&mut copy, text, scan, items, &region_at, r)?,
        };
        let body = serde_json::to_vec(&copy).map_err(|_| RouteError::Split("cannot serialize"))?;
        bodies.push(RegionBody {
            region: region.clone(),
            body: Bytes::from(body),
            items: kept,
            unchanged: false,
        });
    }
    Ok(bodies)
}

/// Whether the element at `loc` is an item of region `r` (elements that are no item, which
/// only a body the model rejects can have, are dropped).
fn keeps(region_at: &HashMap<Loc, usize>, r: usize, loc: Loc) -> bool {
    region_at.get(&loc) == Some(&r)
}

fn cloud(
    root: &mut Value,
    text: &str,
    scan: &Scan,
    items: &[RoutedItem],
    region_at: &HashMap<Loc, usize>,
    r: usize,
) -> Result<usize, RouteError> {
    let entries = root
        .get_mut("entry")
        .and_then(Value::as_array_mut)
        .ok_or(RouteError::Split("entry is not an array"))?;
    let mut kept_items = 0;
    let mut e = 0u32;
    entries.retain_mut(|entry| {
        let this_entry = e;
        e += 1;
        let Some(changes) = entry.get_mut("changes").and_then(Value::as_array_mut) else {
            return false;
        };
        let mut ci = 0u32;
        changes.retain_mut(|change| {
            let this_change = ci;
            ci += 1;
            let in_change = |loc: &Loc| loc.entry == this_entry && loc.change == this_change;
            let mine: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.region == r && in_change(&it.loc))
                .map(|(k, _)| k)
                .collect();
            if mine.is_empty() {
                return false;
            }
            kept_items += mine.len();
            if items
                .iter()
                .any(|it| in_change(&it.loc) && it.loc.slot == Slot::Change)
            {
                // A management change is one item: kept whole, or not at all.
                return true;
            }
            let Some(value) = change.get_mut("value").and_then(Value::as_object_mut) else {
                return true;
            };
            for (slot, name) in CLOUD_ARRAYS {
                if let Some(arr) = value.get_mut(name).and_then(Value::as_array_mut) {
                    let mut i = 0u32;
                    arr.retain(|_| {
                        let index = i;
                        i += 1;
                        keeps(
                            region_at,
                            r,
                            Loc {
                                entry: this_entry,
                                change: this_change,
                                slot,
                                index,
                            },
                        )
                    });
                    if arr.is_empty() {
                        value.remove(name);
                    }
                }
            }
            if let Some(contacts) = value.get_mut("contacts").and_then(Value::as_array_mut) {
                // The identities of this region's items in the change: a contact stays with
                // the item whose party it describes, matched by id.
                let ids: HashSet<&str> = mine
                    .iter()
                    .filter_map(|&k| scan.items.get(k))
                    .flat_map(|raw| [raw.phone, raw.user_id])
                    .flatten()
                    .map(|t| scan.text(text, t))
                    .collect();
                contacts.retain(|contact| {
                    ["wa_id", "user_id"].iter().any(|key| {
                        contact
                            .get(*key)
                            .and_then(Value::as_str)
                            .is_some_and(|id| ids.contains(id))
                    })
                });
            }
            true
        });
        !changes.is_empty()
    });
    Ok(kept_items)
}

fn wasender(
    root: &mut Value,
    items: &[RoutedItem],
    region_at: &HashMap<Loc, usize>,
    r: usize,
) -> Result<usize, RouteError> {
    let Some(slot) = items.first().map(|i| i.loc.slot) else {
        return Ok(0);
    };
    let data = root
        .get_mut("data")
        .ok_or(RouteError::Split("data is missing"))?;
    let arr = match slot {
        Slot::WaData => data.as_array_mut(),
        Slot::WaMessages => data.get_mut("messages").and_then(Value::as_array_mut),
        Slot::WaKeys => data.get_mut("keys").and_then(Value::as_array_mut),
        Slot::WaParticipants => data.get_mut("participants").and_then(Value::as_array_mut),
        _ => None,
    }
    .ok_or(RouteError::Split("items are not in one array"))?;
    let mut i = 0u32;
    arr.retain(|_| {
        let index = i;
        i += 1;
        keeps(
            region_at,
            r,
            Loc {
                entry: 0,
                change: 0,
                slot,
                index,
            },
        )
    });
    Ok(items.iter().filter(|it| it.region == r).count())
}
