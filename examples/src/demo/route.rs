//! Demo step: parse each bundled body, list its parties (masked), and route it.

use std::io::{self, Write};

use bytes::Bytes;
use residency_core::auth::EdgeKey;
use residency_core::route::Router;

use crate::cmd::route::basis_str;
use crate::samples::Sample;

/// Prints the provider, the parties (masked) and the routing table of one sample; rebuilt
/// bodies of a split batch are signed with `edge_key` at `now`.
pub fn run(
    out: &mut dyn Write,
    router: &Router,
    edge_key: &EdgeKey,
    now: residency_time::UnixSeconds,
    sample: &Sample,
) -> io::Result<()> {
    let webhook = match wa_payload::parse(sample.body) {
        Ok(w) => w,
        Err(e) => return writeln!(out, "  does not parse: {e}"),
    };
    writeln!(out, "  provider: {}", webhook.provider().as_str())?;
    let decision = match router.route(Bytes::from_static(sample.body)) {
        Ok(d) => d,
        Err(e) => return writeln!(out, "  cannot route: {e}"),
    };
    writeln!(
        out,
        "  {:<16} {:<12} {:<22} {:<8} {:<9} region",
        "item", "party", "identity (masked)", "country", "basis"
    )?;
    for (item, routed) in webhook.items().zip(decision.items()) {
        let identity = crate::demo::masked_identity(&item.party);
        writeln!(
            out,
            "  {:<16} {:<12} {:<22} {:<8} {:<9} {}",
            routed.kind().as_str(),
            routed.role().as_str(),
            identity,
            routed
                .country()
                .map_or_else(|| "-".to_owned(), |c| c.to_string()),
            basis_str(routed.basis()),
            routed.region()
        )?;
    }
    for body in decision.bodies() {
        let how = match body.edge_signature(edge_key, now) {
            None => "original bytes: the provider's signature still verifies".to_owned(),
            Some(header) => format!(
                "rebuilt body of {} bytes, signed by the edge: {}...",
                body.body().len(),
                header
                    .get(..header.find(",v1=").map_or(0, |i| i + 4))
                    .unwrap_or_default()
            ),
        };
        writeln!(
            out,
            "  -> {:<6} {} item(s), {how}",
            body.region().as_str(),
            body.item_count(),
        )?;
    }
    Ok(())
}
