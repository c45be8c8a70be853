//! Generates `residency-core/src/numbering/table.rs` from libphonenumber metadata.
//!
//! Usage (from the workspace root):
//!
//! ```text
//! cargo run --manifest-path tools/numbering-plan/Cargo.toml --release -- \
//!     --xml path/to/PhoneNumberMetadata.xml --version 9.0.35 > residency-core/src/numbering/table.rs
//! cargo run --manifest-path tools/numbering-plan/Cargo.toml --release -- \
//!     --rlibphonenumber path/to/rlibphonenumber-2.2.15/src/generated/metadata/metadata.bin \
//!     --version 9.0.42 > residency-core/src/numbering/table.rs
//! ```
//!
//! With `--seed-policy tools/numbering-plan/seed-policy.txt` it generates instead
//! `residency-core/src/policy/seed.rs`, the seed residency policy's country table.
//!
//! `--xml` reads libphonenumber's `resources/PhoneNumberMetadata.xml` (also shipped in the
//! `phonenumber` crate's `assets/`). `--rlibphonenumber` reads the compiled metadata embedded
//! in the pinned `rlibphonenumber` crate, the oracle of the differential test, so both agree
//! release for release. See `tools/numbering-plan/README.md`.
//!
//! The algorithm reproduces libphonenumber's `getRegionCodeForNumber` on prefixes: for a
//! shared calling code it walks a digit trie and, at each prefix, asks every region (main
//! region first, then metadata order) whether its `leadingDigits` already match, can no
//! longer match, or whether any valid number of the region can still start with the prefix
//! (a DFA walk over the region's number patterns, intersected with the general pattern and
//! the possible lengths). A prefix is settled when the first region still in play either
//! matched its leading digits or is the only region left; otherwise the trie goes one digit
//! deeper, up to `MAX_DEPTH`. Settled prefixes whose region is not the main region become
//! table entries; sibling prefixes with the same answer are merged.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::process::ExitCode;

use regex_automata::dfa::{Automaton, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, Input};

/// Deepest prefix (digits after the calling code) the table may hold.
const MAX_DEPTH: usize = 6;
/// Longest national significant number libphonenumber accepts.
const MAX_NSN: usize = 17;

/// One number type's description: its pattern and possible lengths.
#[derive(Debug, Clone)]
struct Desc {
    pattern: String,
    lengths: Vec<u8>,
}

