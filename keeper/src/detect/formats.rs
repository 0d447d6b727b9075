//! Reading transactions from the shapes RPC nodes and streams deliver them in:
//! `getTransaction` with `json`, `jsonParsed` or `base64` encoding (bare, in a JSON-RPC
//! envelope, or as a list), a `blockSubscribe` transaction entry, a Yellowstone gRPC
//! `SubscribeUpdateTransaction` rendered as JSON, and single instructions
//! (`{"program_id", "accounts", "data"}`).

use super::tx::{parse_wire, Ix, Tx};
use super::DetectError;
use base64::Engine as _;
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;

/// Every transaction in a JSON document of any supported shape.
pub fn parse_document(bytes: &[u8]) -> Result<Vec<Tx>, DetectError> {
    if let Some(txs) = super::fast::parse(bytes) {
        return Ok(txs);
    }
    parse_document_general(bytes)
}

/// [`parse_document`] without the fast reader: every shape, and the errors users see.
pub fn parse_document_general(bytes: &[u8]) -> Result<Vec<Tx>, DetectError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| DetectError::Json(e.to_string()))?;
    parse_value(&v)
}

pub fn parse_value(v: &Value) -> Result<Vec<Tx>, DetectError> {
    match v {
        Value::Array(items) if items.first().is_some_and(|i| i.get("ix_index").is_some()) => {
            instruction_list(items).map(|t| vec![t])
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.extend(parse_value(item)?);
            }
            Ok(out)
        }
        Value::Object(o) => {
            if let Some(result) = o.get("result") {
                if result.is_null() {
                    return Err(DetectError::Format("the JSON-RPC result is null"));
                }
                return parse_value(result);
            }
            if o.contains_key("program_id")
                || (o.contains_key("accounts")
                    && o.contains_key("data")
                    && !o.contains_key("transaction"))
            {
                return instruction_only(o).map(|t| vec![t]);
            }
            match o.get("transaction") {
                Some(Value::Array(_)) => wire_with_meta(v).map(|t| vec![t]),
                Some(Value::Object(t)) if t.contains_key("message") => json_tx(v).map(|t| vec![t]),
                Some(Value::Object(t)) if t.contains_key("transaction") => {
                    grpc_tx(t).map(|t| vec![t])
                }
                None if o.contains_key("meta")
                    || o.contains_key("innerInstructions")
                    || o.contains_key("logMessages") =>
                {
                    Err(DetectError::NoMessage)
                }
                _ => Err(DetectError::Format("no transaction field")),
            }
        }
        _ => Err(DetectError::Format("expected an object or an array")),
    }
}

/// A base58 account key: exactly 32 bytes. five8's fixed-width decoder is several times
/// faster than a general base58 decoder, and keys are most of what a transaction holds.
pub(crate) fn b58_key(s: &str) -> Result<Pubkey, DetectError> {
    let mut a = [0u8; 32];
    match five8::decode_32(s, &mut a) {
        Ok(()) => Ok(Pubkey::new_from_array(a)),
        Err(_) => Err(DetectError::Encoding("account key")),
    }
}

/// Base58 characters that can encode a whole transaction packet (1,232 bytes): 1,232 x
/// log(256) / log(58) rounded up. Longer text cannot be one instruction's data, and refusing
/// it keeps the quadratic base58 decoder bounded on hostile input.
pub(crate) const MAX_DATA_B58_CHARS: usize = 1_683;

pub(crate) fn b58_data(s: &str) -> Result<Vec<u8>, DetectError> {
    if s.len() > MAX_DATA_B58_CHARS {
        return Err(DetectError::Encoding(
            "instruction data (longer than a transaction can carry)",
        ));
    }
    super::b58::decode(s).ok_or(DetectError::Encoding("instruction data"))
}

fn bytes_key(v: &Value) -> Result<Pubkey, DetectError> {
    let arr = v
        .as_array()
        .ok_or(DetectError::Format("key is not a byte array"))?;
    if arr.len() != 32 {
        return Err(DetectError::Encoding("account key"));
    }
    let mut a = [0u8; 32];
    for (i, b) in arr.iter().enumerate() {
        a[i] = b
            .as_u64()
            .filter(|b| *b < 256)
            .ok_or(DetectError::Encoding("account key"))? as u8;
    }
    Ok(Pubkey::new_from_array(a))
}

