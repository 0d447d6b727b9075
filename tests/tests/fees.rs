//! Management fees, performance fees over the high-water mark, crystallization and collection.

use anchor_lang::error::ErrorCode as AnchorError;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::Signer;
use vault::constants::SECONDS_PER_YEAR;
use vault::error::VaultError;
use vault::events::{FeesCollected, ManagementFeeCharged, PerformanceFeeCrystallized};
use vault::state::WithdrawAmount;

const YEAR: i64 = SECONDS_PER_YEAR as i64;

#[tokio::test]
async fn management_fee_accrues_at_the_tier_rate() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            for t in p.tiers.as_mut().unwrap() {
                t.performance_fee_bps = 0;
            }
        })
        .await;
    // Tier 1 (2%) and tier 2 (1.75%) investors.
    let (small, small_ata) = chain.investor(&f.keys.base_mint, 1_000_000).await;
    let (large, large_ata) = chain.investor(&f.keys.base_mint, 2_000_000_000_000).await;
    chain
        .deposit(&f, &small, &small_ata, 1_000_000)
        .await
        .unwrap();
    chain
        .deposit(&f, &large, &large_ata, 2_000_000_000_000)
        .await
        .unwrap();
    let s0 = chain.depositor_state(&f, &small.pubkey()).await.shares;
    let l0 = chain.depositor_state(&f, &large.pubkey()).await.shares;

    chain.warp_seconds(YEAR).await;
    let out = chain.crystallize(&f, &small.pubkey()).await.unwrap();
    let ev = &out.events::<ManagementFeeCharged>()[0];
    assert_eq!(ev.rate_bps, 200);
    assert_eq!(ev.fee_shares, s0 / 50);
    let out = chain.crystallize(&f, &large.pubkey()).await.unwrap();
    let ev = &out.events::<ManagementFeeCharged>()[0];
    assert_eq!(ev.rate_bps, 175);
    assert_eq!(ev.fee_shares, (l0 as u128 * 175 / 10_000) as u64);
    let v = chain.vault_state(&f).await;
    assert_eq!(v.fee_shares, s0 / 50 + (l0 as u128 * 175 / 10_000) as u64);
}

#[tokio::test]
async fn management_fee_dust_carries_forward_instead_of_rounding_away() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1).await;
    chain.deposit(&f, &alice, &ata, 1).await.unwrap();
    let shares = chain.depositor_state(&f, &alice.pubkey()).await.shares;
    assert_eq!(shares, 1_000); // one base unit buys 1,000 shares at the seed price
                               // 2% of 1,000 shares is 20 shares a year: one share every 1/20 year.
    let paid_until = chain
        .depositor_state(&f, &alice.pubkey())
        .await
        .management_fee_paid_until;
    for _ in 0..9 {
        chain.warp_seconds(YEAR / 200).await; // a tenth of a share each time
        chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    }
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(d.shares, shares, "no whole share owed yet");
    assert_eq!(
        d.management_fee_paid_until, paid_until,
        "the clock did not move"
    );
    chain.warp_seconds(YEAR / 200).await;
    chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    assert_eq!(
        chain.depositor_state(&f, &alice.pubkey()).await.shares,
        shares - 1
    );
}

#[tokio::test]
async fn performance_fee_is_charged_on_profit_above_the_net_high_water_mark() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            for t in p.tiers.as_mut().unwrap() {
                t.management_fee_bps = 0;
            }
        })
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 10_000_000).await;
    chain.deposit(&f, &alice, &ata, 10_000_000).await.unwrap();
    let v = chain.vault_state(&f).await;
    // The fund gains 50%.
    chain.set_nav(&f, v.idle_assets * 3 / 2).await;
    let out = chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    let ev = &out.events::<PerformanceFeeCrystallized>()[0];
    assert_eq!(ev.rate_bps, 2_000);
    assert_eq!(ev.high_water_mark_before, 10_000_000);
    assert!(
        ev.profit >= 4_999_990 && ev.profit <= 5_000_000,
        "profit {}",
        ev.profit
    );
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    let v = chain.vault_state(&f).await;
    let fee_value = v
        .share_price()
        .assets_for_shares_floor(v.fee_shares)
        .unwrap();
    assert!(
        fee_value <= ev.profit / 5 && fee_value + 2 >= ev.profit / 5,
        "fee worth {fee_value}"
    );
    // The new mark is the value the investor kept, net of the fee.
    let kept = v.share_price().assets_for_shares_floor(d.shares).unwrap();
    assert_eq!(d.high_water_mark, kept);
    assert!(kept < ev.value_before);

    // The fund loses 10% and recovers to the previous peak: no fee until above the mark.
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets * 9 / 10).await;
    chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    chain.set_nav(&f, v.idle_assets).await;
    let out = chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    assert!(out.events::<PerformanceFeeCrystallized>().is_empty());
    assert_eq!(
        chain.depositor_state(&f, &alice.pubkey()).await.shares,
        d.shares
    );
}

