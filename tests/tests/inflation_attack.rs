//! The first-depositor (donation) inflation attack, reproduced against the vault.
//!
//! Classic shape: the attacker is first in, holds a tiny number of shares, then sends a large
//! donation straight to the vault's token account so each share is worth a fortune; the
//! victim's deposit rounds down to zero (or few) shares and the attacker redeems the victim's
//! money. Against this vault: dead seed shares mean the attacker is never alone; the virtual
//! offset makes inflating the price uneconomic; and NAV counts only booked deposits, so the
//! donation does not move the price at all.

use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::Signer;
use vault::state::WithdrawAmount;

#[tokio::test]
async fn donation_inflation_attack_leaves_the_victim_whole_but_for_dust() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.seed_assets = vault::constants::MIN_SEED_ASSETS;
            p.lockup_seconds = 0;
            p.notice_seconds = 0;
            for t in p.tiers.as_mut().unwrap() {
                t.management_fee_bps = 0;
                t.performance_fee_bps = 0;
            }
        })
        .await;
    let donation = 1_000_000_000_000u64;
    let victim_deposit = 500_000_000u64;

    let (attacker, attacker_ata) = chain.investor(&f.keys.base_mint, donation + 1).await;
    let (victim, victim_ata) = chain.investor(&f.keys.base_mint, victim_deposit).await;

    // 1. The attacker deposits the smallest possible amount.
    chain
        .deposit(&f, &attacker, &attacker_ata, 1)
        .await
        .unwrap();
    // 2. ... and donates a fortune directly to the vault's token account.
    chain
        .transfer_tokens(
            &f.keys.base_mint,
            &attacker_ata,
            &f.keys.token_account,
            &attacker,
            donation,
        )
        .await
        .unwrap();
    // 3. The victim deposits.
    chain
        .deposit(&f, &victim, &victim_ata, victim_deposit)
        .await
        .unwrap();
    let victim_shares = chain.depositor_state(&f, &victim.pubkey()).await.shares;
    assert!(victim_shares > 0, "the victim received shares");

    // 4. Both exit.
    chain
        .request_withdraw(&f, &attacker, WithdrawAmount::All)
        .await
        .unwrap();
    chain
        .request_withdraw(&f, &victim, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(1).await;
    chain.withdraw(&f, &attacker, &attacker_ata).await.unwrap();
    chain.withdraw(&f, &victim, &victim_ata).await.unwrap();

    let victim_back = chain.balance(&victim_ata).await;
    let attacker_back = chain.balance(&attacker_ata).await;
    assert!(
        victim_deposit - victim_back <= 1,
        "victim lost {} base units",
        victim_deposit - victim_back
    );
    assert!(
        attacker_back <= 1,
        "the attacker recovered {attacker_back} of the donation"
    );
    // The donation is stranded in the vault, outside its accounting.
    let v = chain.vault_state(&f).await;
    assert!(chain.vault_balance(&f).await >= v.idle_assets + donation);
}

#[tokio::test]
async fn even_a_counted_price_inflation_costs_the_attacker_more_than_the_victim_loses() {
    // Suppose a future bug let the attacker raise NAV itself (as a mispriced position could).
    // With the virtual offset and dead shares the victim's rounding loss stays at dust while
    // most of the attacker's injection goes to the other shareholders.
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.seed_assets = vault::constants::MIN_SEED_ASSETS;
            p.lockup_seconds = 0;
            p.notice_seconds = 0;
            for t in p.tiers.as_mut().unwrap() {
                t.management_fee_bps = 0;
                t.performance_fee_bps = 0;
            }
        })
        .await;
    let (attacker, attacker_ata) = chain.investor(&f.keys.base_mint, 1).await;
    let (victim, victim_ata) = chain.investor(&f.keys.base_mint, 500_000_000).await;
    chain
        .deposit(&f, &attacker, &attacker_ata, 1)
        .await
        .unwrap();
    let injected = 1_000_000_000u64;
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets + injected).await;
    chain
        .deposit(&f, &victim, &victim_ata, 500_000_000)
        .await
        .unwrap();
    chain
        .request_withdraw(&f, &victim, WithdrawAmount::All)
        .await
        .unwrap();
    chain
        .request_withdraw(&f, &attacker, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(1).await;
    chain.withdraw(&f, &victim, &victim_ata).await.unwrap();
    chain.withdraw(&f, &attacker, &attacker_ata).await.unwrap();
    let victim_loss = 500_000_000 - chain.balance(&victim_ata).await;
    let attacker_gain = chain.balance(&attacker_ata).await;
    // The victim loses less than one share's worth at the inflated price (rounding), which
    // is under a millionth of the deposit; it accrues to the other holders, not the attacker.
    let one_share = (v.idle_assets + injected + 1).div_ceil(v.total_shares + 1_000);
    assert!(
        victim_loss <= one_share,
        "victim lost {victim_loss}, one share is {one_share}"
    );
    assert!(
        victim_loss * 1_000_000 <= 500_000_000,
        "victim lost {victim_loss}"
    );
    assert!(
        attacker_gain < injected / 1_000,
        "the attacker got back {attacker_gain} of {injected} injected"
    );
}