fn byte_array(v: &Value) -> Result<Vec<u8>, DetectError> {
    v.as_array()
        .ok_or(DetectError::Format("data is not a byte array"))?
        .iter()
        .map(|b| {
            b.as_u64()
                .filter(|b| *b < 256)
                .map(|b| b as u8)
                .ok_or(DetectError::Encoding("instruction data"))
        })
        .collect()
}

fn index_list(v: Option<&Value>) -> Result<Vec<u16>, DetectError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|i| {
                i.as_u64()
                    .filter(|i| *i < 65_536)
                    .map(|i| i as u16)
                    .ok_or(DetectError::Format("account index"))
            })
            .collect(),
        Some(_) => Err(DetectError::Format("accounts is not a list")),
    }
}

fn failed(meta: Option<&Value>) -> bool {
    match meta {
        Some(m) => {
            let err = m.get("err");
            err.is_some_and(|e| !e.is_null())
                || m.get("status")
                    .and_then(|s| s.get("Err"))
                    .is_some_and(|e| !e.is_null())
        }
        None => false,
    }
}

fn logs(meta: Option<&Value>) -> Vec<String> {
    meta.and_then(|m| m.get("logMessages"))
        .map(string_list)
        .unwrap_or_default()
}

/// The strings of a JSON array (a log, as nodes render it); empty for anything else.
pub(crate) fn string_list(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect()
}

/// An instruction object of the `json` or `jsonParsed` encodings. `index` maps keys to
/// positions for `jsonParsed`, whose instructions name accounts instead of indexing them.
fn json_ix(v: &Value, index: &HashMap<Pubkey, u16>) -> Result<Ix, DetectError> {
    if let Some(p) = v.get("programIdIndex") {
        let program = p.as_u64().ok_or(DetectError::Format("programIdIndex"))? as u16;
        let accounts = index_list(v.get("accounts"))?;
        let data = match v.get("data") {
            Some(Value::String(s)) => b58_data(s)?,
            Some(d @ Value::Array(_)) => byte_array(d)?,
            _ => Vec::new(),
        };
        return Ok(Ix {
            program,
            accounts,
            data,
        });
    }
    let program_key = b58_key(
        v.get("programId")
            .and_then(Value::as_str)
            .ok_or(DetectError::Format("programId"))?,
    )?;
    let lookup = |k: &Pubkey| {
        index
            .get(k)
            .copied()
            .ok_or(DetectError::Format("instruction names an unknown account"))
    };
    let program = lookup(&program_key)?;
    // Instructions the node parsed (system, token, ...) carry no raw data or accounts; no
    // decoder reads them, but they keep their place for inner-instruction numbering.
    let (accounts, data) = match (v.get("accounts"), v.get("data")) {
        (Some(Value::Array(a)), Some(Value::String(d))) => {
            let accounts = a
                .iter()
                .map(|k| lookup(&b58_key(k.as_str().ok_or(DetectError::Format("account"))?)?))
                .collect::<Result<Vec<_>, _>>()?;
            (accounts, b58_data(d)?)
        }
        _ => (Vec::new(), Vec::new()),
    };
    Ok(Ix {
        program,
        accounts,
        data,
    })
}

fn inner_list(
    meta: Option<&Value>,
    index: &HashMap<Pubkey, u16>,
) -> Result<Vec<(usize, Vec<Ix>)>, DetectError> {
    let Some(list) = meta
        .and_then(|m| m.get("innerInstructions"))
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|entry| {
            let i = entry
                .get("index")
                .and_then(Value::as_u64)
                .ok_or(DetectError::Format("inner index"))? as usize;
            let ixs = entry
                .get("instructions")
                .and_then(Value::as_array)
                .ok_or(DetectError::Format("inner instructions"))?
                .iter()
                .map(|ix| json_ix(ix, index))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((i, ixs))
        })
        .collect()
}

