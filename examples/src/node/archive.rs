//! The archive: the object store (local files, S3, memory) and the worker that drains the
//! outbox.
//!
//! For each job the worker
//!
//! * **Cloud API media**: `GET {graph_url}/{media-id}` with the bearer token, then the
//!   returned URL (its host must be on the allowlist: Meta's CDN by default), hashing the
//!   bytes with archive-hash's [`Hasher`] as they stream in (bounded by `media.max_bytes`);
//!   checks them against the webhook's base64 `sha256` and the metadata's hex `sha256`;
//! * **WASender media**: downloads the encrypted file from the message's `url` (allowlisted),
//!   checks `fileEncSha256` over it, decrypts it ([`super::media`]) and checks `fileSha256`
//!   over the plaintext;
//! * **templates**: takes the change's `message_template_*` fields as a snapshot, in RFC 8785
//!   canonical JSON ([`TemplateSnapshot`]);
//!
//! then writes the bytes at the pseudonymous [`ArchiveKey`]
//! (`{region}/archive/YYYY/MM/DD/{party pseudonym}/{message-id pseudonym}.{ext}`; templates at
//! `{region}/templates/{snapshot id}.json`), and appends the [`ArchiveRecord`] to the log.
//!
//! A checksum that does not match is never archived as good: the bytes are discarded (they
//! may be another object altogether), a record with `verification: mismatch` and no object
//! key is appended, a warning is logged and `node_archive_checksum_mismatches_total` counts
//! it. Transient failures (network, 5xx, storage) are retried with exponential backoff up to
//! `worker.max_attempts`; permanent ones (a URL off the allowlist, a 4xx, a malformed item)
//! fail the job at once.

use std::sync::Arc;
use std::time::Duration;

use archive_hash::{
    ArchiveKey, ArchiveRecord, ExpectedChecksum, Hasher, Recipient, RegionPrefix, RetentionClass,
    Sha256, TemplateSnapshot, UnixSeconds, Verification,
};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::Value;

use super::config::{MediaSettings, S3Config};
use super::items::WASENDER_MEDIA;
use super::store::{ItemRow, Job, NewLeaf, Task};
use super::{NodeState, media, now_ms};
use crate::service::http::client_builder;

/// Opens the object store named by `url`.
///
/// # Errors
/// A message naming what is wrong (never a credential).
pub fn open_store(url: &str, s3: &S3Config) -> Result<Arc<dyn ObjectStore>, String> {
    if url == "memory://" || url == "memory:" {
        return Ok(Arc::new(InMemory::new()));
    }
    if let Some(dir) = url.strip_prefix("file://") {
        std::fs::create_dir_all(dir).map_err(|e| format!("archive folder: {}", e.kind()))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|_| "archive folder: cannot open it".to_owned())?;
        return Ok(Arc::new(fs));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("archive: s3:// needs a bucket".into());
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(e) = &s3.endpoint {
            b = b.with_endpoint(e).with_virtual_hosted_style_request(false);
        }
        if let Some(r) = &s3.region {
            b = b.with_region(r);
        }
        if let Some(k) = &s3.access_key_id {
            b = b.with_access_key_id(k.expose());
        }
        if let Some(k) = &s3.secret_access_key {
            b = b.with_secret_access_key(k.expose());
        }
        if s3.allow_http {
            b = b.with_allow_http(true);
        }
        let store = b
            .build()
            .map_err(|_| "archive: invalid s3 settings".to_owned())?;
        let prefix = prefix.trim_matches('/');
        return Ok(if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        });
    }
    Err("archive must be file://DIR, s3://bucket/prefix or memory://".into())
}

/// The HTTP client of the worker: pooled, with timeouts, following redirects only to
/// allowlisted hosts.
///
/// # Errors
/// When the TLS backend cannot start.
pub fn http_client(media: Option<&MediaSettings>) -> Result<reqwest::Client, String> {
    let hosts = media.map(|m| m.allowed_hosts.clone()).unwrap_or_default();
    let timeout = media.map_or(Duration::from_secs(60), |m| m.timeout);
    client_builder(concat!(
        "wa-residency-regional-node/",
        env!("CARGO_PKG_VERSION")
    ))
    .timeout(timeout)
    .connect_timeout(Duration::from_secs(10))
    .pool_max_idle_per_host(4)
    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() < 5 && allowed(&hosts, attempt.url()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    }))
    .build()
    .map_err(|_| "http client: cannot start".to_owned())
}

