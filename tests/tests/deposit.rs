//! `deposit`: share pricing, position bookkeeping and every refusal.

use anchor_lang::error::ErrorCode as AnchorError;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::Signer;
use vault::error::VaultError;
use vault::events::Deposited;
use vault::state::{GovernanceAction, InvestorTier};

#[tokio::test]
async fn first_deposit_opens_the_position_and_mints_shares_at_nav() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 5_000_000).await;
    assert!(
        !chain
            .account_exists(&f.keys.depositor(&alice.pubkey()))
            .await
    );

    let before = chain.vault_state(&f).await;
    let now = chain.now().await;
    let out = chain.deposit(&f, &alice, &ata, 2_000_000).await.unwrap();
    let after = chain.vault_state(&f).await;
    let d = chain.depositor_state(&f, &alice.pubkey()).await;

    // shares = floor(amount * (S + 1000) / (A + 1))
    let expected = (2_000_000u128 * (before.total_shares as u128 + 1_000)
        / (before.idle_assets as u128 + 1)) as u64;
    assert_eq!(d.shares, expected);
    assert_eq!(d.owner, alice.pubkey());
    assert_eq!(d.vault, f.keys.vault);
    assert_eq!(d.net_deposits, 2_000_000);
    assert_eq!(d.high_water_mark, 2_000_000);
    assert_eq!(d.total_deposited, 2_000_000);
    assert_eq!(d.lockup_start, now);
    assert_eq!(d.lockup_end, now + 30 * DAY);
    assert_eq!(after.idle_assets, before.idle_assets + 2_000_000);
    assert_eq!(after.total_shares, before.total_shares + expected);
    assert_eq!(after.depositor_count, 1);
    assert_eq!(chain.balance(&ata).await, 3_000_000);
    assert_eq!(chain.vault_balance(&f).await, after.idle_assets);

    let ev: Vec<Deposited> = out.events();
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!((e.amount, e.shares_minted), (2_000_000, expected));
    assert_eq!(
        (e.investor_shares_before, e.investor_shares_after),
        (0, expected)
    );
    assert_eq!(
        (e.total_assets_before, e.total_assets_after),
        (before.idle_assets, after.idle_assets)
    );
    assert_eq!(
        (e.total_shares_before, e.total_shares_after),
        (before.total_shares, after.total_shares)
    );
}

#[tokio::test]
async fn a_top_up_adds_shares_and_relocks_the_whole_position() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 5_000_000).await;
    chain.deposit(&f, &alice, &ata, 1_000_000).await.unwrap();
    let first = chain.depositor_state(&f, &alice.pubkey()).await;
    chain.warp_seconds(10 * DAY).await;
    let now = chain.now().await;
    chain.deposit(&f, &alice, &ata, 1_000_000).await.unwrap();
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert!(d.shares > first.shares);
    assert_eq!(d.net_deposits, 2_000_000);
    assert_eq!((d.lockup_start, d.lockup_end), (now, now + 30 * DAY));
    assert_eq!(chain.vault_state(&f).await.depositor_count, 1);
}

#[tokio::test]
async fn tokens_sent_to_the_vault_without_a_deposit_are_not_counted() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (donor, donor_ata) = chain.investor(&f.keys.base_mint, 9_000_000).await;
    chain
        .transfer_tokens(
            &f.keys.base_mint,
            &donor_ata,
            &f.keys.token_account,
            &donor,
            9_000_000,
        )
        .await
        .unwrap();
    let v = chain.vault_state(&f).await;
    assert_eq!(v.idle_assets, TEST_SEED_ASSETS);
    assert_eq!(chain.vault_balance(&f).await, TEST_SEED_ASSETS + 9_000_000);
    // The share price is unchanged: a deposit gets the same shares as before the donation.
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000_000).await;
    let out = chain.deposit(&f, &alice, &ata, 1_000_000).await.unwrap();
    let expected =
        (1_000_000u128 * (v.total_shares as u128 + 1_000) / (v.idle_assets as u128 + 1)) as u64;
    assert_eq!(out.events::<Deposited>()[0].shares_minted, expected);
}

