//! A killed keeper restarts where it was: the pools it saw stay seen, its positions are
//! managed again, orders in flight are followed, and order ids never go backwards.

use anchor_lang::AccountDeserialize;
use anyhow::Result;
use flashforge_tests::trading_fixture::TradingVault;
use keeper::chain::local::{Congestion, LocalChain};
use keeper::chain::{Chain, FeedTx, Landed, RecentBlockhash, Simulation};
use keeper::journal::Journal;
use keeper::pipeline::{Keeper, KeeperConfig, EVALUATION_TRIES, RESUME_WINDOW_SECS};
use keeper::score::Weights;
use keeper::strategy::{Preset, SkipReason};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;
use vault::state::Vault;

mod common;

use common::trading::{launch, position, setup, UNIT};

fn preset() -> Preset {
    Preset {
        name: "test".into(),
        budget_usd: 100,
        max_buy: UNIT,
        min_safety_score: 0,
        concurrent_trades: 5,
        max_positions: 10,
        max_total_exposure: 20 * UNIT,
        max_exposure_per_token: 10 * UNIT,
        min_liquidity: 10 * UNIT,
        max_impact_bps: 300,
        slippage_bps: 100,
        leverage: None,
        max_hold_seconds: 1_000_000,
    }
}

fn config(tv: &TradingVault, probe: Pubkey) -> KeeperConfig {
    KeeperConfig {
        preset: preset(),
        weights: Weights::default(),
        exec: Default::default(),
        vault: tv.f.keys,
        watch: vec![local_amm::ID],
        probe_quote_account: Some(probe),
        leverage: None,
    }
}

#[tokio::test]
async fn a_restarted_keeper_keeps_its_book_and_buys_nothing_twice() {
    let (mut chain, tv, probe) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");

    let first = launch(&mut chain, &tv).await;
    let mut k1 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k1.tick(&mut chain).await.unwrap();
    assert_eq!(k1.stats.buys, 1, "{:?}", k1.stats);
    let bought = position(&mut chain, &tv, &first).await.total_bought;
    assert_eq!(bought, UNIT);
    let holdings = k1.holdings();
    drop(k1); // killed

    chain.advance(60).await.unwrap();
    let second = launch(&mut chain, &tv).await;
    let mut k2 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k2.tick(&mut chain).await.unwrap();
    // The old position is managed again; only the new pool was bought.
    assert!(k2.holdings().contains(&holdings[0]));
    assert_eq!(k2.holdings().len(), 2);
    assert_eq!(k2.stats.buys, 1);
    assert_eq!(k2.stats.pools_seen, 1, "the first pool stays seen");
    assert_eq!(position(&mut chain, &tv, &first).await.total_bought, bought);
    assert_eq!(position(&mut chain, &tv, &second).await.total_bought, UNIT);
    assert_eq!(k2.journal.pool_count().unwrap(), 2);
}

#[tokio::test]
async fn an_order_in_flight_at_the_crash_is_followed_after_the_restart() {
    let (mut chain, tv, probe) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mint = launch(&mut chain, &tv).await;
    chain.set_congestion(Congestion {
        delay_rate: 1.0,
        delay_slots: 5,
        ..Default::default()
    });
    let mut k1 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k1.tick(&mut chain).await.unwrap();
    assert_eq!(k1.in_flight(), 1);
    assert_eq!(k1.stats.buys, 0);
    drop(k1);

    chain.set_congestion(Congestion::default());
    chain.advance(10).await.unwrap(); // the delayed buy lands while no keeper runs
    let mut k2 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k2.tick(&mut chain).await.unwrap();
    assert_eq!(k2.stats.orders_filled, 1, "{:?}", k2.stats);
    assert_eq!(k2.stats.buys, 1, "the fill is booked once");
    assert_eq!(k2.holdings().len(), 1);
    assert_eq!(position(&mut chain, &tv, &mint).await.total_bought, UNIT);
    let a = keeper::chain::account(&mut chain, &tv.f.keys.vault)
        .await
        .unwrap()
        .unwrap();
    let v = Vault::try_deserialize(&mut a.data.as_slice()).unwrap();
    assert_eq!(v.last_order_id, 1);
    assert_eq!(k2.journal.max_order_id().unwrap(), 1);
}

