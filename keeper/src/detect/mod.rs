//! New-pool detection: one decoder per venue, keyed on program id *and* instruction
//! discriminator, applied to top-level and inner instructions of a transaction whose account
//! list includes the addresses its lookup tables loaded.

pub mod b58;
pub mod fast;
pub mod files;
pub mod formats;
pub mod logs;
pub mod tx;
pub mod venues;

use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
pub use tx::{Ix, Tx};
pub use venues::{Venue, VENUES};

/// Why a transaction or file could not be decoded. Never a panic.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DetectError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("unrecognized transaction format: {0}")]
    Format(&'static str),
    #[error("invalid base58 or base64 in {0}")]
    Encoding(&'static str),
    #[error("truncated or malformed transaction message: {0}")]
    Message(&'static str),
    #[error(
        "an instruction refers to account index {0}, beyond the {1} accounts of the transaction"
    )]
    AccountIndex(usize, usize),
    #[error("the file holds no transaction message (metadata only)")]
    NoMessage,
}

/// A pool creation found in a transaction. Fields a venue does not have are `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DetectedPool {
    pub venue: &'static str,
    #[serde(serialize_with = "ser_key")]
    pub program_id: Pubkey,
    #[serde(serialize_with = "ser_key")]
    pub pool: Pubkey,
    #[serde(serialize_with = "ser_key")]
    pub base_mint: Pubkey,
    #[serde(serialize_with = "ser_opt_key")]
    pub quote_mint: Option<Pubkey>,
    #[serde(serialize_with = "ser_opt_key")]
    pub lp_mint: Option<Pubkey>,
    #[serde(serialize_with = "ser_opt_key")]
    pub creator: Option<Pubkey>,
    pub signature: Option<String>,
}

fn ser_key<S: serde::Serializer>(k: &Pubkey, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(k)
}

fn ser_opt_key<S: serde::Serializer>(k: &Option<Pubkey>, s: S) -> Result<S::Ok, S::Error> {
    match k {
        Some(k) => s.collect_str(k),
        None => s.serialize_none(),
    }
}

/// Every pool created by `tx` (none for failed transactions), in instruction order, each pool
/// reported once.
pub fn detect(tx: &Tx) -> Result<Vec<DetectedPool>, DetectError> {
    let mut out: Vec<DetectedPool> = Vec::new();
    if tx.failed {
        return Ok(out);
    }
    for (i, ix) in tx.top.iter().enumerate() {
        decode_into(tx, ix, &mut out)?;
        for inner in tx.inner_of(i) {
            decode_into(tx, inner, &mut out)?;
        }
    }
    Ok(out)
}

fn decode_into(tx: &Tx, ix: &Ix, out: &mut Vec<DetectedPool>) -> Result<(), DetectError> {
    let program = tx.key(ix.program as usize)?;
    if let Some(pool) = venues::decode(tx, program, ix)? {
        if !out
            .iter()
            .any(|p| p.pool == pool.pool && p.program_id == pool.program_id)
        {
            out.push(pool);
        }
    }
    Ok(())
}
