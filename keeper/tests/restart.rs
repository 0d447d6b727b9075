//! A killed keeper restarts where it was: the pools it saw stay seen, its positions are
//! managed again, orders in flight are followed, and order ids never go backwards.

use anchor_lang::AccountDeserialize;
use flashforge_tests::trading_fixture::TradingVault;
use keeper::chain::local::Congestion;
use keeper::journal::Journal;
use keeper::pipeline::{Keeper, KeeperConfig};
use keeper::score::Weights;
use keeper::strategy::Preset;
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

fn config(tv: &TradingVault, probe: solana_sdk::pubkey::Pubkey) -> KeeperConfig {
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
