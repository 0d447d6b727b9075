//! Atomic flash-loan leverage through the vault: opening at several leverages, atomic failure,
//! the lender's flash-loan rules inside the vault's transaction shape, health and leverage
//! caps, the freeze while in flight, multi-lender splits, interest and liquidation, NAV, and
//! the transaction's real size.

use flashforge_tests::lender_fixture::*;
use flashforge_tests::leverage_fixture::*;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use local_lender::error::LenderError;
use solana_sdk::signature::Signer;
use vault::client::leverage::FlashSource;
use vault::error::VaultError;
use vault::events::{LeverageChanged, LoopHealthChecked};
use vault::state::{GovernanceAction, LeverageLoop};

#[tokio::test]
async fn opens_atomically_at_several_leverages() {
    for lev_x10 in [15u64, 20, 30] {
        let mut chain = TestChain::start().await;
        let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
        let keeper = s.keeper();
        let before = chain.vault_state(&s.tv.f).await;
        let capital = UNIT;
        let ixs = s.open_ixs(&keeper.pubkey(), capital, lev_x10);
        let (out, size) = chain.send_leverage(&s, &ixs, &keeper).await;
        let out = out.unwrap();
        assert!(size <= 1_232, "transaction is {size} bytes");
        let ev = &out.events::<LeverageChanged>()[0];
        assert!(ev.open);
        assert_eq!(ev.idle_delta, -(capital as i64));
        let lev = ev.leverage_bps as f64 / 10_000.0;
        assert!(
            (lev - lev_x10 as f64 / 10.0).abs() < 0.05 * lev,
            "leverage {lev} for {lev_x10}"
        );
        assert!(ev.health_bps >= 13_000, "health {}", ev.health_bps);
        let l: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;
        assert_eq!(l.capital, capital);
        assert_eq!(
            (l.collateral_amount, l.debt),
            (ev.collateral_after, ev.debt_after)
        );
        let v = chain.vault_state(&s.tv.f).await;
        assert_eq!(v.idle_assets, before.idle_assets - capital);
        assert_eq!((v.open_positions, v.open_loops), (1, 1));
        assert!(!v.flight.active);
        assert_eq!(chain.vault_balance(&s.tv.f).await, v.idle_assets);
        // NAV: collateral at its exit value less the debt, about the capital less costs.
        let (low, high) = l.contribution();
        assert_eq!((v.positions_value_low, v.positions_value_high), (low, high));
        assert!(
            low <= capital && low > capital * 95 / 100,
            "loop worth {low}"
        );
    }
}

/// Debt of the loop's obligation with interest to now, as the lender will compute it.
async fn loop_debt(chain: &mut TestChain, s: &LeverageSetup) -> u64 {
    let mut r = chain.reserve_state(&s.base_reserve).await;
    let now = chain.now().await;
    r.accrue(now).unwrap();
    let o = chain.obligation_state(&s.keys.obligation()).await;
    o.debt(&r).unwrap()
}

async fn open(chain: &mut TestChain, s: &LeverageSetup, capital: u64, lev_x10: u64) -> TxOutcome {
    let keeper = s.keeper();
    let ixs = s.open_ixs(&keeper.pubkey(), capital, lev_x10);
    chain.send_leverage(s, &ixs, &keeper).await.0
}

#[tokio::test]
async fn a_failing_step_leaves_every_balance_unchanged() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let vault_before = chain.vault_balance(&s.tv.f).await;
    let reserve_before = chain.reserve_state(&s.base_reserve).await.available;
    let pool_before = chain.pool_state(&s.market.pool).await;
    let mut ixs = s.open_ixs(&keeper.pubkey(), UNIT, 20);
    // Demand more collateral than the swap can give.
    let step = ixs.len() - 3;
    let mut data = ixs[step].data.clone();
    data[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    ixs[step].data = data;
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    assert_error(&out, local_amm::error::AmmError::SlippageExceeded);
    assert_eq!(chain.vault_balance(&s.tv.f).await, vault_before);
    assert_eq!(
        chain.reserve_state(&s.base_reserve).await.available,
        reserve_before
    );
    let pool_after = chain.pool_state(&s.market.pool).await;
    assert_eq!(
        (pool_after.reserve_a, pool_after.reserve_b),
        (pool_before.reserve_a, pool_before.reserve_b)
    );
    assert!(!chain.account_exists(&s.keys.leverage_loop()).await);
    assert!(!chain.vault_state(&s.tv.f).await.flight.active);
}

