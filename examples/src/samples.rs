//! Webhook bodies and media files bundled with the examples (composed for the demo:
//! fictional people, numbers from each country's numbering plan, never real users).
//!
//! The media files are what the webhooks' media ids stand for: [`MEDIA`] gives each file with
//! its manifest (the id, the message that carries it, the checksum a provider gives and the
//! verification it must get), so a Graph API stand-in can serve them to a regional node.

/// One bundled webhook body.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// File name under `examples/samples/payloads/`.
    pub name: &'static str,
    /// What the sample shows.
    pub about: &'static str,
    /// The raw body, as a provider would POST it.
    pub body: &'static [u8],
}

macro_rules! sample {
    ($name:literal, $about:literal) => {
        Sample {
            name: $name,
            about: $about,
            body: include_bytes!(concat!("../samples/payloads/", $name)),
        }
    };
}

/// Every bundled webhook body, in demo order.
pub const SAMPLES: &[Sample] = &[
    sample!(
        "cloud-text-de.json",
        "Cloud API text message from a German number"
    ),
    sample!(
        "cloud-status-br.json",
        "Cloud API delivery status for a Brazilian recipient"
    ),
    sample!(
        "cloud-mixed-batch.json",
        "Cloud API batch: DE, IN, JM (+1 876), KZ (+7 7) and a username-only BR user"
    ),
    sample!(
        "cloud-media.json",
        "Cloud API batch of media: a voice note (DE), an invoice PDF (BR) and a sticker (US)"
    ),
    sample!(
        "cloud-template-update.json",
        "Cloud API template status update (management field)"
    ),
    sample!(
        "wasender-message-in.json",
        "WASender message from an Indian number"
    ),
    sample!(
        "wasender-group-lid.json",
        "WASender group message from a participant known only by @lid"
    ),
];

/// One bundled media file and its manifest (`examples/samples/media/`).
#[derive(Debug, Clone, Copy)]
pub struct MediaSample {
    /// The manifest file name under `examples/samples/media/`.
    pub manifest_name: &'static str,
    /// The manifest JSON (see [`MediaManifest`]).
    pub manifest: &'static [u8],
    /// The media bytes as downloaded.
    pub media: &'static [u8],
}

impl MediaSample {
    /// The parsed manifest.
    ///
    /// # Errors
    /// When the manifest is not the JSON [`MediaManifest`] describes (a bundling mistake).
    pub fn manifest(&self) -> Result<MediaManifest, serde_json::Error> {
        serde_json::from_slice(self.manifest)
    }
}

/// The fields of a media manifest.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct MediaManifest {
    /// The media file's name.
    pub file: String,
    /// The Cloud API message id (`wamid.…`) of the message carrying the file.
    pub message_id: String,
    /// The Graph API media id that message names, and the Graph API stand-in serves.
    pub media_id: String,
    /// The message's timestamp (Unix seconds, as the webhook gives it).
    pub timestamp: String,
    /// The MIME type.
    pub mime_type: String,
    /// The checksum the provider gives: base64 (the webhook's form), hex (the media
    /// endpoint's form) or a placeholder.
    pub sha256: Option<String>,
    /// Where [`sha256`](Self::sha256) comes from, in words.
    pub sha256_form: String,
    /// The verification the archive must record: `match`, `mismatch` or `unverifiable`.
    pub expected_outcome: String,
    /// The size in bytes.
    pub size: u64,
    /// A precomputed pseudonym standing in for the party's (`p1:k1:…`).
    pub recipient_pseudonym: String,
    /// The region the message's party belongs to, lowercase.
    pub region: String,
    /// A template snapshot the file was sent with, if any.
    pub template: Option<serde_json::Value>,
}

impl MediaManifest {
    /// Whether the checksum is in the media endpoint's form (64 hex digits): a Graph API
    /// stand-in gives it in the media's metadata rather than the webhook carrying it.
    pub fn sha256_is_hex(&self) -> bool {
        self.sha256
            .as_deref()
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

macro_rules! media {
    ($stem:literal, $file:literal) => {
        MediaSample {
            manifest_name: concat!($stem, ".manifest.json"),
            manifest: include_bytes!(concat!("../samples/media/", $stem, ".manifest.json")),
            media: include_bytes!(concat!("../samples/media/", $file)),
        }
    };
}

/// The bundled media files: a match (base64, in the webhook), a match (hex, from the media
/// endpoint, with a template snapshot), a deliberate mismatch and an unverifiable
/// placeholder.
pub const MEDIA: &[MediaSample] = &[
    media!("delivery-photo", "delivery-photo.png"),
    media!("invoice-48213", "invoice-48213.pdf"),
    media!("voice-note", "voice-note.ogg"),
    media!("sticker", "sticker.webp"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_media_file_is_named_by_a_bundled_message() {
        for m in MEDIA {
            let manifest = m.manifest().unwrap();
            assert_eq!(manifest.size, m.media.len() as u64, "{}", m.manifest_name);
            let carried = SAMPLES.iter().any(|s| {
                let text = std::str::from_utf8(s.body).unwrap();
                text.contains(&manifest.message_id)
                    && text.contains(&format!("\"id\":\"{}\"", manifest.media_id))
            });
            assert!(carried, "{}", m.manifest_name);
        }
    }
}
