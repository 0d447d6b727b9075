//! Keeper trading inside the vault's limits: positions, every limit at and just past its
//! boundary, allowlists, slippage, exit-plan checks, marks, circuit breakers, redemptions that
//! need positions sold, and the pool-manipulation attack.

use flashforge_tests::trading_fixture::*;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use local_amm::error::AmmError;
use local_amm::math::quote_out;
use proptest::prelude::*;
use solana_sdk::signature::{Keypair, Signer};
use vault::client::Market;
use vault::error::VaultError;
use vault::events::{BreakerTripped, NavMarked, PositionClosed, PositionFilled};
use vault::state::{
    BreakerReason, GovernanceAction, ReduceReason, RiskLimits, VenueEntry, WithdrawAmount,
};

const UNIT: u64 = 1_000_000;

async fn set_risk(chain: &mut TestChain, tv: &TradingVault, edit: impl FnOnce(&mut RiskLimits)) {
    let mut r = chain.vault_state(&tv.f).await.risk;
    edit(&mut r);
    chain
        .govern(&tv.f, GovernanceAction::SetRiskLimits(r))
        .await
        .unwrap();
}

/// Buys for `amount` into a market, as a whale would, to move the price.
async fn push(
    chain: &mut TestChain,
    m: &Market,
    whale: &Keypair,
    mint_in: &solana_sdk::pubkey::Pubkey,
    amount: u64,
) {
    chain
        .swap(&m.pool, whale, mint_in, amount, 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn opening_a_position_books_cost_tokens_and_marks() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let before = chain.vault_state(&tv.f).await;
    let out = chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let fill = &out.events::<PositionFilled>()[0];
    let expected_tokens = quote_out(50 * UNIT, 50 * UNIT, UNIT, 30).unwrap();
    assert!(fill.buy && fill.reason.is_none());
    assert_eq!(
        (fill.base_amount, fill.token_amount),
        (UNIT, expected_tokens)
    );
    let p = chain.position_state(&tv, &m).await;
    assert_eq!(
        (p.amount, p.cost_basis, p.safety_score),
        (expected_tokens, UNIT, 60)
    );
    assert_eq!(
        (p.venue, p.pool, p.mint),
        (local_amm::ID, m.pool.pool, m.mint)
    );
    assert_eq!(p.plan, vault::state::ExitPlan::default());
    let exit = quote_out(50 * UNIT - expected_tokens, 51 * UNIT, expected_tokens, 30).unwrap();
    assert_eq!((p.mark_value, p.prior_mark_value), (exit, exit));
    let v = chain.vault_state(&tv.f).await;
    assert_eq!(v.idle_assets, before.idle_assets - UNIT);
    assert_eq!((v.open_positions, v.total_exposure), (1, UNIT));
    assert_eq!(
        (v.positions_value_low, v.positions_value_high),
        (exit, exit)
    );
    assert_eq!(v.total_assets(), before.idle_assets - UNIT + exit);
    assert_eq!(chain.vault_balance(&tv.f).await, v.idle_assets);
    assert_eq!(chain.position_balance(&tv, &m).await, p.amount);
    assert_eq!(v.swap_fees_paid, UNIT * 30 / 10_000);
    // An increase adds to the same position.
    chain.open(&tv, &m, UNIT / 2, 0, 70).await.unwrap();
    let p2 = chain.position_state(&tv, &m).await;
    assert_eq!((p2.cost_basis, p2.safety_score), (UNIT + UNIT / 2, 70));
    assert_eq!(chain.vault_state(&tv.f).await.open_positions, 1);
}

#[tokio::test]
async fn an_order_executes_once_whatever_is_resent() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let keeper = tv.f.keeper.insecure_clone();
    let id = next_order_id();
    let args = vault::instructions::OpenPositionArgs {
        order_id: id,
        amount_in: UNIT / 2,
        min_out: 0,
        safety_score: 80,
        plan: None,
    };
    let ix = vault::client::open_position(&tv.f.keys, &keeper.pubkey(), &m, args);
    chain
        .send(std::slice::from_ref(&ix), &[&keeper])
        .await
        .unwrap();
    // The same order again (on a fresh blockhash, as a retry after a timeout would be).
    assert_error(
        &chain.send(std::slice::from_ref(&ix), &[&keeper]).await,
        VaultError::OrderIdReused,
    );
    // An older id.
    let stale = vault::instructions::OpenPositionArgs {
        order_id: id - 1,
        ..args
    };
    let ix = vault::client::open_position(&tv.f.keys, &keeper.pubkey(), &m, stale);
    assert_error(
        &chain.send(&[ix], &[&keeper]).await,
        VaultError::OrderIdReused,
    );
    assert_eq!(chain.position_state(&tv, &m).await.cost_basis, UNIT / 2);
    assert_eq!(chain.vault_state(&tv.f).await.last_order_id, id);
}

