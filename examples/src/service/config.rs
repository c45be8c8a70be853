//! Service configuration: one TOML file, any key of which the environment may override.
//!
//! A key `section.key` is overridden by `RESIDENCY_SECTION_KEY` (`meta.app_secret` by
//! `RESIDENCY_META_APP_SECRET`, the top-level `listen` by `RESIDENCY_LISTEN`). Keys under a
//! table whose names the operator chooses (`regions.EU.endpoints`, `edge_keys.k1`) are written
//! with that name in the variable (`RESIDENCY_REGIONS_EU_ENDPOINTS`, `RESIDENCY_EDGE_KEYS_K1`;
//! a name that matches a key of the file case-insensitively overrides that key, otherwise it
//! is taken lowercased for key ids and as written for region names). Lists are
//! comma-separated. Each service declares its keys ([`EnvKey`]), so a variable maps to one
//! key only and is read with that key's type.
//!
//! Errors name the key and the problem, never the value: a secret in a malformed line must
//! not end up in a log.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use toml::{Table, Value};
use zeroize::Zeroizing;

/// The prefix of every environment variable the services read.
pub const ENV_PREFIX: &str = "RESIDENCY_";

/// A configuration problem: the key and what is wrong with it (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    key: String,
    problem: String,
}

impl ConfigError {
    /// A problem with `key` (a dotted path such as `meta.app_secret`).
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// The key at fault.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config: `{}`: {}", self.key, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// The type of a key's value, for reading it from an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string, taken as written.
    Str,
    /// A non-negative integer.
    Int,
    /// `true` or `false`.
    Bool,
    /// A comma-separated list of strings.
    List,
}

/// A key a service reads, and its type. `*` stands for one name the operator chooses
/// (`regions.*.endpoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvKey {
    /// The dotted path, with `*` for an operator-chosen table key.
    pub path: &'static str,
    /// How the variable's value is read.
    pub kind: Kind,
}

impl EnvKey {
    /// A key of type `kind` at `path`.
    pub const fn new(path: &'static str, kind: Kind) -> Self {
        Self { path, kind }
    }

    /// The variable that overrides a key without `*`: `RESIDENCY_META_APP_SECRET`.
    pub fn variable(&self) -> String {
        format!("{ENV_PREFIX}{}", self.path.replace('.', "_").to_uppercase())
    }
}

/// Reads the file at `path` (or starts from an empty table), applies the overrides found in
/// `env` for the declared `keys`, and deserializes the result.
///
/// # Errors
/// A [`ConfigError`] naming the file (`file`) when it cannot be read or is not TOML, or the
/// key whose override or value is wrong.
pub fn load<T: DeserializeOwned>(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    keys: &[EnvKey],
) -> Result<T, ConfigError> {
    let mut table = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| ConfigError::new("file", format!("cannot read it: {}", e.kind())))?;
            // toml's messages quote the offending line, which may hold a secret: keep only
            // the position.
            text.parse::<Table>().map_err(|e| {
                let at = e.span().map_or(0, |s| s.start);
                let line = 1 + text.get(..at).unwrap_or("").matches('\n').count();
                ConfigError::new("file", format!("is not valid TOML (line {line})"))
            })?
        }
        None => Table::new(),
    };
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if let Some((dotted, kind)) = resolve(rest, keys, &table) {
            let parsed = parse(&dotted, kind, &value)?;
            set(&mut table, &dotted, parsed)?;
        }
    }
    deserialize(table)
}

/// The key a variable name (without the prefix) overrides, and its kind.
fn resolve(rest: &str, keys: &[EnvKey], table: &Table) -> Option<(String, Kind)> {
    for key in keys {
        let segments: Vec<&str> = key.path.split('.').collect();
        if let Some(dotted) = match_segments(rest, &segments, table) {
            return Some((dotted, key.kind));
        }
    }
    None
}

/// Matches `rest` (`REGIONS_EU_ENDPOINTS`) against path segments (`regions`, `*`,
/// `endpoints`), returning the dotted key with the wildcard filled in.
fn match_segments(rest: &str, segments: &[&str], table: &Table) -> Option<String> {
    let Some((first, tail)) = segments.split_first() else {
        return rest.is_empty().then(String::new);
    };
    if *first == "*" {
        // The operator-chosen name runs up to where the remaining segments match.
        let suffix: String = tail
            .iter()
            .map(|s| format!("_{}", s.to_uppercase()))
            .collect();
        let name = rest.strip_suffix(suffix.as_str())?;
        if name.is_empty() {
            return None;
        }
        let name = table
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| {
                if name.chars().any(|c| c.is_ascii_lowercase()) || tail.is_empty() {
                    name.to_lowercase()
                } else {
                    name.to_owned()
                }
            });
        let mut dotted = name;
        for s in tail {
            dotted.push('.');
            dotted.push_str(s);
        }
        return Some(dotted);
    }
    let upper = first.to_uppercase();
    let after = rest.strip_prefix(upper.as_str())?;
    if tail.is_empty() {
        return after.is_empty().then(|| (*first).to_owned());
    }
    let after = after.strip_prefix('_')?;
    let sub = match table.get(*first) {
        Some(Value::Table(t)) => t.clone(),
        _ => Table::new(),
    };
    let inner = match_segments(after, tail, &sub)?;
    Some(format!("{first}.{inner}"))
}

