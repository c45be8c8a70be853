//! [`MaskedBody`]: a webhook body that went through a [`Masker`], and only that.
//!
//! A delivery route that may only carry masked data (a failover into a region that may not
//! hold the users' data unmasked) takes a `MaskedBody`, not bytes. The type has no public
//! constructor, no `Default`, no `From` and no `Deserialize`: the only way to get one is
//! [`Masker::mask_body`]. Handing raw bytes to such a route is a compile error:
//!
//! ```compile_fail
//! // Not constructible outside pii-mask: the fields are private.
//! let forged = pii_mask::MaskedBody { bytes: b"{}".to_vec(), mode: pii_mask::Mode::Strip };
//! ```
//!
//! ```compile_fail
//! let forged: pii_mask::MaskedBody = b"{}".to_vec().into();
//! ```
//!
//! ```
//! use pii_mask::{Masker, Mode, PseudonymKey};
//!
//! let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
//! let body = br#"{"event":"messages.upsert","data":{"key":{"id":"M1","remoteJid":"4915123456789@s.whatsapp.net"}}}"#;
//! let masked = Masker::strip(key).mask_body(body)?;
//! assert_eq!(masked.mode(), Mode::Strip);
//! assert!(!String::from_utf8_lossy(masked.as_bytes()).contains("4915123456789"));
//! assert_eq!(format!("{masked:?}"), format!("MaskedBody {{ mode: Strip, len: {} }}", masked.len()));
//! # Ok::<(), pii_mask::MaskError>(())
//! ```

use std::fmt;

use crate::{MaskError, Masker, Mode};

/// A webhook body masked by a [`Masker`], with the [`Mode`] it was masked in.
///
/// Built only by [`Masker::mask_body`]. `Debug` prints the mode and the length: a
/// [`Mode::Partial`] body still holds a few digits of each phone number.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedBody {
    bytes: Vec<u8>,
    mode: Mode,
}

impl MaskedBody {
    /// The masked JSON, compact.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The masked JSON, owned.
    pub fn into_vec(self) -> Vec<u8> {
        self.bytes
    }

    /// The mode the body was masked in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The length of the masked JSON in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the masked JSON is empty (never, for a body that parsed).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for MaskedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskedBody")
            .field("mode", &self.mode)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Masker {
    /// Masks one webhook body, as [`Masker::mask`] does, into a [`MaskedBody`] that records
    /// this masker's mode.
    ///
    /// # Errors
    /// As [`Masker::mask`]: [`MaskError::Payload`] or [`MaskError::Json`] for a body that is not a
    /// webhook; messages never quote the input.
    pub fn mask_body(&self, body: &[u8]) -> Result<MaskedBody, MaskError> {
        Ok(MaskedBody {
            bytes: self.mask(body)?,
            mode: self.mode(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PseudonymKey;

    fn strip() -> Masker {
        Masker::strip(PseudonymKey::new("k1", &[9u8; 32]).unwrap())
    }

    const CLOUD: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"contacts":[{"profile":{"name":"Lena"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.X","timestamp":"1","type":"text","text":{"body":"hallo"}}]}}]}]}"#;

    #[test]
    fn mask_body_matches_mask_and_records_the_mode() {
        for masker in [strip(), Masker::partial()] {
            let masked = masker.mask_body(CLOUD).unwrap();
            assert_eq!(masked.as_bytes(), masker.mask(CLOUD).unwrap().as_slice());
            assert_eq!(masked.mode(), masker.mode());
            assert_eq!(masked.len(), masked.clone().into_vec().len());
            assert!(!masked.is_empty());
            let text = String::from_utf8(masked.into_vec()).unwrap();
            assert!(!text.contains("4915112345678") && !text.contains("Lena"));
            assert!(!text.contains("hallo"));
        }
    }

    #[test]
    fn debug_shows_mode_and_length_only() {
        let masked = Masker::partial().mask_body(CLOUD).unwrap();
        let debug = format!("{masked:?}");
        assert_eq!(
            debug,
            format!("MaskedBody {{ mode: Partial, len: {} }}", masked.len())
        );
        assert!(!debug.contains("491"), "{debug}");
    }

    #[test]
    fn bodies_that_are_not_webhooks_are_refused() {
        let err = strip()
            .mask_body(br#"{"from":"4915112345678"}"#)
            .unwrap_err();
        assert!(matches!(err, MaskError::Payload(_)));
        assert!(!err.to_string().contains("4915"));
        assert!(matches!(
            strip().mask_body(b"{\"from\":"),
            Err(MaskError::Json { .. } | MaskError::Payload(_))
        ));
    }
}
