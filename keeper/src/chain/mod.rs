//! Chain access behind one trait, so the same pipeline runs against a real cluster over
//! JSON-RPC ([`rpc::RpcChain`]) and against the embedded runtime ([`local::LocalChain`]).
//!
//! The trait is deliberately small: what the keeper reads (accounts, the largest holders of a
//! mint, time and block height), what it writes (simulate, send, signature status), and the
//! feed of new transactions it watches for pool creations.

pub mod cache;
pub mod endpoints;
pub mod grpc;
pub mod local;
pub mod rpc;
pub mod ws;

use crate::detect::Tx;
use anyhow::Result;
use serde::Serialize;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

/// A transaction from the feed with where and when it landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedTx {
    pub tx: Tx,
    pub slot: u64,
    /// Unix time of the block.
    pub block_time: i64,
}

/// Where the feed stands for one watched program: the newest transaction read and its block
/// time. Journaled with the pools found up to it, so that a restarted keeper, or a replica
/// taking over, reads on from there instead of from "now" and misses no pool in between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedPosition {
    pub program: Pubkey,
    pub signature: String,
    /// Unix time of the transaction's block (0 when the node did not say).
    pub block_time: i64,
}

/// Why a transaction failed, as the cluster reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxFailure {
    pub message: String,
    /// The program's custom error code, when the failure was one.
    pub custom_code: Option<u32>,
    /// The program that raised the custom error (the innermost one that failed, from the
    /// log), when known. Codes are per program: 6000 means something different to each.
    #[serde(serialize_with = "ser_opt_key")]
    pub program: Option<Pubkey>,
}

fn ser_opt_key<S: serde::Serializer>(k: &Option<Pubkey>, s: S) -> Result<S::Ok, S::Error> {
    match k {
        Some(k) => s.collect_str(k),
        None => s.serialize_none(),
    }
}

/// The first program the log says failed with a custom error: the innermost failure.
pub fn failing_program(logs: &[String]) -> Option<Pubkey> {
    logs.iter().find_map(|l| {
        let rest = l.strip_prefix("Program ")?;
        let (id, tail) = rest.split_once(' ')?;
        tail.starts_with("failed: custom program error")
            .then(|| id.parse().ok())
            .flatten()
    })
}

impl TxFailure {
    pub fn from_error(e: &TransactionError, logs: &[String]) -> Self {
        use solana_sdk::instruction::InstructionError;
        let custom_code = match e {
            TransactionError::InstructionError(_, InstructionError::Custom(c)) => Some(*c),
            _ => None,
        };
        Self {
            message: format!("{e:?}"),
            custom_code,
            program: custom_code.and_then(|_| failing_program(logs)),
        }
    }

    /// A failure that is not a transaction error (expiry, dry run).
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            custom_code: None,
            program: None,
        }
    }

    /// The vault rule that refused, when the code is a vault error: `(name, message)`.
    pub fn vault_error(&self) -> Option<(&'static str, &'static str)> {
        if self.program != Some(vault::ID) {
            return None;
        }
        vault_error(self.custom_code?)
    }

    /// The vault error's name, or the failing program and message for any other failure.
    pub fn reason(&self) -> String {
        match (self.vault_error(), self.program) {
            (Some((name, _)), _) => name.to_string(),
            (None, Some(p)) => format!("{} in program {p}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

/// The vault error with custom code `code`, from the checked-in IDL: `(name, message)`.
pub fn vault_error(code: u32) -> Option<(&'static str, &'static str)> {
    static ERRORS: std::sync::OnceLock<Vec<(u32, &'static str, &'static str)>> =
        std::sync::OnceLock::new();
    let errors = ERRORS.get_or_init(|| {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../../idl/vault.json")).unwrap_or_default();
        idl["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        let leak = |v: &serde_json::Value| -> &'static str {
                            Box::leak(v.as_str().unwrap_or("").to_string().into_boxed_str())
                        };
                        Some((
                            e["code"].as_u64()? as u32,
                            leak(&e["name"]),
                            leak(&e["msg"]),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    errors
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, m)| (*n, *m))
}

/// What a simulation returned.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub err: Option<TxFailure>,
    pub logs: Vec<String>,
    pub units: u64,
}

/// A landed transaction.
#[derive(Clone, Debug)]
pub struct Landed {
    pub err: Option<TxFailure>,
    pub logs: Vec<String>,
    pub slot: u64,
}

/// A recent blockhash and the last block height at which a transaction using it can land.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentBlockhash {
    pub hash: Hash,
    pub last_valid_height: u64,
}

/// Chain access. Methods take `&mut self`: implementations keep connections and caches.
#[allow(async_fn_in_trait)] // used through generics on one task, never as `dyn` or across threads
pub trait Chain {
    /// The accounts at `keys`, `None` where there is none.
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>>;

    /// Up to 20 token accounts of `mint` with the largest balances, largest first.
    async fn largest_token_accounts(&mut self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>>;

    /// The cluster's unix time.
    async fn now(&mut self) -> Result<i64>;

    async fn block_height(&mut self) -> Result<u64>;

    async fn latest_blockhash(&mut self) -> Result<RecentBlockhash>;

    /// A compute-unit price (micro-lamports) recent transactions touching `accounts` paid,
    /// at `percentile` (0..=100).
    async fn priority_fee(&mut self, accounts: &[Pubkey], percentile: u8) -> Result<u64>;

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation>;

    /// Hands a signed transaction to the cluster. Sending the same bytes again is harmless:
    /// the cluster keeps one transaction per signature.
    async fn send(&mut self, tx: &VersionedTransaction) -> Result<Signature>;

    /// `None` while the cluster has no record of the signature.
    async fn status(&mut self, sig: &Signature) -> Result<Option<Landed>>;

    /// Transactions that landed since the last call and touch any of `programs`.
    async fn poll(&mut self, programs: &[Pubkey]) -> Result<Vec<FeedTx>>;

    /// Where [`Chain::poll`] stands, per program it has read from; empty for a chain whose
    /// feed cannot be resumed (the embedded one replays its own log).
    fn feed_positions(&self) -> Vec<FeedPosition> {
        Vec::new()
    }

    /// Makes the next [`Chain::poll`] read on after `positions` (from an earlier run) instead
    /// of starting from the newest transaction.
    fn resume_feed(&mut self, _positions: &[FeedPosition]) {}

    /// Accounts owned by `program` whose data starts with `discriminator` and holds `key` at
    /// byte `offset` (an account type and the vault it belongs to, say).
    async fn program_accounts(
        &mut self,
        program: &Pubkey,
        discriminator: &[u8],
        offset: usize,
        key: &Pubkey,
    ) -> Result<Vec<(Pubkey, Account)>>;

    /// Lets time pass before polling again (one slot on a local chain, a short sleep on a
    /// cluster).
    async fn pause(&mut self) -> Result<()>;
}

/// Whether `data` starts with `discriminator` and holds `key` at `offset`: the filter of
/// [`Chain::program_accounts`].
pub fn matches(data: &[u8], discriminator: &[u8], offset: usize, key: &Pubkey) -> bool {
    data.starts_with(discriminator) && data.get(offset..offset + 32) == Some(key.as_ref())
}

/// Reads one account.
pub async fn account<C: Chain>(chain: &mut C, key: &Pubkey) -> Result<Option<Account>> {
    Ok(chain
        .accounts(std::slice::from_ref(key))
        .await?
        .pop()
        .flatten())
}
