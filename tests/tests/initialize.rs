//! `initialize_vault`: every accepted base mint and every refusal, with the exact error.

use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use vault::constants::*;
use vault::error::VaultError;
use vault::events::VaultInitialized;
use vault::state::InvestorTier;

fn spec(token_program: TokenProgram, decimals: u8, extensions: Vec<MintExtension>) -> VaultSpec {
    VaultSpec {
        token_program,
        decimals,
        extensions,
    }
}

#[tokio::test]
async fn creates_a_vault_with_dead_seed_shares() {
    let mut chain = TestChain::start().await;
    let (f, out) = chain.try_create_vault(VaultSpec::default(), |_| {}).await;
    let out = out.unwrap();
    let v = chain.vault_state(&f).await;
    assert_eq!(v.governance, f.keys.governance());
    let g = chain.governance_state(&f).await;
    assert_eq!(g.vault, f.keys.vault);
    assert_eq!(g.members[0].key, f.governor.pubkey());
    assert!(g.members[1].guardian);
    assert_eq!((g.threshold, g.proposal_index, g.stale_index), (1, 0, 0));
    let allowlist: vault::state::Allowlist = chain.anchor_account(&f.keys.allowlist()).await;
    assert!(
        allowlist.venues.is_empty() && allowlist.pools.is_empty() && allowlist.mints.is_empty()
    );
    assert_eq!(v.risk, vault::state::RiskLimits::seed_default(6).unwrap());
    assert!(!v.breaker.tripped);
    // One base unit buys 1,000 shares: the price is a thousandth of a unit per share.
    assert_eq!(
        v.breaker.day_start_price,
        vault::constants::PRICE_SCALE / 1_000
    );
    assert_eq!(v.breaker.price_high_water, v.breaker.day_start_price);
    assert_eq!(v.config.keeper, f.keeper.pubkey());
    assert_eq!(v.config.fee_recipient, f.fee_recipient.pubkey());
    assert_eq!(v.base_mint, f.keys.base_mint);
    assert_eq!(v.base_decimals, 6);
    assert_eq!(v.token_account, f.keys.token_account);
    assert_eq!(v.idle_assets, TEST_SEED_ASSETS);
    assert_eq!(v.dead_shares, TEST_SEED_ASSETS * VIRTUAL_SHARES);
    assert_eq!(v.total_shares, v.dead_shares);
    assert_eq!(chain.vault_balance(&f).await, TEST_SEED_ASSETS);
    // The vault PDA owns its token account.
    let data = chain.account_data(&f.keys.token_account).await;
    assert_eq!(&data[32..64], f.keys.vault.as_ref());
    let ev: Vec<VaultInitialized> = out.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].dead_shares, v.dead_shares);
    assert_eq!(ev[0].config, v.config);
}

#[tokio::test]
async fn default_tiers_are_the_seed_tiers_scaled_to_decimals() {
    let mut chain = TestChain::start().await;
    for decimals in [0u8, 6, 9] {
        let (f, out) = chain
            .try_create_vault(spec(TokenProgram::Spl, decimals, vec![]), |p| {
                p.tiers = None
            })
            .await;
        out.unwrap();
        let v = chain.vault_state(&f).await;
        let unit = 10u64.pow(decimals as u32);
        assert_eq!(
            v.config.tiers,
            vec![
                InvestorTier {
                    min_deposit: 100_000 * unit,
                    max_deposit: 1_000_000 * unit,
                    management_fee_bps: 200,
                    performance_fee_bps: 2_000
                },
                InvestorTier {
                    min_deposit: 1_000_000 * unit,
                    max_deposit: 10_000_000 * unit,
                    management_fee_bps: 175,
                    performance_fee_bps: 1_750
                },
                InvestorTier {
                    min_deposit: 10_000_000 * unit,
                    max_deposit: 50_000_000 * unit,
                    management_fee_bps: 150,
                    performance_fee_bps: 1_500
                },
            ]
        );
    }
}

#[tokio::test]
async fn default_tiers_overflow_on_huge_decimals() {
    let mut chain = TestChain::start().await;
    let (_, out) = chain
        .try_create_vault(spec(TokenProgram::Spl, 12, vec![]), |p| p.tiers = None)
        .await;
    assert_error(&out, VaultError::MathOverflow);
}

#[tokio::test]
async fn token_2022_base_mints_without_harmful_extensions_are_accepted() {
    let mut chain = TestChain::start().await;
    for extensions in [vec![], vec![MintExtension::MintCloseAuthority]] {
        let (f, out) = chain
            .try_create_vault(spec(TokenProgram::Token2022, 9, extensions), |_| {})
            .await;
        out.unwrap();
        let v = chain.vault_state(&f).await;
        assert_eq!(v.base_token_program, TokenProgram::Token2022.id());
        assert_eq!(chain.vault_balance(&f).await, TEST_SEED_ASSETS);
    }
}