fn parse(key: &str, kind: Kind, value: &str) -> Result<Value, ConfigError> {
    Ok(match kind {
        Kind::Str => Value::String(value.to_owned()),
        Kind::Int => value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Value::Integer)
            .ok_or_else(|| ConfigError::new(key, "is not a non-negative integer"))?,
        Kind::Bool => match value.trim() {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => return Err(ConfigError::new(key, "is not `true` or `false`")),
        },
        Kind::List => Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
    })
}

fn set(table: &mut Table, dotted: &str, value: Value) -> Result<(), ConfigError> {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut at = table;
    for p in parts {
        let entry = at
            .entry(p.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        at = match entry {
            Value::Table(t) => t,
            _ => return Err(ConfigError::new(p, "is not a table")),
        };
    }
    at.insert(last.to_owned(), value);
    Ok(())
}

fn deserialize<T: DeserializeOwned>(table: Table) -> Result<T, ConfigError> {
    let value = Value::Table(table);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { "config".to_owned() } else { key };
        // serde's message can quote the value ("invalid type: string \"...\""): keep only
        // its kind of problem.
        let inner = e.inner().to_string();
        let problem = if inner.starts_with("missing field") {
            let field = inner.split('`').nth(1).unwrap_or_default();
            return ConfigError::new(
                if key == "config" {
                    field.to_owned()
                } else {
                    format!("{key}.{field}")
                },
                "is missing",
            );
        } else if inner.starts_with("unknown field") {
            "is not a known key"
        } else if inner.starts_with("invalid type") {
            "has the wrong type"
        } else {
            "has an invalid value"
        };
        ConfigError::new(key, problem)
    })
}

/// A secret read from the configuration (app secrets, tokens, keys): `Debug` and `Display`
/// print `[REDACTED]`, and the memory is wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself (an explicit call: nothing prints it by accident).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        listen: String,
        meta: Meta,
        #[serde(default)]
        regions: BTreeMap<String, Endpoints>,
        #[serde(default)]
        edge_keys: BTreeMap<String, SecretText>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Meta {
        app_secret: SecretText,
        #[serde(default)]
        deadline_ms: u64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Endpoints {
        endpoints: Vec<String>,
    }

    const KEYS: &[EnvKey] = &[
        EnvKey::new("listen", Kind::Str),
        EnvKey::new("meta.app_secret", Kind::Str),
        EnvKey::new("meta.deadline_ms", Kind::Int),
        EnvKey::new("regions.*.endpoints", Kind::List),
        EnvKey::new("edge_keys.*", Kind::Str),
    ];

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_environment_overrides_any_declared_key() {
        let f = file(
            "listen = \"127.0.0.1:1\"\n[meta]\napp_secret = \"from-file\"\n[regions.EU]\nendpoints = [\"a\"]\n[edge_keys]\nk1 = \"x\"\n",
        );
        let got: Sample = load(
            Some(f.path()),
            env(&[
                ("RESIDENCY_LISTEN", "127.0.0.1:2"),
                ("RESIDENCY_META_APP_SECRET", "from-env"),
                ("RESIDENCY_META_DEADLINE_MS", "2500"),
                (
                    "RESIDENCY_REGIONS_EU_ENDPOINTS",
                    "http://a/ingest, http://b/ingest",
                ),
                ("RESIDENCY_REGIONS_LATAM_ENDPOINTS", "http://c/ingest"),
                ("RESIDENCY_EDGE_KEYS_K1", "y"),
                ("RESIDENCY_EDGE_KEYS_K2", "z"),
                ("UNRELATED", "1"),
            ]),
            KEYS,
        )
        .unwrap();
        assert_eq!(got.listen, "127.0.0.1:2");
        assert_eq!(got.meta.app_secret.expose(), "from-env");
        assert_eq!(got.meta.deadline_ms, 2500);
        assert_eq!(
            got.regions["EU"].endpoints,
            ["http://a/ingest", "http://b/ingest"]
        );
        assert_eq!(got.regions["LATAM"].endpoints, ["http://c/ingest"]);
        assert_eq!(got.edge_keys["k1"].expose(), "y");
        assert_eq!(got.edge_keys["k2"].expose(), "z");
    }

    #[test]
    fn errors_name_the_key_never_the_value() {
        let f = file("listen = \"x\"\n[meta]\napp_secret = 42\n");
        let err = load::<Sample>(Some(f.path()), env(&[]), KEYS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config: `meta.app_secret`: has the wrong type"
        );
        let f = file("listen = \"x\"\n[meta]\n");
        let err = load::<Sample>(Some(f.path()), env(&[]), KEYS).unwrap_err();
        assert_eq!(err.key(), "meta.app_secret");
        let f = file("listen = \"x\"\n[meta]\napp_secret = \"s3cr3t\"\ntypo = 1\n");
        let err = load::<Sample>(Some(f.path()), env(&[]), KEYS).unwrap_err();
        assert_eq!(err.to_string(), "config: `meta.typo`: is not a known key");
        let err = load::<Sample>(
            Some(f.path()),
            env(&[("RESIDENCY_META_DEADLINE_MS", "s3cr3t")]),
            KEYS,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "config: `meta.deadline_ms`: is not a non-negative integer"
        );
        let f = file("listen = \"x\n[meta]\napp_secret = \"s3cr3t\"\n");
        let err = load::<Sample>(Some(f.path()), env(&[]), KEYS).unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert_eq!(err.key(), "file");
    }

    #[test]
    fn secrets_redact_themselves() {
        let s = SecretText::new("hunter2");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(
            EnvKey::new("meta.app_secret", Kind::Str).variable(),
            "RESIDENCY_META_APP_SECRET"
        );
    }
}