/// Whether a download URL is allowed: its host is on the allowlist (exactly, or under a
/// `*.` entry) and it is `https`, or `http` to a loopback host.
pub fn allowed(hosts: &[String], url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    scheme_ok
        && hosts.iter().any(|h| {
            let h = h.to_ascii_lowercase();
            match h.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => host == h,
            }
        })
}

/// How a job ended.
#[derive(Debug)]
enum Failure {
    /// Try again later.
    Transient(String),
    /// Give up now.
    Permanent(String),
}

fn transient(what: &str) -> impl FnOnce(reqwest::Error) -> Failure + '_ {
    move |e| {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else {
            "request"
        };
        Failure::Transient(format!("{what}: {kind}"))
    }
}

/// Runs due jobs until none is left or `limit` were run; returns how many ran.
pub async fn drain(state: &NodeState, limit: usize) -> usize {
    let mut ran = 0;
    while ran < limit {
        let batch = i64::try_from(state.settings.worker.batch.max(1)).unwrap_or(16);
        let jobs = match state
            .store
            .claim_jobs(now_ms(), Duration::from_secs(300), batch)
            .await
        {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "archive worker: cannot claim jobs");
                break;
            }
        };
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            run_job(state, &job).await;
            ran += 1;
        }
    }
    if let Ok((pending, failed)) = state.store.outbox_counts().await {
        state.metrics.outbox_pending.set(pending);
        state.metrics.outbox_failed.set(failed);
    }
    ran
}

async fn run_job(state: &NodeState, job: &Job) {
    let task = Task::parse(&job.task);
    let label = task.map_or("unknown", Task::as_str);
    let item = match state.store.item(job.item).await {
        Ok(Some(item)) => item,
        // The item was erased or expired before it was archived: nothing to do.
        Ok(None) => {
            let _ = state.store.finish_job(job.id).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "archive worker: cannot read item");
            retry(state, job, label, Failure::Transient("read item".into())).await;
            return;
        }
    };
    let result = match task {
        Some(Task::CloudMedia) => cloud_media(state, &item).await,
        Some(Task::WasenderMedia) => wasender_media(state, &item).await,
        Some(Task::Template) => template(state, &item).await,
        None => Err(Failure::Permanent("unknown task".into())),
    };
    match result {
        Ok(verification) => {
            let _ = state.store.finish_job(job.id).await;
            state
                .metrics
                .archive
                .get_or_create(&super::metrics::ArchiveLabels {
                    task: label,
                    outcome: verification.as_str(),
                })
                .inc();
        }
        Err(f) => retry(state, job, label, f).await,
    }
}

async fn retry(state: &NodeState, job: &Job, label: &'static str, failure: Failure) {
    let attempts = job.attempts.saturating_add(1);
    let max = i64::try_from(state.settings.worker.max_attempts).unwrap_or(10);
    let (failed, reason) = match &failure {
        Failure::Transient(r) => (attempts >= max, r.as_str()),
        Failure::Permanent(r) => (true, r.as_str()),
    };
    let backoff = 1000_i64.saturating_mul(1 << attempts.clamp(0, 12));
    let next = now_ms().saturating_add(backoff.min(3_600_000));
    let _ = state.store.retry_job(job.id, next, failed, reason).await;
    state
        .metrics
        .archive
        .get_or_create(&super::metrics::ArchiveLabels {
            task: label,
            outcome: if failed { "failed" } else { "retry" },
        })
        .inc();
    if failed {
        tracing::warn!(
            job = job.id,
            task = label,
            reason,
            "archive job failed for good"
        );
    } else {
        tracing::info!(
            job = job.id,
            task = label,
            reason,
            attempts,
            "archive job will be retried"
        );
    }
}

/// Reads a response body in chunks through the hasher, bounded by `max`.
async fn read_hashed(
    mut resp: reqwest::Response,
    max: u64,
) -> Result<(Vec<u8>, archive_hash::MediaDigest), Failure> {
    let mut hasher = Hasher::new().with_limit(max);
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transient("download"))? {
        hasher
            .update(&chunk)
            .map_err(|_| Failure::Permanent("download: larger than media.max_bytes".into()))?;
        bytes.extend_from_slice(&chunk);
    }
    let digest = hasher
        .finish()
        .map_err(|_| Failure::Permanent("download: hashing failed".into()))?;
    Ok((bytes, digest))
}