/// One territory of the metadata.
#[derive(Debug, Clone)]
struct Territory {
    id: String,
    code: u16,
    main: bool,
    leading: Option<String>,
    general: String,
    general_lengths: Vec<u8>,
    types: Vec<Desc>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut xml = None;
    let mut rlib = None;
    let mut version = None;
    let mut it = args.iter();
    if args.first().map(String::as_str) == Some("--seed-policy") {
        return match args.get(1).map(std::fs::read_to_string) {
            Some(Ok(text)) => match seed_policy(&text) {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("numbering-plan: {e}");
                    ExitCode::from(1)
                }
            },
            Some(Err(e)) => {
                eprintln!("numbering-plan: cannot read the seed policy: {e}");
                ExitCode::from(1)
            }
            None => {
                eprintln!("usage: numbering-plan --seed-policy FILE");
                ExitCode::from(2)
            }
        };
    }
    while let Some(a) = it.next() {
        match a.as_str() {
            "--xml" => xml = it.next().cloned(),
            "--rlibphonenumber" => rlib = it.next().cloned(),
            "--version" => version = it.next().cloned(),
            _ => {
                eprintln!(
                    "usage: numbering-plan (--xml FILE | --rlibphonenumber METADATA_BIN) --version V | --seed-policy FILE"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(version) = version else {
        eprintln!("numbering-plan: --version is required (the metadata release)");
        return ExitCode::from(2);
    };
    let (territories, source) = match (xml, rlib) {
        (Some(path), None) => match std::fs::read_to_string(&path) {
            Ok(text) => match load_xml(&text) {
                Ok(t) => (t, "PhoneNumberMetadata.xml"),
                Err(e) => {
                    eprintln!("numbering-plan: {e}");
                    return ExitCode::from(1);
                }
            },
            Err(e) => {
                eprintln!("numbering-plan: cannot read {path}: {e}");
                return ExitCode::from(1);
            }
        },
        (None, Some(path)) => match std::fs::read(&path) {
            Ok(bin) => match load_rlib(&bin) {
                Ok(t) => (t, "the metadata.bin compiled into rlibphonenumber 2.2.15"),
                Err(e) => {
                    eprintln!("numbering-plan: {e}");
                    return ExitCode::from(1);
                }
            },
            Err(e) => {
                eprintln!("numbering-plan: cannot read {path}: {e}");
                return ExitCode::from(1);
            }
        },
        _ => {
            eprintln!(
                "numbering-plan: give exactly one of --xml FILE or --rlibphonenumber METADATA_BIN"
            );
            return ExitCode::from(2);
        }
    };
    match generate(&territories, &version, source) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("numbering-plan: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses `national="[4-6],8"` style length lists.
fn parse_lengths(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if let Some(range) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            let (a, b) = range.split_once('-').ok_or("bad length range")?;
            let a: u8 = a.parse().map_err(|_| "bad length")?;
            let b: u8 = b.parse().map_err(|_| "bad length")?;
            out.extend(a..=b);
        } else if !part.is_empty() {
            out.push(part.parse().map_err(|_| "bad length")?);
        }
    }
    Ok(out)
}

const TYPES: &[&str] = &[
    "fixedLine",
    "mobile",
    "pager",
    "tollFree",
    "premiumRate",
    "sharedCost",
    "personalNumber",
    "voip",
    "uan",
    "voicemail",
];

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn load_xml(text: &str) -> Result<Vec<Territory>, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(text, opts).map_err(|e| format!("xml: {e}"))?;
    let mut out = Vec::new();
    for t in doc.descendants().filter(|n| n.has_tag_name("territory")) {
        let id = t.attribute("id").ok_or("territory without id")?.to_owned();
        let code: u16 = t
            .attribute("countryCode")
            .ok_or("territory without countryCode")?
            .parse()
            .map_err(|_| "bad countryCode")?;
        let main = t.attribute("mainCountryForCode") == Some("true");
        let leading = t.attribute("leadingDigits").map(strip_ws);
        let desc = |name: &str| -> Result<Option<Desc>, String> {
            let Some(d) = t.children().find(|n| n.has_tag_name(name)) else {
                return Ok(None);
            };
            let Some(p) = d
                .children()
                .find(|n| n.has_tag_name("nationalNumberPattern"))
            else {
                return Ok(None);
            };
            let lengths = match d.children().find(|n| n.has_tag_name("possibleLengths")) {
                Some(pl) => parse_lengths(pl.attribute("national").unwrap_or(""))?,
                None => Vec::new(),
            };
            Ok(Some(Desc {
                pattern: strip_ws(p.text().unwrap_or("")),
                lengths,
            }))
        };
        let general = desc("generalDesc")?.ok_or("territory without generalDesc")?;
        let mut types = Vec::new();
        for name in TYPES {
            if let Some(d) = desc(name)? {
                types.push(d);
            }
        }
        // A type without its own lengths inherits the general description's (as
        // BuildMetadataFromXml does); the general lengths are the union of the types'.
        let mut general_lengths: Vec<u8> = if general.lengths.is_empty() {
            types
                .iter()
                .flat_map(|d| d.lengths.iter().copied())
                .collect()
        } else {
            general.lengths.clone()
        };
        general_lengths.sort_unstable();
        general_lengths.dedup();
        for d in &mut types {
            if d.lengths.is_empty() {
                d.lengths.clone_from(&general_lengths);
            }
        }
        out.push(Territory {
            id,
            code,
            main,
            leading,
            general: general.pattern,
            general_lengths,
            types,
        });
    }
    Ok(out)
}

#[allow(deprecated)]
fn load_rlib(bin: &[u8]) -> Result<Vec<Territory>, String> {
    use prost::Message as _;
    let coll = rlibphonenumber::PhoneMetadataCollection::decode(bin)
        .map_err(|e| format!("metadata.bin does not decode: {e}"))?;
    // The compiled form leaves out a type's lengths when they equal the general
    // description's, and marks absent types with the single length -1.
    let conv = |d: &Option<rlibphonenumber::PhoneNumberDesc>, general: &[u8]| -> Option<Desc> {
        let d = d.as_ref()?;
        let pattern = d.national_number_pattern.clone()?;
        if d.possible_length.iter().any(|&l| l < 0) {
            return None;
        }
        let mut lengths: Vec<u8> = d
            .possible_length
            .iter()
            .filter_map(|&l| u8::try_from(l).ok())
            .collect();
        if lengths.is_empty() {
            lengths = general.to_vec();
        }
        Some(Desc { pattern, lengths })
    };
    let mut out = Vec::new();
    for m in coll.metadata {
        let Some(code) = m.country_code.and_then(|c| u16::try_from(c).ok()) else {
            continue;
        };
        let general = conv(&m.general_desc, &[]);
        let general_lengths = general
            .as_ref()
            .map(|g| g.lengths.clone())
            .unwrap_or_default();
        let types: Vec<Desc> = [
            &m.fixed_line,
            &m.mobile,
            &m.pager,
            &m.toll_free,
            &m.premium_rate,
            &m.shared_cost,
            &m.personal_number,
            &m.voip,
            &m.uan,
            &m.voicemail,
        ]
        .into_iter()
        .filter_map(|d| conv(d, &general_lengths))
        .collect();
        let general = general.map_or_else(|| "NA".to_owned(), |g| g.pattern);
        out.push(Territory {
            id: m.id.clone(),
            code,
            main: m.main_country_for_code.unwrap_or(false),
            leading: m.leading_digits.clone(),
            general,
            general_lengths,
            types,
        });
    }
    Ok(out)
}

/// An anchored DFA over digits.
struct Dfa(dense::DFA<Vec<u32>>);

impl Dfa {
    fn new(pattern: &str) -> Result<Self, String> {
        let dfa = dense::Builder::new()
            .configure(dense::Config::new().start_kind(regex_automata::dfa::StartKind::Anchored))
            .build(&format!("^(?:{pattern})"))
            .map_err(|e| format!("pattern does not compile: {e}"))?;
        Ok(Self(dfa))
    }

    fn start(&self) -> StateID {
        self.0
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .expect("anchored start state")
    }

    fn feed(&self, mut s: StateID, digits: &[u8]) -> StateID {
        for &d in digits {
            s = self.0.next_state(s, d);
        }
        s
    }

    fn dead(&self, s: StateID) -> bool {
        self.0.is_dead_state(s)
    }

    /// Whether the input read so far is a full match.
    fn accepts(&self, s: StateID) -> bool {
        self.0.is_match_state(self.0.next_eoi_state(s))
    }

    #[allow(dead_code)]
    fn full_match(&self, digits: &[u8]) -> bool {
        let input = Input::new(digits).anchored(Anchored::Yes);
        self.0
            .try_search_fwd(&input)
            .ok()
            .flatten()
            .is_some_and(|m| m.offset() == digits.len())
    }
}

/// A region's machinery for prefix questions.
struct Region {
    id: String,
    leading: Option<Dfa>,
    general: Dfa,
    types: Vec<(Dfa, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// No number under the prefix goes to this region.
    Dead,
    /// Every number under the prefix that gets this far goes to this region.
    Total,
    /// Some numbers under the prefix may go to this region.
    Partial,
}

impl Region {
    fn status(&self, prefix: &[u8], only_len: Option<u8>) -> Status {
        if let Some(ld) = &self.leading {
            let mut s = ld.start();
            for i in 0..=prefix.len() {
                if ld.accepts(s) && i > 0 {
                    return Status::Total;
                }
                if ld.dead(s) {
                    return Status::Dead;
                }
                if let Some(&d) = prefix.get(i) {
                    s = ld.0.next_state(s, d);
                }
            }
            if ld.dead(s) {
                Status::Dead
            } else {
                Status::Partial
            }
        } else if self.can_be_valid(prefix, only_len) {
            Status::Partial
        } else {
            Status::Dead
        }
    }

    /// Whether some valid number of this region starts with `prefix`: it must match the
    /// general pattern and one type's pattern with one of that type's lengths.
    fn can_be_valid(&self, prefix: &[u8], only_len: Option<u8>) -> bool {
        let g0 = self.general.feed(self.general.start(), prefix);
        if self.general.dead(g0) {
            return false;
        }
        for (dfa, lengths) in &self.types {
            let t0 = dfa.feed(dfa.start(), prefix);
            if dfa.dead(t0) {
                continue;
            }
            let max = lengths.iter().copied().max().unwrap_or(0) as usize;
            let mut level: HashSet<(StateID, StateID)> = HashSet::from([(t0, g0)]);
            let mut len = prefix.len();
            while len <= max.min(MAX_NSN) && !level.is_empty() {
                if lengths.contains(&(len as u8))
                    && only_len.is_none_or(|l| usize::from(l) == len)
                    && level
                        .iter()
                        .any(|&(t, g)| dfa.accepts(t) && self.general.accepts(g))
                {
                    return true;
                }
                let mut next = HashSet::new();
                for &(t, g) in &level {
                    for d in b'0'..=b'9' {
                        let (t2, g2) = (dfa.0.next_state(t, d), self.general.0.next_state(g, d));
                        if !dfa.dead(t2) && !self.general.dead(g2) {
                            next.insert((t2, g2));
                        }
                    }
                }
                level = next;
                len += 1;
            }
        }
        false
    }
}

/// The answer for the numbers under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// No valid number starts with the prefix: any answer will do.
    NoValid,
    /// Valid numbers under the prefix belong to this region (index in the region list).
    Region(usize),
}

/// A trie node: settled, or split by the next digit.
enum Node {
    Leaf(Answer),
    /// Settled only by the national number's length (NANP 7-digit `310` numbers are CA,
    /// 10-digit ones US): the answer for each length.
    ByLength(Vec<(u8, Answer)>),
    Split(Box<[Node; 10]>),
}

struct Stats {
    forced: usize,
}

fn first_answer(statuses: &[Status]) -> Option<Answer> {
    let Some(first) = statuses.iter().position(|s| *s != Status::Dead) else {
        return Some(Answer::NoValid);
    };
    let rest_dead = statuses.iter().skip(first + 1).all(|s| *s == Status::Dead);
    (statuses[first] == Status::Total || rest_dead).then_some(Answer::Region(first))
}

fn decide(regions: &[Region], prefix: &mut Vec<u8>, stats: &mut Stats) -> Node {
    let statuses: Vec<Status> = regions.iter().map(|r| r.status(prefix, None)).collect();
    if let Some(answer) = first_answer(&statuses) {
        return Node::Leaf(answer);
    }
    // Does the national number's length settle it?
    let mut lengths: Vec<u8> = regions
        .iter()
        .flat_map(|r| r.types.iter().flat_map(|(_, l)| l.iter().copied()))
        .filter(|&l| usize::from(l) >= prefix.len())
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    let by_length: Option<Vec<(u8, Answer)>> = lengths
        .iter()
        .map(|&l| {
            let st: Vec<Status> = regions.iter().map(|r| r.status(prefix, Some(l))).collect();
            first_answer(&st).map(|a| (l, a))
        })
        .collect();
    if let Some(by_length) = by_length {
        let answers: Vec<&Answer> = by_length
            .iter()
            .map(|(_, a)| a)
            .filter(|a| **a != Answer::NoValid)
            .collect();
        if answers.windows(2).all(|w| w[0] == w[1]) {
            return Node::Leaf(answers.first().map_or(Answer::NoValid, |a| (*a).clone()));
        }
        return Node::ByLength(by_length);
    }
    let first = statuses
        .iter()
        .position(|s| *s != Status::Dead)
        .expect("first_answer returned None, so a region is live");
    if prefix.len() >= MAX_DEPTH {
        // Several regions could still hold valid numbers under this prefix; libphonenumber
        // tries them in order, so the first one wins for every number it validates.
        stats.forced += 1;
        return Node::Leaf(Answer::Region(first));
    }
    let children: [Node; 10] = std::array::from_fn(|d| {
        prefix.push(b'0' + d as u8);
        let n = decide(regions, prefix, stats);
        prefix.pop();
        n
    });
    // Merge children that agree (treating "no valid number" as agreeing with anything).
    let mut common: Option<Answer> = None;
    for c in &children {
        match c {
            Node::Split(_) | Node::ByLength(_) => return Node::Split(Box::new(children)),
            Node::Leaf(Answer::NoValid) => {}
            Node::Leaf(a) => match &common {
                None => common = Some(a.clone()),
                Some(x) if x == a => {}
                Some(_) => return Node::Split(Box::new(children)),
            },
        }
    }
    Node::Leaf(common.unwrap_or(Answer::NoValid))
}

/// A table entry: prefix, region index, and the national number length it is limited to.
type Entry = (String, usize, Option<u8>);

fn collect(node: &Node, prefix: &mut Vec<u8>, main: usize, out: &mut Vec<Entry>) {
    let p = String::from_utf8_lossy(prefix).into_owned();
    match node {
        Node::Leaf(Answer::Region(r)) if *r != main => out.push((p, *r, None)),
        Node::Leaf(_) => {}
        Node::ByLength(answers) => {
            for (l, a) in answers {
                if let Answer::Region(r) = a
                    && *r != main
                {
                    out.push((p.clone(), *r, Some(*l)));
                }
            }
        }
        Node::Split(children) => {
            for (d, c) in children.iter().enumerate() {
                prefix.push(b'0' + d as u8);
                collect(c, prefix, main, out);
                prefix.pop();
            }
        }
    }
}

fn generate(territories: &[Territory], version: &str, source: &str) -> Result<String, String> {
    // Group by calling code: main region first, then metadata order (as libphonenumber).
    let mut by_code: BTreeMap<u16, Vec<&Territory>> = BTreeMap::new();
    for t in territories {
        let list = by_code.entry(t.code).or_default();
        if t.main {
            list.insert(0, t);
        } else {
            list.push(t);
        }
    }
    let mut codes = String::new();
    // The prefixes twice: a listing for review (comments) and the generated `phf` maps.
    let mut prefixes = String::new();
    let mut length_prefixes = String::new();
    let mut prefix_map = phf_codegen::Map::<u64>::new();
    let mut length_map = phf_codegen::Map::<u64>::new();
    let mut n_prefixes = 0usize;
    // Every key of both maps, for the filter in front of them.
    let mut filter = [0u64; FILTER_WORDS];
    let mut shared = 0usize;
    let mut nongeo = Vec::new();
    for (&code, list) in &by_code {
        let main = list[0];
        let country = if main.id == "001" {
            nongeo.push(code);
            "None".to_owned()
        } else {
            format!("Some(Country::from_static(\"{}\"))", main.id)
        };
        let mut lengths: Vec<u8> = list
            .iter()
            .flat_map(|t| t.general_lengths.iter().copied())
            .collect();
        lengths.sort_unstable();
        let (min, max) = (
            lengths.first().copied().unwrap_or(0),
            lengths.last().copied().unwrap_or(0),
        );
        let mut entries = Vec::new();
        if list.len() > 1 {
            shared += 1;
            let regions = list
                .iter()
                .map(|t| {
                    Ok(Region {
                        id: t.id.clone(),
                        leading: t.leading.as_deref().map(Dfa::new).transpose()?,
                        general: Dfa::new(&t.general)?,
                        types: t
                            .types
                            .iter()
                            .map(|d| Ok((Dfa::new(&d.pattern)?, d.lengths.clone())))
                            .collect::<Result<_, String>>()?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            let mut stats = Stats { forced: 0 };
            let tree = decide(&regions, &mut Vec::new(), &mut stats);
            collect(&tree, &mut Vec::new(), 0, &mut entries);
            if stats.forced > 0 {
                eprintln!(
                    "numbering-plan: +{code}: {} prefixes settled at depth {MAX_DEPTH} by region order",
                    stats.forced
                );
            }
            let names: Vec<&str> = regions.iter().map(|r| r.id.as_str()).collect();
            writeln!(prefixes, "// +{code}: {}", names.join(" ")).ok();
            for (p, r, nsn_len) in &entries {
                let key = p.len() as u64 * 1_000_000_000
                    + u64::from(code) * 1_000_000
                    + p.parse::<u64>().unwrap_or(0);
                let k = key.to_string();
                let n = k.len();
                let grouped = format!(
                    "{}_{}_{}_{}",
                    &k[..n - 9],
                    &k[n - 9..n - 6],
                    &k[n - 6..n - 3],
                    &k[n - 3..]
                );
                let id = &regions[*r].id;
                let value = format!("Country::from_static(\"{id}\")");
                match nsn_len {
                    None => {
                        writeln!(prefixes, "//   {grouped} {id}  +{code} {p}").ok();
                        prefix_map.entry(key, value);
                        set_filter_bit(&mut filter, key);
                    }
                    Some(l) => {
                        writeln!(
                            length_prefixes,
                            "//   {l}_{grouped} {id}  +{code} {p}, {l}-digit national numbers"
                        )
                        .ok();
                        let key = u64::from(*l) * 10_000_000_000 + key;
                        length_map.entry(key, value);
                        set_filter_bit(&mut filter, key);
                    }
                }
                n_prefixes += 1;
            }
        }
        let lens_mask: u8 = entries
            .iter()
            .fold(0, |m, (p, _, _)| m | 1 << (p.len() - 1));
        let mut rules: Vec<u8> = entries.iter().filter_map(|(_, _, l)| *l).collect();
        rules.sort_unstable();
        rules.dedup();
        writeln!(
            codes,
            "    ({code}, Code {{ main: {country}, shared: {}, prefix_lens: 0b{lens_mask:06b}, length_rules: &{rules:?}, nsn_min: {min}, nsn_max: {max} }}),",
            list.len() > 1
        )
        .ok();
    }
    let mut out = String::new();
    writeln!(
        out,
        "// @generated by tools/numbering-plan from {source}, libphonenumber metadata {version}."
    )
    .ok();
    writeln!(out, "// Do not edit by hand: regenerate (see tools/numbering-plan/README.md) and review the diff.").ok();
    writeln!(out, "// {} calling codes, {shared} shared, {} non-geographic; {n_prefixes} leading-digit prefixes.", by_code.len(), nongeo.len()).ok();
    writeln!(out).ok();
    writeln!(out, "use super::Code;").ok();
    writeln!(out, "use crate::country::Country;").ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// The libphonenumber metadata release this table was generated from."
    )
    .ok();
    writeln!(
        out,
        "pub(crate) const METADATA_VERSION: &str = \"{version}\";"
    )
    .ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// Every country calling code, ascending: its main region (`None` when non-geographic),"
    )
    .ok();
    writeln!(
        out,
        "/// whether regions share it, the lengths of its leading-digit prefixes (bit n-1 for"
    )
    .ok();
    writeln!(
        out,
        "/// length n), the national number lengths with length-dependent prefixes, and the"
    )
    .ok();
    writeln!(out, "/// national significant number lengths.").ok();
    writeln!(out, "pub(super) static CODES: &[(u16, Code)] = &[").ok();
    out.push_str(&codes);
    writeln!(out, "];").ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// Leading-digit prefixes of shared codes whose region is not the main one."
    )
    .ok();
    writeln!(
        out,
        "/// Key: `LEN_CCC_PPPPPP` = prefix length * 10^9 + calling code * 10^6 + prefix digits."
    )
    .ok();
    writeln!(
        out,
        "/// A perfect hash map generated by `phf_codegen`, so no user compiles `phf_macros`."
    )
    .ok();
    writeln!(
        out,
        "/// Its entries, for review (key `LEN_CCC_PPP_PPP`, region, the prefix as dialled):"
    )
    .ok();
    out.push_str(&prefixes);
    writeln!(
        out,
        "pub(super) static PREFIXES: phf::Map<u64, Country> = {};",
        prefix_map.build()
    )
    .ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// Prefixes whose region also depends on the national number's length (listed in"
    )
    .ok();
    writeln!(out, "/// the code's `length_rules`). Key: `NSN_LEN_CCC_PPPPPP` = national length * 10^10 + prefix key.").ok();
    writeln!(out, "/// Its entries, for review:").ok();
    out.push_str(&length_prefixes);
    writeln!(
        out,
        "pub(super) static LENGTH_PREFIXES: phf::Map<u64, Country> = {};",
        length_map.build()
    )
    .ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// A filter in front of both maps: bit `(key * 0x9E37_79B9_7F4A_7C15) >> {}` is set for"
    , 64 - FILTER_BITS)
    .ok();
    writeln!(
        out,
        "/// every key of `PREFIXES` and `LENGTH_PREFIXES`, so most keys that are in neither map"
    )
    .ok();
    writeln!(
        out,
        "/// are answered without hashing them (`numbering::listed`)."
    )
    .ok();
    writeln!(out, "pub(super) static PREFIX_FILTER: [u64; {FILTER_WORDS}] = [").ok();
    for chunk in filter.chunks(4) {
        let words: Vec<String> = chunk.iter().map(|w| format!("0x{w:016x}")).collect();
        writeln!(out, "    {},", words.join(", ")).ok();
    }
    writeln!(out, "];").ok();
    Ok(out)
}

/// Bits of the prefix filter's index (`residency-core`'s `numbering::listed` uses the same
/// hash; its tests check that every key of the maps passes the filter).
const FILTER_BITS: u32 = 12;
/// 64-bit words of the prefix filter.
const FILTER_WORDS: usize = 1 << (FILTER_BITS - 6);

/// Sets the filter bit of `key`: a multiplicative (Fibonacci) hash, its top bits.
fn set_filter_bit(filter: &mut [u64; FILTER_WORDS], key: u64) {
    let bit = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize;
    filter[bit / 64] |= 1 << (bit % 64);
}

/// `residency-core/src/policy/seed.rs` from the seed policy's list: lines of a region and its
/// countries (`EU AT BE ...`), `#` comments. Every country once, two uppercase letters.
fn seed_policy(text: &str) -> Result<String, String> {
    let mut map = phf_codegen::Map::<&str>::new();
    let mut listing = String::new();
    let mut seen = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            writeln!(listing, "///{comment}").ok();
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(region) = words.next() else {
            continue;
        };
        let valid_region = region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid_region {
            return Err(format!("line {}: `{region}` is not a region name", n + 1));
        }
        let countries: Vec<&str> = words.collect();
        for &c in &countries {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("line {}: `{c}` is not an ISO country code", n + 1));
            }
            if !seen.insert(c) {
                return Err(format!("line {}: `{c}` is listed twice", n + 1));
            }
            map.entry(c, format!("Region::from_static(\"{region}\")"));
        }
        writeln!(listing, "/// `{region}`: {}.", countries.join(", ")).ok();
    }
    let mut out = String::new();
    writeln!(
        out,
        "// @generated by tools/numbering-plan --seed-policy from tools/numbering-plan/seed-policy.txt."
    )
    .ok();
    writeln!(
        out,
        "// Do not edit by hand: edit the list, regenerate (see tools/numbering-plan/README.md) and review the diff."
    )
    .ok();
    writeln!(out).ok();
    writeln!(out, "use crate::region::Region;").ok();
    writeln!(out).ok();
    writeln!(
        out,
        "/// The seed policy's country table (country -> region); every other country goes to the"
    )
    .ok();
    writeln!(
        out,
        "/// default region. A perfect hash map generated by `phf_codegen`, so no user compiles"
    )
    .ok();
    writeln!(out, "/// `phf_macros`.").ok();
    writeln!(out, "///").ok();
    out.push_str(&listing);
    writeln!(
        out,
        "pub(super) static SEED: phf::Map<&'static str, Region> = {};",
        map.build()
    )
    .ok();
    Ok(out)
}
