//! The embedded chain: solana-program-test's bank with the vault, the local AMM and the local
//! lender as native programs beside the real SPL Token programs, behind the same [`Chain`]
//! trait the keeper uses against a cluster.
//!
//! It plays the parts of an RPC node the keeper relies on: a block feed (every processed
//! transaction), a token-account index per mint (what `getTokenLargestAccounts` answers
//! from), signature statuses, and blockhash expiry. A [`Congestion`] setting makes it behave
//! like a congested cluster: sent transactions are dropped or land late.

use super::{Chain, FeedTx, Landed, RecentBlockhash, Simulation, TxFailure};
use crate::detect::tx::parse_wire;
use crate::detect::{Ix, Tx};
use anyhow::Result;
use flashforge_tests::TestChain;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;

/// Slots a blockhash stays usable (the runtime's processing age).
pub const BLOCKHASH_VALID_SLOTS: u64 = 150;

/// How the embedded cluster mistreats transactions the keeper sends.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Congestion {
    /// Share of sent transactions silently dropped (0.0..=1.0).
    pub drop_rate: f64,
    /// Share of sent transactions that land only after `delay_slots`.
    pub delay_rate: f64,
    pub delay_slots: u64,
    /// Compute-unit price recent transactions paid (micro-lamports).
    pub fee_floor: u64,
}

/// Counters of what the embedded cluster did with sent transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendStats {
    pub sent: u64,
    pub dropped: u64,
    pub delayed: u64,
    pub expired: u64,
}

pub struct LocalChain {
    pub chain: TestChain,
    congestion: Congestion,
    rng: ChaCha8Rng,
    /// Blockhash → last slot a transaction using it may land in.
    hashes: HashMap<Hash, u64>,
    statuses: HashMap<Signature, Landed>,
    /// Sent transactions that land later: `(slot to land, transaction)`.
    delayed: VecDeque<(u64, VersionedTransaction)>,
    /// Token accounts per mint, from the account-creating instructions of every transaction.
    token_accounts: HashMap<Pubkey, Vec<Pubkey>>,
    /// Transactions processed but not yet handed out by `poll`.
    pending_feed: Vec<FeedTx>,
    /// Every account key a processed transaction named, and every key restored from a
    /// snapshot: what `program_accounts` scans and a snapshot saves.
    known: BTreeSet<Pubkey>,
    /// Hand out the bank's newest blockhash rather than the one of the latest warp: for
    /// sessions that run for real seconds between warps (the command-line tools).
    fresh_blockhashes: bool,
    pub stats: SendStats,
}

/// Layout version of a saved local chain; a file of another version is refused, not guessed at.
const SNAPSHOT_VERSION: u32 = 1;

/// The state of an embedded chain saved between runs of the command-line tools.
#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    version: u32,
    unix_time: i64,
    /// Slot and time come back together: marks and flights record slots, and a restored
    /// account must never sit in the future of the chain that holds it.
    slot: u64,
    accounts: Vec<(Pubkey, Account)>,
}

impl LocalChain {
    /// Wraps a started chain; every transaction it processes from now on feeds `poll`.
    pub fn new(mut chain: TestChain, seed: u64) -> Self {
        chain.record = true;
        Self {
            chain,
            congestion: Congestion::default(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xc0_4e_57),
            hashes: HashMap::new(),
            statuses: HashMap::new(),
            delayed: VecDeque::new(),
            token_accounts: HashMap::new(),
            pending_feed: Vec::new(),
            known: BTreeSet::new(),
            fresh_blockhashes: false,
            stats: SendStats::default(),
        }
    }

    /// Every transaction processed since the last `poll` or `take_feed`, whatever it touched
    /// (for a node serving the chain, which indexes them itself).
    pub async fn take_feed(&mut self) -> Vec<FeedTx> {
        self.ingest().await;
        std::mem::take(&mut self.pending_feed)
    }