#[tokio::test]
async fn per_trade_score_and_sanity_limits_at_their_boundaries() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    assert_error(
        &chain.open(&tv, &m, UNIT + 1, 0, 60).await,
        VaultError::MaxBuyExceeded,
    );
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 59).await,
        VaultError::SafetyScoreTooLow,
    );
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 101).await,
        VaultError::InvalidSafetyScore,
    );
    assert_error(&chain.open(&tv, &m, 0, 0, 60).await, VaultError::ZeroAmount);
    // An exit plan whose multiples do not rise is refused.
    let mut plan = vault::state::ExitPlan::default();
    plan.ladder[1].multiple_bps = plan.ladder[0].multiple_bps;
    let keeper = tv.f.keeper.insecure_clone();
    let args = vault::instructions::OpenPositionArgs {
        order_id: next_order_id(),
        amount_in: UNIT,
        min_out: 0,
        safety_score: 60,
        plan: Some(plan),
    };
    let ix = vault::client::open_position(&tv.f.keys, &keeper.pubkey(), &m, args);
    assert_error(
        &chain.send(&[ix], &[&keeper]).await,
        VaultError::InvalidExitPlan,
    );
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
}

#[tokio::test]
async fn exposure_and_position_count_limits_at_their_boundaries() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    set_risk(&mut chain, &tv, |r| {
        r.max_total_exposure = 2 * UNIT + UNIT / 2;
        r.max_exposure_per_token = UNIT + UNIT / 4;
        r.max_open_positions = 3;
    })
    .await;
    let a = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let b = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let c = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let d = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &a, UNIT, 0, 60).await.unwrap();
    // Per token: exactly the limit, then one more unit.
    assert_error(
        &chain.open(&tv, &a, UNIT / 4 + 1, 0, 60).await,
        VaultError::TokenExposureExceeded,
    );
    chain.open(&tv, &a, UNIT / 4, 0, 60).await.unwrap();
    chain.open(&tv, &b, UNIT, 0, 60).await.unwrap();
    // Total: 2.25 held, limit 2.5.
    assert_error(
        &chain.open(&tv, &c, UNIT / 4 + 1, 0, 60).await,
        VaultError::MaxExposureExceeded,
    );
    chain.open(&tv, &c, UNIT / 4, 0, 60).await.unwrap();
    // Count: three open, limit three.
    set_risk(&mut chain, &tv, |r| r.max_total_exposure = 10 * UNIT).await;
    // Loosening waited the adverse delay: re-mark before trading.
    chain.mark(&tv, &[&a, &b, &c]).await.unwrap();
    assert_error(
        &chain.open(&tv, &d, UNIT / 2, 0, 60).await,
        VaultError::MaxPositionsReached,
    );
    chain.close(&tv, &c, 0).await.unwrap();
    chain.open(&tv, &d, UNIT / 2, 0, 60).await.unwrap();
}

#[tokio::test]
async fn a_position_may_not_exceed_its_aum_band_share_of_nav() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    // 0.5% of NAV in every band (NAV is about 101 units; a buy may be 1).
    set_risk(&mut chain, &tv, |r| {
        for b in r.bands.iter_mut() {
            b.max_position_bps = 50;
        }
    })
    .await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let v = chain.vault_state(&tv.f).await;
    // The largest buy whose exit value stays within 1% of the NAV after the trade.
    let fits = |x: u64| {
        let t = quote_out(50 * UNIT, 50 * UNIT, x, 30).unwrap();
        let value = quote_out(50 * UNIT - t, 50 * UNIT + x, t, 30).unwrap();
        let nav = v.idle_assets - x + value;
        value <= nav * 50 / 10_000
    };
    let (mut lo, mut hi) = (1u64, UNIT);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    assert!(fits(lo) && !fits(lo + 1));
    let out = chain.open(&tv, &m, lo + 1, 0, 60).await;
    assert_error(&out, VaultError::PositionTooLarge);
    chain.open(&tv, &m, lo, 0, 60).await.unwrap();
}

