//! `residency route [FILE]`: the routing decision for one webhook body, as JSON.
//!
//! Prints `{"provider":P,"items":[ITEM...],"bodies":[{"region":R,"items":N,"unchanged":B}...]}`
//! with one `ITEM` = `{"kind","id","party","country","basis","region"}` per routed item, in
//! document order (DESIGN.md has the contract).

use std::path::PathBuf;

use bytes::Bytes;
use residency_core::attribution::Basis;
use residency_core::route::{Decision, Router};
use serde_json::{Value, json};

use crate::cli::{CliError, CmdResult, Outcome, print_json, read_input};

/// Arguments of `residency route`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The webhook body (either provider); `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let body = read_input(args.file.as_deref())?;
    let decision = Router::seed()
        .route(Bytes::from(body))
        .map_err(|e| CliError::new(format!("cannot route the body: {e}")))?;
    print_json(&decision_json(&decision))?;
    Ok(Outcome::Success)
}

/// The CLI's JSON form of a decision.
pub fn decision_json(decision: &Decision) -> Value {
    let items: Vec<Value> = decision
        .items()
        .map(|item| {
            json!({
                "kind": item.kind().as_str(),
                "id": item.id(),
                "party": item.role().as_str(),
                "country": item.country().map(|c| c.as_str().to_owned()),
                "basis": basis_str(item.basis()),
                "region": item.region().as_str(),
            })
        })
        .collect();
    let bodies: Vec<Value> = decision
        .bodies()
        .iter()
        .map(|b| {
            json!({
                "region": b.region().as_str(),
                "items": b.item_count(),
                "unchanged": b.is_unchanged(),
            })
        })
        .collect();
    json!({
        "provider": decision.provider().as_str(),
        "items": items,
        "bodies": bodies,
    })
}

/// The CLI's coarse basis: what kind of identity the attribution rests on.
pub fn basis_str(basis: Basis) -> &'static str {
    match basis {
        Basis::CallingCode | Basis::LeadingDigits => "phone",
        Basis::UserIdPrefix => "user_id",
        Basis::Business => "business",
        _ => "default",
    }
}