    /// See `fresh_blockhashes`; restoring a snapshot turns it on.
    pub fn use_fresh_blockhashes(&mut self) {
        self.fresh_blockhashes = true;
    }

    pub fn set_congestion(&mut self, c: Congestion) {
        self.congestion = c;
    }

    async fn slot(&mut self) -> u64 {
        self.chain.clock().await.slot
    }

    /// Moves the chain on by `seconds` of wall time (2.5 slots a second, at least one),
    /// landing any delayed transactions that are due.
    pub async fn advance(&mut self, seconds: i64) -> Result<()> {
        // 400 ms slots: a minute is 150 slots, the life of a blockhash.
        let slots = (seconds.max(0) as u64 * 5 / 2).max(1);
        self.chain.warp(seconds, slots).await;
        self.land_due().await
    }

    async fn land_due(&mut self) -> Result<()> {
        let slot = self.slot().await;
        while let Some((due, _)) = self.delayed.front() {
            if *due > slot {
                break;
            }
            let (_, tx) = self.delayed.pop_front().expect("front exists");
            self.process(tx).await?;
        }
        self.ingest().await;
        Ok(())
    }

    /// Processes a transaction now, unless its blockhash has expired (then it never lands,
    /// as on a cluster).
    async fn process(&mut self, tx: VersionedTransaction) -> Result<()> {
        let slot = self.slot().await;
        let hash = *tx.message.recent_blockhash();
        let valid_until = self.hashes.get(&hash).copied();
        if valid_until.is_some_and(|v| slot > v) {
            self.stats.expired += 1;
            return Ok(());
        }
        let sig = tx.signatures[0];
        let (out, _) = self.chain.process_signed(tx).await;
        if matches!(
            out.result,
            Err(solana_sdk::transaction::TransactionError::BlockhashNotFound)
        ) {
            self.stats.expired += 1;
            return Ok(());
        }
        self.statuses.insert(
            sig,
            Landed {
                err: out
                    .result
                    .as_ref()
                    .err()
                    .map(|e| TxFailure::from_error(e, &out.logs)),
                logs: out.logs,
                slot,
            },
        );
        Ok(())
    }

    /// Moves processed transactions from the harness's recording into the feed, indexing the
    /// token accounts they create.
    async fn ingest(&mut self) {
        if self.chain.feed.is_empty() {
            return;
        }
        let clock = self.chain.clock().await;
        for e in std::mem::take(&mut self.chain.feed) {
            let Ok(w) = parse_wire(&e.bytes) else {
                continue;
            };
            let signature = w.signatures.first().map(|s| bs58::encode(s).into_string());
            // Lookup-table addresses are not resolved here: the index reads static keys only,
            // and pool creations on the embedded chain are built without tables.
            let tx = Tx {
                signature,
                keys: w.keys,
                top: w.instructions,
                inner: Vec::new(),
                failed: !e.ok,
                logs: e.logs,
            };
            if e.ok {
                self.index_token_accounts(&tx);
                self.known.extend(tx.keys.iter().copied());
            }
            self.pending_feed.push(FeedTx {
                tx,
                slot: clock.slot,
                block_time: clock.unix_timestamp,
            });
        }
    }

    fn index_token_accounts(&mut self, tx: &Tx) {
        let spl = spl_token_interface::ID;
        let t22 = spl_token_2022_interface::ID;
        let ata = spl_associated_token_account_interface::program::ID;
        for ix in &tx.top {
            let Ok(program) = tx.key(ix.program as usize) else {
                continue;
            };
            let (account, mint) = if *program == ata {
                // Create / CreateIdempotent: [payer, ata, owner, mint, ...]
                (acct(tx, ix, 1), acct(tx, ix, 3))
            } else if *program == spl || *program == t22 {
                // InitializeAccount (1), InitializeAccount2 (16), InitializeAccount3 (18):
                // [account, mint, ...]
                match ix.data.first() {
                    Some(1) | Some(16) | Some(18) => (acct(tx, ix, 0), acct(tx, ix, 1)),
                    _ => continue,
                }
            } else {
                continue;
            };
            if let (Some(account), Some(mint)) = (account, mint) {
                let v = self.token_accounts.entry(mint).or_default();
                if !v.contains(&account) {
                    v.push(account);
                }
            }
        }
    }