#[tokio::test]
async fn cash_owed_to_redemptions_is_not_traded() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let v = chain.vault_state(&tv.f).await;
    // Leave less than one buy's worth of idle cash unclaimed.
    chain
        .request_withdraw(
            &tv.f,
            &tv.investor,
            WithdrawAmount::Assets(v.idle_assets - UNIT * 6 / 10),
        )
        .await
        .unwrap();
    let v = chain.vault_state(&tv.f).await;
    let free = v.idle_assets - v.pending_withdraw_value;
    assert_error(
        &chain.open(&tv, &m, free + 1, 0, 60).await,
        VaultError::ReservedForRedemptions,
    );
    chain.open(&tv, &m, free, 0, 60).await.unwrap();
}

#[tokio::test]
async fn only_the_keeper_trades_and_only_where_allowlisted() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let other = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let mallory = chain.funded_keypair(1_000_000_000).await;
    let args = vault::instructions::OpenPositionArgs {
        order_id: next_order_id(),
        amount_in: UNIT,
        min_out: 0,
        safety_score: 90,
        plan: None,
    };
    let ix = vault::client::open_position(&tv.f.keys, &mallory.pubkey(), &m, args);
    assert_error(&chain.send(&[ix], &[&mallory]).await, VaultError::NotKeeper);
    // A pool of another token (with that pool's own vaults).
    let keeper = tv.f.keeper.insecure_clone();
    let args = vault::instructions::OpenPositionArgs {
        order_id: next_order_id(),
        amount_in: UNIT,
        min_out: 0,
        safety_score: 90,
        plan: None,
    };
    let mut ix = vault::client::open_position(&tv.f.keys, &keeper.pubkey(), &m, args);
    let other_ix = vault::client::open_position(&tv.f.keys, &keeper.pubkey(), &other, args);
    for i in [9, 10, 11] {
        ix.accounts[i] = other_ix.accounts[i].clone();
    }
    assert_error(
        &chain.send(&[ix], &[&keeper]).await,
        VaultError::PoolMismatch,
    );

    // Venue gone.
    chain
        .govern(&tv.f, GovernanceAction::DisallowVenue(local_amm::ID))
        .await
        .unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 60).await,
        VaultError::VenueNotAllowlisted,
    );
    // Venue back without wildcards: pools and mints must be listed.
    chain
        .govern(
            &tv.f,
            GovernanceAction::AllowVenue(VenueEntry {
                program: local_amm::ID,
                any_pool: false,
                any_mint: false,
            }),
        )
        .await
        .unwrap();
    chain.mark(&tv, &[]).await.unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 60).await,
        VaultError::PoolNotAllowlisted,
    );
    chain
        .govern(&tv.f, GovernanceAction::AllowPool(m.pool.pool))
        .await
        .unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 60).await,
        VaultError::MintNotAllowlisted,
    );
    chain
        .govern(&tv.f, GovernanceAction::AllowMint(m.mint))
        .await
        .unwrap();
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    // Removing the mint (a guardian may do it alone) stops new buys at once.
    chain
        .guardian_act(
            &tv.f,
            &tv.f.guardian,
            GovernanceAction::DisallowMint(m.mint),
        )
        .await
        .unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT, 0, 60).await,
        VaultError::MintNotAllowlisted,
    );
}

#[tokio::test]
async fn slippage_is_enforced() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let q = quote_out(50 * UNIT, 50 * UNIT, UNIT, 30).unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT, q + 1, 60).await,
        AmmError::SlippageExceeded,
    );
    chain.open(&tv, &m, UNIT, q, 60).await.unwrap();
    let p = chain.position_state(&tv, &m).await;
    let back = quote_out(50 * UNIT - q, 51 * UNIT, p.amount / 2, 30).unwrap();
    assert_error(
        &chain
            .reduce(&tv, &m, p.amount / 2, back + 1, ReduceReason::Discretionary)
            .await,
        AmmError::SlippageExceeded,
    );
    chain
        .reduce(&tv, &m, p.amount / 2, back, ReduceReason::Discretionary)
        .await
        .unwrap();
}