/// A keeper on an in-memory journal.
fn in_memory(tv: &TradingVault, probe: Pubkey) -> Keeper {
    Keeper::new(
        config(tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::memory().unwrap(),
    )
}

/// The embedded chain, with simulations failing while `fail` is set: a node that keeps
/// refusing one request. With no position open, only evaluating a new pool simulates (the
/// honeypot probe's round trip). With `fail_send`, sends fail instead.
struct Flaky<'a> {
    inner: &'a mut LocalChain,
    fail: bool,
    fail_send: bool,
}

impl Chain for Flaky<'_> {
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        self.inner.accounts(keys).await
    }
    async fn largest_token_accounts(&mut self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>> {
        self.inner.largest_token_accounts(mint).await
    }
    async fn now(&mut self) -> Result<i64> {
        self.inner.now().await
    }
    async fn block_height(&mut self) -> Result<u64> {
        self.inner.block_height().await
    }
    async fn latest_blockhash(&mut self) -> Result<RecentBlockhash> {
        self.inner.latest_blockhash().await
    }
    async fn priority_fee(&mut self, accounts: &[Pubkey], percentile: u8) -> Result<u64> {
        self.inner.priority_fee(accounts, percentile).await
    }
    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation> {
        if self.fail {
            anyhow::bail!("simulateTransaction: node busy");
        }
        self.inner.simulate(tx).await
    }
    async fn send(&mut self, tx: &VersionedTransaction) -> Result<Signature> {
        if self.fail_send {
            anyhow::bail!("sendTransaction: node busy");
        }
        self.inner.send(tx).await
    }
    async fn status(&mut self, sig: &Signature) -> Result<Option<Landed>> {
        self.inner.status(sig).await
    }
    async fn poll(&mut self, programs: &[Pubkey]) -> Result<Vec<FeedTx>> {
        self.inner.poll(programs).await
    }
    async fn program_accounts(
        &mut self,
        program: &Pubkey,
        discriminator: &[u8],
        offset: usize,
        key: &Pubkey,
    ) -> Result<Vec<(Pubkey, Account)>> {
        self.inner
            .program_accounts(program, discriminator, offset, key)
            .await
    }
    async fn pause(&mut self) -> Result<()> {
        self.inner.pause().await
    }
}

#[tokio::test]
async fn a_pool_whose_evaluation_failed_is_tried_again_next_tick() {
    let (mut chain, tv, probe) = setup().await;
    let mint = launch(&mut chain, &tv).await;
    let mut k = in_memory(&tv, probe);
    let mut flaky = Flaky {
        inner: &mut chain,
        fail: true,
        fail_send: false,
    };
    let e = k.tick(&mut flaky).await.unwrap_err();
    assert_eq!(e.to_string(), "simulateTransaction: node busy");
    assert_eq!(k.stats.pools_seen, 1, "journaled before the failure");
    assert_eq!(k.stats.pools_scored, 0);

    flaky.fail = false;
    k.tick(&mut flaky).await.unwrap();
    assert_eq!(k.stats.pools_seen, 1, "not seen twice");
    assert_eq!(
        (k.stats.pools_scored, k.stats.buys),
        (1, 1),
        "{:?}",
        k.stats
    );
    assert_eq!(position(&mut chain, &tv, &mint).await.total_bought, UNIT);
}

#[tokio::test]
async fn a_pool_that_never_reads_is_written_off_after_its_tries_and_the_keeper_goes_on() {
    let (mut chain, tv, probe) = setup().await;
    launch(&mut chain, &tv).await;
    let mut k = in_memory(&tv, probe);
    let mut flaky = Flaky {
        inner: &mut chain,
        fail: true,
        fail_send: false,
    };
    for _ in 1..EVALUATION_TRIES {
        let e = k.tick(&mut flaky).await.unwrap_err();
        assert_eq!(e.to_string(), "simulateTransaction: node busy");
    }
    // The last try fails too: the pool is skipped with the reason journaled, and the tick
    // itself goes through.
    k.tick(&mut flaky).await.unwrap();
    assert_eq!(k.stats.skips.get(&SkipReason::Unreadable), Some(&1));
    assert_eq!(k.stats.pools_scored, 0);
    k.tick(&mut flaky).await.unwrap();
    assert_eq!(k.stats.entries_skipped, 1, "written off once");
    assert!(k.journal.undecided_pools(0).unwrap().is_empty());
}