fn loaded(meta: Option<&Value>) -> Result<Vec<Pubkey>, DetectError> {
    let mut out = Vec::new();
    if let Some(l) = meta.and_then(|m| m.get("loadedAddresses")) {
        for part in ["writable", "readonly"] {
            if let Some(a) = l.get(part).and_then(Value::as_array) {
                for k in a {
                    out.push(b58_key(
                        k.as_str().ok_or(DetectError::Format("loaded address"))?,
                    )?);
                }
            }
        }
    }
    Ok(out)
}

fn index_of(keys: &[Pubkey]) -> HashMap<Pubkey, u16> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| (*k, i as u16))
        .collect()
}

/// `getTransaction` with `json` or `jsonParsed` encoding.
fn json_tx(v: &Value) -> Result<Tx, DetectError> {
    let t = &v["transaction"];
    let meta = v.get("meta");
    let message = t.get("message").ok_or(DetectError::Format("message"))?;
    let mut keys = Vec::new();
    for k in message
        .get("accountKeys")
        .and_then(Value::as_array)
        .ok_or(DetectError::Format("accountKeys"))?
    {
        let s = match k {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o
                .get("pubkey")
                .and_then(Value::as_str)
                .ok_or(DetectError::Format("accountKeys"))?,
            _ => return Err(DetectError::Format("accountKeys")),
        };
        keys.push(b58_key(s)?);
    }
    // jsonParsed lists loaded addresses among accountKeys already; json lists them in meta.
    let parsed = message["accountKeys"].get(0).is_some_and(Value::is_object);
    if !parsed {
        keys.extend(loaded(meta)?);
    }
    let index = index_of(&keys);
    let top = message
        .get("instructions")
        .and_then(Value::as_array)
        .ok_or(DetectError::Format("instructions"))?
        .iter()
        .map(|ix| json_ix(ix, &index))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tx {
        signature: t
            .get("signatures")
            .and_then(|s| s.get(0))
            .and_then(Value::as_str)
            .map(str::to_owned),
        inner: inner_list(meta, &index)?,
        keys,
        top,
        failed: failed(meta),
        logs: logs(meta),
    })
}

/// `{"transaction": [base64, "base64"], "meta": ...}` (getTransaction base64, blockSubscribe).
fn wire_with_meta(v: &Value) -> Result<Tx, DetectError> {
    let b64 = v["transaction"]
        .get(0)
        .and_then(Value::as_str)
        .ok_or(DetectError::Format("base64 transaction"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| DetectError::Encoding("base64 transaction"))?;
    let wire = parse_wire(&bytes)?;
    let meta = v.get("meta");
    let mut keys = wire.keys;
    keys.extend(loaded(meta)?);
    let index = index_of(&keys);
    Ok(Tx {
        signature: wire
            .signatures
            .first()
            .map(|s| bs58::encode(s).into_string()),
        inner: inner_list(meta, &index)?,
        keys,
        top: wire.instructions,
        failed: failed(meta),
        logs: logs(meta),
    })
}

/// A Yellowstone gRPC `SubscribeUpdateTransaction` as JSON: keys and data as byte arrays,
/// loaded addresses in `loadedWritableAddresses` / `loadedReadonlyAddresses`.
fn grpc_tx(t: &serde_json::Map<String, Value>) -> Result<Tx, DetectError> {
    let inner_tx = t
        .get("transaction")
        .ok_or(DetectError::Format("grpc transaction"))?;
    let message = inner_tx
        .get("message")
        .ok_or(DetectError::Format("grpc message"))?;
    let meta = t.get("meta");
    let mut keys = message
        .get("accountKeys")
        .and_then(Value::as_array)
        .ok_or(DetectError::Format("grpc accountKeys"))?
        .iter()
        .map(bytes_key)
        .collect::<Result<Vec<_>, _>>()?;
    for part in ["loadedWritableAddresses", "loadedReadonlyAddresses"] {
        if let Some(a) = meta.and_then(|m| m.get(part)).and_then(Value::as_array) {
            for k in a {
                keys.push(bytes_key(k)?);
            }
        }
    }
    let index = index_of(&keys);
    let top = message
        .get("instructions")
        .and_then(Value::as_array)
        .ok_or(DetectError::Format("grpc instructions"))?
        .iter()
        .map(|ix| json_ix(ix, &index))
        .collect::<Result<Vec<_>, _>>()?;
    let signature = match t.get("signature") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(a @ Value::Array(_)) => Some(bs58::encode(byte_array(a)?).into_string()),
        _ => None,
    };
    Ok(Tx {
        signature,
        inner: inner_list(meta, &index)?,
        keys,
        top,
        failed: failed(meta),
        logs: logs(meta),
    })
}

