//! Webhook authentication: Meta's verify handshake, `X-Hub-Signature-256`, WASender's
//! `X-Webhook-Signature`, and the edge signature on bodies the router rebuilds.
//!
//! The edge signature also covers the hop count the edge writes into `x-failover-count`
//! ([`FAILOVER_COUNT_HEADER`]), so a node can trust how many failover hops a body took.
//!
//! Every comparison of a secret or a MAC is constant-time (`subtle`, `hmac`'s `verify_slice`).
//! Secrets live in [`Secret`], whose `Debug` prints `[REDACTED]` and which zeroizes its bytes
//! when dropped. Signatures are always computed over the raw bytes as received: never
//! re-serialize a body before verifying it (a `\u00e9` escape and an `é` are different bytes).
//!
//! ```
//! use residency_core::auth::{Secret, verify_signature};
//!
//! let app_secret = Secret::new(b"my-app-secret".to_vec()).unwrap();
//! let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
//! let header = residency_core::auth::sign_hub_signature(&app_secret, body);
//! assert!(header.starts_with("sha256="));
//! assert!(verify_signature(&app_secret, body, &header).is_ok());
//! assert!(verify_signature(&app_secret, b"tampered", &header).is_err());
//! ```

use std::fmt;
use std::time::Duration;

use residency_time::UnixSeconds;

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The HTTP header in which Meta sends the body's HMAC-SHA256.
pub const HUB_SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The HTTP header in which WASenderApi sends the webhook secret.
pub const WASENDER_SIGNATURE_HEADER: &str = "x-webhook-signature";
/// The HTTP header in which the edge router sends its signature of a rebuilt body.
pub const EDGE_SIGNATURE_HEADER: &str = "x-residency-signature";
/// The HTTP header in which the edge writes how many failover hops a body has taken (`0` for
/// its home region, `1` after a failover). Its value is part of the edge signature's signed
/// string: see [`EdgeKey`].
pub const FAILOVER_COUNT_HEADER: &str = "x-failover-count";

/// Why a request failed authentication. Messages name what was wrong, never a secret or a
/// header's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A secret or key was empty.
    #[error("secret is empty")]
    EmptySecret,
    /// A key id was empty, too long, or had characters outside `[A-Za-z0-9_-]`.
    #[error("key id must be 1 to 32 characters of [A-Za-z0-9_-]")]
    InvalidKeyId,
    /// `hub.mode` was missing or not `subscribe`.
    #[error("hub.mode is missing or not subscribe")]
    WrongMode,
    /// A handshake parameter was missing.
    #[error("{0} is missing")]
    MissingParameter(&'static str),
    /// `hub.verify_token` did not match.
    #[error("hub.verify_token does not match")]
    TokenMismatch,
    /// The signature header lacked its scheme prefix (`sha256=` or `v1=`).
    #[error("signature header lacks the {0} prefix")]
    MissingPrefix(&'static str),
    /// The signature was not 64 hexadecimal digits.
    #[error("signature is not 64 hexadecimal digits")]
    MalformedSignature,
    /// The signature was well formed but does not match the body.
    #[error("signature does not match the body")]
    SignatureMismatch,
    /// An edge signature header was not of the form `t=..,k=..,v1=..`.
    #[error("edge signature header is malformed: {0}")]
    MalformedEdgeHeader(&'static str),
    /// The edge signature names a key id the verifier does not hold.
    #[error("edge signature names an unknown key id")]
    UnknownKeyId,
    /// The edge signature's timestamp is outside the allowed tolerance of `now`.
    #[error("edge signature timestamp is outside the tolerance window")]
    Expired,
    /// The `x-failover-count` header is not a small non-negative decimal integer.
    #[error("header x-failover-count is {problem}")]
    InvalidFailoverCount {
        /// What is wrong with it: `empty`, `negative`, `not a decimal integer`, `too large`.
        problem: &'static str,
    },
}

/// A secret: an app secret, a verify token, a WASender webhook secret or an edge key.
///
/// `Debug` prints `[REDACTED]`; the bytes are zeroized when the value is dropped.
///
/// ```
/// let s = residency_core::auth::Secret::new(b"hunter2".to_vec()).unwrap();
/// assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
/// assert!(residency_core::auth::Secret::new(Vec::new()).is_err());
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps the secret's bytes; an empty secret is refused.
    pub fn new(bytes: Vec<u8>) -> Result<Self, AuthError> {
        let bytes = Zeroizing::new(bytes);
        if bytes.is_empty() {
            return Err(AuthError::EmptySecret);
        }
        Ok(Self(bytes))
    }

    /// Copies a secret given as text (an app secret or a verify token as configured).
    pub fn from_text(text: &str) -> Result<Self, AuthError> {
        Self::new(text.as_bytes().to_vec())
    }

    /// The secret's bytes. Keep them out of logs.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail; the fallback is unreachable
        // but keeps the function total.
        HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// The query parameters of Meta's verification GET request.
///
/// ```
/// use residency_core::auth::{HandshakeParams, Secret, verify_handshake};
///
/// let token = Secret::from_text("my-verify-token").unwrap();
/// let params = HandshakeParams::from_query("hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444");
/// assert_eq!(verify_handshake(&params, &token).unwrap(), "1158201444");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HandshakeParams<'a> {
    /// `hub.mode`, expected to be `subscribe`.
    pub mode: Option<&'a str>,
    /// `hub.verify_token`, compared with the configured token.
    pub verify_token: Option<&'a str>,
    /// `hub.challenge`, echoed back on success.
    pub challenge: Option<&'a str>,
}

impl<'a> HandshakeParams<'a> {
    /// Reads the three `hub.*` parameters from a raw query string (`a=b&c=d`).
    ///
    /// Values are taken as they appear: Meta sends tokens and challenges that need no
    /// percent-decoding. A framework that already decoded the query can fill the fields
    /// directly instead.
    pub fn from_query(query: &'a str) -> Self {
        let mut params = Self::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "hub.mode" => params.mode = Some(value),
                "hub.verify_token" => params.verify_token = Some(value),
                "hub.challenge" => params.challenge = Some(value),
                _ => {}
            }
        }
        params
    }
}