#[tokio::test]
async fn each_accounting_breaking_extension_is_refused() {
    let mut chain = TestChain::start().await;
    for ext in [
        MintExtension::TransferFee { bps: 0, max: 0 },
        MintExtension::TransferFee {
            bps: 100,
            max: 1_000_000,
        },
        MintExtension::TransferHook,
        MintExtension::PermanentDelegate,
        MintExtension::DefaultFrozen,
        MintExtension::NonTransferable,
        MintExtension::Pausable,
    ] {
        let mint = chain.create_mint(TokenProgram::Token2022, 6, &[ext]).await;
        // The creator cannot even hold frozen or hooked tokens in some cases; the vault must
        // refuse before any of that matters, so build the instruction by hand.
        let creator = chain.funded_keypair(10_000_000_000).await;
        let params = test_params(
            creator.pubkey(),
            Pubkey::new_unique(),
            creator.pubkey(),
            creator.pubkey(),
        );
        let creator_ata = chain.token_account(&mint, &creator.pubkey()).await;
        let ix = vault::client::initialize_vault(
            &creator.pubkey(),
            &mint,
            &TokenProgram::Token2022.id(),
            &creator_ata,
            params,
        );
        let out = chain.send(&[ix], &[&creator]).await;
        assert_error(&out, VaultError::UnsupportedMintExtension);
        assert!(
            out.logs.iter().any(|l| l.contains("base mint carries the")),
            "{ext:?}: the log names the extension"
        );
    }
}

#[tokio::test]
async fn seed_below_minimum_is_refused() {
    let mut chain = TestChain::start().await;
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.seed_assets = MIN_SEED_ASSETS - 1
        })
        .await;
    assert_error(&out, VaultError::SeedTooSmall);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| p.seed_assets = MIN_SEED_ASSETS)
        .await;
    out.unwrap();
}

#[tokio::test]
async fn invalid_governance_is_refused() {
    use vault::state::{Member, PERMISSION_ALL, PERMISSION_VOTE};
    let mut chain = TestChain::start().await;
    type Edit = Box<dyn FnOnce(&mut vault::instructions::GovernanceParams)>;
    let cases: Vec<(Edit, VaultError)> = vec![
        (Box::new(|g| g.members.clear()), VaultError::InvalidMembers),
        (Box::new(|g| g.threshold = 0), VaultError::InvalidThreshold),
        (Box::new(|g| g.threshold = 2), VaultError::InvalidThreshold),
        (
            Box::new(|g| {
                let first = g.members[0];
                g.members.push(first)
            }),
            VaultError::DuplicateMember,
        ),
        (
            Box::new(|g| {
                g.members = vec![Member {
                    key: solana_sdk::pubkey::Pubkey::new_unique(),
                    permissions: PERMISSION_VOTE,
                    guardian: false,
                }]
            }),
            VaultError::InvalidMembers,
        ),
        (
            Box::new(|g| {
                g.members = (0..=MAX_MEMBERS)
                    .map(|_| Member {
                        key: solana_sdk::pubkey::Pubkey::new_unique(),
                        permissions: PERMISSION_ALL,
                        guardian: false,
                    })
                    .collect()
            }),
            VaultError::InvalidMembers,
        ),
        (
            Box::new(|g| g.timelock_seconds = MAX_TIMELOCK_SECONDS + 1),
            VaultError::TimelockTooLong,
        ),
        (
            Box::new(|g| g.proposal_lifetime_seconds = MAX_PROPOSAL_LIFETIME_SECONDS + 1),
            VaultError::InvalidProposalLifetime,
        ),
    ];
    for (edit, err) in cases {
        let (_, out) = chain
            .try_create_vault(VaultSpec::default(), |p| edit(&mut p.governance))
            .await;
        assert_error(&out, err);
    }
}

#[tokio::test]
async fn invalid_risk_limits_are_refused() {
    let mut chain = TestChain::start().await;
    let mut r = vault::state::RiskLimits::seed_default(6).unwrap();
    r.min_health_factor_bps = MIN_HEALTH_FACTOR_FLOOR_BPS - 1;
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| p.risk_limits = Some(r))
        .await;
    assert_error(&out, VaultError::HealthFactorFloor);
    let mut r = vault::state::RiskLimits::seed_default(6).unwrap();
    r.bands[0].max_leverage_bps = MAX_LEVERAGE_BPS + 1;
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| p.risk_limits = Some(r))
        .await;
    assert_error(&out, VaultError::InvalidRiskLimits);
}

