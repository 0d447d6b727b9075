//! The local lender: liquidity, obligations, loan-to-value, oracle checks, interest,
//! liquidation, and flash loans under mainnet rules (top level only, one matching repay).

use flashforge_tests::lender_fixture::*;
use flashforge_tests::*;
use local_lender::client::{self, ObligationKeys, ReserveKeys};
use local_lender::error::LenderError;
use local_lender::events::{FlashLoan, Liquidated};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::signature::{Keypair, Signer};

const UNIT: u64 = 1_000_000;

struct Setup {
    chain: TestChain,
    l: LenderFixture,
    usd: ReserveKeys,
    tok: ReserveKeys,
    borrower: Keypair,
    b_usd: solana_sdk::pubkey::Pubkey,
    b_tok: solana_sdk::pubkey::Pubkey,
    o: ObligationKeys,
}

/// USD (reserve with 1,000 units of liquidity) and TOK ($2) markets; a borrower with 100 TOK
/// deposited as collateral.
async fn setup() -> Setup {
    let mut chain = TestChain::start().await;
    let l = chain.lending_market(0).await;
    let usd_mint = chain.create_mint(TokenProgram::Spl, 6, &[]).await;
    let tok_mint = chain.create_mint(TokenProgram::Token2022, 6, &[]).await;
    let usd = chain
        .reserve(
            &l,
            &usd_mint,
            TokenProgram::Spl,
            test_reserve_config(),
            ONE_DOLLAR,
            1_000 * UNIT,
        )
        .await;
    let tok = chain
        .reserve(
            &l,
            &tok_mint,
            TokenProgram::Token2022,
            test_reserve_config(),
            2 * ONE_DOLLAR,
            0,
        )
        .await;
    let (borrower, b_tok) = chain.investor(&tok_mint, 100 * UNIT).await;
    let b_usd = chain.token_account(&usd_mint, &borrower.pubkey()).await;
    let o = ObligationKeys::new(borrower.pubkey(), 1, tok, usd);
    chain
        .send(
            &[client::init_obligation(&borrower.pubkey(), &o)],
            &[&borrower],
        )
        .await
        .unwrap();
    chain
        .send(
            &[client::deposit_collateral(&o, &b_tok, 100 * UNIT)],
            &[&borrower],
        )
        .await
        .unwrap();
    Setup {
        chain,
        l,
        usd,
        tok,
        borrower,
        b_usd,
        b_tok,
        o,
    }
}