impl fmt::Debug for HandshakeParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeParams")
            .field("mode", &self.mode)
            .field("verify_token", &self.verify_token.map(|_| "[REDACTED]"))
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// Checks Meta's subscription handshake and returns the challenge to echo with a 200.
///
/// The token is compared in constant time. Any failure should be answered with a 403.
pub fn verify_handshake<'a>(
    params: &HandshakeParams<'a>,
    verify_token: &Secret,
) -> Result<&'a str, AuthError> {
    if params.mode != Some("subscribe") {
        return Err(AuthError::WrongMode);
    }
    let token = params
        .verify_token
        .ok_or(AuthError::MissingParameter("hub.verify_token"))?;
    let challenge = params
        .challenge
        .ok_or(AuthError::MissingParameter("hub.challenge"))?;
    if !ct_eq(token.as_bytes(), verify_token.expose()) {
        return Err(AuthError::TokenMismatch);
    }
    Ok(challenge)
}

/// Verifies Meta's `X-Hub-Signature-256` header (`sha256=` and 64 hex digits, either case)
/// over the raw body with the app secret, in constant time.
pub fn verify_signature(app_secret: &Secret, body: &[u8], header: &str) -> Result<(), AuthError> {
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(AuthError::MissingPrefix("sha256="))?;
    let tag = decode_hex32(hex)?;
    let mut mac = app_secret.mac();
    mac.update(body);
    mac.verify_slice(&tag)
        .map_err(|_| AuthError::SignatureMismatch)
}

/// Computes the `X-Hub-Signature-256` value Meta would send for `body`: `sha256=` and
/// lowercase hex. Useful in tests and for replaying captured traffic.
pub fn sign_hub_signature(app_secret: &Secret, body: &[u8]) -> String {
    let mut mac = app_secret.mac();
    mac.update(body);
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    format!("sha256={}", base16ct::lower::encode_string(&tag))
}

