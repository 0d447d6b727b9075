use super::{evaluate_breaker, require_may_add_risk};
use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, PositionFilled};
use crate::math::{add, mul_div_floor, sub};
use crate::state::{Allowlist, ExitPlan, Position, Vault};
use crate::vault_signer_seeds;
use crate::venues::{self, PoolView, SwapAccounts};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// A buy: spend `amount_in` base units for at least `min_out` tokens.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPositionArgs {
    /// Client order id: must exceed every order id the vault executed before, so a resent
    /// order can never execute twice.
    pub order_id: u64,
    pub amount_in: u64,
    pub min_out: u64,
    /// The keeper's safety score for the token (0..=100), recorded on the position.
    pub safety_score: u8,
    /// Exit plan for a new position; `None` takes the seed plan. Ignored on an increase.
    pub plan: Option<ExitPlan>,
}

#[derive(Accounts)]
pub struct OpenPosition<'info> {
    #[account(mut)]
    pub keeper: Signer<'info>,

    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(seeds = [ALLOWLIST_SEED, vault.key().as_ref()], bump = allowlist.bump)]
    pub allowlist: Box<Account<'info, Allowlist>>,

    #[account(
        init_if_needed,
        payer = keeper,
        space = 8 + Position::INIT_SPACE,
        seeds = [POSITION_SEED, vault.key().as_ref(), mint.key().as_ref()],
        bump,
    )]
    pub position: Box<Account<'info, Position>>,

    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init_if_needed,
        payer = keeper,
        seeds = [POSITION_TOKENS_SEED, vault.key().as_ref(), mint.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = vault,
        token::token_program = token_program,
    )]
    pub position_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    pub base_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: must be an allowlisted venue the vault knows (checked in the handler).
    #[account(executable)]
    pub venue_program: UncheckedAccount<'info>,
    /// CHECK: owned by the venue and pairing `mint` with the base mint (checked on load).
    #[account(mut)]
    pub pool: UncheckedAccount<'info>,
    /// CHECK: must be the pool's vault for the base mint (checked against the pool).
    #[account(mut)]
    pub pool_base_vault: UncheckedAccount<'info>,
    /// CHECK: must be the pool's vault for `mint` (checked against the pool).
    #[account(mut)]
    pub pool_token_vault: UncheckedAccount<'info>,

    #[account(address = vault.base_token_program)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Keeper: opens or increases a position by buying through an allowlisted venue and pool,
