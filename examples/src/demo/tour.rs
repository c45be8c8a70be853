//! What the demo does with a running [`Stack`]: sends every bundled sample to the edge,
//! signed as its provider signs it, and prints
//!
//! 1. per sample, the edge's answer and its time, then per item where it landed: the region
//!    and the node whose `GET /admin/items` lists it (checked against `residency-core`'s
//!    router on the same bytes, as the simulator's checker does);
//! 2. once the archive workers are done (at most [`ARCHIVE_WAIT`]), per region, the records
//!    of its archive log: what they are, their SHA-256, size, verification (checked against
//!    the media manifests) and archive key, with each stored object re-hashed;
//! 3. one inclusion proof from a node's `GET /archive/proof`, verified with
//!    `archive_hash::merkle::verify_inclusion` against the tree head the node signed (its
//!    key pinned).
//!
//! Whatever does not go as expected is a [`Findings::problems`] line; the binary exits 1 on
//! any. Nothing personal is printed: phone numbers and user ids masked, ids and keys as
//! pseudonyms.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::time::{Duration, Instant};

use archive_hash::merkle::{leaf_hash, verify_inclusion};
use archive_hash::{ArchiveRecord, Sha256};
use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use residency_core::route::Router;
use wa_payload::Provider;

use crate::cmd::route::basis_str;
use crate::demo::masked_identity;
use crate::demo::stack::{RunningNode, Stack};
use crate::node::tlog::{InclusionProof, TreeHead};
use crate::samples::{MEDIA, MediaManifest, SAMPLES, Sample};
use crate::sim::check::{StoredItem, check, parse_admin_items};
use crate::sim::{Expectation, PostRecord};

/// The longest the tour waits for the archive workers to finish.
pub const ARCHIVE_WAIT: Duration = Duration::from_secs(10);

/// What the tour found.
#[derive(Debug, Default)]
pub struct Findings {
    /// What did not go as expected, one line each (no personal data).
    pub problems: Vec<String>,
    /// The edge's answer time of each POST, in order.
    pub latencies: Vec<Duration>,
    /// Items sent.
    pub items: usize,
    /// Items found where the policy puts them.
    pub landed: usize,
    /// Archive records found as expected.
    pub records: usize,
    /// Whether the inclusion proof verified.
    pub proof_verified: bool,
}

/// A bundled media file's manifest, and where its message went.
struct Media {
    manifest: MediaManifest,
    region: Option<String>,
    found: usize,
}

