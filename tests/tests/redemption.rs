//! `request_withdraw`, `cancel_withdraw_request`, `withdraw` and `close_depositor`.

use anchor_lang::error::ErrorCode as AnchorError;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::{Keypair, Signer};
use vault::error::VaultError;
use vault::events::{WithdrawCancelled, WithdrawRequested, Withdrawn};
use vault::state::{GovernanceAction, WithdrawAmount};

/// A vault with no fees (so values are exact) and one investor holding 1,000,000 units.
async fn funded() -> (TestChain, VaultFixture, Keypair, solana_sdk::pubkey::Pubkey) {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            for t in p.tiers.as_mut().unwrap() {
                t.management_fee_bps = 0;
                t.performance_fee_bps = 0;
            }
        })
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000_000).await;
    chain.deposit(&f, &alice, &ata, 1_000_000).await.unwrap();
    (chain, f, alice, ata)
}

#[tokio::test]
async fn full_cycle_pays_back_the_deposit_less_rounding_dust() {
    let (mut chain, f, alice, ata) = funded().await;
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    let now = chain.now().await;
    let out = chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    let ev: Vec<WithdrawRequested> = out.events();
    assert_eq!(ev[0].shares, d.shares);
    assert_eq!(ev[0].payable_at, (now + 7 * DAY).max(d.lockup_end));
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(d.shares, 0);
    assert_eq!(d.withdraw_request.shares, ev[0].shares);
    assert_eq!(
        chain.vault_state(&f).await.pending_withdraw_shares,
        ev[0].shares
    );

    chain.warp_seconds(30 * DAY).await;
    let out = chain.withdraw(&f, &alice, &ata).await.unwrap();
    let w: Vec<Withdrawn> = out.events();
    let paid = chain.balance(&ata).await;
    assert_eq!(w[0].paid, paid);
    assert!((999_999..=1_000_000).contains(&paid), "paid {paid}");
    let v = chain.vault_state(&f).await;
    assert_eq!(v.pending_withdraw_shares, 0);
    assert_eq!(v.total_shares, v.dead_shares);
    assert_eq!(chain.vault_balance(&f).await, v.idle_assets);
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(d.total_withdrawn, paid);
    assert!(!d.withdraw_request.is_pending());
}

#[tokio::test]
async fn request_by_assets_burns_shares_rounded_up() {
    let (mut chain, f, alice, _) = funded().await;
    let v = chain.vault_state(&f).await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::Assets(250_000))
        .await
        .unwrap();
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    let num = 250_000u128 * (v.total_shares as u128 + 1_000);
    let den = v.idle_assets as u128 + 1;
    let expected = num.div_ceil(den) as u64;
    assert_eq!(d.withdraw_request.shares, expected);
    assert!(d.withdraw_request.value >= 250_000 - 1 && d.withdraw_request.value <= 250_000);
    // A quarter of the high-water mark and net deposits moved with the shares.
    assert_eq!(d.withdraw_request.net_deposits + d.net_deposits, 1_000_000);
    assert_eq!(
        d.withdraw_request.high_water_mark + d.high_water_mark,
        1_000_000
    );
}

#[tokio::test]
async fn request_refusals() {
    let (mut chain, f, alice, _) = funded().await;
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Shares(0))
            .await,
        VaultError::ZeroAmount,
    );
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Assets(0))
            .await,
        VaultError::ZeroAmount,
    );
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Shares(d.shares + 1))
            .await,
        VaultError::InsufficientShares,
    );
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Assets(1_000_001))
            .await,
        VaultError::InsufficientShares,
    );
    // One share is worth a thousandth of a base unit: nothing to pay.
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Shares(1))
            .await,
        VaultError::ZeroPayout,
    );
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::Shares(d.shares / 2))
        .await
        .unwrap();
    assert_error(
        &chain
            .request_withdraw(&f, &alice, WithdrawAmount::Shares(10_000))
            .await,
        VaultError::WithdrawRequestPending,
    );
    // Someone without a position has no account to request from.
    let (bob, _) = chain.investor(&f.keys.base_mint, 0).await;
    let out = chain.request_withdraw(&f, &bob, WithdrawAmount::All).await;
    assert_error(&out, AnchorError::AccountNotInitialized);
}