/// A keeper on the journal at `path` that dies in its first tick with a new pool journaled
/// and no decision on it; returns the pool's mint.
async fn crash_before_deciding(
    chain: &mut LocalChain,
    tv: &TradingVault,
    probe: Pubkey,
    path: &std::path::Path,
) -> Pubkey {
    let mint = launch(chain, tv).await;
    let mut k = Keeper::new(
        config(tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(path).unwrap(),
    );
    let mut flaky = Flaky {
        inner: chain,
        fail: true,
        fail_send: false,
    };
    k.tick(&mut flaky).await.unwrap_err();
    let j = Journal::open(path).unwrap();
    assert_eq!(j.undecided_pools(0).unwrap().len(), 1);
    mint
}

#[tokio::test]
async fn a_pool_journaled_but_not_decided_before_a_crash_is_decided_after_the_restart() {
    let (mut chain, tv, probe) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mint = crash_before_deciding(&mut chain, &tv, probe, &path).await;

    let mut k2 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k2.tick(&mut chain).await.unwrap();
    assert_eq!(k2.stats.pools_seen, 0, "the feed did not bring it again");
    assert_eq!(
        (k2.stats.pools_scored, k2.stats.buys),
        (1, 1),
        "{:?}",
        k2.stats
    );
    assert_eq!(position(&mut chain, &tv, &mint).await.total_bought, UNIT);
    assert!(k2.journal.undecided_pools(0).unwrap().is_empty());
}

#[tokio::test]
async fn pools_older_than_the_resume_window_are_not_picked_up_after_a_restart() {
    let (mut chain, tv, probe) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mint = crash_before_deciding(&mut chain, &tv, probe, &path).await;

    chain.advance(RESUME_WINDOW_SECS + 1).await.unwrap();
    let mut k2 = Keeper::new(
        config(&tv, probe),
        tv.f.keeper.insecure_clone(),
        Journal::open(&path).unwrap(),
    );
    k2.tick(&mut chain).await.unwrap();
    assert_eq!(
        (k2.stats.pools_scored, k2.stats.buys),
        (0, 0),
        "{:?}",
        k2.stats
    );
    assert_eq!(k2.journal.max_order_id().unwrap(), 0, "no order for {mint}");
    assert_eq!(
        k2.journal.undecided_pools(0).unwrap().len(),
        1,
        "left as it was"
    );
}

#[tokio::test]
async fn a_send_that_fails_after_the_order_is_journaled_is_followed_and_never_decided_again() {
    let (mut chain, tv, probe) = setup().await;
    let mint = launch(&mut chain, &tv).await;
    let mut k = in_memory(&tv, probe);
    let mut flaky = Flaky {
        inner: &mut chain,
        fail: false,
        fail_send: true,
    };
    let e = k.tick(&mut flaky).await.unwrap_err();
    assert_eq!(e.to_string(), "sendTransaction: node busy");
    assert_eq!(k.journal.open_orders().unwrap().len(), 1, "journaled first");
    assert_eq!(k.in_flight(), 1, "and followed");

    // The node takes sends again: the journaled bytes go out and land; the pool is not
    // decided on again.
    flaky.fail_send = false;
    for _ in 0..3 {
        k.tick(&mut flaky).await.unwrap();
    }
    assert_eq!(k.stats.orders_filled, 1, "{:?}", k.stats);
    assert_eq!(k.stats.buys, 1);
    assert_eq!(k.stats.pools_scored, 1);
    assert_eq!(k.journal.max_order_id().unwrap(), 1, "one order only");
    assert_eq!(position(&mut chain, &tv, &mint).await.total_bought, UNIT);
}
