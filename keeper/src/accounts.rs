//! Account data from the shapes RPC nodes and tools dump it in: `getAccountInfo` (bare or
//! enveloped) with base64 data, `solana account --output json`, and byte-array dumps.

use base64::Engine as _;
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAccount {
    pub pubkey: Option<Pubkey>,
    pub owner: Pubkey,
    pub lamports: u64,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("unrecognized account shape: {0}")]
    Shape(&'static str),
}

fn key(v: &Value) -> Result<Pubkey, AccountError> {
    match v {
        Value::String(s) => s.parse().map_err(|_| AccountError::Shape("base58 key")),
        Value::Array(a) if a.len() == 32 => {
            let mut b = [0u8; 32];
            for (i, x) in a.iter().enumerate() {
                b[i] = x
                    .as_u64()
                    .filter(|x| *x < 256)
                    .ok_or(AccountError::Shape("key byte"))? as u8;
            }
            Ok(Pubkey::new_from_array(b))
        }
        _ => Err(AccountError::Shape("key")),
    }
}

fn data(v: &Value) -> Result<Vec<u8>, AccountError> {
    let b64 = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| AccountError::Shape("base64 data"))
    };
    match v {
        Value::String(s) => b64(s),
        Value::Array(a) if a.len() == 2 && a[1].as_str() == Some("base64") => {
            b64(a[0].as_str().unwrap_or_default())
        }
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_u64()
                    .filter(|x| *x < 256)
                    .map(|x| x as u8)
                    .ok_or(AccountError::Shape("data byte"))
            })
            .collect(),
        _ => Err(AccountError::Shape("data")),
    }
}

/// Reads one account from a JSON document.
pub fn parse_account(bytes: &[u8]) -> Result<RawAccount, AccountError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| AccountError::Json(e.to_string()))?;
    let mut v = &v;
    if let Some(r) = v.get("result") {
        v = r.get("value").unwrap_or(r);
    }
    let pubkey = v.get("pubkey").map(key).transpose()?;
    let acc = v.get("account").unwrap_or(v);
    Ok(RawAccount {
        pubkey,
        owner: key(acc.get("owner").ok_or(AccountError::Shape("owner"))?)?,
        lamports: acc.get("lamports").and_then(Value::as_u64).unwrap_or(0),
        data: data(acc.get("data").ok_or(AccountError::Shape("data"))?)?,
    })
}