#[tokio::test]
async fn lockup_and_notice_are_enforced_at_their_boundaries() {
    let (mut chain, f, alice, ata) = funded().await;
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    let requested_at = chain
        .depositor_state(&f, &alice.pubkey())
        .await
        .withdraw_request
        .requested_at;

    // Notice ends after 7 days but lock-up after 30: lock-up governs.
    let now = chain.now().await;
    chain.warp_seconds(d.lockup_end - now - 1).await;
    assert_error(
        &chain.withdraw(&f, &alice, &ata).await,
        VaultError::LockupActive,
    );
    chain.warp_seconds(1).await;
    chain.withdraw(&f, &alice, &ata).await.unwrap();

    // Now a second deposit, a request long after lock-up: notice governs.
    chain.deposit(&f, &alice, &ata, 500_000).await.unwrap();
    chain.warp_seconds(31 * DAY).await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    let requested_at2 = chain
        .depositor_state(&f, &alice.pubkey())
        .await
        .withdraw_request
        .requested_at;
    assert!(requested_at2 > requested_at);
    chain.warp_seconds(7 * DAY - 1).await;
    assert_error(
        &chain.withdraw(&f, &alice, &ata).await,
        VaultError::NoticePeriodActive,
    );
    chain.warp_seconds(1).await;
    chain.withdraw(&f, &alice, &ata).await.unwrap();
}

#[tokio::test]
async fn withdraw_and_cancel_without_a_request_are_refused() {
    let (mut chain, f, alice, ata) = funded().await;
    assert_error(
        &chain.withdraw(&f, &alice, &ata).await,
        VaultError::NoWithdrawRequest,
    );
    assert_error(
        &chain.cancel_withdraw(&f, &alice).await,
        VaultError::NoWithdrawRequest,
    );
}

#[tokio::test]
async fn payout_is_the_lesser_of_value_at_request_and_now() {
    // Value rises after the request: the investor gets the value at request; the rest stays.
    let (mut chain, f, alice, ata) = funded().await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    let req = chain
        .depositor_state(&f, &alice.pubkey())
        .await
        .withdraw_request;
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets * 2).await;
    chain.warp_seconds(30 * DAY).await;
    let out = chain.withdraw(&f, &alice, &ata).await.unwrap();
    let w = &out.events::<Withdrawn>()[0];
    assert!(w.value_now > req.value);
    assert_eq!(w.paid, req.value);
    assert_eq!(chain.balance(&ata).await, req.value);

    // Value falls after the request: the investor gets the value now.
    let (mut chain, f, alice, ata) = funded().await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    let req = chain
        .depositor_state(&f, &alice.pubkey())
        .await
        .withdraw_request;
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets / 2).await;
    chain.warp_seconds(30 * DAY).await;
    let out = chain.withdraw(&f, &alice, &ata).await.unwrap();
    let w = &out.events::<Withdrawn>()[0];
    assert!(w.value_now < req.value);
    assert_eq!(w.paid, w.value_now);
    assert_eq!(chain.balance(&ata).await, w.value_now);
    let v = chain.vault_state(&f).await;
    assert_eq!(chain.vault_balance(&f).await, v.idle_assets);
}

#[tokio::test]
async fn exits_stay_open_while_deposits_and_trading_are_paused() {
    let (mut chain, f, alice, ata) = funded().await;
    chain
        .govern(&f, GovernanceAction::PauseDeposits)
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::PauseTrading)
        .await
        .unwrap();
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(30 * DAY).await;
    chain.withdraw(&f, &alice, &ata).await.unwrap();
    assert!(chain.balance(&ata).await >= 999_999);
}

