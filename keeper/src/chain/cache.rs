//! A [`Chain`] that records what another chain answers and then replays it from memory: the
//! keeper's evaluations measured without the cost of the node, and tests that need a frozen
//! state. Simulations are keyed by the transaction's message without its blockhash.

use super::{Chain, FeedTx, Landed, RecentBlockhash, Simulation};
use anyhow::{anyhow, bail, Result};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

pub struct CachedChain<C> {
    inner: Option<C>,
    accounts: HashMap<Pubkey, Option<Account>>,
    largest: HashMap<Pubkey, Vec<(Pubkey, u64)>>,
    sims: HashMap<u64, Simulation>,
    now: Option<i64>,
    height: Option<u64>,
    blockhash: Option<RecentBlockhash>,
}

/// The message's identity without its blockhash: keys, header and instructions.
fn message_key(tx: &VersionedTransaction) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let m = &tx.message;
    m.static_account_keys().hash(&mut h);
    for ix in m.instructions() {
        ix.program_id_index.hash(&mut h);
        ix.accounts.hash(&mut h);
        ix.data.hash(&mut h);
    }
    h.finish()
}

impl<C: Chain> CachedChain<C> {
    /// Records everything `inner` answers.
    pub fn record(inner: C) -> Self {
        Self {
            inner: Some(inner),
            accounts: HashMap::new(),
            largest: HashMap::new(),
            sims: HashMap::new(),
            now: None,
            height: None,
            blockhash: None,
        }
    }

    /// Stops recording: from now on only what was recorded is answered. Returns the inner
    /// chain.
    pub fn freeze(&mut self) -> Option<C> {
        self.inner.take()
    }

    fn inner(&mut self) -> Result<&mut C> {
        self.inner
            .as_mut()
            .ok_or_else(|| anyhow!("the cache is frozen and does not hold this answer"))
    }
}

impl<C: Chain> Chain for CachedChain<C> {
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        let missing: Vec<Pubkey> = keys
            .iter()
            .filter(|k| !self.accounts.contains_key(k))
            .copied()
            .collect();
        if !missing.is_empty() {
            let got = self.inner()?.accounts(&missing).await?;
            for (k, a) in missing.into_iter().zip(got) {
                self.accounts.insert(k, a);
            }
        }
        Ok(keys.iter().map(|k| self.accounts[k].clone()).collect())
    }

    async fn largest_token_accounts(&mut self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>> {
        if let Some(v) = self.largest.get(mint) {
            return Ok(v.clone());
        }
        let v = self.inner()?.largest_token_accounts(mint).await?;
        self.largest.insert(*mint, v.clone());
        Ok(v)
    }

    async fn now(&mut self) -> Result<i64> {
        if let Some(t) = self.now {
            return Ok(t);
        }
        let t = self.inner()?.now().await?;
        self.now = Some(t);
        Ok(t)
    }

    async fn block_height(&mut self) -> Result<u64> {
        if let Some(h) = self.height {
            return Ok(h);
        }
        let h = self.inner()?.block_height().await?;
        self.height = Some(h);
        Ok(h)
    }

    async fn latest_blockhash(&mut self) -> Result<RecentBlockhash> {
        if let Some(b) = self.blockhash {
            return Ok(b);
        }
        let b = self.inner()?.latest_blockhash().await?;
        self.blockhash = Some(b);
        Ok(b)
    }

    async fn priority_fee(&mut self, accounts: &[Pubkey], percentile: u8) -> Result<u64> {
        match self.inner.as_mut() {
            Some(c) => c.priority_fee(accounts, percentile).await,
            None => Ok(0),
        }
    }

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation> {
        let key = message_key(tx);
        if let Some(s) = self.sims.get(&key) {
            return Ok(s.clone());
        }
        let s = self.inner()?.simulate(tx).await?;
        self.sims.insert(key, s.clone());
        Ok(s)
    }

    async fn send(&mut self, tx: &VersionedTransaction) -> Result<Signature> {
        match self.inner.as_mut() {
            Some(c) => c.send(tx).await,
            None => bail!("a frozen cache cannot send"),
        }
    }

    async fn status(&mut self, sig: &Signature) -> Result<Option<Landed>> {
        self.inner()?.status(sig).await
    }

    async fn poll(&mut self, programs: &[Pubkey]) -> Result<Vec<FeedTx>> {
        self.inner()?.poll(programs).await
    }

    async fn program_accounts(
        &mut self,
        program: &Pubkey,
        discriminator: &[u8],
        offset: usize,
        key: &Pubkey,
    ) -> Result<Vec<(Pubkey, Account)>> {
        // Not cached: listings are for operator tools, not the evaluation hot path.
        self.inner()?
            .program_accounts(program, discriminator, offset, key)
            .await
    }

    async fn pause(&mut self) -> Result<()> {
        match self.inner.as_mut() {
            Some(c) => c.pause().await,
            None => Ok(()),
        }
    }
}
