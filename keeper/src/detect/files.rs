//! Reading transaction files of every fixture format, including Orca's decoded day dataset
//! (`*.jsonl.gz`: one block a line, instructions already decoded by name).

use super::formats::{b58_key, parse_document};
use super::{detect, venues, DetectError, DetectedPool};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The pools created by the transactions in one file.
pub fn detect_file(path: &Path) -> Result<Vec<DetectedPool>, DetectError> {
    let bytes =
        std::fs::read(path).map_err(|e| DetectError::Json(format!("{}: {e}", path.display())))?;
    detect_bytes(&bytes, path.to_string_lossy().ends_with(".gz"))
}

pub fn detect_bytes(bytes: &[u8], gzip: bool) -> Result<Vec<DetectedPool>, DetectError> {
    if gzip {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|_| DetectError::Format("not a gzip text file"))?;
        return orca_decoded(&text);
    }
    if let Some(pools) = super::fast::detect(bytes) {
        return Ok(pools);
    }
    let mut out = Vec::new();
    for tx in parse_document(bytes)? {
        out.extend(detect(&tx)?);
    }
    Ok(out)
}

/// Orca's decoded dataset: `{"transactions": [{"signature", "instructions": [{"name",
/// "payload": {"keyWhirlpool", "keyTokenMintA", ...}}]}]}` per line.
fn orca_decoded(text: &str) -> Result<Vec<DetectedPool>, DetectError> {
    let whirlpool = venues::venue(&solana_sdk::pubkey::Pubkey::from_str_const(
        "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc",
    ))
    .ok_or(DetectError::Format("whirlpool venue"))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let block: Value =
            serde_json::from_str(line).map_err(|e| DetectError::Json(e.to_string()))?;
        for tx in block
            .get("transactions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for ix in tx
                .get("instructions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = ix.get("name").and_then(Value::as_str).unwrap_or_default();
                if name != "initializePool" && name != "initializePoolV2" {
                    continue;
                }
                let p = &ix["payload"];
                let key = |k: &str| -> Result<_, DetectError> {
                    b58_key(
                        p.get(k)
                            .and_then(Value::as_str)
                            .ok_or(DetectError::Format("decoded payload"))?,
                    )
                };
                out.push(DetectedPool {
                    venue: whirlpool.name,
                    program_id: whirlpool.program,
                    pool: key("keyWhirlpool")?,
                    base_mint: key("keyTokenMintA")?,
                    quote_mint: Some(key("keyTokenMintB")?),
                    lp_mint: None,
                    creator: Some(key("keyFunder")?),
                    signature: tx
                        .get("signature")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                });
            }
        }
    }
    Ok(out)
}