/// Verifies WASenderApi's `X-Webhook-Signature` header, which carries the webhook secret
/// itself, in constant time.
pub fn verify_wasender(secret: &Secret, header: &str) -> Result<(), AuthError> {
    if ct_eq(header.trim().as_bytes(), secret.expose()) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

/// What an edge-signed request is for. It is part of the signed string (not of the header):
/// a node checks a signature against the purpose of the endpoint it arrived at, so a body
/// signed as a masked copy is refused where full bodies are stored, and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EdgePurpose {
    /// A region body for its own region (the node's ingest endpoint).
    Deliver,
    /// A masked copy for a failover region (the node's masked-copy endpoint).
    MaskedCopy,
    /// A dead letter for its home region (the node's dead-letter endpoint).
    DeadLetter,
}

impl EdgePurpose {
    /// `deliver`, `masked` or `dead-letter`: the token in the signed string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deliver => "deliver",
            Self::MaskedCopy => "masked",
            Self::DeadLetter => "dead-letter",
        }
    }
}

/// A key the edge uses to sign the bodies it sends on, named by a key id so keys can rotate.
///
/// The header it produces is `t=<unix seconds>,k=<key id>,v1=<hex HMAC-SHA256>`, where the
/// MAC covers `"<t>.<k>.<n>.<purpose>."` followed by the body's bytes, `<n>` being the hop
/// count sent alongside in [`FAILOVER_COUNT_HEADER`] (decimal, `0` when the body has not failed
/// over) and `<purpose>` the [`EdgePurpose`] of the endpoint it is sent to. A regional node
/// thus checks the body, its freshness, its hop count and what it is for together. The time is
/// passed in: the crate reads no clock.
///
/// The hop count only means something under an edge signature. An edge's public ingress
/// ignores any `x-failover-count` a provider (or anyone on the internet) sends it: the request
/// is authenticated by the provider's own signature, which does not cover that header, so the
/// edge starts every body it receives at `0` and never reads the header there. A service does
/// that by simply not passing the header on: it builds the requests it forwards from scratch.
///
/// ```
/// use std::time::Duration;
/// use residency_core::UnixSeconds;
/// use residency_core::auth::{EdgeKey, EdgePurpose, EdgeVerifier, Secret};
///
/// let key = EdgeKey::new("k2026", Secret::new(vec![7; 32]).unwrap()).unwrap();
/// let body = br#"{"object":"whatsapp_business_account"}"#;
/// let signed_at = UnixSeconds::new(1_790_000_000);
/// // A failover copy (x-failover-count: 1) of a body for its own region.
/// let header = key.sign(body, 1, EdgePurpose::Deliver, signed_at);
/// let verifier = EdgeVerifier::new(vec![key], Duration::from_secs(300));
/// let now = UnixSeconds::new(1_790_000_060);
/// let deliver = EdgePurpose::Deliver;
/// assert_eq!(verifier.verify(body, &header, Some(b"1"), deliver, now), Ok(1));
/// assert!(verifier.verify(body, &header, Some(b"0"), deliver, now).is_err()); // count changed
/// assert!(verifier.verify(body, &header, None, deliver, now).is_err()); // count stripped
/// let masked = EdgePurpose::MaskedCopy;
/// assert!(verifier.verify(body, &header, Some(b"1"), masked, now).is_err()); // wrong endpoint
/// let later = UnixSeconds::new(1_790_001_000);
/// assert!(verifier.verify(body, &header, Some(b"1"), deliver, later).is_err()); // too old
/// ```
#[derive(Clone)]
pub struct EdgeKey {
    id: String,
    secret: Secret,
}