fn client() -> io::Result<reqwest::Client> {
    crate::service::http::client_builder(concat!("wa-residency-demo/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(io::Error::other)
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `GET /admin/items` of every node, by region.
async fn listings(
    http: &reqwest::Client,
    stack: &Stack,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Vec<StoredItem>> {
    let mut out = BTreeMap::new();
    for node in &stack.nodes {
        let answer = http
            .get(node.url("/admin/items"))
            .bearer_auth(stack.admin_token())
            .send()
            .await;
        let text = match answer {
            Ok(r) if r.status().is_success() => r.text().await.ok(),
            _ => None,
        };
        match text.as_deref().map(parse_admin_items) {
            Some(Ok(items)) => {
                out.insert(node.region().to_owned(), items);
            }
            _ => problems.push(format!("{}: GET /admin/items failed", node.name)),
        }
    }
    out
}

/// Sends the samples, prints where their items landed; returns the simulator's record of
/// each POST and where each bundled media file's message went.
async fn send_samples(
    out: &mut dyn Write,
    http: &reqwest::Client,
    stack: &Stack,
    found: &mut Findings,
    media: &mut [Media],
) -> io::Result<(Vec<PostRecord>, usize)> {
    let router = Router::seed();
    let mut records = Vec::new();
    let mut consumed: HashSet<(String, usize)> = HashSet::new();
    let mut templates = 0;
    writeln!(
        out,
        "sending the {} bundled webhook bodies to the edge, signed as their provider signs them",
        SAMPLES.len()
    )?;
    for (n, sample) in SAMPLES.iter().enumerate() {
        let Sample { name, about, body } = *sample;
        writeln!(out)?;
        writeln!(out, "[{}/{}] {name}: {about}", n + 1, SAMPLES.len())?;
        let bytes = Bytes::from_static(body);
        let expect = Expectation::of(&router, &bytes);
        let (Ok(webhook), Ok(decision)) = (wa_payload::parse(body), router.route(bytes.clone()))
        else {
            found
                .problems
                .push(format!("{name}: the router refuses it"));
            continue;
        };
        let provider = webhook.provider();
        let path = match provider {
            Provider::Wasender => "/webhook/wasender",
            _ => "/webhook/meta",
        };
        let mut request = http
            .post(stack.edge_url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.clone());
        let mut signed = "unsigned";
        if let Some((header, value)) = stack.signer.header(provider, body) {
            request = request.header(header, value);
            signed = header;
        }
        let started = Instant::now();
        let status = match request.send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                let _ = r.bytes().await;
                Some(s)
            }
            Err(_) => None,
        };
        let elapsed = started.elapsed();
        found.latencies.push(elapsed);
        let bodies: Vec<String> = decision
            .bodies()
            .iter()
            .map(|b| format!("{} {}", b.region(), b.item_count()))
            .collect();
        let how = if decision.is_split() {
            "split, each part signed by the edge"
        } else {
            "the original bytes, the provider's signature intact"
        };
        writeln!(
            out,
            "  POST {path} ({signed}) -> {} in {}; to {} ({how})",
            status.map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
            millis(elapsed),
            bodies.join(", "),
        )?;
        if status != Some(expect.status) {
            found.problems.push(format!(
                "{name}: the edge answered {status:?}, expected {}",
                expect.status
            ));
        }
        records.push(PostRecord {
            seq: n as u64,
            provider: provider.as_str().to_owned(),
            source: format!("demo:{name}"),
            sha256: Sha256::digest(body).to_hex(),
            bytes: body.len(),
            duplicate_of: None,
            attempts: 1,
            status,
            expected_status: expect.status,
            route_error: expect.error.clone(),
            bodies: expect.bodies.clone(),
            items: expect.items.clone(),
        });

        // Where each item landed: its region's node lists it, unmasked.
        let stores = listings(http, stack, &mut found.problems).await;
        for (item, routed) in webhook.items().zip(decision.items()) {
            found.items += 1;
            let region = routed.region().as_str();
            let id = routed.id();
            let kind = routed.kind().as_str();
            // A template status update: its snapshot is archived in its region.
            if kind == "account" && body.windows(18).any(|w| w == b"\"message_template_") {
                templates += 1;
            }
            for m in media.iter_mut() {
                if id == Some(m.manifest.message_id.as_str()) {
                    m.region = Some(region.to_owned());
                }
            }
            let row = stores.get(region).and_then(|rows| {
                rows.iter().enumerate().position(|(i, r)| {
                    !r.masked
                        && r.region == region
                        && r.kind == kind
                        && r.id.as_deref() == id
                        && !consumed.contains(&(region.to_owned(), i))
                })
            });
            let node = stack.node(region).map_or("-", |n| n.name.as_str());
            let landed = match row {
                Some(i) => {
                    consumed.insert((region.to_owned(), i));
                    found.landed += 1;
                    format!("landed on {node}")
                }
                None => {
                    found.problems.push(format!(
                        "{name}: item {} ({kind}) is not listed by {node}",
                        found.items
                    ));
                    format!("NOT FOUND on {node}")
                }
            };
            writeln!(
                out,
                "  {:<8} {:<12} {:<20} {:<3} {:<9} -> {:<6} {landed}",
                kind,
                routed.role().as_str(),
                masked_identity(&item.party),
                routed
                    .country()
                    .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                basis_str(routed.basis()),
                region,
            )?;
        }
    }
    Ok((records, templates))
}

/// Waits until no node has archive jobs left; returns how long it took.
async fn wait_for_archive(stack: &Stack, problems: &mut Vec<String>) -> Duration {
    let started = Instant::now();
    loop {
        let mut pending = 0;
        let mut failed = 0;
        for node in &stack.nodes {
            let (p, f) = node.state.store.outbox_counts().await.unwrap_or((1, 0));
            pending += p;
            failed += f;
        }
        if pending == 0 {
            if failed > 0 {
                problems.push(format!("{failed} archive job(s) failed"));
            }
            return started.elapsed();
        }
        if started.elapsed() >= ARCHIVE_WAIT {
            problems.push(format!(
                "{pending} archive job(s) still pending after {} s",
                ARCHIVE_WAIT.as_secs()
            ));
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The archive log of one node, printed and checked; returns the position in `media` of a
/// stored media record an inclusion proof can be asked for.
async fn print_region(
    out: &mut dyn Write,
    node: &RunningNode,
    found: &mut Findings,
    media: &mut [Media],
    templates: &mut usize,
) -> io::Result<Option<usize>> {
    let leaves = match node.state.store.records_before(i64::MAX, 1000).await {
        Ok(l) => l,
        Err(_) => {
            found
                .problems
                .push(format!("{}: cannot read its log", node.name));
            return Ok(None);
        }
    };
    writeln!(
        out,
        "  {} on {}: {} record(s)",
        node.region(),
        node.name,
        leaves.len()
    )?;
    let pseudonyms = &node.state.settings.pseudonyms;
    let mut provable = None;
    for leaf in &leaves {
        let Some(record) = leaf
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<ArchiveRecord>(d).ok())
        else {
            found
                .problems
                .push(format!("{}: leaf {} is not a record", node.name, leaf.idx));
            continue;
        };
        let verification = record.verification.as_str();
        let which = media.iter().position(|m| {
            pseudonyms
                .pseudonymize_message_id(&m.manifest.message_id)
                .as_str()
                == record.message_id
        });
        let (what, expected) = match which {
            Some(i) => {
                let m = &mut media[i];
                m.found += 1;
                if m.region.as_deref() != Some(node.region()) {
                    found.problems.push(format!(
                        "{}: archived in {}, its message went to {:?}",
                        m.manifest.file,
                        node.region(),
                        m.region
                    ));
                }
                if provable.is_none() && !record.object_key.is_empty() {
                    provable = Some(i);
                }
                (
                    m.manifest.file.clone(),
                    Some(m.manifest.expected_outcome.clone()),
                )
            }
            None if record.template_snapshot.is_some() => {
                if *templates == 0 {
                    found
                        .problems
                        .push(format!("{}: an unexpected template snapshot", node.name));
                }
                *templates = templates.saturating_sub(1);
                ("template snapshot".to_owned(), None)
            }
            None => {
                found.problems.push(format!(
                    "{}: leaf {} is no bundled media",
                    node.name, leaf.idx
                ));
                ("unknown item".to_owned(), None)
            }
        };
        let mut ok = expected.as_deref().is_none_or(|e| e == verification);
        let expectation = match &expected {
            Some(e) if e == verification => "as its manifest expects".to_owned(),
            Some(e) => format!("EXPECTED {e}"),
            None => "canonical JSON of the template fields".to_owned(),
        };
        writeln!(
            out,
            "    leaf {}  {what} ({}, {} bytes): {verification}, {expectation}",
            leaf.idx, record.mime_type, record.media_size
        )?;
        writeln!(out, "            sha256 {}", record.media_sha256)?;
        if record.object_key.is_empty() {
            writeln!(out, "            key    none: the bytes were discarded")?;
        } else {
            // The stored object hashes to the record's checksum.
            let rehashed = match ObjectPath::parse(&record.object_key) {
                Ok(path) => match node.state.archive.get(&path).await {
                    Ok(got) => got.bytes().await.ok().map(|b| Sha256::digest(&b)),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            let object = if rehashed == Some(record.media_sha256) {
                "object re-hashed: same sha256"
            } else {
                ok = false;
                "OBJECT MISSING OR ALTERED"
            };
            writeln!(out, "            key    {} ({object})", record.object_key)?;
        }
        if ok {
            found.records += 1;
        } else {
            found.problems.push(format!(
                "{}: leaf {} ({what}) is not what was expected",
                node.name, leaf.idx
            ));
        }
    }
    Ok(provable)
}

/// `GET path` on a node, as JSON.
async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: reqwest::Url,
) -> Option<T> {
    let r = http.get(url).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    serde_json::from_slice(&r.bytes().await.ok()?).ok()
}

/// Fetches the inclusion proof of media record `manifest` from `node`, verifies it and
/// prints every step; returns whether it verified.
async fn prove(
    out: &mut dyn Write,
    http: &reqwest::Client,
    node: &RunningNode,
    manifest: &MediaManifest,
) -> io::Result<bool> {
    writeln!(
        out,
        "inclusion proof: GET /archive/proof on {} for {}'s message",
        node.name, manifest.file
    )?;
    let Ok(url) = reqwest::Url::parse_with_params(
        &node.url("/archive/proof"),
        [("id", manifest.message_id.as_str())],
    ) else {
        return Ok(false);
    };
    let Some(proof) = get_json::<InclusionProof>(http, url).await else {
        writeln!(out, "  NO PROOF")?;
        return Ok(false);
    };
    let head_url = reqwest::Url::parse(&node.url("/archive/head")).ok();
    let served: Option<TreeHead> = match head_url {
        Some(u) => get_json(http, u).await,
        None => None,
    };
    let head = &proof.tree_head;
    // 1. The head: signed by the node's key (pinned: an operator knows it), and the one the
    //    node serves.
    let pinned = node.state.head_key.public_hex();
    let head_ok = head.verify() && head.public_key == pinned;
    let same_head = served.as_ref() == Some(head);
    writeln!(
        out,
        "  head    {} log of {} leaves, root {}, signed by ed25519 key {}: {}",
        head.region,
        head.tree_size,
        head.root_hash,
        head.key_id,
        if head_ok {
            "signature ok, key pinned"
        } else {
            "SIGNATURE OR KEY WRONG"
        }
    )?;
    writeln!(
        out,
        "          GET /archive/head serves {}",
        if same_head {
            "the same head"
        } else {
            "ANOTHER HEAD"
        }
    )?;
    // 2. The leaf: the record's canonical JSON hash, as an RFC 6962 leaf.
    let leaf = proof.record.record_hash().map(|h| leaf_hash(h.as_bytes()));
    let leaf_ok = leaf.as_ref().is_ok_and(|l| l.to_hex() == proof.leaf_hash);
    writeln!(
        out,
        "  leaf    {} of {}: SHA-256(0x00 || SHA-256(JCS(record))) = {} {}",
        proof.leaf_index,
        proof.tree_size,
        proof.leaf_hash,
        if leaf_ok { "(recomputed)" } else { "(DIFFERS)" }
    )?;
    for (i, h) in proof.audit_path.iter().enumerate() {
        writeln!(out, "  path[{i}] {h}")?;
    }
    // 3. The path leads from the leaf to the signed root.
    let path: Option<Vec<Sha256>> = proof
        .audit_path
        .iter()
        .map(|h| Sha256::from_hex(h).ok())
        .collect();
    let included = match (leaf, path, head.root()) {
        (Ok(leaf), Some(path), Some(root)) => verify_inclusion(
            proof.leaf_index,
            proof.tree_size,
            leaf.as_bytes(),
            &path.iter().map(|h| *h.as_bytes()).collect::<Vec<_>>(),
            root,
        )
        .is_ok(),
        _ => false,
    };
    let ok = head_ok && same_head && leaf_ok && included && head.tree_size == proof.tree_size;
    writeln!(
        out,
        "  verdict {}",
        if ok {
            "verified: archive_hash::merkle::verify_inclusion leads from the record to the signed root"
        } else {
            "NOT VERIFIED"
        }
    )?;
    Ok(ok)
}

/// Runs the tour on `stack`, writing to `out`.
///
/// # Errors
/// Only when `out` cannot be written or the HTTP client cannot start; everything else is a
/// [`Findings::problems`] line.
pub async fn run(out: &mut dyn Write, stack: &Stack) -> io::Result<Findings> {
    let http = client()?;
    let mut found = Findings::default();
    let mut media = Vec::new();
    for m in MEDIA {
        match m.manifest() {
            Ok(manifest) => media.push(Media {
                manifest,
                region: None,
                found: 0,
            }),
            Err(_) => found
                .problems
                .push(format!("{}: not a media manifest", m.manifest_name)),
        }
    }

    let (records, mut templates) = send_samples(out, &http, stack, &mut found, &mut media).await?;
    // The simulator's checks over the whole run: exactly once at home, nowhere else unmasked.
    let stores = listings(&http, stack, &mut found.problems).await;
    let report = check(&records, &stores, &[]);
    for v in &report.violations {
        found.problems.push(format!("store check: {v}"));
    }

    writeln!(out)?;
    let waited = wait_for_archive(stack, &mut found.problems).await;
    writeln!(
        out,
        "archive: the nodes' workers fetched the media from the Graph API stand-in, hashed and \
         checked them, and appended their records to each region's log (waited {} for them)",
        millis(waited)
    )?;
    // The proof shown is of a media record in the largest log: its path has hashes to show.
    let mut provable: Option<(usize, usize, usize)> = None;
    for (n, node) in stack.nodes.iter().enumerate() {
        let candidate = print_region(out, node, &mut found, &mut media, &mut templates).await?;
        let size = node.state.store.leaf_hashes().await.map_or(0, |h| h.len());
        if let Some(m) = candidate
            && provable.is_none_or(|(best, _, _)| size > best)
        {
            provable = Some((size, n, m));
        }
    }
    for m in &media {
        if m.found != 1 {
            found.problems.push(format!(
                "{}: {} archive record(s), expected 1",
                m.manifest.file, m.found
            ));
        }
    }
    if templates > 0 {
        found
            .problems
            .push(format!("{templates} template snapshot(s) not archived"));
    }

    writeln!(out)?;
    match provable {
        Some((_, n, m)) => {
            found.proof_verified = prove(out, &http, &stack.nodes[n], &media[m].manifest).await?;
            if !found.proof_verified {
                found
                    .problems
                    .push("the inclusion proof does not verify".into());
            }
        }
        None => found.problems.push("no archived media to prove".into()),
    }
    Ok(found)
}