#[tokio::test]
async fn cancel_restores_the_position() {
    let (mut chain, f, alice, _) = funded().await;
    let before = chain.depositor_state(&f, &alice.pubkey()).await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::Shares(before.shares / 3))
        .await
        .unwrap();
    let out = chain.cancel_withdraw(&f, &alice).await.unwrap();
    let after = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(after.shares, before.shares);
    assert_eq!(after.high_water_mark, before.high_water_mark);
    assert_eq!(after.net_deposits, before.net_deposits);
    assert!(!after.withdraw_request.is_pending());
    assert_eq!(chain.vault_state(&f).await.pending_withdraw_shares, 0);
    let ev: Vec<WithdrawCancelled> = out.events();
    assert_eq!(ev[0].shares_escrowed, before.shares / 3);
    assert_eq!(ev[0].fee_shares, 0);
}

#[tokio::test]
async fn cancel_charges_the_management_fee_for_time_in_escrow() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await; // 2% a year
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000_000).await;
    chain.deposit(&f, &alice, &ata, 1_000_000).await.unwrap();
    let shares = chain.depositor_state(&f, &alice.pubkey()).await.shares;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(365 * DAY / 2).await;
    let out = chain.cancel_withdraw(&f, &alice).await.unwrap();
    let ev = &out.events::<WithdrawCancelled>()[0];
    // Half a year at 2% is 1% of the escrowed shares (rounded down).
    assert_eq!(ev.fee_shares, shares / 100);
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(d.shares, shares - shares / 100);
    assert_eq!(chain.vault_state(&f).await.fee_shares, shares / 100);
}

#[tokio::test]
async fn nobody_else_can_withdraw_or_cancel_a_position() {
    let (mut chain, f, alice, _) = funded().await;
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(30 * DAY).await;
    let (mallory, mallory_ata) = chain.investor(&f.keys.base_mint, 0).await;
    // Mallory signs and points at Alice's position.
    let mut ix = vault::client::withdraw(&f.keys, &mallory.pubkey(), &mallory_ata);
    ix.accounts[2].pubkey = f.keys.depositor(&alice.pubkey());
    assert_error(
        &chain.send(&[ix], &[&mallory]).await,
        AnchorError::ConstraintSeeds,
    );
    let mut ix = vault::client::cancel_withdraw_request(&f.keys, &mallory.pubkey());
    ix.accounts[2].pubkey = f.keys.depositor(&alice.pubkey());
    assert_error(
        &chain.send(&[ix], &[&mallory]).await,
        AnchorError::ConstraintSeeds,
    );
    let mut ix = vault::client::request_withdraw(&f.keys, &mallory.pubkey(), WithdrawAmount::All);
    ix.accounts[2].pubkey = f.keys.depositor(&alice.pubkey());
    assert_error(
        &chain.send(&[ix], &[&mallory]).await,
        AnchorError::ConstraintSeeds,
    );
    // Alice cannot be paid into Mallory's account either.
    let ix = vault::client::withdraw(&f.keys, &alice.pubkey(), &mallory_ata);
    assert_error(
        &chain.send(&[ix], &[&alice]).await,
        AnchorError::ConstraintTokenOwner,
    );
}

#[tokio::test]
async fn close_depositor_only_when_empty() {
    let (mut chain, f, alice, ata) = funded().await;
    let ix = vault::client::close_depositor(&f.keys, &alice.pubkey());
    assert_error(
        &chain.send(std::slice::from_ref(&ix), &[&alice]).await,
        VaultError::DepositorNotEmpty,
    );
    chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    assert_error(
        &chain.send(std::slice::from_ref(&ix), &[&alice]).await,
        VaultError::DepositorNotEmpty,
    );
    chain.warp_seconds(30 * DAY).await;
    chain.withdraw(&f, &alice, &ata).await.unwrap();
    let lamports = chain.lamports(&alice.pubkey()).await;
    let rent = chain.lamports(&f.keys.depositor(&alice.pubkey())).await;
    chain.send(&[ix], &[&alice]).await.unwrap();
    assert!(
        !chain
            .account_exists(&f.keys.depositor(&alice.pubkey()))
            .await
    );
    assert_eq!(chain.lamports(&alice.pubkey()).await, lamports + rent);
    // A new deposit opens a fresh position.
    chain.deposit(&f, &alice, &ata, 1_000).await.unwrap();
    assert_eq!(
        chain
            .depositor_state(&f, &alice.pubkey())
            .await
            .net_deposits,
        1_000
    );
}