fn check_status(what: &str, resp: &reqwest::Response) -> Result<(), Failure> {
    let s = resp.status();
    if s.is_success() {
        Ok(())
    } else if s.is_server_error() || s.as_u16() == 429 || s.as_u16() == 408 {
        Err(Failure::Transient(format!("{what}: status {}", s.as_u16())))
    } else {
        Err(Failure::Permanent(format!("{what}: status {}", s.as_u16())))
    }
}

/// Both checks together: a mismatch anywhere is a mismatch; else a match anywhere is a match.
fn combine(a: Verification, b: Verification) -> Verification {
    match (a, b) {
        (Verification::Mismatch, _) | (_, Verification::Mismatch) => Verification::Mismatch,
        (Verification::Match, _) | (_, Verification::Match) => Verification::Match,
        (u, _) => u,
    }
}

/// The item's own timestamp (seconds), else its arrival.
fn item_time(item: &ItemRow, object: &Value) -> u64 {
    let t = object
        .get("timestamp")
        .or_else(|| object.get("messageTimestamp"))
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
    let t = t.map(|t| if t >= 100_000_000_000 { t / 1000 } else { t });
    t.unwrap_or_else(|| u64::try_from(item.received_at / 1000).unwrap_or(0))
}

fn region_prefix(state: &NodeState) -> Option<RegionPrefix> {
    let r: String = state
        .settings
        .region
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    r.parse().ok()
}

/// Stores `bytes` (unless the verification is a mismatch) and appends the record.
#[allow(clippy::too_many_arguments)]
async fn archive(
    state: &NodeState,
    item: &ItemRow,
    time: u64,
    mime: &str,
    bytes: Vec<u8>,
    digest: Sha256,
    verification: Verification,
    template_snapshot: Option<Sha256>,
    fixed_key: Option<String>,
) -> Result<Verification, Failure> {
    let message_id = match (&item.item_id, template_snapshot) {
        (_, Some(t)) => format!("template.{}", t.to_hex()),
        (Some(id), None) => state
            .settings
            .pseudonyms
            .pseudonymize_message_id(id)
            .into_string(),
        (None, None) => format!("item.{}", item.id),
    };
    let key = match fixed_key {
        Some(k) => k,
        None => {
            let who = item
                .subject_phone
                .clone()
                .or_else(|| item.subject_uid.clone())
                .unwrap_or_else(|| "unattributed".into());
            let recipient: Recipient = who
                .parse()
                .map_err(|_| Failure::Permanent("archive key: recipient".into()))?;
            ArchiveKey::new(
                region_prefix(state).as_ref(),
                UnixSeconds::new(time),
                &recipient,
                &message_id,
                mime,
            )
            .map_err(|_| Failure::Permanent("archive key".into()))?
            .as_str()
            .to_owned()
        }
    };
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let object_key = if verification == Verification::Mismatch {
        state.metrics.mismatches.inc();
        tracing::warn!(
            alert = "archive_checksum_mismatch",
            item = item.id,
            kind = %item.kind,
            "media checksum mismatch: bytes discarded, recorded as mismatch"
        );
        String::new()
    } else {
        let path =
            ObjectPath::parse(&key).map_err(|_| Failure::Permanent("archive key: path".into()))?;
        state
            .archive
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|_| Failure::Transient("object store: put".into()))?;
        key
    };
    let archived_at = now_ms() / 1000;
    let record = ArchiveRecord {
        message_id: message_id.clone(),
        template_snapshot,
        media_sha256: digest,
        media_size: size,
        mime_type: mime.to_owned(),
        object_key: object_key.clone(),
        archived_at: UnixSeconds::new(u64::try_from(archived_at).unwrap_or(0)),
        retention_class: RetentionClass::Standard,
        verification,
    };
    let data_hash = record
        .record_hash()
        .map_err(|_| Failure::Permanent("archive record: canonical form".into()))?;
    let data = String::from_utf8(
        record
            .to_json()
            .map_err(|_| Failure::Permanent("archive record: json".into()))?,
    )
    .map_err(|_| Failure::Permanent("archive record: utf-8".into()))?;
    let leaf = NewLeaf {
        data_hash: *data_hash.as_bytes(),
        kind: "record",
        item: Some(item.id),
        message_id: Some(message_id),
        object_key: Some(object_key),
        subject_phone: item.subject_phone.clone(),
        subject_uid: item.subject_uid.clone(),
        verification: Some(verification.as_str().to_owned()),
        archived_at,
        data,
    };
    super::append(state, &[leaf])
        .await
        .map_err(|_| Failure::Transient("archive log: append".into()))?;
    Ok(verification)
}

