use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, VaultInitialized};
use crate::math::shares::SharePrice;
use crate::state::{
    default_tiers, Allowlist, BreakerState, Flight, Governance, InvestorTier, Member, RiskLimits,
    Vault, VaultConfig,
};
use crate::token::{check_base_mint, transfer_exact};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// Parameters of a new vault.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeVaultParams {
    /// Creator-chosen number that, with the creator, fixes the vault's address.
    pub vault_id: u64,
    /// The multisig that will own every privileged change.
    pub governance: GovernanceParams,
    /// Trading hot key.
    pub keeper: Pubkey,
    /// Owner of the account that receives collected fees.
    pub fee_recipient: Pubkey,
    /// Base units the creator deposits for dead shares; at least `MIN_SEED_ASSETS`.
    pub seed_assets: u64,
    pub lockup_seconds: u64,
    pub notice_seconds: u64,
    pub crystallization_period_seconds: u64,
    /// Wait after a redemption matured before anyone may sell positions to pay it.
    pub redemption_grace_seconds: u64,
    pub min_deposit: u64,
    pub max_aum: u64,
    /// Investor tiers; `None` takes the seed tiers scaled to the mint's decimals.
    pub tiers: Option<Vec<InvestorTier>>,
    /// Trading limits; `None` takes the seed defaults scaled to the mint's decimals.
    pub risk_limits: Option<RiskLimits>,
}

/// The first members and rules of a vault's governance.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct GovernanceParams {
    pub members: Vec<Member>,
    pub threshold: u8,
    pub timelock_seconds: u64,
    pub proposal_lifetime_seconds: u64,
}

#[derive(Accounts)]
#[instruction(params: InitializeVaultParams)]
pub struct InitializeVault<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,

    #[account(
        init,
        payer = creator,
        space = 8 + Vault::INIT_SPACE,
        seeds = [VAULT_SEED, creator.key().as_ref(), &params.vault_id.to_le_bytes()],
        bump,
    )]
    pub vault: Box<Account<'info, Vault>>,

    #[account(
        init,
        payer = creator,
        space = 8 + Governance::INIT_SPACE,
        seeds = [GOVERNANCE_SEED, vault.key().as_ref()],
        bump,
    )]
    pub governance: Box<Account<'info, Governance>>,

    #[account(
        init,
        payer = creator,
        space = 8 + Allowlist::INIT_SPACE,
        seeds = [ALLOWLIST_SEED, vault.key().as_ref()],
        bump,
    )]
    pub allowlist: Box<Account<'info, Allowlist>>,

    #[account(mint::token_program = base_token_program)]
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init,
        payer = creator,
        seeds = [VAULT_TOKENS_SEED, vault.key().as_ref()],
        bump,
        token::mint = base_mint,
        token::authority = vault,
        token::token_program = base_token_program,
    )]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = base_mint,
        token::authority = creator,
        token::token_program = base_token_program,
    )]
    pub creator_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl InitializeVault<'_> {
    fn validate(&self, params: &InitializeVaultParams) -> Result<()> {
        check_base_mint(&self.base_mint.to_account_info())?;
        require!(
            params.seed_assets >= MIN_SEED_ASSETS,
            VaultError::SeedTooSmall
        );
        Ok(())
    }
}

pub fn initialize_vault_handler(
    ctx: Context<InitializeVault>,
    params: InitializeVaultParams,
) -> Result<()> {
    ctx.accounts.validate(&params)?;
    let decimals = ctx.accounts.base_mint.decimals;
    let tiers = match params.tiers.clone() {
        Some(t) => t,
        None => default_tiers(decimals)?,
    };
    let config = VaultConfig {
        keeper: params.keeper,
        fee_recipient: params.fee_recipient,
        lockup_seconds: params.lockup_seconds,
        notice_seconds: params.notice_seconds,
        crystallization_period_seconds: params.crystallization_period_seconds,
        min_deposit: params.min_deposit,
        max_aum: params.max_aum,
        deposits_paused: false,
        trading_paused: false,
        redemption_grace_seconds: params.redemption_grace_seconds,
        tiers,
    };
    config.validate()?;
    let risk = match params.risk_limits {
        Some(r) => r,
        None => RiskLimits::seed_default(decimals)?,
    };
    risk.validate()?;
    let now = Clock::get()?.unix_timestamp;

    // The seed buys dead shares at the empty-vault price; they are owned by nobody.
    let dead_shares = SharePrice::new(0, 0).shares_for_assets_floor(params.seed_assets)?;
    let accounts = &mut *ctx.accounts;
    transfer_exact(
        &accounts.base_token_program,
        &accounts.base_mint,
        &accounts.creator_token_account,
        &mut accounts.vault_token_account,
        &accounts.creator.to_account_info(),
        &[],
        params.seed_assets,
    )?;

    let vault_key = accounts.vault.key();
    let governance_key = accounts.governance.key();
    let g = &params.governance;
    accounts.governance.set_inner(Governance {
        version: 1,
        bump: ctx.bumps.governance,
        vault: vault_key,
        members: g.members.clone(),
        threshold: g.threshold,
        timelock_seconds: g.timelock_seconds,
        proposal_lifetime_seconds: g.proposal_lifetime_seconds,
        proposal_index: 0,
        stale_index: 0,
    });
    accounts.governance.invariant()?;
    accounts.allowlist.set_inner(Allowlist {
        version: 1,
        bump: ctx.bumps.allowlist,
        vault: vault_key,
        venues: Vec::new(),
        pools: Vec::new(),
        mints: Vec::new(),
    });
    let vault = &mut accounts.vault;
    vault.set_inner(Vault {
        version: 1,
        bump: ctx.bumps.vault,
        token_account_bump: ctx.bumps.vault_token_account,
        creator: accounts.creator.key(),
        vault_id: params.vault_id,
        governance: governance_key,
        base_mint: accounts.base_mint.key(),
        base_token_program: accounts.base_token_program.key(),
        base_decimals: decimals,
        token_account: accounts.vault_token_account.key(),
        idle_assets: params.seed_assets,
        total_shares: dead_shares,
        dead_shares,
        fee_shares: 0,
        pending_withdraw_shares: 0,
        depositor_count: 0,
        total_deposited: 0,
        total_withdrawn: 0,
        total_fees_collected: 0,
        pending_withdraw_value: 0,
        positions_value_low: 0,
        positions_value_high: 0,
        open_positions: 0,
        total_exposure: 0,
        realized_pnl: 0,
        swap_fees_paid: 0,
        mark_round: 0,
        round_remaining: 0,
        round_started_at: now,
        last_full_mark_at: now,
        config,
        risk,
        breaker: BreakerState::fresh(0, now),
        emergency_deleverage: false,
        flight: Flight::default(),
        open_loops: 0,
        last_order_id: 0,
    });
    let (price, _) = vault.scaled_prices();
    vault.breaker = BreakerState::fresh(price, now);
    vault.invariant()?;

    emit_event(&VaultInitialized {
        vault: vault_key,
        creator: vault.creator,
        governance: governance_key,
        members: params.governance.members.clone(),
        threshold: params.governance.threshold,
        timelock_seconds: params.governance.timelock_seconds,
        base_mint: vault.base_mint,
        base_token_program: vault.base_token_program,
        token_account: vault.token_account,
        seed_assets: params.seed_assets,
        dead_shares,
        config: vault.config.clone(),
        risk: vault.risk,
    });
    Ok(())
}
