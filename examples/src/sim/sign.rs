//! The headers a provider signs a webhook with.
//!
//! Meta sends `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app
//! secret>`; WASenderApi sends its webhook secret itself in `X-Webhook-Signature`. Both are
//! computed here with `residency-core`'s own functions, over the exact bytes that are sent.

use residency_core::auth::{
    HUB_SIGNATURE_HEADER, Secret, WASENDER_SIGNATURE_HEADER, sign_hub_signature,
};
use wa_payload::Provider;

use crate::sim::SimError;

/// Signs bodies as the providers do. `Debug` shows no secret.
#[derive(Clone)]
pub struct Signer {
    app_secret: Secret,
    wasender_secret: Option<Secret>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("app_secret", &"[REDACTED]")
            .field(
                "wasender_secret",
                &self.wasender_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl Signer {
    /// A signer with Meta's app secret and, optionally, the WASender webhook secret (without
    /// it WASender bodies go unsigned, and a correct edge answers 401).
    ///
    /// # Errors
    /// [`SimError::Usage`] for an empty secret.
    pub fn new(app_secret: &str, wasender_secret: Option<&str>) -> Result<Self, SimError> {
        let empty = |_| SimError::Usage("a secret is empty".into());
        Ok(Self {
            app_secret: Secret::from_text(app_secret).map_err(empty)?,
            wasender_secret: wasender_secret
                .map(Secret::from_text)
                .transpose()
                .map_err(empty)?,
        })
    }

    /// The signature header of `body` for `provider`: its name and value, or `None` when
    /// there is no secret to sign with.
    pub fn header(&self, provider: Provider, body: &[u8]) -> Option<(&'static str, String)> {
        match provider {
            Provider::Wasender => self.wasender_secret.as_ref().map(|s| {
                let value = String::from_utf8_lossy(s.expose()).into_owned();
                (WASENDER_SIGNATURE_HEADER, value)
            }),
            _ => Some((
                HUB_SIGNATURE_HEADER,
                sign_hub_signature(&self.app_secret, body),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use residency_core::auth::{verify_signature, verify_wasender};

    use crate::sim::{GenOptions, Generator};

    #[test]
    fn signatures_verify_with_residency_core_auth() {
        let signer = Signer::new("app-secret", Some("wa-secret")).unwrap();
        let app = Secret::from_text("app-secret").unwrap();
        let wa = Secret::from_text("wa-secret").unwrap();
        let mut g = Generator::new(
            8,
            GenOptions {
                batch_max: 20,
                ..GenOptions::default()
            },
        );
        for _ in 0..20 {
            let b = g.next_body();
            let (name, value) = signer.header(b.provider, &b.body).unwrap();
            match b.provider {
                Provider::CloudApi => {
                    assert_eq!(name, "x-hub-signature-256");
                    assert!(verify_signature(&app, &b.body, &value).is_ok());
                    let mut tampered = b.body.to_vec();
                    tampered.push(b' ');
                    assert!(verify_signature(&app, &tampered, &value).is_err());
                }
                _ => {
                    assert_eq!(name, "x-webhook-signature");
                    assert!(verify_wasender(&wa, &value).is_ok());
                }
            }
        }
        let unsigned = Signer::new("app-secret", None).unwrap();
        assert_eq!(unsigned.header(Provider::Wasender, b"{}"), None);
        assert!(Signer::new("", None).is_err());
        assert!(!format!("{signer:?}").contains("secret\""));
        assert!(!format!("{signer:?}").contains("wa-secret"));
    }
}
