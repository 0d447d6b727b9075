//! The hot path from JSON bytes to pools for the shape RPC nodes return most:
//! `getTransaction` with `json` or `jsonParsed` encoding, bare, in a JSON-RPC envelope, or in
//! a list.
//!
//! The document is deserialized straight into borrowed, typed structs: account keys,
//! signatures and instruction data stay `&str` slices of the input, every field no decoder
//! reads (balances, rewards, parsed instruction bodies, compute units) is skipped without
//! being built, and base58 is decoded only for keys and instruction data, and only once the
//! transaction is known to touch a watched program. Any shape this reader does not know, and
//! any error, sends the
//! document to the general reader in [`super::formats`], which is the authority on what a
//! document means and on how a bad one is reported; the tests check that both agree on every
//! fixture.

use super::formats::{b58_data, b58_key};
use super::tx::{parse_wire, Ix, Tx};
use super::{DetectError, DetectedPool};
use base64::Engine as _;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use solana_sdk::pubkey::Pubkey;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One item of a document: a JSON-RPC envelope, a transaction with its metadata, or a gRPC
/// update wrapping one.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    result: Option<Box<Entry<'a>>>,
    #[serde(borrow)]
    transaction: Option<TxField<'a>>,
    #[serde(borrow)]
    meta: Option<Meta<'a>>,
    /// Present on single-instruction documents, which the general reader handles.
    program_id: Option<IgnoredAny>,
}

/// `transaction`: wire bytes (`[base64, "base64"]`) or an object.
enum TxField<'a> {
    Wire(&'a str),
    Obj(Box<TxObj<'a>>),
}

/// A `json` / `jsonParsed` transaction (`signatures`, `message`), or a gRPC update's
/// transaction (`signature`, `transaction`, `meta`).
#[derive(Deserialize)]
struct TxObj<'a> {
    #[serde(borrow, default)]
    signatures: Vec<Sig<'a>>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(borrow)]
    signature: Option<Sig<'a>>,
    #[serde(borrow)]
    transaction: Option<TxField<'a>>,
    #[serde(borrow)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "accountKeys", borrow)]
    account_keys: Vec<Key<'a>>,
    #[serde(borrow)]
    instructions: Vec<JsonIx<'a>>,
}

/// An account key as text (`json`), as `{"pubkey", "signer", "writable", "source"}`
/// (`jsonParsed`, which lists loaded addresses among the keys), or as 32 bytes (gRPC).
enum Key<'a> {
    Text(&'a str),
    Parsed(&'a str),
    Bytes([u8; 32]),
}

/// A signature as text or as bytes (gRPC).
enum Sig<'a> {
    Text(&'a str),
    Bytes(Vec<u8>),
}

/// Instruction data as base58 text or as bytes (gRPC).
enum Data<'a> {
    Text(&'a str),
    Bytes(Vec<u8>),
}

#[derive(Deserialize)]
struct JsonIx<'a> {
    #[serde(rename = "programIdIndex")]
    program_id_index: Option<u16>,
    #[serde(rename = "programId", borrow)]
    program_id: Option<&'a str>,
    #[serde(borrow)]
    accounts: Option<Accounts<'a>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

/// Instruction accounts: indices (`json`) or keys (`jsonParsed`).
enum Accounts<'a> {
    Indices(Vec<u16>),
    Keys(Vec<&'a str>),
}

#[derive(Deserialize)]
struct Meta<'a> {
    err: Option<IgnoredAny>,
    status: Option<Status>,
    #[serde(rename = "innerInstructions", borrow)]
    inner: Option<Vec<Inner<'a>>>,
    #[serde(rename = "loadedAddresses", borrow)]
    loaded: Option<Loaded<'a>>,
    #[serde(rename = "loadedWritableAddresses", borrow)]
    loaded_writable: Option<Vec<Key<'a>>>,
    #[serde(rename = "loadedReadonlyAddresses", borrow)]
    loaded_readonly: Option<Vec<Key<'a>>>,
    #[serde(rename = "logMessages", borrow)]
    logs: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(rename = "Err")]
    err: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Inner<'a> {
    index: usize,
    #[serde(borrow)]
    instructions: Vec<JsonIx<'a>>,
}

#[derive(Deserialize)]
struct Loaded<'a> {
    #[serde(borrow, default)]
    writable: Vec<&'a str>,
    #[serde(borrow, default)]
    readonly: Vec<&'a str>,
}

/// Reads a JSON array of byte values.
fn byte_seq<'de, S: SeqAccess<'de>>(mut s: S) -> Result<Vec<u8>, S::Error> {
    let mut v = Vec::with_capacity(s.size_hint().unwrap_or(32));
    while let Some(b) = s.next_element::<u8>()? {
        v.push(b);
    }
    Ok(v)
}