#[tokio::test]
async fn pause_reduce_only_breaker_and_emergency_stop_new_risk_but_not_exits() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let held = chain.position_state(&tv, &m).await.amount;

    set_risk(&mut chain, &tv, |r| r.reduce_only = true).await;
    assert_error(
        &chain.open(&tv, &m, UNIT / 2, 0, 60).await,
        VaultError::ReduceOnly,
    );
    chain
        .reduce(&tv, &m, held / 4, 0, ReduceReason::Discretionary)
        .await
        .unwrap();

    chain
        .rewrite_vault(&tv.f, |v| {
            v.risk.reduce_only = false;
            v.breaker.tripped = true;
        })
        .await;
    assert_error(
        &chain.open(&tv, &m, UNIT / 2, 0, 60).await,
        VaultError::BreakerTripped,
    );
    chain
        .reduce(&tv, &m, held / 4, 0, ReduceReason::Discretionary)
        .await
        .unwrap();

    chain
        .rewrite_vault(&tv.f, |v| v.breaker.tripped = false)
        .await;
    chain
        .guardian_act(
            &tv.f,
            &tv.f.guardian,
            GovernanceAction::StartEmergencyDeleverage,
        )
        .await
        .unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT / 2, 0, 60).await,
        VaultError::EmergencyDeleverage,
    );
    chain
        .reduce(&tv, &m, held / 4, 0, ReduceReason::Discretionary)
        .await
        .unwrap();

    chain
        .rewrite_vault(&tv.f, |v| v.emergency_deleverage = false)
        .await;
    chain
        .guardian_act(&tv.f, &tv.f.guardian, GovernanceAction::PauseTrading)
        .await
        .unwrap();
    assert_error(
        &chain.open(&tv, &m, UNIT / 2, 0, 60).await,
        VaultError::TradingPaused,
    );
    assert_error(
        &chain
            .reduce(&tv, &m, 1, 0, ReduceReason::Discretionary)
            .await,
        VaultError::TradingPaused,
    );
    // Investors still exit while trading is paused.
    chain
        .request_withdraw(&tv.f, &tv.investor, WithdrawAmount::Assets(UNIT))
        .await
        .unwrap();
    chain.warp_seconds(30 * DAY).await;
    chain.mark(&tv, &[&m]).await.unwrap();
    chain
        .withdraw(&tv.f, &tv.investor, &tv.investor_ata)
        .await
        .unwrap();
}

#[tokio::test]
async fn ladder_steps_and_stop_loss_are_checked_against_the_plan() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 5 * UNIT, 5 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let p = chain.position_state(&tv, &m).await;
    let step0 = p.ladder_base * 3_000 / 10_000;
    assert_error(
        &chain
            .reduce(&tv, &m, step0, 0, ReduceReason::LadderStep(0))
            .await,
        VaultError::LadderNotReached,
    );
    assert_error(
        &chain
            .reduce(&tv, &m, p.amount / 10, 0, ReduceReason::StopLoss)
            .await,
        VaultError::StopNotReached,
    );
    assert_error(
        &chain
            .reduce(&tv, &m, 1, 0, ReduceReason::LadderStep(3))
            .await,
        VaultError::InvalidExitPlan,
    );

    // A whale triples the price.
    let whale = chain.whale(&tv, &m, 100 * UNIT, 0).await;
    push(&mut chain, &m, &whale, &tv.f.keys.base_mint, 7 * UNIT).await;
    assert_error(
        &chain
            .reduce(&tv, &m, step0 + 1, 0, ReduceReason::LadderStep(0))
            .await,
        VaultError::LadderAmountExceeded,
    );
    let out = chain
        .reduce(&tv, &m, step0, 0, ReduceReason::LadderStep(0))
        .await
        .unwrap();
    let fill = &out.events::<PositionFilled>()[0];
    assert_eq!(fill.reason, Some(ReduceReason::LadderStep(0)));
    assert!(fill.realized_pnl > 0, "a 2x sale realizes a profit");
    let v = chain.vault_state(&tv.f).await;
    assert_eq!(v.realized_pnl, fill.realized_pnl);
    assert_error(
        &chain
            .reduce(&tv, &m, 1, 0, ReduceReason::LadderStep(0))
            .await,
        VaultError::LadderStepTaken,
    );
    // 5x is not reached.
    assert_error(
        &chain
            .reduce(&tv, &m, 1, 0, ReduceReason::LadderStep(1))
            .await,
        VaultError::LadderNotReached,
    );

    // The whale dumps: below half the cost the stop may sell everything.
    let wt = chain.token_account(&m.mint, &whale.pubkey()).await;
    let tokens = chain.balance(&wt).await;
    chain.mint_to(&m.mint, &wt, 50 * UNIT).await;
    push(&mut chain, &m, &whale, &m.mint, tokens + 50 * UNIT).await;
    let p = chain.position_state(&tv, &m).await;
    let out = chain
        .reduce(&tv, &m, p.amount, 0, ReduceReason::StopLoss)
        .await
        .unwrap();
    assert!(out.events::<PositionFilled>()[0].realized_pnl < 0);
    let v = chain.vault_state(&tv.f).await;
    assert_eq!(
        (v.open_positions, v.total_exposure, v.positions_value_high),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn reduce_and_close_refusals_and_bookkeeping() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let p = chain.position_state(&tv, &m).await;
    assert_error(
        &chain
            .reduce(&tv, &m, p.amount + 1, 0, ReduceReason::Discretionary)
            .await,
        VaultError::InsufficientPositionTokens,
    );
    assert_error(
        &chain
            .reduce(&tv, &m, 0, 0, ReduceReason::Discretionary)
            .await,
        VaultError::ZeroAmount,
    );
    assert_error(
        &chain.reduce(&tv, &m, 1, 0, ReduceReason::Redemption).await,
        VaultError::InvalidExitPlan,
    );
    let mallory = chain.funded_keypair(1_000_000_000).await;
    let ix = vault::client::reduce_position(
        &tv.f.keys,
        &mallory.pubkey(),
        &m,
        vault::instructions::ReduceArgs {
            order_id: next_order_id(),
            amount: 1,
            min_out: 0,
            reason: ReduceReason::Discretionary,
        },
    );
    assert_error(&chain.send(&[ix], &[&mallory]).await, VaultError::NotKeeper);
    let ix = vault::client::close_position(&tv.f.keys, &mallory.pubkey(), &m, 0, next_order_id());
    assert_error(&chain.send(&[ix], &[&mallory]).await, VaultError::NotKeeper);

    // Someone donates tokens to the position account; closing burns them (they were never booked).
    let donor = chain.whale(&tv, &m, 0, 777).await;
    let donor_ata = chain.token_account(&m.mint, &donor.pubkey()).await;
    let position_ata = vault::client::position_token_address(&tv.f.keys.vault, &m.mint);
    chain
        .transfer_tokens(&m.mint, &donor_ata, &position_ata, &donor, 777)
        .await
        .unwrap();
    let keeper_lamports = chain.lamports(&tv.f.keeper.pubkey()).await;
    let out = chain.close(&tv, &m, 0).await.unwrap();
    let closed = &out.events::<PositionClosed>()[0];
    assert_eq!(closed.dust_burned, 777);
    assert_eq!(closed.total_bought, UNIT);
    assert!(
        !chain
            .account_exists(&vault::client::position_address(&tv.f.keys.vault, &m.mint))
            .await
    );
    assert!(!chain.account_exists(&position_ata).await);
    assert!(
        chain.lamports(&tv.f.keeper.pubkey()).await > keeper_lamports,
        "rent refunded"
    );
    let v = chain.vault_state(&tv.f).await;
    assert_eq!((v.open_positions, v.total_exposure), (0, 0));
    assert_eq!(chain.vault_balance(&tv.f).await, v.idle_assets);
    // A closed position can be opened again.
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
}