    /// Saves every account the chain's transactions touched (programs and sysvars excepted)
    /// and its clock to `path`. The file is written beside its final name and renamed over
    /// it, so a crash leaves the previous state or the new one, never half of either.
    pub async fn save(&mut self, path: &Path) -> Result<()> {
        use anyhow::Context;
        use std::io::Write;
        self.ingest().await;
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        let loaders = [
            solana_sdk::sysvar::ID,
            solana_sdk::native_loader::ID,
            solana_sdk::bpf_loader::ID,
            solana_sdk::bpf_loader_deprecated::ID,
            Pubkey::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111"),
        ];
        let mut accounts = Vec::with_capacity(keys.len());
        for (k, a) in keys.iter().zip(self.accounts(&keys).await?) {
            if let Some(a) = a {
                if !a.executable && !loaders.contains(&a.owner) {
                    accounts.push((*k, a));
                }
            }
        }
        let snap = Snapshot {
            version: SNAPSHOT_VERSION,
            unix_time: self.chain.now().await,
            slot: self.slot().await,
            accounts,
        };
        let bytes = bincode::serialize(&snap).context("encoding the local chain")?;
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::fs::File::create(&tmp)
                .with_context(|| format!("creating {}", tmp.display()))?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }

    /// Loads the accounts, slot and clock saved by [`LocalChain::save`]. The clock is set to the
    /// saved time; the slot moves past the saved one.
    pub async fn restore(&mut self, path: &Path) -> Result<()> {
        use anyhow::{bail, Context};
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let snap: Snapshot = bincode::deserialize(&bytes)
            .with_context(|| format!("{} is not a saved local chain", path.display()))?;
        if snap.version != SNAPSHOT_VERSION {
            bail!(
                "{} holds local-chain state of layout {} (this keeper reads {}); remove it and \
                 run `keeper local init` again",
                path.display(),
                snap.version,
                SNAPSHOT_VERSION
            );
        }
        for (k, a) in snap.accounts {
            if let Some((mint, _, _)) = token_amount(&a.data).filter(|_| {
                a.owner == spl_token_interface::ID || a.owner == spl_token_2022_interface::ID
            }) {
                self.index_token_account(mint, k);
            }
            self.chain.set_account(&k, a);
            self.known.insert(k);
        }
        let slot = self.slot().await;
        self.chain.warp(0, snap.slot.saturating_sub(slot) + 1).await;
        // The saved time exactly, not the later of it and this machine's clock: the local
        // chain's time moves only when a command moves it, so nothing accrues between two
        // commands just because they ran seconds apart.
        self.chain.set_unix_time(snap.unix_time).await;
        self.fresh_blockhashes = true;
        Ok(())
    }

    /// Registers a token account created some other way (by a program through CPI).
    pub fn index_token_account(&mut self, mint: Pubkey, account: Pubkey) {
        let v = self.token_accounts.entry(mint).or_default();
        if !v.contains(&account) {
            v.push(account);
        }
    }
}

fn acct(tx: &Tx, ix: &Ix, i: usize) -> Option<Pubkey> {
    tx.account(ix, i).ok().flatten().copied()
}

/// Token amount of an SPL Token or Token-2022 account (the base layout is shared).
pub fn token_amount(data: &[u8]) -> Option<(Pubkey, Pubkey, u64)> {
    if data.len() < spl_token_interface::state::Account::LEN {
        return None;
    }
    let a = spl_token_interface::state::Account::unpack_from_slice(
        &data[..spl_token_interface::state::Account::LEN],
    )
    .ok()?;
    Some((a.mint, a.owner, a.amount))
}