#[tokio::test]
async fn the_transaction_shape_is_enforced() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let ixs = s.open_ixs(&keeper.pubkey(), UNIT, 20);
    let n = ixs.len();
    // [budget, budget, begin, borrow, step, repay, end]
    // A begin without its end.
    let (out, _) = chain.send_leverage(&s, &ixs[..n - 1], &keeper).await;
    assert_error(&out, VaultError::LeverageEndMissing);
    // A flash borrow without its repay.
    let mut no_repay = ixs.clone();
    no_repay.remove(n - 2);
    let (out, _) = chain.send_leverage(&s, &no_repay, &keeper).await;
    assert_error(&out, LenderError::FlashRepayMissing);
    // Two borrows, one repay.
    let mut two = ixs.clone();
    two.insert(3, ixs[3].clone());
    let (out, _) = chain.send_leverage(&s, &two, &keeper).await;
    assert_error(&out, LenderError::FlashRepayMissing);
    // An end without a step.
    let mut no_step = ixs.clone();
    no_step.remove(4);
    let (out, _) = chain.send_leverage(&s, &no_step, &keeper).await;
    assert!(out.result.is_err());
    // The whole shape works.
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    out.unwrap();
}

#[tokio::test]
async fn nothing_else_touches_the_vault_while_a_loop_is_in_flight() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let ixs = s.open_ixs(&keeper.pubkey(), UNIT, 20);
    let (inv, inv_ata) = chain.investor(&s.tv.f.keys.base_mint, UNIT).await;
    let deposit = vault::client::deposit(&s.tv.f.keys, &inv.pubkey(), &inv_ata, UNIT);
    let request = vault::client::request_withdraw(
        &s.tv.f.keys,
        &s.tv.investor.pubkey(),
        vault::state::WithdrawAmount::Shares(1_000),
    );
    let mark = vault::client::mark_nav(&s.tv.f.keys, &[]);
    for (extra, signer) in [(deposit, &inv), (request, &s.tv.investor)] {
        let mut tx = ixs.clone();
        tx.insert(4, extra);
        let table = s.table.clone();
        let (out, _) = chain.send_v0(&tx, &[&keeper, signer], &[table]).await;
        assert_error(&out, VaultError::LeverageInFlight);
    }
    let mut tx = ixs.clone();
    tx.insert(4, mark);
    let (out, _) = chain.send_leverage(&s, &tx, &keeper).await;
    assert_error(&out, VaultError::LeverageInFlight);
    // Afterwards the vault is open again.
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    out.unwrap();
    chain.deposit(&s.tv.f, &inv, &inv_ata, UNIT).await.unwrap();
}