#[tokio::test]
async fn borrowing_is_limited_by_loan_to_value() {
    let mut s = setup().await;
    // 100 TOK at $2 = $200; 85% LTV: $170.
    let out = s
        .chain
        .send(
            &[client::borrow(&s.o, &s.b_usd, 170 * UNIT + 1)],
            &[&s.borrower],
        )
        .await;
    assert_error(&out, LenderError::BorrowLimitExceeded);
    s.chain
        .send(
            &[client::borrow(&s.o, &s.b_usd, 170 * UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    assert_eq!(s.chain.balance(&s.b_usd).await, 170 * UNIT);
    // No collateral may leave while at the limit.
    let out = s
        .chain
        .send(
            &[client::withdraw_collateral(&s.o, &s.b_tok, 1)],
            &[&s.borrower],
        )
        .await;
    assert_error(&out, LenderError::WithdrawLimitExceeded);
    // Repaying frees it.
    s.chain
        .send(
            &[client::repay(
                &s.borrower.pubkey(),
                &s.o,
                &s.b_usd,
                17 * UNIT,
            )],
            &[&s.borrower],
        )
        .await
        .unwrap();
    s.chain
        .send(
            &[client::withdraw_collateral(&s.o, &s.b_tok, UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    let out = s
        .chain
        .send(
            &[client::withdraw_collateral(&s.o, &s.b_tok, 1_000 * UNIT)],
            &[&s.borrower],
        )
        .await;
    assert_error(&out, LenderError::InsufficientCollateral);
    let out = s
        .chain
        .send(
            &[client::repay(
                &s.borrower.pubkey(),
                &s.o,
                &s.b_usd,
                1_000 * UNIT,
            )],
            &[&s.borrower],
        )
        .await;
    assert_error(&out, LenderError::RepayExceedsDebt);
    // More than the reserve holds.
    let mut big = s.o;
    big.seed = 2;
    big.obligation = client::obligation_address(&s.l.market, &s.borrower.pubkey(), 2);
    let _ = big;
}

#[tokio::test]
async fn stale_or_uncertain_prices_are_refused() {
    let mut s = setup().await;
    s.chain.warp_seconds(24 * 60 * 60 + 1).await;
    let out = s
        .chain
        .send(&[client::borrow(&s.o, &s.b_usd, UNIT)], &[&s.borrower])
        .await;
    assert_error(&out, LenderError::StalePrice);
    s.chain
        .set_price(&s.l, &s.tok, 2 * ONE_DOLLAR)
        .await
        .unwrap();
    s.chain.set_price(&s.l, &s.usd, ONE_DOLLAR).await.unwrap();
    let wide = client::set_price(
        &s.l.admin.pubkey(),
        &s.tok,
        2 * ONE_DOLLAR,
        2 * ONE_DOLLAR / 50,
    );
    s.chain.send(&[wide], &[&s.l.admin]).await.unwrap();
    let out = s
        .chain
        .send(&[client::borrow(&s.o, &s.b_usd, UNIT)], &[&s.borrower])
        .await;
    assert_error(&out, LenderError::PriceTooUncertain);
    let out = s
        .chain
        .send(
            &[client::set_price(&s.l.admin.pubkey(), &s.tok, 0, 0)],
            &[&s.l.admin],
        )
        .await;
    assert_error(&out, LenderError::InvalidPrice);
    let stranger = s.chain.funded_keypair(1_000_000_000).await;
    let out = s
        .chain
        .send(
            &[client::set_price(&stranger.pubkey(), &s.tok, 5, 0)],
            &[&stranger],
        )
        .await;
    assert_error(&out, LenderError::NotAdmin);
}

#[tokio::test]
async fn interest_accrues_with_time_and_utilization() {
    let mut s = setup().await;
    s.chain
        .send(
            &[client::borrow(&s.o, &s.b_usd, 100 * UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    s.chain.warp_seconds(365 * 24 * 60 * 60 / 2).await;
    s.chain
        .set_price(&s.l, &s.tok, 2 * ONE_DOLLAR)
        .await
        .unwrap();
    s.chain.set_price(&s.l, &s.usd, ONE_DOLLAR).await.unwrap();
    // Touch the reserve so it accrues.
    s.chain.mint_to(&s.usd.mint, &s.b_usd, 10 * UNIT).await;
    s.chain
        .send(
            &[client::repay(&s.borrower.pubkey(), &s.o, &s.b_usd, UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    let r = s.chain.reserve_state(&s.usd).await;
    let o = s.chain.obligation_state(&s.o.obligation).await;
    let debt = o.debt(&r).unwrap();
    // Utilization 10%: 5% + 2% = 7% a year; half a year on 100 is ~3.5 (less the 1 repaid).
    assert!((102 * UNIT..=103 * UNIT).contains(&debt), "debt {debt}");
    // Liquidity providers earn it.
    assert!(r.total_liquidity().unwrap() > 1_000 * UNIT + 3 * UNIT);
}

#[tokio::test]
async fn unhealthy_obligations_are_liquidated_by_anyone() {
    let mut s = setup().await;
    s.chain
        .send(
            &[client::borrow(&s.o, &s.b_usd, 160 * UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    let (liq, liq_usd) = s.chain.investor(&s.usd.mint, 500 * UNIT).await;
    let liq_tok = s.chain.token_account(&s.tok.mint, &liq.pubkey()).await;
    let out = s
        .chain
        .send(
            &[client::liquidate(
                &liq.pubkey(),
                &s.o,
                &liq_usd,
                &liq_tok,
                10 * UNIT,
            )],
            &[&liq],
        )
        .await;
    assert_error(&out, LenderError::ObligationHealthy);
    // TOK falls to $1.70: collateral $170 x 90% = $153 < $160 debt.
    s.chain.set_price(&s.l, &s.tok, 170_000_000).await.unwrap();
    let out = s
        .chain
        .send(
            &[client::liquidate(
                &liq.pubkey(),
                &s.o,
                &liq_usd,
                &liq_tok,
                80 * UNIT + 1,
            )],
            &[&liq],
        )
        .await;
    assert_error(&out, LenderError::CloseFactorExceeded);
    let out = s
        .chain
        .send(
            &[client::liquidate(
                &liq.pubkey(),
                &s.o,
                &liq_usd,
                &liq_tok,
                50 * UNIT,
            )],
            &[&liq],
        )
        .await
        .unwrap();
    let ev = &out.events::<Liquidated>()[0];
    assert!(ev.health_before_bps < 10_000);
    // $50 repaid plus 5% bonus at $1.70: 30.88 TOK.
    assert_eq!(ev.collateral_seized, 30_882_352);
    assert_eq!(s.chain.balance(&liq_tok).await, 30_882_352);
    let o = s.chain.obligation_state(&s.o.obligation).await;
    assert_eq!(o.collateral_amount, 100 * UNIT - 30_882_352);
}

#[tokio::test]
async fn liquidity_providers_withdraw_what_is_not_lent() {
    let mut s = setup().await;
    let (lp, lp_usd) = s.chain.investor(&s.usd.mint, 100 * UNIT).await;
    s.chain
        .send(
            &[client::deposit_liquidity(
                &lp.pubkey(),
                &s.usd,
                &lp_usd,
                100 * UNIT,
            )],
            &[&lp],
        )
        .await
        .unwrap();
    s.chain
        .send(
            &[client::borrow(&s.o, &s.b_usd, 150 * UNIT)],
            &[&s.borrower],
        )
        .await
        .unwrap();
    let out = s
        .chain
        .send(
            &[client::withdraw_liquidity(
                &lp.pubkey(),
                &s.usd,
                &lp_usd,
                100 * UNIT + 1,
            )],
            &[&lp],
        )
        .await;
    assert_error(&out, LenderError::InsufficientShares);
    s.chain
        .send(
            &[client::withdraw_liquidity(
                &lp.pubkey(),
                &s.usd,
                &lp_usd,
                100 * UNIT,
            )],
            &[&lp],
        )
        .await
        .unwrap();
    assert_eq!(s.chain.balance(&lp_usd).await, 100 * UNIT);
}

fn probe(r: &ReserveKeys, destination: &solana_sdk::pubkey::Pubkey, amount: u64) -> Instruction {
    Instruction {
        program_id: FLASH_CPI_PROBE_ID,
        accounts: vec![
            AccountMeta::new_readonly(local_lender::ID, false),
            AccountMeta::new(r.reserve, false),
            AccountMeta::new_readonly(r.mint, false),
            AccountMeta::new(r.liquidity_vault, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(solana_instructions_sysvar_id(), false),
            AccountMeta::new_readonly(r.token_program, false),
        ],
        data: amount.to_le_bytes().to_vec(),
    }
}

fn solana_instructions_sysvar_id() -> solana_sdk::pubkey::Pubkey {
    solana_sdk::sysvar::instructions::ID
}

#[tokio::test]
async fn flash_loans_follow_mainnet_rules() {
    let mut s = setup().await;
    let usd = s.usd;
    let (user, ua) = s.chain.investor(&usd.mint, 10 * UNIT).await;
    let borrow = |amount| client::flash_borrow(&usd, &ua, amount);
    let repay = |amount, index| client::flash_repay(&user.pubkey(), &usd, &ua, amount, index);

    // Borrow and repay in one transaction: the fee (10 bps, rounded up) goes to the reserve.
    let before = s.chain.reserve_state(&usd).await.available;
    let out = s
        .chain
        .send(&[borrow(500 * UNIT), repay(500 * UNIT, 0)], &[&user])
        .await
        .unwrap();
    let ev: Vec<FlashLoan> = out.events();
    assert_eq!((ev[0].amount, ev[1].fee), (500 * UNIT, 500_000));
    assert_eq!(
        s.chain.reserve_state(&usd).await.available,
        before + 500_000
    );
    assert_eq!(s.chain.balance(&ua).await, 10 * UNIT - 500_000);

    // No repay.
    assert_error(
        &s.chain.send(&[borrow(UNIT)], &[&user]).await,
        LenderError::FlashRepayMissing,
    );
    // A repay for another amount.
    assert_error(
        &s.chain
            .send(&[borrow(UNIT), repay(2 * UNIT, 0)], &[&user])
            .await,
        LenderError::FlashRepayMissing,
    );
    // A repay that names the wrong instruction.
    assert_error(
        &s.chain
            .send(&[borrow(UNIT), repay(UNIT, 1)], &[&user])
            .await,
        LenderError::FlashRepayMissing,
    );
    // A repay with no borrow.
    assert_error(
        &s.chain.send(&[repay(UNIT, 0)], &[&user]).await,
        LenderError::FlashBorrowMissing,
    );
    // Two borrows, one repay.
    assert_error(
        &s.chain
            .send(&[borrow(UNIT), borrow(UNIT), repay(UNIT, 0)], &[&user])
            .await,
        LenderError::FlashRepayMissing,
    );
    // Two borrows of one reserve outstanding at once.
    assert_error(
        &s.chain
            .send(
                &[
                    borrow(UNIT),
                    borrow(2 * UNIT),
                    repay(2 * UNIT, 1),
                    repay(UNIT, 0),
                ],
                &[&user],
            )
            .await,
        LenderError::FlashLoanActive,
    );
    // Through another program.
    assert_error(
        &s.chain
            .send(&[probe(&usd, &ua, UNIT), repay(UNIT, 0)], &[&user])
            .await,
        LenderError::FlashLoanCpi,
    );
    // More than the reserve holds.
    let too_much = s.chain.reserve_state(&usd).await.available + 1;
    assert_error(
        &s.chain
            .send(&[borrow(too_much), repay(too_much, 0)], &[&user])
            .await,
        LenderError::InsufficientLiquidity,
    );
    // Nothing leaked from the refused attempts.
    assert_eq!(
        s.chain.reserve_state(&usd).await.available,
        before + 500_000
    );
    let _ = (&s.tok, &s.b_tok);
}