#[tokio::test]
async fn deposits_work_with_token_2022_and_extreme_decimals() {
    for (program, decimals) in [
        (TokenProgram::Token2022, 6),
        (TokenProgram::Spl, 0),
        (TokenProgram::Spl, 9),
        (TokenProgram::Token2022, 0),
        (TokenProgram::Token2022, 9),
    ] {
        let mut chain = TestChain::start().await;
        let f = chain
            .create_vault(
                VaultSpec {
                    token_program: program,
                    decimals,
                    extensions: vec![],
                },
                |_| {},
            )
            .await;
        let (alice, ata) = chain.investor(&f.keys.base_mint, 7).await;
        chain.deposit(&f, &alice, &ata, 7).await.unwrap();
        let d = chain.depositor_state(&f, &alice.pubkey()).await;
        assert!(d.shares > 0, "{program:?}/{decimals}");
        assert_eq!(chain.vault_balance(&f).await, TEST_SEED_ASSETS + 7);
    }
}

#[tokio::test]
async fn zero_deposit_is_refused() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 10).await;
    let out = chain.deposit(&f, &alice, &ata, 0).await;
    assert_error(&out, VaultError::ZeroAmount);
}

#[tokio::test]
async fn deposits_below_the_minimum_are_refused_at_the_boundary() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| p.min_deposit = 500)
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000).await;
    assert_error(
        &chain.deposit(&f, &alice, &ata, 499).await,
        VaultError::DepositBelowMinimum,
    );
    chain.deposit(&f, &alice, &ata, 500).await.unwrap();
}

#[tokio::test]
async fn paused_deposits_are_refused() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    chain
        .govern(&f, GovernanceAction::PauseDeposits)
        .await
        .unwrap();
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000).await;
    assert_error(
        &chain.deposit(&f, &alice, &ata, 1_000).await,
        VaultError::DepositsPaused,
    );
    chain
        .govern(&f, GovernanceAction::ResumeDeposits)
        .await
        .unwrap();
    chain.deposit(&f, &alice, &ata, 1_000).await.unwrap();
}

#[tokio::test]
async fn tier_minimum_and_maximum_are_enforced_on_net_deposits() {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.tiers = Some(vec![InvestorTier {
                min_deposit: 1_000,
                max_deposit: 50_000,
                management_fee_bps: 200,
                performance_fee_bps: 2_000,
            }])
        })
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 100_000).await;
    assert_error(
        &chain.deposit(&f, &alice, &ata, 999).await,
        VaultError::BelowTierMinimum,
    );
    chain.deposit(&f, &alice, &ata, 1_000).await.unwrap();
    // Once in, top-ups of any size above the vault minimum count toward the total.
    chain.deposit(&f, &alice, &ata, 1).await.unwrap();
    assert_error(
        &chain.deposit(&f, &alice, &ata, 49_000).await,
        VaultError::AboveTierMaximum,
    );
    chain.deposit(&f, &alice, &ata, 48_999).await.unwrap();
    assert_eq!(
        chain
            .depositor_state(&f, &alice.pubkey())
            .await
            .net_deposits,
        50_000
    );
}

#[tokio::test]
async fn the_aum_cap_refuses_rather_than_clamps() {
    let mut chain = TestChain::start().await;
    let cap = TEST_SEED_ASSETS + 10_000;
    let f = chain
        .create_vault(VaultSpec::default(), |p| p.max_aum = cap)
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 20_000).await;
    let out = chain.deposit(&f, &alice, &ata, 10_001).await;
    assert_error(&out, VaultError::AumCapExceeded);
    assert!(out
        .logs
        .iter()
        .any(|l| l.contains("at most 10000 more base units")));
    assert_eq!(chain.balance(&ata).await, 20_000, "nothing moved");
    chain.deposit(&f, &alice, &ata, 10_000).await.unwrap();
    assert_eq!(chain.vault_state(&f).await.total_assets(), cap);
    assert_error(
        &chain.deposit(&f, &alice, &ata, 1).await,
        VaultError::AumCapExceeded,
    );
}