#[tokio::test]
async fn withdrawal_request_crystallizes_regardless_of_the_period() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.crystallization_period_seconds = 90 * DAY as u64
        })
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 10_000_000).await;
    chain.deposit(&f, &alice, &ata, 10_000_000).await.unwrap();
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets * 2).await;
    assert_error(
        &chain.crystallize(&f, &alice.pubkey()).await,
        VaultError::CrystallizationTooEarly,
    );
    let out = chain
        .request_withdraw(&f, &alice, WithdrawAmount::All)
        .await
        .unwrap();
    assert_eq!(out.events::<PerformanceFeeCrystallized>().len(), 1);
    // After the period the crank works.
    let (bob, bob_ata) = chain.investor(&f.keys.base_mint, 1_000_000).await;
    chain.deposit(&f, &bob, &bob_ata, 1_000_000).await.unwrap();
    chain.warp_seconds(90 * DAY - 1).await;
    assert_error(
        &chain.crystallize(&f, &bob.pubkey()).await,
        VaultError::CrystallizationTooEarly,
    );
    chain.warp_seconds(1).await;
    chain.crystallize(&f, &bob.pubkey()).await.unwrap();
}

#[tokio::test]
async fn fees_are_collected_only_to_the_fee_recipient() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let recipient_ata = chain
        .token_account(&f.keys.base_mint, &f.fee_recipient.pubkey())
        .await;
    let collect = vault::client::collect_fees(&f.keys, &recipient_ata);
    assert_error(
        &chain.send(std::slice::from_ref(&collect), &[]).await,
        VaultError::NoFeesToCollect,
    );

    let (alice, ata) = chain.investor(&f.keys.base_mint, 100_000_000).await;
    chain.deposit(&f, &alice, &ata, 100_000_000).await.unwrap();
    chain.warp_seconds(YEAR).await;
    chain.crystallize(&f, &alice.pubkey()).await.unwrap();
    let v = chain.vault_state(&f).await;
    assert!(v.fee_shares > 0);

    // Anyone may crank, but only to the recipient's account.
    let (_mallory, mallory_ata) = chain.investor(&f.keys.base_mint, 0).await;
    let wrong = vault::client::collect_fees(&f.keys, &mallory_ata);
    assert_error(
        &chain.send(&[wrong], &[]).await,
        VaultError::WrongTokenAccountOwner,
    );

    let expected = v
        .share_price()
        .assets_for_shares_floor(v.fee_shares)
        .unwrap();
    let out = chain
        .send(std::slice::from_ref(&collect), &[])
        .await
        .unwrap();
    let ev = &out.events::<FeesCollected>()[0];
    assert_eq!(ev.paid, expected);
    assert!(
        (1_999_000..=2_000_000).contains(&expected),
        "2% of 100,000,000: {expected}"
    );
    assert_eq!(chain.balance(&recipient_ata).await, expected);
    let after = chain.vault_state(&f).await;
    assert_eq!(after.fee_shares, 0);
    assert_eq!(after.total_shares, v.total_shares - v.fee_shares);
    assert_eq!(after.idle_assets, v.idle_assets - expected);
    assert_eq!(chain.vault_balance(&f).await, after.idle_assets);
    assert_eq!(after.total_fees_collected, expected as u128);
    assert_error(
        &chain.send(&[collect], &[]).await,
        VaultError::NoFeesToCollect,
    );

    // Wrong mint for the recipient account.
    let other = chain.create_mint(TokenProgram::Spl, 6, &[]).await;
    let other_ata = chain.token_account(&other, &f.fee_recipient.pubkey()).await;
    let bad = vault::client::collect_fees(&f.keys, &other_ata);
    assert_error(
        &chain.send(&[bad], &[]).await,
        AnchorError::ConstraintTokenMint,
    );
}

#[tokio::test]
async fn crystallize_needs_an_existing_position() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let out = chain
        .crystallize(&f, &solana_sdk::pubkey::Pubkey::new_unique())
        .await;
    assert_error(&out, AnchorError::AccountNotInitialized);
}