/// `{"program_id", "accounts": [{"pubkey", ...}], "data": hex}`: one instruction.
fn instruction_only(o: &serde_json::Map<String, Value>) -> Result<Tx, DetectError> {
    let program = b58_key(
        o.get("program_id")
            .and_then(Value::as_str)
            .ok_or(DetectError::Format("the instruction names no program id"))?,
    )?;
    let mut keys = vec![program];
    let mut accounts = Vec::new();
    for a in o
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or(DetectError::Format("accounts"))?
    {
        let s = match a {
            Value::String(s) => s.as_str(),
            Value::Object(m) => m
                .get("pubkey")
                .and_then(Value::as_str)
                .ok_or(DetectError::Format("account pubkey"))?,
            _ => return Err(DetectError::Format("account")),
        };
        accounts.push(keys.len() as u16);
        keys.push(b58_key(s)?);
    }
    let data = match o.get("data") {
        Some(Value::String(s)) => hex(s).or_else(|_| b58_data(s))?,
        Some(d @ Value::Array(_)) => byte_array(d)?,
        _ => return Err(DetectError::Format("data")),
    };
    Ok(Tx {
        signature: None,
        keys,
        top: vec![Ix {
            program: 0,
            accounts,
            data,
        }],
        inner: Vec::new(),
        failed: false,
        logs: Vec::new(),
    })
}

fn hex(s: &str) -> Result<Vec<u8>, DetectError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DetectError::Encoding("hex data"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| DetectError::Encoding("hex data"))
        })
        .collect()
}

/// A list of instructions with byte-array keys (`{"ix_index", "program", "accounts", "data",
/// "inner"}`), as instruction-parsing frameworks dump them. Each becomes a top-level
/// instruction; nested ones under `inner` become its inner instructions.
fn instruction_list(items: &[Value]) -> Result<Tx, DetectError> {
    let mut tx = Tx::default();
    fn add(tx: &mut Tx, v: &Value) -> Result<Ix, DetectError> {
        let push = |k: Pubkey, tx: &mut Tx| -> u16 {
            tx.keys.push(k);
            (tx.keys.len() - 1) as u16
        };
        let program = push(
            bytes_key(v.get("program").ok_or(DetectError::Format("program"))?)?,
            tx,
        );
        let mut accounts = Vec::new();
        for a in v
            .get("accounts")
            .and_then(Value::as_array)
            .ok_or(DetectError::Format("accounts"))?
        {
            accounts.push(push(bytes_key(a)?, tx));
        }
        let data = byte_array(v.get("data").ok_or(DetectError::Format("data"))?)?;
        Ok(Ix {
            program,
            accounts,
            data,
        })
    }
    for (i, item) in items.iter().enumerate() {
        let ix = add(&mut tx, item)?;
        tx.top.push(ix);
        let mut inner = Vec::new();
        for nested in item
            .get("inner")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            inner.push(add(&mut tx, nested)?);
        }
        if !inner.is_empty() {
            tx.inner.push((i, inner));
        }
    }
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_as_long_as_a_packet_decodes_and_longer_text_is_refused_at_once() {
        // The longest encoding of 1,232 bytes: no leading zeros, every byte at its maximum.
        let packet = vec![0xff; 1_232];
        let text = bs58::encode(&packet).into_string();
        assert!(text.len() <= MAX_DATA_B58_CHARS, "{}", text.len());
        assert_eq!(b58_data(&text), Ok(packet));
        // One character more than any packet needs: refused before decoding, however long.
        for n in [MAX_DATA_B58_CHARS + 1, 1 << 20] {
            assert_eq!(
                b58_data(&"z".repeat(n)),
                Err(DetectError::Encoding(
                    "instruction data (longer than a transaction can carry)"
                ))
            );
        }
    }
}