#[tokio::test]
async fn marks_must_be_fresh_for_nav_dependent_operations() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    let a = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let b = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &a, UNIT, 0, 60).await.unwrap();
    chain.open(&tv, &b, UNIT, 0, 60).await.unwrap();
    chain.warp_seconds(3_601).await;
    assert_error(
        &chain
            .deposit(&tv.f, &tv.investor, &tv.investor_ata, UNIT)
            .await,
        VaultError::MarksStale,
    );
    assert_error(
        &chain.open(&tv, &a, UNIT / 2, 0, 60).await,
        VaultError::MarksStale,
    );
    assert_error(
        &chain
            .request_withdraw(&tv.f, &tv.investor, WithdrawAmount::Shares(1_000_000))
            .await,
        VaultError::MarksStale,
    );
    // Marking one of two positions does not complete the round.
    let out = chain.mark(&tv, &[&a]).await.unwrap();
    let ev = &out.events::<NavMarked>()[0];
    assert_eq!((ev.positions_marked, ev.round_remaining), (1, 1));
    assert_error(
        &chain.open(&tv, &a, UNIT / 2, 0, 60).await,
        VaultError::MarksStale,
    );
    let out = chain.mark(&tv, &[&b]).await.unwrap();
    assert_eq!(out.events::<NavMarked>()[0].round_remaining, 0);
    chain.open(&tv, &a, UNIT / 2, 0, 60).await.unwrap();
    chain
        .mint_to(&tv.f.keys.base_mint, &tv.investor_ata, UNIT)
        .await;
    chain
        .deposit(&tv.f, &tv.investor, &tv.investor_ata, UNIT)
        .await
        .unwrap();
    // A pool that is not the position's is refused.
    let ix = vault::client::mark_nav(&tv.f.keys, &[(a.mint, b.pool.pool)]);
    assert_error(&chain.send(&[ix], &[]).await, VaultError::PoolMismatch);
}