#[tokio::test]
async fn the_repay_delegation_can_move_exactly_the_plan_and_no_more() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let keeper_ata = chain
        .token_account(&s.tv.f.keys.base_mint, &keeper.pubkey())
        .await;
    chain
        .mint_to(&s.tv.f.keys.base_mint, &keeper_ata, 10 * UNIT)
        .await;
    let repay_amount = s.flash(UNIT)[0].repay();
    let take = |amount| {
        spl_token_interface::instruction::transfer(
            &spl_token_interface::ID,
            &s.tv.f.keys.token_account,
            &keeper_ata,
            &keeper.pubkey(),
            &[],
            amount,
        )
        .unwrap()
    };
    // The keeper repays the flash loan from its own account...
    let base = |chain: &TestChain| {
        let _ = chain;
        let mut ixs = s.open_ixs(&keeper.pubkey(), UNIT, 20);
        let n = ixs.len();
        ixs[n - 2] = local_lender::client::flash_repay(
            &keeper.pubkey(),
            &s.base_reserve,
            &keeper_ata,
            UNIT,
            3,
        );
        ixs
    };
    // ...and tries to take more than the approved repay: the token program refuses.
    let mut ixs = base(&chain);
    ixs.insert(ixs.len() - 1, take(repay_amount + 1));
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    assert!(out.result.is_err());
    // ...and leaves the approval unused: the vault's balance is off the plan.
    let ixs = base(&chain);
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    assert_error(&out, VaultError::LeverageBalanceMismatch);
    // ...and takes exactly the approval: the vault pays what the plan said, no more.
    let before = chain.vault_state(&s.tv.f).await.idle_assets;
    let mut ixs = base(&chain);
    ixs.insert(ixs.len() - 1, take(repay_amount));
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    out.unwrap();
    let v = chain.vault_state(&s.tv.f).await;
    assert_eq!(v.idle_assets, before - UNIT);
    assert_eq!(chain.vault_balance(&s.tv.f).await, v.idle_assets);
}

#[tokio::test]
async fn health_factor_and_band_leverage_caps_bind() {
    // 3.5x would end at a health factor of about 1.26 < 1.3.
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    assert_error(
        &open(&mut chain, &s, UNIT, 35).await,
        VaultError::HealthTooLow,
    );

    // The leverage a 2x loop reaches, then the same loop against a cap exactly there and just
    // below it.
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let reached = open(&mut chain, &s, UNIT, 20)
        .await
        .unwrap()
        .events::<LeverageChanged>()[0]
        .leverage_bps as u32;
    for (cap, ok) in [(reached, true), (reached - 1, false)] {
        let mut chain = TestChain::start().await;
        let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
        let mut r = chain.vault_state(&s.tv.f).await.risk;
        r.bands[0].max_leverage_bps = cap;
        chain
            .govern(&s.tv.f, GovernanceAction::SetRiskLimits(r))
            .await
            .unwrap();
        let out = open(&mut chain, &s, UNIT, 20).await;
        if ok {
            out.unwrap();
        } else {
            assert_error(&out, VaultError::LeverageTooHigh);
        }
    }

    // The band follows NAV: above 50,000 units the second band (12x by default) applies.
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(60_000 * UNIT, |_| {}).await;
    let mut r = chain.vault_state(&s.tv.f).await.risk;
    r.bands[0].max_leverage_bps = 150_000;
    r.bands[1].max_leverage_bps = reached - 1;
    chain
        .govern(&s.tv.f, GovernanceAction::SetRiskLimits(r))
        .await
        .unwrap();
    assert_error(
        &open(&mut chain, &s, UNIT, 20).await,
        VaultError::LeverageTooHigh,
    );
}

#[tokio::test]
async fn leveraged_notional_counts_against_exposure_limits() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let mut r = chain.vault_state(&s.tv.f).await.risk;
    // A 3x loop on 1 unit holds about 3 units of collateral.
    r.max_exposure_per_token = 2 * UNIT;
    chain
        .govern(&s.tv.f, GovernanceAction::SetRiskLimits(r))
        .await
        .unwrap();
    assert_error(
        &open(&mut chain, &s, UNIT, 30).await,
        VaultError::TokenExposureExceeded,
    );
    open(&mut chain, &s, UNIT / 2, 30).await.unwrap();
    let v = chain.vault_state(&s.tv.f).await;
    assert!(
        v.total_exposure > UNIT && v.total_exposure < 2 * UNIT,
        "exposure {}",
        v.total_exposure
    );
}

