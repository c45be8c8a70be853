//! What the simulator sent, as JSON lines: one [`PostRecord`] per POST.
//!
//! Each line gives the body's SHA-256, provider, source, how many tries it took and the final
//! answer, and the routed items of the body with what a correct edge must do with each: its
//! id, kind, country and region, computed by `residency-core`'s router over the same bytes
//! (the [`Expectation`]), so a checker compares the regional nodes' stores with the router's
//! verdict rather than with a hand-written answer.
//!
//! The record is test data and holds ids (a Cloud API id encodes a phone number); console
//! output of the simulator shows counts only.

use std::io::{BufRead, Write};

use bytes::Bytes;
use residency_core::route::Router;
use serde::{Deserialize, Serialize};
use wa_payload::Provider;

use crate::sim::SimError;

/// One POST, as a line of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRecord {
    /// The POST's number in the run (duplicates get their own).
    pub seq: u64,
    /// `cloud_api` or `wasender`.
    pub provider: String,
    /// `generated`, or `corpus:<file name>`.
    pub source: String,
    /// Lowercase hex SHA-256 of the bytes sent.
    pub sha256: String,
    /// Size of the body in bytes.
    pub bytes: usize,
    /// For a deliberate redelivery of the same bytes, the `seq` of the first delivery.
    pub duplicate_of: Option<u64>,
    /// Tries made.
    pub attempts: u32,
    /// The last HTTP status received, `null` when no try got an answer.
    pub status: Option<u16>,
    /// The status a correct edge ends with: 200, or 400 for a body the router refuses.
    pub expected_status: u16,
    /// The router's error for a refused body (names fields and positions, never values).
    pub route_error: Option<String>,
    /// One region body per region the POST touches, with its item count.
    pub bodies: Vec<RegionCount>,
    /// The routed items, in document order.
    pub items: Vec<ItemRecord>,
}

/// A region and how many items of the POST go there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionCount {
    /// The region.
    pub region: String,
    /// Items of the POST routed there.
    pub items: usize,
    /// Whether the region's body is the original bytes (not split).
    pub unchanged: bool,
}

/// One routed item of a POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The item's id (wamid, WASender key id, call id), `null` when it has none.
    pub id: Option<String>,
    /// The kind, as `residency route` prints it (`message`, `status`, `event`, ...).
    pub kind: String,
    /// The party's country, `null` when none could be attributed.
    pub country: Option<String>,
    /// The region a correct edge delivers the item to.
    pub region: String,
}

impl PostRecord {
    /// Whether the POST ended with the status a correct edge gives.
    pub fn as_expected(&self) -> bool {
        self.status == Some(self.expected_status)
    }

    /// Whether the edge acknowledged the POST (200).
    pub fn acknowledged(&self) -> bool {
        self.status == Some(200)
    }
}

/// What a correct edge does with a body: the router's decision, as record fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// 200, or 400 when the router refuses the body.
    pub status: u16,
    /// The router's error, if any.
    pub error: Option<String>,
    /// The region bodies.
    pub bodies: Vec<RegionCount>,
    /// The routed items.
    pub items: Vec<ItemRecord>,
}

impl Expectation {
    /// Routes `body` with `router` and keeps what a checker needs.
    pub fn of(router: &Router, body: &Bytes) -> Self {
        match router.route(body.clone()) {
            Ok(d) => Self {
                status: 200,
                error: None,
                bodies: d
                    .bodies()
                    .iter()
                    .map(|b| RegionCount {
                        region: b.region().to_string(),
                        items: b.item_count(),
                        unchanged: b.is_unchanged(),
                    })
                    .collect(),
                items: d
                    .items()
                    .map(|i| ItemRecord {
                        id: i.id().map(str::to_owned),
                        kind: i.kind().as_str().to_owned(),
                        country: i.country().map(|c| c.to_string()),
                        region: i.region().to_string(),
                    })
                    .collect(),
            },
            Err(e) => Self {
                status: 400,
                error: Some(e.to_string()),
                bodies: Vec::new(),
                items: Vec::new(),
            },
        }
    }
}

/// The record's name for a provider.
pub fn provider_name(p: Provider) -> &'static str {
    p.as_str()
}

/// Writes `record` as one JSON line.
///
/// # Errors
/// [`SimError::Io`] when writing fails.
pub fn write_line(out: &mut impl Write, record: &PostRecord) -> Result<(), SimError> {
    serde_json::to_writer(&mut *out, record).map_err(|e| SimError::Io(e.to_string()))?;
    out.write_all(b"\n")
        .map_err(|e| SimError::Io(e.kind().to_string()))
}

/// Reads a record back, one [`PostRecord`] per non-empty line.
///
/// # Errors
/// [`SimError::Record`] naming the line that is not a record.
pub fn read(input: impl BufRead) -> Result<Vec<PostRecord>, SimError> {
    let mut out = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| SimError::Io(e.kind().to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let r = serde_json::from_str(&line).map_err(|_| SimError::Record { line: n + 1 })?;
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{GenOptions, Generator};

    #[test]
    fn a_record_line_round_trips_and_carries_the_routers_verdict() {
        let mut g = Generator::new(21, GenOptions::default());
        let body = g.cloud(40);
        let router = Router::seed();
        let e = Expectation::of(&router, &body.body);
        assert_eq!((e.status, e.items.len()), (200, 40));
        let d = router.route(body.body.clone()).unwrap();
        for (rec, item) in e.items.iter().zip(d.items()) {
            assert_eq!(rec.region, item.region().as_str());
            assert_eq!(rec.id.as_deref(), item.id());
        }
        assert_eq!(e.bodies.iter().map(|b| b.items).sum::<usize>(), 40);
        let record = PostRecord {
            seq: 3,
            provider: provider_name(body.provider).into(),
            source: "generated".into(),
            sha256: archive_hash::Sha256::digest(&body.body).to_hex(),
            bytes: body.body.len(),
            duplicate_of: None,
            attempts: 2,
            status: Some(200),
            expected_status: e.status,
            route_error: None,
            bodies: e.bodies.clone(),
            items: e.items,
        };
        let mut out = Vec::new();
        write_line(&mut out, &record).unwrap();
        write_line(&mut out, &record).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.lines().count(), 2);
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for key in [
            "seq",
            "provider",
            "sha256",
            "attempts",
            "status",
            "expected_status",
            "items",
        ] {
            assert!(first.get(key).is_some(), "{key}");
        }
        for key in ["id", "kind", "country", "region"] {
            assert!(first["items"][0].get(key).is_some(), "{key}");
        }
        let back = read(&out[..]).unwrap();
        assert_eq!(back, vec![record.clone(), record]);
        assert!(back[0].as_expected() && back[0].acknowledged());
    }

    #[test]
    fn a_refused_body_expects_400_and_a_broken_line_is_named() {
        let e = Expectation::of(&Router::seed(), &Bytes::from_static(b"{\"object\":"));
        assert_eq!(e.status, 400);
        assert!(e.error.is_some() && e.items.is_empty());
        let err = read(&b"\n{\"seq\":1}\n"[..]).unwrap_err();
        assert!(matches!(err, SimError::Record { line: 2 }), "{err}");
    }
}