#[tokio::test]
async fn circuit_breaker_trips_on_a_daily_loss_and_resets_by_governance() {
    let mut chain = TestChain::start().await;
    // A small fund so that one position's collapse is more than 10% of NAV.
    let tv = chain.trading_vault(5 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 3 * UNIT, 3 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let whale = chain.whale(&tv, &m, 0, 30 * UNIT).await;
    push(&mut chain, &m, &whale, &m.mint, 30 * UNIT).await;
    // Within the same slot the dump only lowers the low valuation: no trip yet.
    let out = chain.mark(&tv, &[&m]).await.unwrap();
    assert!(out.events::<BreakerTripped>().is_empty());
    chain.next_slot().await;
    let out = chain.mark(&tv, &[&m]).await.unwrap();
    let trip = &out.events::<BreakerTripped>()[0];
    assert_eq!(trip.reason, BreakerReason::DailyLoss);
    let v = chain.vault_state(&tv.f).await;
    assert!(v.breaker.tripped);
    let other = chain.market(&tv, 3 * UNIT, 3 * UNIT, 30).await;
    assert_error(
        &chain.open(&tv, &other, UNIT / 10, 0, 60).await,
        VaultError::BreakerTripped,
    );
    // Investors can still leave after lock-up.
    chain
        .request_withdraw(&tv.f, &tv.investor, WithdrawAmount::Assets(UNIT))
        .await
        .unwrap();
    chain.warp_seconds(30 * DAY).await;
    chain.mark(&tv, &[&m]).await.unwrap();
    chain
        .withdraw(&tv.f, &tv.investor, &tv.investor_ata)
        .await
        .unwrap();
    // Governance resets the breaker; the new baseline is today's price.
    chain
        .govern(&tv.f, GovernanceAction::ResetCircuitBreaker)
        .await
        .unwrap();
    chain.mark(&tv, &[&m]).await.unwrap();
    chain.open(&tv, &other, UNIT / 10, 0, 60).await.unwrap();
}

#[tokio::test]
async fn drawdown_from_the_high_water_mark_trips_across_days() {
    let mut chain = TestChain::start().await;
    // A third of NAV in one position, so that its slide moves NAV visibly.
    let tv = chain.trading_vault(2 * UNIT, |_| {}).await;
    let m = chain.market(&tv, 3 * UNIT, 3 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    let whale = chain.whale(&tv, &m, 0, 30 * UNIT).await;
    // A slow slide, one small dump a day: never 10% in a day, 15% from the top eventually.
    let mut reasons = Vec::new();
    for _ in 0..60 {
        push(&mut chain, &m, &whale, &m.mint, UNIT / 20).await;
        chain.warp_seconds(DAY).await;
        chain.mark(&tv, &[&m]).await.unwrap();
        chain.next_slot().await;
        let out = chain.mark(&tv, &[&m]).await.unwrap();
        reasons.extend(out.events::<BreakerTripped>().into_iter().map(|t| t.reason));
        if !reasons.is_empty() {
            break;
        }
    }
    assert_eq!(reasons, vec![BreakerReason::Drawdown]);
    let v = chain.vault_state(&tv.f).await;
    let (low, _) = v.scaled_prices();
    assert!(low * 10_000 < v.breaker.price_high_water * 8_500);
}

#[tokio::test]
async fn redemptions_beyond_idle_cash_are_paid_by_selling_positions() {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(3 * UNIT, |_| {}).await;
    let a = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    let b = chain.market(&tv, 50 * UNIT, 50 * UNIT, 30).await;
    chain.open(&tv, &a, UNIT, 0, 60).await.unwrap();
    chain.open(&tv, &b, UNIT, 0, 60).await.unwrap();
    chain
        .request_withdraw(&tv.f, &tv.investor, WithdrawAmount::All)
        .await
        .unwrap();
    // Warp to the moment the request matures (the later of lock-up end and notice end).
    let d = chain.depositor_state(&tv.f, &tv.investor.pubkey()).await;
    let matured = d.lockup_end.max(d.withdraw_request.requested_at + 7 * DAY);
    let now = chain.now().await;
    chain.warp_seconds(matured - now).await;
    chain.mark(&tv, &[&a, &b]).await.unwrap();
    assert_error(
        &chain.withdraw(&tv.f, &tv.investor, &tv.investor_ata).await,
        VaultError::InsufficientLiquidity,
    );

    // Before the grace period only the keeper may sell.
    let stranger = chain.funded_keypair(1_000_000_000).await;
    let sell = |amount| {
        vault::client::sell_for_redemption(
            &tv.f.keys,
            &stranger.pubkey(),
            &tv.investor.pubkey(),
            &a,
            amount,
        )
    };
    let held = chain.position_state(&tv, &a).await.amount;
    assert_error(
        &chain.send(&[sell(held)], &[&stranger]).await,
        VaultError::RedemptionNotOverdue,
    );
    chain.warp_seconds(3 * DAY - 1).await;
    chain.mark(&tv, &[&a, &b]).await.unwrap();
    assert_error(
        &chain.send(&[sell(held)], &[&stranger]).await,
        VaultError::RedemptionNotOverdue,
    );
    chain.warp_seconds(1).await;
    chain.mark(&tv, &[&a, &b]).await.unwrap();
    // A manipulated pool cannot be used to dump the vault's tokens cheaply.
    let whale = chain.whale(&tv, &a, 0, 40 * UNIT).await;
    push(&mut chain, &a, &whale, &a.mint, 40 * UNIT).await;
    assert_error(
        &chain.send(&[sell(held)], &[&stranger]).await,
        AmmError::SlippageExceeded,
    );
    let wb = chain
        .token_account(&tv.f.keys.base_mint, &whale.pubkey())
        .await;
    let got = chain.balance(&wb).await;
    push(&mut chain, &a, &whale, &tv.f.keys.base_mint, got).await;
    chain.send(&[sell(held)], &[&stranger]).await.unwrap();
    // Still short: the keeper sells the other position, then the investor is paid.
    let held_b = chain.position_state(&tv, &b).await.amount;
    chain
        .reduce(&tv, &b, held_b, 0, ReduceReason::Discretionary)
        .await
        .unwrap();
    let before = chain.balance(&tv.investor_ata).await;
    chain
        .withdraw(&tv.f, &tv.investor, &tv.investor_ata)
        .await
        .unwrap();
    assert!(chain.balance(&tv.investor_ata).await > before + 2 * UNIT);
    // Once covered, the crank has nothing to do.
    let v = chain.vault_state(&tv.f).await;
    assert_eq!(v.pending_withdraw_value, 0);
}

#[tokio::test]
async fn moving_a_pool_inside_one_transaction_gains_an_attacker_nothing() {
    let mut chain = TestChain::start().await;
    let tv = chain
        .trading_vault(20 * UNIT, |p| {
            p.lockup_seconds = 0;
            p.notice_seconds = 0;
            for t in p.tiers.as_mut().unwrap() {
                t.management_fee_bps = 0;
                t.performance_fee_bps = 0;
            }
        })
        .await;
    let m = chain.market(&tv, 4 * UNIT, 4 * UNIT, 30).await;
    chain.open(&tv, &m, UNIT, 0, 60).await.unwrap();
    chain.next_slot().await;
    chain.mark(&tv, &[&m]).await.unwrap();
    let honest = chain.vault_state(&tv.f).await;

    // 1. Deflate the position, mark it, deposit — all in one transaction.
    let attacker = chain.whale(&tv, &m, 10 * UNIT, 100 * UNIT).await;
    let a_base = chain
        .token_account(&tv.f.keys.base_mint, &attacker.pubkey())
        .await;
    let a_tok = chain.token_account(&m.mint, &attacker.pubkey()).await;
    let dump = local_amm::client::swap(
        &m.pool,
        &attacker.pubkey(),
        &m.mint,
        &a_tok,
        &a_base,
        100 * UNIT,
        0,
    )
    .unwrap();
    let mark = vault::client::mark_nav(&tv.f.keys, &[(m.mint, m.pool.pool)]);
    let dep = vault::client::deposit(&tv.f.keys, &attacker.pubkey(), &a_base, 5 * UNIT);
    chain
        .send(&[dump, mark.clone(), dep], &[&attacker])
        .await
        .unwrap();
    let shares = chain
        .depositor_state(&tv.f, &attacker.pubkey())
        .await
        .shares;
    let fair = (5 * UNIT as u128 * (honest.total_shares as u128 + 1_000)
        / (honest.total_assets_high() as u128 + 1)) as u64;
    assert!(
        shares <= fair,
        "deflating the pool bought {shares} shares, {fair} at the honest price"
    );

    // 2. Restore the price, then pump it, mark, and request a withdrawal in one transaction.
    chain.next_slot().await;
    let got = chain.balance(&a_base).await;
    let restore = local_amm::client::swap(
        &m.pool,
        &attacker.pubkey(),
        &tv.f.keys.base_mint,
        &a_base,
        &a_tok,
        got,
        0,
    )
    .unwrap();
    chain.send(&[restore], &[&attacker]).await.unwrap();
    chain.next_slot().await;
    chain.send(std::slice::from_ref(&mark), &[]).await.unwrap();
    chain.next_slot().await;
    chain.send(std::slice::from_ref(&mark), &[]).await.unwrap();
    let before_pump = chain.vault_state(&tv.f).await;
    let tokens = chain.balance(&a_tok).await;
    chain
        .mint_to(&tv.f.keys.base_mint, &a_base, 50 * UNIT)
        .await;
    let pump = local_amm::client::swap(
        &m.pool,
        &attacker.pubkey(),
        &tv.f.keys.base_mint,
        &a_base,
        &a_tok,
        50 * UNIT,
        0,
    )
    .unwrap();
    let req = vault::client::request_withdraw(&tv.f.keys, &attacker.pubkey(), WithdrawAmount::All);
    chain.send(&[pump, mark, req], &[&attacker]).await.unwrap();
    let d = chain.depositor_state(&tv.f, &attacker.pubkey()).await;
    let fair_value = (d.withdraw_request.shares as u128 * (before_pump.total_assets() as u128 + 1)
        / (before_pump.total_shares as u128 + 1_000)) as u64;
    assert!(
        d.withdraw_request.value <= fair_value + 1,
        "pumping the pool valued the redemption at {}, {} at the honest price",
        d.withdraw_request.value,
        fair_value
    );
    let _ = tokens;
}

async fn trade_sequence(ops: Vec<(u8, u8, u64)>) -> Result<(), TestCaseError> {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(200 * UNIT, |_| {}).await;
    set_risk(&mut chain, &tv, |r| r.max_buy_per_trade = 5 * UNIT).await;
    let markets = [
        chain.market(&tv, 20 * UNIT, 30 * UNIT, 30).await,
        chain.market(&tv, 40 * UNIT, 10 * UNIT, 100).await,
    ];
    let whale = chain.funded_keypair(1_000_000_000).await;
    for m in &markets {
        let wb = chain
            .token_account(&tv.f.keys.base_mint, &whale.pubkey())
            .await;
        let wt = chain.token_account(&m.mint, &whale.pubkey()).await;
        chain.mint_to(&tv.f.keys.base_mint, &wb, 500 * UNIT).await;
        chain.mint_to(&m.mint, &wt, 500 * UNIT).await;
    }
    for (kind, which, amount) in ops {
        let m = &markets[(which % 2) as usize];
        match kind % 6 {
            0 => {
                chain.open(&tv, m, amount.min(5 * UNIT), 0, 80).await;
            }
            1 => {
                if chain
                    .account_exists(&vault::client::position_address(&tv.f.keys.vault, &m.mint))
                    .await
                {
                    let held = chain.position_state(&tv, m).await.amount;
                    if held > 0 {
                        chain
                            .reduce(
                                &tv,
                                m,
                                (amount % held).max(1),
                                0,
                                ReduceReason::Discretionary,
                            )
                            .await;
                    }
                }
            }
            2 => {
                chain
                    .swap(&m.pool, &whale, &tv.f.keys.base_mint, amount, 0)
                    .await;
            }
            3 => {
                chain.swap(&m.pool, &whale, &m.mint, amount, 0).await;
            }
            4 => {
                chain.mark(&tv, &[&markets[0], &markets[1]]).await;
            }
            _ => {
                chain.close(&tv, m, 0).await;
            }
        }
        let v = chain.vault_state(&tv.f).await;
        prop_assert_eq!(
            chain.vault_balance(&tv.f).await,
            v.idle_assets,
            "vault books == tokens"
        );
        let (mut low, mut high, mut open, mut exposure) = (0u64, 0u64, 0u16, 0u64);
        for m in &markets {
            if chain
                .account_exists(&vault::client::position_address(&tv.f.keys.vault, &m.mint))
                .await
            {
                let p = chain.position_state(&tv, m).await;
                prop_assert_eq!(
                    chain.position_balance(&tv, m).await,
                    p.amount,
                    "position books == tokens"
                );
                let (l, h) = p.contribution();
                low += l;
                high += h;
                exposure += p.cost_basis;
                if p.amount > 0 {
                    open += 1;
                }
            }
        }
        prop_assert_eq!((v.positions_value_low, v.positions_value_high), (low, high));
        prop_assert_eq!((v.open_positions, v.total_exposure), (open, exposure));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// After any sequence of trades, price moves, marks and closes, the vault's recorded
    /// balances equal its real token balances and its aggregates equal the sum of positions.
    #[test]
    fn books_equal_balances_after_any_trades(ops in proptest::collection::vec((any::<u8>(), any::<u8>(), 1u64..=8 * UNIT), 1..25)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(trade_sequence(ops))?;
    }
}