async fn cloud_media(state: &NodeState, item: &ItemRow) -> Result<Verification, Failure> {
    let Some(m) = &state.settings.media else {
        return Err(Failure::Permanent(
            "media archiving is not configured".into(),
        ));
    };
    let object: Value =
        serde_json::from_str(&item.json).map_err(|_| Failure::Permanent("item json".into()))?;
    let message: wa_payload::cloud::Message<'_> = serde_json::from_str(&item.json)
        .map_err(|_| Failure::Permanent("item is not a message".into()))?;
    let media = match message.kind() {
        Some(wa_payload::cloud::MessageType::Image) => message.image.as_deref(),
        Some(wa_payload::cloud::MessageType::Audio) => message.audio.as_deref(),
        Some(wa_payload::cloud::MessageType::Video) => message.video.as_deref(),
        Some(wa_payload::cloud::MessageType::Document) => message.document.as_deref(),
        Some(wa_payload::cloud::MessageType::Sticker) => message.sticker.as_deref(),
        _ => None,
    }
    .ok_or_else(|| Failure::Permanent("message has no media".into()))?;
    let media_id = media
        .id
        .as_deref()
        .filter(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .ok_or_else(|| Failure::Permanent("media id is missing or malformed".into()))?;
    let token = m.token.expose();
    let meta = state
        .http
        .get(format!("{}/{media_id}", m.graph_url))
        .bearer_auth(token)
        .send()
        .await
        .map_err(transient("graph api"))?;
    check_status("graph api", &meta)?;
    let meta = meta
        .bytes()
        .await
        .map_err(|_| Failure::Transient("graph api: body".into()))?;
    let meta: Value = serde_json::from_slice(&meta)
        .map_err(|_| Failure::Permanent("graph api: not json".into()))?;
    let url = meta
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::Permanent("graph api: no url".into()))?;
    let url = reqwest::Url::parse(url).map_err(|_| Failure::Permanent("graph api: url".into()))?;
    if !allowed(&m.allowed_hosts, &url) {
        tracing::warn!(
            alert = "media_host_refused",
            item = item.id,
            "media url is not on the host allowlist"
        );
        return Err(Failure::Permanent(
            "download url is not on the allowlist".into(),
        ));
    }
    let resp = state
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(transient("download"))?;
    check_status("download", &resp)?;
    let (bytes, digest) = read_hashed(resp, m.max_bytes).await?;
    let webhook = ExpectedChecksum::from_field(media.sha256.as_deref()).verify(&digest.sha256);
    let metadata = ExpectedChecksum::from_field(meta.get("sha256").and_then(Value::as_str))
        .verify(&digest.sha256);
    let mime = media
        .mime_type
        .as_deref()
        .or_else(|| meta.get("mime_type").and_then(Value::as_str))
        .unwrap_or("application/octet-stream")
        .to_owned();
    archive(
        state,
        item,
        item_time(item, &object),
        &mime,
        bytes,
        digest.sha256,
        combine(webhook, metadata),
        None,
        None,
    )
    .await
}