impl<'de: 'a, 'a> Deserialize<'de> for TxField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = TxField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a transaction")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<TxField<'a>, S::Error> {
                let b64 = s
                    .next_element::<&'de str>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TxField::Wire(b64))
            }
            fn visit_map<M: de::MapAccess<'de>>(self, m: M) -> Result<TxField<'a>, M::Error> {
                TxObj::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(|o| TxField::Obj(Box::new(o)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Sig<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Sig<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a signature")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Sig<'a>, E> {
                Ok(Sig::Text(s))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, s: S) -> Result<Sig<'a>, S::Error> {
                byte_seq(s).map(Sig::Bytes)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Data<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("instruction data")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Data<'a>, E> {
                Ok(Data::Text(s))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, s: S) -> Result<Data<'a>, S::Error> {
                byte_seq(s).map(Data::Bytes)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an account key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'a>, E> {
                Ok(Key::Text(s))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<Key<'a>, S::Error> {
                let mut k = [0u8; 32];
                for (i, b) in k.iter_mut().enumerate() {
                    *b = s
                        .next_element::<u8>()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                if s.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(33, &self));
                }
                Ok(Key::Bytes(k))
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut m: M) -> Result<Key<'a>, M::Error> {
                let mut key = None;
                while let Some(name) = m.next_key::<&'de str>()? {
                    if name == "pubkey" {
                        key = Some(m.next_value::<&'de str>()?);
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                key.map(Key::Parsed)
                    .ok_or_else(|| de::Error::missing_field("pubkey"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Accounts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Accounts<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of account indices or keys")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<Accounts<'a>, S::Error> {
                // The first element decides the kind; a mixed list fails to deserialize.
                let Some(first) = s.next_element::<AccountRef<'a>>()? else {
                    return Ok(Accounts::Indices(Vec::new()));
                };
                match first {
                    AccountRef::Index(i) => {
                        let mut v = Vec::with_capacity(16);
                        v.push(i);
                        while let Some(i) = s.next_element::<u16>()? {
                            v.push(i);
                        }
                        Ok(Accounts::Indices(v))
                    }
                    AccountRef::Key(k) => {
                        let mut v = Vec::with_capacity(16);
                        v.push(k);
                        while let Some(k) = s.next_element::<&'de str>()? {
                            v.push(k);
                        }
                        Ok(Accounts::Keys(v))
                    }
                }
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

enum AccountRef<'a> {
    Index(u16),
    Key(&'a str),
}

impl<'de: 'a, 'a> Deserialize<'de> for AccountRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AccountRef<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an account index or key")
            }
            fn visit_u64<E: de::Error>(self, i: u64) -> Result<AccountRef<'a>, E> {
                u16::try_from(i)
                    .map(AccountRef::Index)
                    .map_err(|_| E::custom("account index"))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<AccountRef<'a>, E> {
                Ok(AccountRef::Key(s))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A transaction of a document this reader understands, still borrowed from the input.
enum Found<'d, 'a> {
    /// `json` / `jsonParsed`: text keys, loaded addresses in `meta.loadedAddresses` (json).
    Json {
        obj: &'d TxObj<'a>,
        meta: Option<&'d Meta<'a>>,
    },
    /// `[base64, "base64"]` with its metadata.
    Wire {
        b64: &'a str,
        meta: Option<&'d Meta<'a>>,
    },
    /// A gRPC update: byte keys, loaded addresses in `meta.loaded*Addresses`.
    Grpc {
        update: &'d TxObj<'a>,
        message: &'d Message<'a>,
    },
}

fn read(bytes: &[u8]) -> Option<Vec<Entry<'_>>> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        b'[' => serde_json::from_slice(bytes).ok(),
        b'{' => Some(vec![serde_json::from_slice(bytes).ok()?]),
        _ => None,
    }
}

/// What one entry holds, in the general reader's order of precedence.
fn found<'d, 'a>(e: &'d Entry<'a>) -> Option<Found<'d, 'a>> {
    if e.program_id.is_some() {
        return None;
    }
    if let Some(r) = &e.result {
        return if e.transaction.is_none() && r.result.is_none() {
            found(r)
        } else {
            None
        };
    }
    match e.transaction.as_ref()? {
        TxField::Wire(b64) => Some(Found::Wire {
            b64,
            meta: e.meta.as_ref(),
        }),
        TxField::Obj(o) if o.message.is_some() => Some(Found::Json {
            obj: o,
            meta: e.meta.as_ref(),
        }),
        TxField::Obj(o) => match o.transaction.as_ref()? {
            TxField::Obj(t) => Some(Found::Grpc {
                update: o,
                message: t.message.as_ref()?,
            }),
            TxField::Wire(_) => None,
        },
    }
}

