//! The router against the model (DESIGN.md invariant 8, "one grammar"): for any bytes,
//! `Router::route` accepts exactly when `wa_payload::parse` does (with the same error), finds
//! the same items, and sends each to the region its party's attribution gives under the
//! policy; a split batch gives bodies that route whole to their own region and together hold
//! every item once. The oracle follows residency-core's `tests/integration/route.rs`, and
//! every item is checked field by field against the typed model by wa-payload's own oracle
//! (`wa-payload/tests/integration/oracle.rs`, included here).
#![no_main]

#[path = "../../wa-payload/tests/integration/oracle.rs"]
mod oracle;

use std::sync::OnceLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use residency_core::attribution::attribute;
use residency_core::route::{RouteError, Router, Scratch};
use residency_core::{Country, Policy, Region};
use wa_payload::{ItemKind, Role};

/// What the model says of one item: kind, role, id, country and region.
fn expected(policy: &Policy, item: &wa_payload::Item<'_>) -> (Option<Country>, Region) {
    let party = &item.party;
    // Business items (management fields) have no country; items that name a business are
    // routed by it; every other item by its party's phone, else its user id.
    let country = match party.role {
        Role::Business => None,
        _ => attribute(party.phone, party.user_id).country,
    };
    let region = match (party.business, party.role) {
        (Some(b), _) => policy.region_for_business(b.waba_id, b.phone_number_id),
        (None, Role::Business) => policy.region_for_business(None, None),
        (None, _) => policy.region_for(&attribute(party.phone, party.user_id)),
    };
    (country, region.clone())
}

type Routed = Vec<(ItemKind, Role, Option<String>, Option<Country>, Region)>;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(Router::seed)
}

fuzz_target!(|body: &[u8]| {
    let router = router();
    let parsed = wa_payload::parse(body);
    let routed = router.route(Bytes::copy_from_slice(body));
    let decision = match (&parsed, routed) {
        (Ok(_), Ok(d)) => d,
        (Err(p), Err(RouteError::Payload(r))) => {
            assert_eq!(
                p, &r,
                "the router and the model refuse with different errors"
            );
            return;
        }
        // A refusal that depends on the policy: the model has none.
        (Ok(_), Err(RouteError::Inseparable(_))) => return,
        (p, r) => panic!(
            "the model {} but the router {}",
            if p.is_ok() { "accepts" } else { "refuses" },
            match r {
                Ok(_) => "accepts".to_owned(),
                Err(e) => format!("refuses: {e}"),
            }
        ),
    };
    let Ok(model) = parsed else { return };
    if let Err(e) = oracle::check(&model) {
        panic!("the scan disagrees with the typed model: {e}");
    }

    // The router's scan finds the model's items, field for field.
    let mut scratch = Scratch::default();
    let scanned: Vec<_> = router
        .items(body, &mut scratch)
        .expect("accepted twice")
        .collect();
    let items: Vec<_> = model.items().collect();
    assert_eq!(scanned, items, "the router's items differ from the model's");

    // Each routed item: the model's item, in the region its attribution gives.
    let policy = router.policy();
    let want: Routed = items
        .iter()
        .map(|i| {
            let (country, region) = expected(policy, i);
            (
                i.kind,
                i.party.role,
                i.id.map(str::to_owned),
                country,
                region,
            )
        })
        .collect();
    let got: Routed = decision
        .items()
        .map(|i| {
            (
                i.kind(),
                i.role(),
                i.id().map(str::to_owned),
                i.country(),
                i.region().clone(),
            )
        })
        .collect();
    assert_eq!(got, want, "routed items differ from the model's");

    // Bodies: one untouched body for one region; else each split body routes whole to its
    // region, and the split bodies hold every item exactly once.
    if !decision.is_split() {
        let only = &decision.bodies()[0];
        assert!(only.is_unchanged());
        assert_eq!(
            only.body().as_ref(),
            body,
            "a single-region body is forwarded as is"
        );
        return;
    }
    let mut total = 0;
    for out in decision.bodies() {
        assert!(!out.is_unchanged());
        let again = router
            .route(out.body().clone())
            .unwrap_or_else(|e| panic!("a split body does not route: {e}"));
        assert!(!again.is_split(), "a split body is single-region");
        assert!(
            again.items().all(|i| i.region() == out.region()),
            "a split body holds another region's item"
        );
        assert_eq!(again.items().len(), out.item_count());
        total += out.item_count();
    }
    assert_eq!(total, items.len(), "split bodies lose or repeat items");
});
