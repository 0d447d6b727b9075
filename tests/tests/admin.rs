//! `update_config` and `set_admin`: the admin seam that governance will take over.

use anchor_lang::error::ErrorCode as AnchorError;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::constants::*;
use vault::error::VaultError;
use vault::events::{AdminChanged, ConfigUpdated};
use vault::state::{ConfigChange, InvestorTier};

#[tokio::test]
async fn every_config_change_takes_effect_and_is_reported() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let keeper = Pubkey::new_unique();
    let recipient = Pubkey::new_unique();
    let tiers = vec![InvestorTier {
        min_deposit: 10,
        max_deposit: 1_000,
        management_fee_bps: 100,
        performance_fee_bps: 1_000,
    }];
    let changes = vec![
        ConfigChange::Keeper(keeper),
        ConfigChange::FeeRecipient(recipient),
        ConfigChange::LockupSeconds(12),
        ConfigChange::NoticeSeconds(34),
        ConfigChange::CrystallizationPeriodSeconds(56),
        ConfigChange::MinDeposit(78),
        ConfigChange::MaxAum(9_000_000),
        ConfigChange::DepositsPaused(true),
        ConfigChange::TradingPaused(true),
        ConfigChange::Tiers(tiers.clone()),
    ];
    for change in changes {
        let before = chain.vault_state(&f).await.config;
        let out = chain.update_config(&f, change.clone()).await.unwrap();
        let after = chain.vault_state(&f).await.config;
        assert_ne!(before, after, "{change:?} changed nothing");
        let ev = &out.events::<ConfigUpdated>()[0];
        assert_eq!(ev.change, change);
        assert_eq!(ev.before, before);
        assert_eq!(ev.after, after);
        assert_eq!(ev.authority, f.admin.pubkey());
    }
    let c = chain.vault_state(&f).await.config;
    assert_eq!(c.keeper, keeper);
    assert_eq!(c.fee_recipient, recipient);
    assert_eq!(
        (
            c.lockup_seconds,
            c.notice_seconds,
            c.crystallization_period_seconds
        ),
        (12, 34, 56)
    );
    assert_eq!((c.min_deposit, c.max_aum), (78, 9_000_000));
    assert!(c.deposits_paused && c.trading_paused);
    assert_eq!(c.tiers, tiers);
}

#[tokio::test]
async fn invalid_configurations_are_refused_with_their_reason() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let cases = [
        (
            ConfigChange::LockupSeconds(MAX_LOCKUP_SECONDS + 1),
            VaultError::LockupTooLong,
        ),
        (
            ConfigChange::NoticeSeconds(MAX_NOTICE_SECONDS + 1),
            VaultError::NoticeTooLong,
        ),
        (
            ConfigChange::CrystallizationPeriodSeconds(MAX_CRYSTALLIZATION_PERIOD_SECONDS + 1),
            VaultError::CrystallizationPeriodTooLong,
        ),
        (ConfigChange::MinDeposit(0), VaultError::InvalidMinDeposit),
        (ConfigChange::MaxAum(0), VaultError::InvalidAumCap),
        (ConfigChange::Tiers(vec![]), VaultError::InvalidTiers),
        (
            ConfigChange::Tiers(vec![InvestorTier {
                min_deposit: 0,
                max_deposit: 1,
                management_fee_bps: MAX_MANAGEMENT_FEE_BPS + 1,
                performance_fee_bps: 0,
            }]),
            VaultError::FeeRateTooHigh,
        ),
    ];
    let before = chain.vault_state(&f).await.config;
    for (change, err) in cases {
        assert_error(&chain.update_config(&f, change).await, err);
    }
    assert_eq!(chain.vault_state(&f).await.config, before);
}

#[tokio::test]
async fn only_the_admin_configures() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let mallory = Keypair::new();
    let ix = vault::client::update_config(&f.keys, &mallory.pubkey(), ConfigChange::MinDeposit(5));
    assert_error(&chain.send(&[ix], &[&mallory]).await, VaultError::NotAdmin);
    let ix = vault::client::set_admin(&f.keys, &mallory.pubkey(), mallory.pubkey());
    assert_error(&chain.send(&[ix], &[&mallory]).await, VaultError::NotAdmin);
    // The keeper is not an admin either.
    let ix = vault::client::update_config(&f.keys, &f.keeper.pubkey(), ConfigChange::MinDeposit(5));
    assert_error(&chain.send(&[ix], &[&f.keeper]).await, VaultError::NotAdmin);
    // Unsigned.
    let mut ix =
        vault::client::update_config(&f.keys, &f.admin.pubkey(), ConfigChange::MinDeposit(5));
    ix.accounts[0].is_signer = false;
    assert_error(&chain.send(&[ix], &[]).await, AnchorError::AccountNotSigner);
}

#[tokio::test]
async fn admin_hand_over() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let next = Keypair::new();
    let ix = vault::client::set_admin(&f.keys, &f.admin.pubkey(), Pubkey::default());
    assert_error(
        &chain.send(&[ix], &[&f.admin]).await,
        VaultError::InvalidAdmin,
    );
    let ix = vault::client::set_admin(&f.keys, &f.admin.pubkey(), f.admin.pubkey());
    assert_error(
        &chain.send(&[ix], &[&f.admin]).await,
        VaultError::InvalidAdmin,
    );
    let ix = vault::client::set_admin(&f.keys, &f.admin.pubkey(), next.pubkey());
    let out = chain.send(&[ix], &[&f.admin]).await.unwrap();
    let ev = &out.events::<AdminChanged>()[0];
    assert_eq!((ev.before, ev.after), (f.admin.pubkey(), next.pubkey()));
    assert_eq!(chain.vault_state(&f).await.admin, next.pubkey());
    // The old admin is out; the new one is in.
    assert_error(
        &chain.update_config(&f, ConfigChange::MinDeposit(5)).await,
        VaultError::NotAdmin,
    );
    let ix = vault::client::update_config(&f.keys, &next.pubkey(), ConfigChange::MinDeposit(5));
    chain.send(&[ix], &[&next]).await.unwrap();
}
