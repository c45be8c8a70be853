//! Webhook bodies bundled with the examples (composed for the demo: fictional people, numbers
//! from each country's numbering plan, never real users).

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