/// Every transaction of `bytes`, when it is in a shape this reader knows and reads without
/// error; `None` sends the caller to the general reader.
pub fn parse(bytes: &[u8]) -> Option<Vec<Tx>> {
    read(bytes)?
        .iter()
        .map(|e| to_tx(&found(e)?, true).ok())
        .collect()
}

/// Pools created by the transactions of `bytes`, under the same terms as [`parse`].
/// Transactions that name no watched program are skipped before any base58 is decoded.
pub fn detect(bytes: &[u8]) -> Option<Vec<DetectedPool>> {
    let entries = read(bytes)?;
    let mut out = Vec::new();
    for e in &entries {
        let f = found(e)?;
        if touches_watched(&f) {
            out.extend(super::detect(&to_tx(&f, false).ok()?).ok()?);
        }
    }
    Some(out)
}

/// The watched programs, as text and as bytes.
fn watched() -> &'static (Vec<String>, Vec<[u8; 32]>) {
    static W: OnceLock<(Vec<String>, Vec<[u8; 32]>)> = OnceLock::new();
    W.get_or_init(|| {
        let mut v: Vec<[u8; 32]> = super::VENUES
            .iter()
            .map(|venue| venue.program.to_bytes())
            .collect();
        v.sort();
        v.dedup();
        (v.iter().map(|k| bs58::encode(k).into_string()).collect(), v)
    })
}

fn is_watched(k: &Key) -> bool {
    let (text, bytes) = watched();
    match k {
        Key::Text(s) | Key::Parsed(s) => text.iter().any(|p| p == s),
        Key::Bytes(b) => bytes.contains(b),
    }
}

/// Whether a transaction names a watched program among its keys. Wire transactions are
/// not inspected here (their keys are binary inside base64) and always count as touching.
fn touches_watched(f: &Found) -> bool {
    let (text, _) = watched();
    match f {
        Found::Json { obj, meta } => {
            obj.message
                .as_ref()
                .is_some_and(|m| m.account_keys.iter().any(is_watched))
                || meta.and_then(|m| m.loaded.as_ref()).is_some_and(|l| {
                    l.writable
                        .iter()
                        .chain(&l.readonly)
                        .any(|k| text.iter().any(|p| p == k))
                })
        }
        Found::Wire { .. } => true,
        Found::Grpc { update, message } => {
            message.account_keys.iter().any(is_watched)
                || update.meta.as_ref().is_some_and(|m| {
                    m.loaded_writable
                        .iter()
                        .chain(&m.loaded_readonly)
                        .flatten()
                        .any(is_watched)
                })
        }
    }
}

fn text_key<'a>(k: &Key<'a>) -> Option<&'a str> {
    match k {
        Key::Text(s) | Key::Parsed(s) => Some(s),
        Key::Bytes(_) => None,
    }
}

fn sig_text(s: &Sig) -> String {
    match s {
        Sig::Text(t) => t.to_string(),
        Sig::Bytes(b) => bs58::encode(b).into_string(),
    }
}