#[tokio::test]
async fn deleverage_and_close_return_the_equity() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let nav0 = chain.vault_state(&s.tv.f).await.total_assets();
    open(&mut chain, &s, 2 * UNIT, 30).await.unwrap();
    let nav1 = chain.vault_state(&s.tv.f).await.total_assets();
    // Opening costs only fees and slippage: under 1% of the 6 units moved.
    assert!(nav1 < nav0 && nav0 - nav1 < 60_000, "NAV {nav0} -> {nav1}");

    // Halve it.
    let l: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;
    let ixs = s.unwind_ixs(&keeper.pubkey(), l.debt / 2, l.collateral_amount / 2);
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    let ev = &out.unwrap().events::<LeverageChanged>()[0];
    assert!(!ev.open && ev.idle_delta > 0);
    let half: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;
    assert!(half.capital < l.capital);

    // Close it: repay every unit of debt and sell every unit of collateral.
    let debt = loop_debt(&mut chain, &s).await;
    let ixs = s.unwind_ixs(&keeper.pubkey(), debt, half.collateral_amount);
    let (out, _) = chain.send_leverage(&s, &ixs, &keeper).await;
    let ev = &out.unwrap().events::<LeverageChanged>()[0];
    assert_eq!(
        (ev.collateral_after, ev.debt_after, ev.capital_after),
        (0, 0, 0)
    );
    let v = chain.vault_state(&s.tv.f).await;
    assert_eq!(
        (v.open_positions, v.open_loops, v.positions_value_high),
        (0, 0, 0)
    );
    assert!(
        v.realized_pnl < 0 && v.realized_pnl > -120_000,
        "round trip cost {}",
        v.realized_pnl
    );
    assert_eq!(chain.vault_balance(&s.tv.f).await, v.idle_assets);
    assert!(nav0 - v.total_assets() < 120_000);
}

#[tokio::test]
async fn a_loan_larger_than_one_lender_is_split_across_several() {
    let mut chain = TestChain::start().await;
    let mut s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    // Five more markets with 0.5 units of base liquidity each.
    let mut sources = vec![FlashSource {
        reserve: s.base_reserve,
        amount: UNIT / 2,
        fee_bps: 10,
    }];
    for id in 1..6u64 {
        let l = chain.lending_market(id).await;
        let r = chain
            .reserve(
                &l,
                &s.tv.f.keys.base_mint,
                TokenProgram::Spl,
                test_reserve_config(),
                ONE_DOLLAR,
                UNIT / 2,
            )
            .await;
        sources.push(FlashSource {
            reserve: r,
            amount: UNIT / 2,
            fee_bps: 10,
        });
    }
    let mut addresses = s.table.addresses.clone();
    addresses.extend(flashforge_tests::leverage_fixture::table_addresses(
        &s.open_ixs_with(&keeper.pubkey(), UNIT, &sources),
    ));
    addresses.sort();
    addresses.dedup();
    s.table = chain.lookup_table(addresses).await;
    // One lender alone cannot lend 3 units.
    let too_big = s.open_ixs_with(
        &keeper.pubkey(),
        UNIT,
        &[FlashSource {
            amount: 3 * UNIT,
            ..sources[1]
        }],
    );
    let (out, _) = chain.send_leverage(&s, &too_big, &keeper).await;
    assert_error(&out, LenderError::InsufficientLiquidity);
    // Six lenders together can, within one transaction of at most 1,232 bytes.
    let ixs = s.open_ixs_with(&keeper.pubkey(), 2 * UNIT, &sources);
    let (out, size) = chain.send_leverage(&s, &ixs, &keeper).await;
    let ev = &out.unwrap().events::<LeverageChanged>()[0];
    assert!(size <= 1_232, "six-lender transaction is {size} bytes");
    assert!(ev.leverage_bps > 24_000, "leverage {}", ev.leverage_bps);
    println!("six-lender leverage transaction: {size} bytes");
}

#[tokio::test]
async fn the_transaction_needs_a_lookup_table_to_fit() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    let keeper = s.keeper();
    let ixs = s.open_ixs(&keeper.pubkey(), UNIT, 20);
    let payer = chain.payer();
    let legacy = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &ixs,
        Some(&payer.pubkey()),
        &[&payer, &keeper],
        chain.blockhash(),
    );
    let without = legacy_size(&legacy);
    let with = versioned_size(&chain.versioned_tx(
        &ixs,
        &[&payer, &keeper],
        std::slice::from_ref(&s.table),
    ));
    println!("one-lender leverage transaction: {without} bytes legacy, {with} bytes with the lookup table");
    assert!(without > 1_232, "legacy {without}");
    assert!(with <= 1_232, "v0 {with}");
}

