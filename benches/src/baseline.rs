//! `baseline-serde-value` of the `route` group: the router a user would otherwise write (the
//! pattern of the usual edge-function tutorials). Shared by the criterion bench and the
//! instruction-count workloads, so both measure the same code.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

/// The tutorial router: parse to a `Value`, walk every message and status, prefix-match the
/// phone against a calling-code table, and rebuild one `Value` per region when they differ.
#[derive(Debug)]
pub struct Baseline {
    prefixes: HashMap<&'static str, &'static str>,
}

impl Baseline {
    /// The baseline with its calling-code table.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let mut prefixes = HashMap::new();
        for cc in [
            "30", "31", "32", "33", "34", "36", "39", "40", "43", "44", "45", "46", "47", "48",
            "49", "351", "352", "353", "354", "356", "357", "358", "359", "370", "371", "372",
            "385", "386", "41", "420", "421", "423",
        ] {
            prefixes.insert(cc, "EU");
        }
        for cc in [
            "52", "53", "54", "55", "56", "57", "58", "51", "591", "593", "595", "598", "502",
            "503", "504", "505", "506", "507",
        ] {
            prefixes.insert(cc, "LATAM");
        }
        prefixes.insert("91", "INDIA");
        Self { prefixes }
    }

    fn region(&self, phone: &str) -> &'static str {
        for len in [3, 2, 1] {
            if let Some(r) = phone.get(..len).and_then(|p| self.prefixes.get(p)) {
                return r;
            }
        }
        "US"
    }

    /// The bodies to forward, one per region: the original bytes when every item has one
    /// region, else one re-serialized `Value` per region.
    pub fn route(&self, body: &Bytes) -> Vec<(&'static str, Bytes)> {
        let v: Value = serde_json::from_slice(body).expect("valid body");
        let mut regions: Vec<&'static str> = Vec::new();
        for entry in v["entry"].as_array().into_iter().flatten() {
            for change in entry["changes"].as_array().into_iter().flatten() {
                let value = &change["value"];
                for m in value["messages"].as_array().into_iter().flatten() {
                    regions.push(self.region(m["from"].as_str().unwrap_or("")));
                }
                for s in value["statuses"].as_array().into_iter().flatten() {
                    regions.push(self.region(s["recipient_id"].as_str().unwrap_or("")));
                }
            }
        }
        let mut distinct = regions.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= 1 {
            // One region: forward the bytes received (a cheap `Bytes` clone, as ours).
            return vec![(distinct.first().copied().unwrap_or("US"), body.clone())];
        }
        distinct
            .into_iter()
            .map(|r| {
                let mut copy = v.clone();
                let mut k = 0;
                for entry in copy["entry"].as_array_mut().into_iter().flatten() {
                    for change in entry["changes"].as_array_mut().into_iter().flatten() {
                        if let Some(ms) = change["value"]["messages"].as_array_mut() {
                            ms.retain(|_| {
                                k += 1;
                                regions[k - 1] == r
                            });
                        }
                    }
                }
                (
                    r,
                    Bytes::from(serde_json::to_vec(&copy).expect("serializes")),
                )
            })
            .collect()
    }
}
