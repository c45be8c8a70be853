//! `archive-hash` benches.
//!
//! - `sha256`: our streaming [`Hasher`] beside `baseline-ring` (`ring::digest`) on 1 KiB,
//!   1 MiB and 64 MiB inputs; `ours-reader` feeds the same bytes through `read_from`.
//! - `merkle`: appending a million leaves to [`MerkleLog`] beside `baseline-leaf-vec` (only
//!   hashing the leaves into a `Vec`, the floor any log pays); producing and verifying an
//!   inclusion proof in the million-leaf log beside `baseline-recompute` (the RFC 6962
//!   definition evaluated over the stored leaf hashes, as a log without a node cache would).
//! - `jcs`: canonicalizing a typical message template beside `baseline-serde-value` (parse to
//!   `serde_json::Value` and write it back, which is not canonical but is the usual stand-in).

use std::hint::black_box;

use archive_hash::merkle::{self, MerkleLog};
use archive_hash::{Hasher, Sha256, canonicalize};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn input(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 7)) as u8)
        .collect()
}

fn sha256(c: &mut Criterion) {
    let mut g = c.benchmark_group("sha256");
    for (name, len) in [("1KiB", 1 << 10), ("1MiB", 1 << 20), ("64MiB", 64 << 20)] {
        let data = input(len);
        g.throughput(Throughput::Bytes(len as u64));
        if len >= 64 << 20 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::new("ours", name), &data, |b, d| {
            b.iter(|| {
                let mut h = Hasher::new();
                h.update(black_box(d)).expect("no bound");
                h.finish().expect("no bound")
            });
        });
        g.bench_with_input(BenchmarkId::new("ours-reader", name), &data, |b, d| {
            b.iter(|| {
                let mut h = Hasher::new();
                h.read_from(&mut black_box(&d[..])).expect("in memory");
                h.finish().expect("no bound")
            });
        });
        g.bench_with_input(BenchmarkId::new("baseline-ring", name), &data, |b, d| {
            b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(d)));
        });
    }
    g.finish();
}

const LEAVES: u64 = 1_000_000;

/// RFC 6962 MTH over `leaves[start..start + n]`, recomputed from the leaf hashes.
fn mth(leaves: &[Sha256]) -> Sha256 {
    match leaves {
        [] => merkle::empty_root(),
        [one] => *one,
        _ => {
            let k = 1usize << (usize::BITS - 1 - (leaves.len() - 1).leading_zeros());
            let (l, r) = leaves.split_at(k);
            merkle::node_hash(mth(l).as_bytes(), mth(r).as_bytes())
        }
    }
}

/// RFC 6962 PATH, recomputing every sibling subtree from the leaf hashes.
fn path(m: usize, leaves: &[Sha256], out: &mut Vec<Sha256>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = 1usize << (usize::BITS - 1 - (leaves.len() - 1).leading_zeros());
    let (l, r) = leaves.split_at(k);
    if m < k {
        path(m, l, out);
        out.push(mth(r));
    } else {
        path(m - k, r, out);
        out.push(mth(l));
    }
}

fn merkle_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("merkle");
    g.sample_size(10);
    g.throughput(Throughput::Elements(LEAVES));
    g.bench_function(BenchmarkId::new("append", "1M"), |b| {
        b.iter(|| {
            let mut log = MerkleLog::new();
            for i in 0..LEAVES {
                log.append(&i.to_le_bytes());
            }
            log.root()
        });
    });
    g.bench_function(BenchmarkId::new("baseline-leaf-vec", "1M"), |b| {
        b.iter(|| {
            let mut v = Vec::new();
            for i in 0..LEAVES {
                v.push(merkle::leaf_hash(&i.to_le_bytes()));
            }
            v.len()
        });
    });

    let mut log = MerkleLog::new();
    let mut leaves = Vec::with_capacity(LEAVES as usize);
    for i in 0..LEAVES {
        log.append(&i.to_le_bytes());
        leaves.push(merkle::leaf_hash(&i.to_le_bytes()));
    }
    let root = log.root();
    let index = 765_432u64;
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("prove-verify", "1M"), |b| {
        b.iter(|| {
            let proof = log
                .inclusion_proof(black_box(index), LEAVES)
                .expect("in range");
            let leaf = log.leaf_hash(index).expect("in range");
            merkle::verify_inclusion(index, LEAVES, leaf, &proof, root).expect("valid")
        });
    });
    g.bench_function(BenchmarkId::new("baseline-recompute", "1M"), |b| {
        b.iter(|| {
            let mut proof = Vec::new();
            path(black_box(index as usize), &leaves, &mut proof);
            let root = mth(&leaves);
            merkle::verify_inclusion(index, LEAVES, leaves[index as usize], &proof, root)
                .expect("valid")
        });
    });
    g.finish();
}

const TEMPLATE: &str = r##"{
  "name": "order_shipped_v3",
  "language": "pt_BR",
  "category": "UTILITY",
  "status": "APPROVED",
  "id": "1284719283746512",
  "parameter_format": "POSITIONAL",
  "components": [
    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARZ2x"]}},
    {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} foi enviado! Previsão de entrega: {{3}}. Valor: R$ {{4}}",
     "example": {"body_text": [["Maria", "#48213", "22/11", "149.90"]]}},
    {"type": "FOOTER", "text": "Responda PARAR para não receber mais mensagens"},
    {"type": "BUTTONS", "buttons": [
      {"type": "URL", "text": "Rastrear", "url": "https://example.com/track/{{1}}", "example": ["https://example.com/track/48213"]},
      {"type": "QUICK_REPLY", "text": "Falar com atendente"},
      {"type": "PHONE_NUMBER", "text": "Ligar", "phone_number": "+551140028922"}
    ]}
  ],
  "quality_score": {"score": "GREEN", "date": 1763719200},
  "rejected_reason": "NONE",
  "previous_category": null,
  "cta_url_link_tracking_opted_out": false,
  "sub_category": null,
  "price": 0.0625
}"##;

fn jcs(c: &mut Criterion) {
    let mut g = c.benchmark_group("jcs");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("ours", "template"), |b| {
        b.iter(|| canonicalize(black_box(TEMPLATE.as_bytes())).expect("valid"));
    });
    g.bench_function(BenchmarkId::new("baseline-serde-value", "template"), |b| {
        b.iter(|| {
            let v: serde_json::Value =
                serde_json::from_slice(black_box(TEMPLATE.as_bytes())).expect("valid");
            serde_json::to_vec(&v).expect("serializable")
        });
    });
    g.finish();
}

criterion_group!(benches, sha256, merkle_group, jcs);
criterion_main!(benches);