#[tokio::test]
async fn interest_a_price_drop_and_third_party_liquidation() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    open(&mut chain, &s, 2 * UNIT, 30).await.unwrap();
    let l0: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;

    // A month of interest.
    chain.warp_seconds(30 * DAY).await;
    chain.refresh_prices(&s, ONE_DOLLAR).await;
    let out = chain
        .send(&[vault::client::leverage::check_health(&s.keys)], &[])
        .await
        .unwrap();
    let h = &out.events::<LoopHealthChecked>()[0];
    assert!(!h.flagged);
    assert!(
        loop_debt(&mut chain, &s).await > l0.debt,
        "interest accrued"
    );

    // The oracle marks the collateral down 30%: below the vault's minimum health, and
    // liquidatable at the lender.
    chain.refresh_prices(&s, 70_000_000).await;
    let out = chain
        .send(&[vault::client::leverage::check_health(&s.keys)], &[])
        .await
        .unwrap();
    let h = &out.events::<LoopHealthChecked>()[0];
    assert!(
        h.flagged && h.health_bps < 10_000,
        "health {}",
        h.health_bps
    );
    let o = local_lender::client::ObligationKeys {
        obligation: s.keys.obligation(),
        owner: s.tv.f.keys.vault,
        seed: vault::instructions::obligation_seed(&s.market.mint),
        collateral: s.collateral_reserve,
        borrow: s.base_reserve,
    };
    let (liq, liq_usd) = chain.investor(&s.tv.f.keys.base_mint, 10 * UNIT).await;
    let liq_tok = chain.token_account(&s.market.mint, &liq.pubkey()).await;
    let repay = loop_debt(&mut chain, &s).await / 2;
    chain
        .send(
            &[local_lender::client::liquidate(
                &liq.pubkey(),
                &o,
                &liq_usd,
                &liq_tok,
                repay,
            )],
            &[&liq],
        )
        .await
        .unwrap();
    assert!(chain.balance(&liq_tok).await > 0);
    // The vault's next mark sees the smaller loop.
    chain.mark_loop(&s).await.unwrap();
    let l1: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;
    assert!(l1.collateral_amount < l0.collateral_amount && l1.debt < l0.debt);
    let v = chain.vault_state(&s.tv.f).await;
    let (low, high) = l1.contribution();
    assert_eq!((v.positions_value_low, v.positions_value_high), (low, high));
}

#[tokio::test]
async fn guardians_may_unwind_in_an_emergency_and_never_open() {
    let mut chain = TestChain::start().await;
    let s = chain.leverage_setup(100 * UNIT, |_| {}).await;
    open(&mut chain, &s, UNIT, 20).await.unwrap();
    let guardian = s.tv.f.guardian.insecure_clone();
    let l: LeverageLoop = chain.anchor_account(&s.keys.leverage_loop()).await;
    // Without an emergency the guardian may not touch leverage.
    let ixs = s.unwind_ixs(&guardian.pubkey(), l.debt / 2, l.collateral_amount / 2);
    let (out, _) = chain.send_leverage(&s, &ixs, &guardian).await;
    assert_error(&out, VaultError::NotLeverageActor);
    chain
        .guardian_act(
            &s.tv.f,
            &guardian,
            GovernanceAction::StartEmergencyDeleverage,
        )
        .await
        .unwrap();
    // The keeper may no longer add leverage; the guardian may unwind.
    assert_error(
        &open(&mut chain, &s, UNIT, 20).await,
        VaultError::EmergencyDeleverage,
    );
    let (out, _) = chain.send_leverage(&s, &ixs, &guardian).await;
    out.unwrap();
    let opening = s.open_ixs(&guardian.pubkey(), UNIT, 20);
    let (out, _) = chain.send_leverage(&s, &opening, &guardian).await;
    assert_error(&out, VaultError::NotLeverageActor);
}