#[tokio::test]
async fn fee_rates_above_ceilings_are_refused() {
    let mut chain = TestChain::start().await;
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.tiers.as_mut().unwrap()[1].management_fee_bps = MAX_MANAGEMENT_FEE_BPS + 1
        })
        .await;
    assert_error(&out, VaultError::FeeRateTooHigh);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.tiers.as_mut().unwrap()[0].performance_fee_bps = MAX_PERFORMANCE_FEE_BPS + 1
        })
        .await;
    assert_error(&out, VaultError::FeeRateTooHigh);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            let t = &mut p.tiers.as_mut().unwrap()[0];
            t.management_fee_bps = MAX_MANAGEMENT_FEE_BPS;
            t.performance_fee_bps = MAX_PERFORMANCE_FEE_BPS;
        })
        .await;
    out.unwrap();
}

#[tokio::test]
async fn malformed_tier_tables_are_refused() {
    let mut chain = TestChain::start().await;
    type Edit = Box<dyn FnOnce(&mut Vec<InvestorTier>)>;
    let cases: Vec<Edit> = vec![
        Box::new(|t| t.clear()),
        Box::new(|t| t[1].min_deposit += 1),
        Box::new(|t| t[0].max_deposit = t[0].min_deposit),
        Box::new(|t| {
            let last = *t.last().unwrap();
            t.resize(MAX_TIERS + 1, last)
        }),
    ];
    for edit in cases {
        let (_, out) = chain
            .try_create_vault(VaultSpec::default(), |p| edit(p.tiers.as_mut().unwrap()))
            .await;
        assert_error(&out, VaultError::InvalidTiers);
    }
}

#[tokio::test]
async fn periods_and_limits_out_of_bounds_are_refused() {
    let mut chain = TestChain::start().await;
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.lockup_seconds = MAX_LOCKUP_SECONDS + 1
        })
        .await;
    assert_error(&out, VaultError::LockupTooLong);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.notice_seconds = MAX_NOTICE_SECONDS + 1
        })
        .await;
    assert_error(&out, VaultError::NoticeTooLong);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.crystallization_period_seconds = MAX_CRYSTALLIZATION_PERIOD_SECONDS + 1
        })
        .await;
    assert_error(&out, VaultError::CrystallizationPeriodTooLong);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| p.max_aum = 0)
        .await;
    assert_error(&out, VaultError::InvalidAumCap);
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| p.min_deposit = 0)
        .await;
    assert_error(&out, VaultError::InvalidMinDeposit);
    // The bounds themselves are allowed.
    let (_, out) = chain
        .try_create_vault(VaultSpec::default(), |p| {
            p.lockup_seconds = MAX_LOCKUP_SECONDS;
            p.notice_seconds = MAX_NOTICE_SECONDS;
            p.crystallization_period_seconds = MAX_CRYSTALLIZATION_PERIOD_SECONDS;
        })
        .await;
    out.unwrap();
}

#[tokio::test]
async fn the_same_vault_cannot_be_created_twice() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let creator_ata = chain
        .token_account(&f.keys.base_mint, &f.creator.pubkey())
        .await;
    chain
        .mint_to(&f.keys.base_mint, &creator_ata, TEST_SEED_ASSETS)
        .await;
    let params = test_params(
        f.governor.pubkey(),
        f.guardian.pubkey(),
        f.keeper.pubkey(),
        f.fee_recipient.pubkey(),
    );
    let ix = vault::client::initialize_vault(
        &f.creator.pubkey(),
        &f.keys.base_mint,
        &f.keys.base_token_program,
        &creator_ata,
        params.clone(),
    );
    let out = chain.send(&[ix], &[&f.creator]).await;
    assert!(out.result.is_err(), "re-initialization must fail");
    // A different id gives a different vault.
    let mut params = params;
    params.vault_id = 1;
    let ix = vault::client::initialize_vault(
        &f.creator.pubkey(),
        &f.keys.base_mint,
        &f.keys.base_token_program,
        &creator_ata,
        params,
    );
    chain.send(&[ix], &[&f.creator]).await.unwrap();
}

#[tokio::test]
async fn a_mint_passed_with_the_wrong_token_program_is_refused() {
    let mut chain = TestChain::start().await;
    let mint = chain.create_mint(TokenProgram::Spl, 6, &[]).await;
    let (_, out) = chain
        .try_create_vault_on(mint, TokenProgram::Token2022, |_| {})
        .await;
    // The declared token program does not own the mint: the runtime refuses the CPI.
    assert_instruction_error(&out, RuntimeError::IncorrectProgramId);
}