async fn wasender_media(state: &NodeState, item: &ItemRow) -> Result<Verification, Failure> {
    let Some(m) = &state.settings.media else {
        return Err(Failure::Permanent(
            "media archiving is not configured".into(),
        ));
    };
    let object: Value =
        serde_json::from_str(&item.json).map_err(|_| Failure::Permanent("item json".into()))?;
    let record: wa_payload::wasender::Record<'_> = serde_json::from_str(&item.json)
        .map_err(|_| Failure::Permanent("item is not a record".into()))?;
    let content = record
        .message
        .as_deref()
        .ok_or_else(|| Failure::Permanent("record has no message".into()))?;
    let (media, info) = [
        (content.image_message.as_deref(), WASENDER_MEDIA[0].1),
        (content.sticker_message.as_deref(), WASENDER_MEDIA[1].1),
        (content.video_message.as_deref(), WASENDER_MEDIA[2].1),
        (content.audio_message.as_deref(), WASENDER_MEDIA[3].1),
        (content.document_message.as_deref(), WASENDER_MEDIA[4].1),
    ]
    .into_iter()
    .find_map(|(m, info)| m.map(|m| (m, info)))
    .ok_or_else(|| Failure::Permanent("message has no media".into()))?;
    let url = media
        .url
        .as_ref()
        .and_then(|u| reqwest::Url::parse(u.as_str()).ok())
        .ok_or_else(|| Failure::Permanent("media url is missing".into()))?;
    if !allowed(&m.allowed_hosts, &url) {
        tracing::warn!(
            alert = "media_host_refused",
            item = item.id,
            "media url is not on the host allowlist"
        );
        return Err(Failure::Permanent(
            "download url is not on the allowlist".into(),
        ));
    }
    let key = media
        .media_key
        .as_ref()
        .and_then(|k| media::media_key(k.0.as_ref()).ok())
        .ok_or_else(|| Failure::Permanent("media key is missing or malformed".into()))?;
    let resp = state
        .http
        .get(url)
        .send()
        .await
        .map_err(transient("download"))?;
    check_status("download", &resp)?;
    let (encrypted, enc_digest) = read_hashed(resp, m.max_bytes.saturating_add(64)).await?;
    let enc_check =
        ExpectedChecksum::from_field(media.file_enc_sha256.as_deref()).verify(&enc_digest.sha256);
    let mime = media
        .mimetype
        .as_deref()
        .unwrap_or("application/octet-stream")
        .to_owned();
    let time = item_time(item, &object);
    if enc_check == Verification::Mismatch {
        return archive(
            state,
            item,
            time,
            &mime,
            Vec::new(),
            enc_digest.sha256,
            Verification::Mismatch,
            None,
            None,
        )
        .await;
    }
    let plain = match media::decrypt(&key, info, &encrypted) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(item = item.id, error = %e, "wasender media does not decrypt");
            return archive(
                state,
                item,
                time,
                &mime,
                Vec::new(),
                enc_digest.sha256,
                Verification::Mismatch,
                None,
                None,
            )
            .await;
        }
    };
    let plain_digest = Sha256::digest(&plain);
    let plain_check =
        ExpectedChecksum::from_field(media.file_sha256.as_deref()).verify(&plain_digest);
    archive(
        state,
        item,
        time,
        &mime,
        plain,
        plain_digest,
        combine(plain_check, enc_check),
        None,
        None,
    )
    .await
}

async fn template(state: &NodeState, item: &ItemRow) -> Result<Verification, Failure> {
    let change: Value =
        serde_json::from_str(&item.json).map_err(|_| Failure::Permanent("item json".into()))?;
    let fields: serde_json::Map<String, Value> = change
        .get("value")
        .and_then(Value::as_object)
        .map(|v| {
            v.iter()
                .filter(|(k, _)| k.starts_with("message_template_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        return Err(Failure::Permanent(
            "change has no message_template_ fields".into(),
        ));
    }
    let json =
        serde_json::to_vec(&fields).map_err(|_| Failure::Permanent("template json".into()))?;
    let snapshot = TemplateSnapshot::from_json(&json)
        .map_err(|_| Failure::Permanent("template: canonical form".into()))?;
    let prefix = region_prefix(state)
        .map(|p| format!("{}/", p.as_str()))
        .unwrap_or_default();
    let key = format!("{prefix}templates/{}.json", snapshot.id().to_hex());
    let time = item_time(item, &change);
    // The stored bytes are the canonical form, whose hash is the snapshot id: `match`.
    archive(
        state,
        item,
        time,
        "application/json",
        snapshot.canonical().to_vec(),
        snapshot.id(),
        Verification::Match,
        Some(snapshot.id()),
        Some(key),
    )
    .await
}

/// Deletes an object; a missing one counts as deleted.
///
/// # Errors
/// The store's other errors.
pub async fn delete_object(
    store: &dyn ObjectStore,
    key: &str,
) -> Result<bool, object_store::Error> {
    if key.is_empty() {
        return Ok(false);
    }
    let Ok(path) = ObjectPath::parse(key) else {
        return Ok(false);
    };
    match store.delete(&path).await {
        Ok(()) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_stay_on_the_allowlist() {
        let hosts: Vec<String> = super::super::config::DEFAULT_MEDIA_HOSTS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let ok = |u: &str| allowed(&hosts, &reqwest::Url::parse(u).unwrap());
        assert!(ok(
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
        ));
        assert!(ok("https://scontent.xx.fbcdn.net/v/t1/abc"));
        assert!(ok("https://mmg.whatsapp.net/d/f/abc.enc"));
        assert!(!ok("http://lookaside.fbsbx.com/x"));
        assert!(!ok("https://evil.example/x"));
        assert!(!ok("https://fbcdn.net.evil.example/x"));
        assert!(!ok("https://169.254.169.254/latest/meta-data"));
        let local = vec!["127.0.0.1".to_owned()];
        assert!(allowed(
            &local,
            &reqwest::Url::parse("http://127.0.0.1:9/m").unwrap()
        ));
    }
}