impl Chain for LocalChain {
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.chain.get_account(k).await);
        }
        Ok(out)
    }

    async fn largest_token_accounts(&mut self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>> {
        // The index must include everything processed so far.
        self.ingest().await;
        let keys = self.token_accounts.get(mint).cloned().unwrap_or_default();
        let accounts = self.accounts(&keys).await?;
        let mut v: Vec<(Pubkey, u64)> = keys
            .iter()
            .zip(accounts)
            .filter_map(|(k, a)| {
                let a = a?;
                let (m, _, amount) = token_amount(&a.data)?;
                (m == *mint).then_some((*k, amount))
            })
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(20);
        Ok(v)
    }

    async fn now(&mut self) -> Result<i64> {
        Ok(self.chain.now().await)
    }

    async fn block_height(&mut self) -> Result<u64> {
        Ok(self.slot().await)
    }

    async fn latest_blockhash(&mut self) -> Result<RecentBlockhash> {
        let slot = self.slot().await;
        let hash = if self.fresh_blockhashes {
            self.chain.newest_blockhash().await
        } else {
            self.chain.blockhash()
        };
        let last_valid_height = *self
            .hashes
            .entry(hash)
            .or_insert(slot + BLOCKHASH_VALID_SLOTS);
        Ok(RecentBlockhash {
            hash,
            last_valid_height,
        })
    }

    async fn priority_fee(&mut self, _accounts: &[Pubkey], _percentile: u8) -> Result<u64> {
        Ok(self.congestion.fee_floor)
    }

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation> {
        let (out, units) = self.chain.simulate_signed(tx.clone()).await;
        Ok(Simulation {
            err: out
                .result
                .as_ref()
                .err()
                .map(|e| TxFailure::from_error(e, &out.logs)),
            logs: out.logs,
            units,
        })
    }

    async fn send(&mut self, tx: &VersionedTransaction) -> Result<Signature> {
        let sig = tx.signatures[0];
        if self.statuses.contains_key(&sig)
            || self.delayed.iter().any(|(_, t)| t.signatures[0] == sig)
        {
            // A rebroadcast: the cluster already has it.
            return Ok(sig);
        }
        self.stats.sent += 1;
        let c = self.congestion;
        let roll: f64 = self.rng.gen();
        if roll < c.drop_rate {
            self.stats.dropped += 1;
        } else if roll < c.drop_rate + c.delay_rate {
            self.stats.delayed += 1;
            let due = self.slot().await + c.delay_slots.max(1);
            self.delayed.push_back((due, tx.clone()));
        } else {
            self.process(tx.clone()).await?;
            self.ingest().await;
        }
        Ok(sig)
    }

    async fn status(&mut self, sig: &Signature) -> Result<Option<Landed>> {
        Ok(self.statuses.get(sig).cloned())
    }

    async fn poll(&mut self, programs: &[Pubkey]) -> Result<Vec<FeedTx>> {
        self.ingest().await;
        let all = std::mem::take(&mut self.pending_feed);
        Ok(all
            .into_iter()
            .filter(|f| f.tx.keys.iter().any(|k| programs.contains(k)))
            .collect())
    }

    async fn program_accounts(
        &mut self,
        program: &Pubkey,
        discriminator: &[u8],
        offset: usize,
        key: &Pubkey,
    ) -> Result<Vec<(Pubkey, Account)>> {
        // The embedded bank cannot list accounts by owner; every account a transaction
        // created was named by it, so the known keys cover them.
        self.ingest().await;
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        let accounts = self.accounts(&keys).await?;
        Ok(keys
            .into_iter()
            .zip(accounts)
            .filter_map(|(k, a)| {
                let a = a?;
                (a.owner == *program && super::matches(&a.data, discriminator, offset, key))
                    .then_some((k, a))
            })
            .collect())
    }

    async fn pause(&mut self) -> Result<()> {
        self.chain.next_slot().await;
        self.land_due().await
    }
}