#[tokio::test]
async fn u64_extremes_error_cleanly() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 10).await;
    assert_error(
        &chain.deposit(&f, &alice, &ata, u64::MAX).await,
        VaultError::MathOverflow,
    );
}

#[tokio::test]
async fn a_deposit_larger_than_the_balance_fails_in_the_token_program() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 10).await;
    let out = chain.deposit(&f, &alice, &ata, 11).await;
    // SPL Token's InsufficientFunds.
    assert_eq!(out.custom_error(), Some(1));
    assert!(
        !chain
            .account_exists(&f.keys.depositor(&alice.pubkey()))
            .await,
        "nothing persisted"
    );
}

#[tokio::test]
async fn foreign_accounts_are_refused() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000).await;

    // An investor token account of another mint.
    let other_mint = chain.create_mint(TokenProgram::Spl, 6, &[]).await;
    let other_ata = chain.token_account(&other_mint, &alice.pubkey()).await;
    chain.mint_to(&other_mint, &other_ata, 1_000).await;
    let out = chain.deposit(&f, &alice, &other_ata, 1_000).await;
    assert_error(&out, AnchorError::ConstraintTokenMint);

    // Someone else's token account.
    let (_bob, bob_ata) = chain.investor(&f.keys.base_mint, 1_000).await;
    let out = chain.deposit(&f, &alice, &bob_ata, 1_000).await;
    assert_error(&out, AnchorError::ConstraintTokenOwner);

    // A vault token account that is not the vault's.
    let mut keys = f.keys;
    keys.token_account = bob_ata;
    let ix = vault::client::deposit(&keys, &alice.pubkey(), &ata, 1_000);
    let out = chain.send(&[ix], &[&alice]).await;
    assert_error(&out, AnchorError::ConstraintAddress);

    // A base mint that is not the vault's.
    let mut keys = f.keys;
    keys.base_mint = other_mint;
    let ix = vault::client::deposit(&keys, &alice.pubkey(), &other_ata, 1_000);
    let out = chain.send(&[ix], &[&alice]).await;
    assert_error(&out, AnchorError::ConstraintHasOne);

    // A position address for a different investor.
    let mut ix = vault::client::deposit(&f.keys, &alice.pubkey(), &ata, 1_000);
    ix.accounts[2].pubkey = f.keys.depositor(&_bob.pubkey());
    let out = chain.send(&[ix], &[&alice]).await;
    assert_error(&out, AnchorError::ConstraintSeeds);

    // The wrong token program.
    let mut keys = f.keys;
    keys.base_token_program = TokenProgram::Token2022.id();
    let ix = vault::client::deposit(&keys, &alice.pubkey(), &ata, 1_000);
    let out = chain.send(&[ix], &[&alice]).await;
    assert_error(&out, AnchorError::ConstraintTokenTokenProgram);
}

#[tokio::test]
async fn first_deposit_requires_the_investor_signature() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 1_000).await;
    let mut ix = vault::client::deposit(&f.keys, &alice.pubkey(), &ata, 1_000);
    ix.accounts[0].is_signer = false;
    let out = chain.send(&[ix], &[]).await;
    assert_error(&out, AnchorError::AccountNotSigner);
}

#[tokio::test]
async fn books_not_covered_by_the_token_balance_stop_every_transfer() {
    // Only a bug (or a token program misbehaving) could leave the vault's balance below its
    // books; if it ever happens, deposits and payouts stop instead of compounding the hole.
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.lockup_seconds = 0;
            p.notice_seconds = 0;
        })
        .await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 2_000).await;
    chain.deposit(&f, &alice, &ata, 1_000).await.unwrap();
    chain
        .request_withdraw(&f, &alice, vault::state::WithdrawAmount::All)
        .await
        .unwrap();
    let v = chain.vault_state(&f).await;
    chain
        .rewrite_token_amount(&f.keys.token_account, v.idle_assets - 2)
        .await;
    assert_error(
        &chain.deposit(&f, &alice, &ata, 1).await,
        VaultError::AccountingMismatch,
    );
    chain.warp_seconds(1).await;
    assert_error(
        &chain.withdraw(&f, &alice, &ata).await,
        VaultError::AccountingMismatch,
    );
}