/// `full`: everything the general reader gives (logs, and the data of every instruction);
/// otherwise only what detection reads: no logs, and data only for watched programs.
fn to_tx(f: &Found, full: bool) -> Result<Tx, DetectError> {
    const NOT_HERE: DetectError = DetectError::Format("not for the fast reader");
    let mut index: HashMap<&str, u16> = HashMap::new();
    let (keys, top, meta, signature) = match f {
        Found::Json { obj, meta } => {
            let m = obj.message.as_ref().ok_or(NOT_HERE)?;
            let parsed = matches!(m.account_keys.first(), Some(Key::Parsed(_)));
            let mut names = m
                .account_keys
                .iter()
                .map(text_key)
                .collect::<Option<Vec<&str>>>()
                .ok_or(NOT_HERE)?;
            // jsonParsed lists loaded addresses among accountKeys; json lists them in meta.
            if !parsed {
                if let Some(l) = meta.and_then(|m| m.loaded.as_ref()) {
                    names.extend(l.writable.iter().chain(&l.readonly));
                }
            }
            let keys = names
                .iter()
                .map(|k| b58_key(k))
                .collect::<Result<Vec<_>, _>>()?;
            // Instructions of jsonParsed name their accounts; they are matched as text, so
            // only the transaction's own keys are ever decoded. Later duplicates win, as in
            // the general reader.
            if parsed {
                index = names
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (*k, i as u16))
                    .collect();
            }
            let top = m
                .instructions
                .iter()
                .map(|ix| to_ix(ix, &index, &keys, full))
                .collect::<Result<Vec<_>, _>>()?;
            (keys, top, *meta, obj.signatures.first().map(sig_text))
        }
        Found::Wire { b64, meta } => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| DetectError::Encoding("base64 transaction"))?;
            let wire = parse_wire(&bytes)?;
            let mut keys = wire.keys;
            if let Some(l) = meta.and_then(|m| m.loaded.as_ref()) {
                for k in l.writable.iter().chain(&l.readonly) {
                    keys.push(b58_key(k)?);
                }
            }
            let signature = wire
                .signatures
                .first()
                .map(|s| bs58::encode(s).into_string());
            (keys, wire.instructions, *meta, signature)
        }
        Found::Grpc { update, message } => {
            let meta = update.meta.as_ref();
            let loaded = meta
                .into_iter()
                .flat_map(|m| m.loaded_writable.iter().chain(&m.loaded_readonly).flatten());
            let keys = message
                .account_keys
                .iter()
                .chain(loaded)
                .map(|k| match k {
                    Key::Bytes(b) => Ok(Pubkey::new_from_array(*b)),
                    _ => Err(NOT_HERE),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let top = message
                .instructions
                .iter()
                .map(|ix| to_ix(ix, &index, &keys, full))
                .collect::<Result<Vec<_>, _>>()?;
            (keys, top, meta, update.signature.as_ref().map(sig_text))
        }
    };
    let inner = match meta.and_then(|m| m.inner.as_ref()) {
        None => Vec::new(),
        Some(list) => list
            .iter()
            .map(|e| {
                let ixs = e
                    .instructions
                    .iter()
                    .map(|ix| to_ix(ix, &index, &keys, full))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((e.index, ixs))
            })
            .collect::<Result<Vec<_>, DetectError>>()?,
    };
    let failed =
        meta.is_some_and(|m| m.err.is_some() || m.status.as_ref().is_some_and(|s| s.err.is_some()));
    let logs = match meta.and_then(|m| m.logs.as_ref()) {
        Some(l) if full => l.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    };
    Ok(Tx {
        signature,
        keys,
        top,
        inner,
        failed,
        logs,
    })
}

fn data(d: &Option<Data>) -> Result<Vec<u8>, DetectError> {
    match d {
        None => Ok(Vec::new()),
        Some(Data::Text(s)) => b58_data(s),
        Some(Data::Bytes(b)) => Ok(b.clone()),
    }
}

fn watched_key(k: &Pubkey) -> bool {
    watched().1.contains(&k.to_bytes())
}

fn to_ix(
    ix: &JsonIx,
    index: &HashMap<&str, u16>,
    keys: &[Pubkey],
    full: bool,
) -> Result<Ix, DetectError> {
    // No decoder reads an instruction of a program it does not watch: its accounts and
    // data (base58, quadratic to decode) are left unread.
    let needed = |program: u16| full || keys.get(program as usize).is_some_and(watched_key);
    if let Some(program) = ix.program_id_index {
        if !needed(program) {
            return Ok(Ix {
                program,
                ..Ix::default()
            });
        }
        let accounts = match &ix.accounts {
            None => Vec::new(),
            Some(Accounts::Indices(v)) => v.clone(),
            Some(Accounts::Keys(_)) => return Err(DetectError::Format("account index")),
        };
        return Ok(Ix {
            program,
            accounts,
            data: data(&ix.data)?,
        });
    }
    let lookup = |k: &str| {
        index
            .get(k)
            .copied()
            .ok_or(DetectError::Format("instruction names an unknown account"))
    };
    let program = lookup(ix.program_id.ok_or(DetectError::Format("programId"))?)?;
    if !needed(program) {
        return Ok(Ix {
            program,
            ..Ix::default()
        });
    }
    // Instructions the node parsed carry no raw data or accounts; they keep their place for
    // inner-instruction numbering.
    let (accounts, data) = match (&ix.accounts, &ix.data) {
        (Some(Accounts::Keys(a)), Some(Data::Text(d))) => (
            a.iter().map(|k| lookup(k)).collect::<Result<Vec<_>, _>>()?,
            b58_data(d)?,
        ),
        (Some(Accounts::Indices(a)), Some(Data::Text(_))) if !a.is_empty() => {
            return Err(DetectError::Format("account"))
        }
        (Some(Accounts::Indices(_)), Some(Data::Text(d))) => (Vec::new(), b58_data(d)?),
        _ => (Vec::new(), Vec::new()),
    };
    Ok(Ix {
        program,
        accounts,
        data,
    })
}