impl EdgeKey {
    /// A key with its id (1 to 32 characters of `[A-Za-z0-9_-]`).
    pub fn new(id: &str, secret: Secret) -> Result<Self, AuthError> {
        let valid = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(AuthError::InvalidKeyId);
        }
        Ok(Self {
            id: id.to_owned(),
            secret,
        })
    }

    /// The key id, which is not secret.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn tag(
        &self,
        timestamp: UnixSeconds,
        failover_count: u8,
        purpose: EdgePurpose,
        body: &[u8],
    ) -> HmacSha256 {
        let mut mac = self.secret.mac();
        mac.update(timestamp.get().to_string().as_bytes());
        mac.update(b".");
        mac.update(self.id.as_bytes());
        mac.update(b".");
        mac.update(failover_count.to_string().as_bytes());
        mac.update(b".");
        mac.update(purpose.as_str().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Signs `body`, sent with `failover_count` in [`FAILOVER_COUNT_HEADER`] for `purpose`,
    /// at `timestamp`, and returns the [`EDGE_SIGNATURE_HEADER`] value.
    pub fn sign(
        &self,
        body: &[u8],
        failover_count: u8,
        purpose: EdgePurpose,
        timestamp: UnixSeconds,
    ) -> String {
        let tag: [u8; 32] = self
            .tag(timestamp, failover_count, purpose, body)
            .finalize()
            .into_bytes()
            .into();
        format!(
            "t={timestamp},k={},v1={}",
            self.id,
            base16ct::lower::encode_string(&tag)
        )
    }
}

impl fmt::Debug for EdgeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdgeKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Verifies edge signatures at a regional node, holding every key still in rotation.
#[derive(Debug, Clone)]
pub struct EdgeVerifier {
    keys: Vec<EdgeKey>,
    tolerance: Duration,
}

impl EdgeVerifier {
    /// A verifier accepting signatures by any of `keys` made within `tolerance` of the time
    /// passed to [`verify`](Self::verify), either side (whole seconds count).
    pub fn new(keys: Vec<EdgeKey>, tolerance: Duration) -> Self {
        Self { keys, tolerance }
    }

    /// Checks the header made by [`EdgeKey::sign`] against `body`, the request's
    /// [`FAILOVER_COUNT_HEADER`] value (`None` when absent, read as `0`) and the `purpose` of
    /// the endpoint it arrived at, at time `now`, and returns the hop count it vouches for.
    ///
    /// # Errors
    /// [`AuthError::InvalidFailoverCount`] for an unreadable hop count, the header errors
    /// ([`AuthError::MalformedEdgeHeader`], [`AuthError::MissingPrefix`],
    /// [`AuthError::MalformedSignature`]), [`AuthError::UnknownKeyId`], [`AuthError::Expired`],
    /// and [`AuthError::SignatureMismatch`] when body, hop count, key or time were changed.
    pub fn verify(
        &self,
        body: &[u8],
        header: &str,
        failover_count: Option<&[u8]>,
        purpose: EdgePurpose,
        now: UnixSeconds,
    ) -> Result<u8, AuthError> {
        let failover_count = parse_failover_count(failover_count)?;
        let mut timestamp = None;
        let mut key_id = None;
        let mut sig = None;
        for part in header.trim().split(',') {
            match part.split_once('=') {
                Some(("t", v)) => timestamp = Some(v),
                Some(("k", v)) => key_id = Some(v),
                Some(("v1", v)) => sig = Some(v),
                _ => return Err(AuthError::MalformedEdgeHeader("unknown part")),
            }
        }
        let timestamp = UnixSeconds::new(
            timestamp
                .ok_or(AuthError::MalformedEdgeHeader("missing t"))?
                .parse()
                .map_err(|_| AuthError::MalformedEdgeHeader("t is not a number"))?,
        );
        let key_id = key_id.ok_or(AuthError::MalformedEdgeHeader("missing k"))?;
        let tag = decode_hex32(sig.ok_or(AuthError::MissingPrefix("v1="))?)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(AuthError::UnknownKeyId)?;
        if now.abs_diff(timestamp) > self.tolerance {
            return Err(AuthError::Expired);
        }
        key.tag(timestamp, failover_count, purpose, body)
            .verify_slice(&tag)
            .map_err(|_| AuthError::SignatureMismatch)?;
        Ok(failover_count)
    }
}

/// Reads a [`FAILOVER_COUNT_HEADER`] value; an absent header is `0`.
///
/// Accepts ASCII decimal digits with optional surrounding spaces or tabs, up to 255. Only
/// trust the result under a verified edge signature ([`EdgeVerifier::verify`] calls this and
/// returns the count it verified).
///
/// ```
/// use residency_core::auth::{AuthError, parse_failover_count};
///
/// assert_eq!(parse_failover_count(None), Ok(0));
/// assert_eq!(parse_failover_count(Some(b" 1 ")), Ok(1));
/// assert_eq!(
///     parse_failover_count(Some(b"-1")),
///     Err(AuthError::InvalidFailoverCount { problem: "negative" })
/// );
/// ```
///
/// # Errors
/// [`AuthError::InvalidFailoverCount`] when the value is empty, negative, not a decimal
/// integer, or above 255.
pub fn parse_failover_count(value: Option<&[u8]>) -> Result<u8, AuthError> {
    let Some(raw) = value else {
        return Ok(0);
    };
    let digits = raw.trim_ascii();
    if digits.is_empty() {
        return Err(AuthError::InvalidFailoverCount { problem: "empty" });
    }
    if digits.first() == Some(&b'-') {
        return Err(AuthError::InvalidFailoverCount {
            problem: "negative",
        });
    }
    let mut n: u32 = 0;
    for b in digits {
        if !b.is_ascii_digit() {
            return Err(AuthError::InvalidFailoverCount {
                problem: "not a decimal integer",
            });
        }
        n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    u8::try_from(n).map_err(|_| AuthError::InvalidFailoverCount {
        problem: "too large",
    })
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle` compares equal-length slices in constant time; a length difference is not
    // secret (the configured length is fixed), so returning early on it leaks nothing useful.
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// 64 hex digits (either case), decoded in constant time.
fn decode_hex32(hex: &str) -> Result<[u8; 32], AuthError> {
    let mut out = [0u8; 32];
    match base16ct::mixed::decode(hex, &mut out) {
        Ok(bytes) if bytes.len() == 32 => Ok(out),
        _ => Err(AuthError::MalformedSignature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::from_text(s).unwrap()
    }

    // RFC 4231, test case 2.
    const RFC4231_TC2: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    #[test]
    fn hub_signature_known_answer_rfc4231() {
        let s = secret("Jefe");
        let body = b"what do ya want for nothing?";
        assert_eq!(
            sign_hub_signature(&s, body),
            format!("sha256={RFC4231_TC2}")
        );
        verify_signature(&s, body, &format!("sha256={RFC4231_TC2}")).unwrap();
        verify_signature(&s, body, &format!("sha256={}", RFC4231_TC2.to_uppercase())).unwrap();
    }

    #[test]
    fn hub_signature_over_escaped_unicode_is_over_the_bytes_received() {
        // HMAC-SHA256("app-secret", body) computed independently with Python's hmac module.
        let s = secret("app-secret");
        let escaped = br#"{"text":{"body":"caf\u00e9"}}"#;
        let literal = r#"{"text":{"body":"café"}}"#.as_bytes();
        let escaped_kat = "sha256=d1f2fd7ace6af436927a97f7b28b297050a0dc8cd1abc995446e82fe5dde500e";
        let literal_kat = "sha256=a60574262b333386d87376b5273573b8bfd72d09e6aef7ea879fcc2869c1e4b1";
        assert_eq!(sign_hub_signature(&s, escaped), escaped_kat);
        assert_eq!(sign_hub_signature(&s, literal), literal_kat);
        assert_eq!(verify_signature(&s, escaped, escaped_kat), Ok(()));
        // Re-serializing the body (here: unescaping) breaks the signature.
        assert_eq!(
            verify_signature(&s, literal, escaped_kat),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn hub_signature_rejects_malformed_headers() {
        let s = secret("k");
        assert_eq!(
            verify_signature(&s, b"x", RFC4231_TC2),
            Err(AuthError::MissingPrefix("sha256="))
        );
        assert_eq!(
            verify_signature(&s, b"x", "sha256=abc"),
            Err(AuthError::MalformedSignature)
        );
        let non_hex = format!("sha256={}", "zz".repeat(32));
        assert_eq!(
            verify_signature(&s, b"x", &non_hex),
            Err(AuthError::MalformedSignature)
        );
        assert_eq!(
            verify_signature(&s, b"x", "sha1=0000"),
            Err(AuthError::MissingPrefix("sha256="))
        );
        let non_ascii = format!("sha256={}é", "0".repeat(62));
        assert_eq!(
            verify_signature(&s, b"x", &non_ascii),
            Err(AuthError::MalformedSignature)
        );
    }

    #[test]
    fn handshake_echoes_challenge_only_for_matching_token() {
        let token = secret("tok");
        let ok =
            HandshakeParams::from_query("hub.mode=subscribe&hub.challenge=42&hub.verify_token=tok");
        assert_eq!(verify_handshake(&ok, &token), Ok("42"));
        let wrong =
            HandshakeParams::from_query("hub.mode=subscribe&hub.challenge=42&hub.verify_token=toc");
        assert_eq!(
            verify_handshake(&wrong, &token),
            Err(AuthError::TokenMismatch)
        );
        let longer = HandshakeParams::from_query(
            "hub.mode=subscribe&hub.challenge=42&hub.verify_token=tokk",
        );
        assert_eq!(
            verify_handshake(&longer, &token),
            Err(AuthError::TokenMismatch)
        );
        let mode = HandshakeParams::from_query(
            "hub.mode=unsubscribe&hub.challenge=42&hub.verify_token=tok",
        );
        assert_eq!(verify_handshake(&mode, &token), Err(AuthError::WrongMode));
        let no_challenge = HandshakeParams::from_query("hub.mode=subscribe&hub.verify_token=tok");
        assert_eq!(
            verify_handshake(&no_challenge, &token),
            Err(AuthError::MissingParameter("hub.challenge"))
        );
        assert_eq!(
            verify_handshake(&HandshakeParams::from_query(""), &token),
            Err(AuthError::WrongMode)
        );
    }

    #[test]
    fn wasender_secret_is_compared_whole() {
        let s = secret("wh-secret");
        assert_eq!(verify_wasender(&s, "wh-secret"), Ok(()));
        assert_eq!(verify_wasender(&s, " wh-secret\r\n"), Ok(()));
        assert_eq!(
            verify_wasender(&s, "wh-secre"),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(verify_wasender(&s, ""), Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn edge_signature_known_answer() {
        // HMAC-SHA256(key = 32 bytes of 7, "1790000000.k2026.<n>.<purpose>." || body),
        // computed independently with Python's hmac module. The signed string gained the hop
        // count (`<n>.`) when `x-failover-count` became part of the signature, then the
        // purpose; these vectors replace the ones over `"<t>.<k>."` alone.
        let key = EdgeKey::new("k2026", Secret::new(vec![7; 32]).unwrap()).unwrap();
        let body = br#"{"object":"whatsapp_business_account"}"#;
        assert_eq!(
            key.sign(
                body,
                0,
                EdgePurpose::Deliver,
                UnixSeconds::new(1_790_000_000)
            ),
            "t=1790000000,k=k2026,v1=7758d818b22aef3db4a2aa6a55d5e4a928568786b0b84a487b9312e0877ea533"
        );
        assert_eq!(
            key.sign(
                body,
                1,
                EdgePurpose::Deliver,
                UnixSeconds::new(1_790_000_000)
            ),
            "t=1790000000,k=k2026,v1=41109395f34082f1e94acb827ebedd83890e2633bca76e8911001cfa13c0f43a"
        );
        assert_eq!(
            key.sign(
                body,
                1,
                EdgePurpose::MaskedCopy,
                UnixSeconds::new(1_790_000_000)
            ),
            "t=1790000000,k=k2026,v1=d6c328a8abbdeca985dbc045c65eeea41a2952c85f2f94b48280bf08a5617859"
        );
    }

    #[test]
    fn edge_signatures_bind_body_key_time_hop_count_and_purpose() {
        let k1 = EdgeKey::new("k1", Secret::new(vec![1; 32]).unwrap()).unwrap();
        let k2 = EdgeKey::new("k2", Secret::new(vec![2; 32]).unwrap()).unwrap();
        let body = b"{\"a\":1}";
        let h = k1.sign(body, 0, EdgePurpose::Deliver, UnixSeconds::new(1000));
        assert!(h.starts_with("t=1000,k=k1,v1="));
        let v = EdgeVerifier::new(vec![k2.clone(), k1.clone()], Duration::from_secs(60));
        assert_eq!(
            v.verify(body, &h, None, EdgePurpose::Deliver, UnixSeconds::new(1030)),
            Ok(0)
        );
        assert_eq!(
            v.verify(
                body,
                &h,
                Some(b"0"),
                EdgePurpose::Deliver,
                UnixSeconds::new(970)
            ),
            Ok(0)
        );
        assert_eq!(
            v.verify(body, &h, None, EdgePurpose::Deliver, UnixSeconds::new(1061)),
            Err(AuthError::Expired)
        );
        assert_eq!(
            v.verify(
                b"{\"a\":2}",
                &h,
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::SignatureMismatch)
        );
        // Claiming another key, time, hop count or purpose breaks the MAC.
        for purpose in [EdgePurpose::MaskedCopy, EdgePurpose::DeadLetter] {
            assert_eq!(
                v.verify(body, &h, None, purpose, UnixSeconds::new(1000)),
                Err(AuthError::SignatureMismatch)
            );
        }
        let forged = h.replace("k=k1", "k=k2");
        assert_eq!(
            v.verify(
                body,
                &forged,
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::SignatureMismatch)
        );
        let moved = h.replace("t=1000", "t=1001");
        assert_eq!(
            v.verify(
                body,
                &moved,
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            v.verify(
                body,
                &h,
                Some(b"1"),
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::SignatureMismatch)
        );
        let hop = k1.sign(body, 1, EdgePurpose::Deliver, UnixSeconds::new(1000));
        assert_eq!(
            v.verify(
                body,
                &hop,
                Some(b" 1\t"),
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Ok(1)
        );
        assert_eq!(
            v.verify(
                body,
                &hop,
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            v.verify(
                body,
                &hop,
                Some(b"x"),
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::InvalidFailoverCount {
                problem: "not a decimal integer"
            })
        );
        let only_k2 = EdgeVerifier::new(vec![k2], Duration::from_secs(60));
        assert_eq!(
            only_k2.verify(body, &h, None, EdgePurpose::Deliver, UnixSeconds::new(1000)),
            Err(AuthError::UnknownKeyId)
        );
        assert!(matches!(
            v.verify(
                body,
                "garbage",
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::MalformedEdgeHeader(_))
        ));
        assert!(matches!(
            v.verify(
                body,
                "t=x,k=k1,v1=00",
                None,
                EdgePurpose::Deliver,
                UnixSeconds::new(1000)
            ),
            Err(AuthError::MalformedEdgeHeader(_))
        ));
    }

    #[test]
    fn failover_counts_parse_strictly_without_echoing_values() {
        let parse = |s: &str| parse_failover_count(Some(s.as_bytes()));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("\t001"), Ok(1));
        assert_eq!(parse("255"), Ok(255));
        let bad = [
            ("", "empty"),
            ("  ", "empty"),
            ("-3", "negative"),
            ("+1", "not a decimal integer"),
            ("1.0", "not a decimal integer"),
            ("one", "not a decimal integer"),
            ("256", "too large"),
            ("99999999999999999999999", "too large"),
        ];
        for (value, problem) in bad {
            let err = parse(value).unwrap_err();
            assert_eq!(
                err,
                AuthError::InvalidFailoverCount { problem },
                "{value:?}"
            );
            assert!(
                value.trim().is_empty() || !err.to_string().contains(value.trim()),
                "{err}"
            );
        }
        assert!(parse_failover_count(Some(&[0xff, 0x31])).is_err());
    }

    #[test]
    fn secrets_and_keys_redact_in_debug() {
        let s = secret("super-secret-value");
        assert!(!format!("{s:?}").contains("super"));
        let k = EdgeKey::new("kid", Secret::from_text("another-secret").unwrap()).unwrap();
        let d = format!("{k:?}");
        assert!(d.contains("kid") && !d.contains("another"));
        let p = HandshakeParams::from_query(
            "hub.mode=subscribe&hub.verify_token=tok-123&hub.challenge=9",
        );
        assert!(!format!("{p:?}").contains("tok-123"));
        assert!(EdgeKey::new("bad id", secret("x")).is_err());
        assert!(EdgeKey::new("", secret("x")).is_err());
    }
}