/// inside every limit the vault sets.
pub fn open_position_handler(ctx: Context<OpenPosition>, args: OpenPositionArgs) -> Result<()> {
    let clock = Clock::get()?;
    let (now, slot) = (clock.unix_timestamp, clock.slot);
    let a = &mut *ctx.accounts;
    let vault_key = a.vault.key();
    let mint = a.mint.key();
    let base_mint = a.base_mint.key();
    let venue = a.venue_program.key();
    let pool_key = a.pool.key();

    a.vault.require_not_in_flight()?;
    require_may_add_risk(&a.vault, &a.keeper.key())?;
    a.vault.consume_order_id(args.order_id)?;
    require!(args.amount_in > 0, VaultError::ZeroAmount);
    require!(args.safety_score <= 100, VaultError::InvalidSafetyScore);
    require!(
        args.safety_score >= a.vault.risk.min_safety_score,
        VaultError::SafetyScoreTooLow
    );
    let entry = a
        .allowlist
        .venue(&venue)
        .ok_or(VaultError::VenueNotAllowlisted)?;
    require!(
        entry.any_pool || a.allowlist.pools.contains(&pool_key),
        VaultError::PoolNotAllowlisted
    );
    require!(
        entry.any_mint || a.allowlist.mints.contains(&mint),
        VaultError::MintNotAllowlisted
    );
    let view = PoolView::load(&venue, &a.pool, &mint, &base_mint)?;
    require!(
        view.vault_for(&base_mint) == Some(a.pool_base_vault.key())
            && view.vault_for(&mint) == Some(a.pool_token_vault.key()),
        VaultError::PoolMismatch
    );

    let risk = a.vault.risk;
    require!(
        args.amount_in <= risk.max_buy_per_trade,
        VaultError::MaxBuyExceeded
    );
    let is_new = a.position.amount == 0;
    if is_new {
        require!(
            a.vault.open_positions < risk.max_open_positions,
            VaultError::MaxPositionsReached
        );
    } else {
        require!(
            a.position.pool == pool_key && a.position.venue == venue,
            VaultError::PoolMismatch
        );
    }
    require!(
        add(a.vault.total_exposure, args.amount_in)? <= risk.max_total_exposure,
        VaultError::MaxExposureExceeded
    );
    require!(
        add(a.position.cost_basis, args.amount_in)? <= risk.max_exposure_per_token,
        VaultError::TokenExposureExceeded
    );
    require!(
        a.vault.idle_assets >= add(args.amount_in, a.vault.pending_withdraw_value)?,
        VaultError::ReservedForRedemptions
    );
    a.vault.require_fresh_marks(now)?;

    if is_new {
        let plan = args.plan.unwrap_or_default();
        plan.validate()?;
        let p = &mut a.position;
        p.version = 1;
        p.bump = ctx.bumps.position;
        p.token_account_bump = ctx.bumps.position_token_account;
        p.vault = vault_key;
        p.mint = mint;
        p.token_program = a.token_program.key();
        p.token_account = a.position_token_account.key();
        p.venue = venue;
        p.pool = pool_key;
        p.plan = plan;
        p.cost_basis = 0;
    }
    a.position.safety_score = args.safety_score;

    let tokens_before = a.position_token_account.amount;
    let base_before = a.vault_token_account.amount;
    {
        let vault_ref: &Vault = &a.vault;
        vault_signer_seeds!(vault_ref, seeds);
        venues::swap(
            SwapAccounts {
                venue_program: a.venue_program.to_account_info(),
                pool: a.pool.to_account_info(),
                mint_in: a.base_mint.to_account_info(),
                mint_out: a.mint.to_account_info(),
                pool_vault_in: a.pool_base_vault.to_account_info(),
                pool_vault_out: a.pool_token_vault.to_account_info(),
                user_in: a.vault_token_account.to_account_info(),
                user_out: a.position_token_account.to_account_info(),
                token_program_in: a.base_token_program.to_account_info(),
                token_program_out: a.token_program.to_account_info(),
                authority: a.vault.to_account_info(),
            },
            args.amount_in,
            args.min_out,
            &[seeds],
        )?;
    }
    a.position_token_account.reload()?;
    a.vault_token_account.reload()?;
    let received = sub(a.position_token_account.amount, tokens_before)?;
    let spent = sub(base_before, a.vault_token_account.amount)?;
    require!(spent == args.amount_in, VaultError::TransferAmountMismatch);
    require!(
        received >= args.min_out && received > 0,
        VaultError::SlippageExceeded
    );

    let view = PoolView::load(&venue, &a.pool, &mint, &base_mint)?;
    let value_after = view.quote_sell(&mint, add(a.position.amount, received)?)?;
    let book = a
        .vault
        .book_buy(&mut a.position, spent, received, value_after, slot, now)?;
    a.vault.swap_fees_paid = add(
        a.vault.swap_fees_paid,
        mul_div_floor(spent, view.fee_bps as u64, BPS_DENOMINATOR)?,
    )?;

    // The position may be at most the band's share of NAV after the trade.
    let nav = a.vault.total_assets();
    let cap = mul_div_floor(
        nav,
        risk.band_for(nav).max_position_bps as u64,
        BPS_DENOMINATOR,
    )?;
    if a.position.mark_value > cap {
        crate::vlog!(
            "position worth {} would exceed {} ({} of NAV {})",
            a.position.mark_value,
            cap,
            risk.band_for(nav).max_position_bps,
            nav
        );
        return err!(VaultError::PositionTooLarge);
    }
    require!(
        a.vault_token_account.amount >= a.vault.idle_assets
            && a.position_token_account.amount >= a.position.amount,
        VaultError::AccountingMismatch
    );
    evaluate_breaker(vault_key, &mut a.vault, now);
    a.vault.invariant()?;

    emit_event(&PositionFilled {
        vault: vault_key,
        mint,
        venue,
        pool: pool_key,
        buy: true,
        reason: None,
        base_amount: spent,
        token_amount: received,
        tokens_before: book.tokens_before,
        tokens_after: a.position.amount,
        cost_before: book.cost_before,
        cost_after: a.position.cost_basis,
        realized_pnl: 0,
        mark_after: a.position.mark_value,
        safety_score: args.safety_score,
        nav_after: a.vault.total_assets(),
        nav_high_after: a.vault.total_assets_high(),
        idle_after: a.vault.idle_assets,
        open_positions_after: a.vault.open_positions,
        total_exposure_after: a.vault.total_exposure,
    });
    Ok(())
}
