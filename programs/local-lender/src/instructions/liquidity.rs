use crate::constants::*;
use crate::error::LenderError;
use crate::events::{emit_event, LiquidityChanged};
use crate::reserve_signer_seeds;
use crate::state::{LiquidityPosition, Reserve};
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct DepositLiquidity<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, has_one = mint, has_one = liquidity_vault)]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + LiquidityPosition::INIT_SPACE,
        seeds = [LP_POSITION_SEED, reserve.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub position: Box<Account<'info, LiquidityPosition>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint, token::authority = owner)]
    pub owner_token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Adds liquidity for shares (rounded down); shares grow in value with borrow interest and
/// flash-loan fees.
pub fn deposit_liquidity_handler(ctx: Context<DepositLiquidity>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.reserve.accrue(now)?;
    let total = a.reserve.total_liquidity()?;
    let shares = if a.reserve.lp_shares == 0 || total == 0 {
        amount
    } else {
        u64::try_from(amount as u128 * a.reserve.lp_shares as u128 / total as u128)
            .map_err(|_| error!(LenderError::MathOverflow))?
    };
    require!(shares > 0, LenderError::ZeroAmount);
    transfer(
        &a.token_program,
        &a.mint,
        a.owner_token_account.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.owner.to_account_info(),
        &[],
        amount,
    )?;
    let p = &mut a.position;
    if p.owner == Pubkey::default() {
        p.bump = ctx.bumps.position;
        p.reserve = a.reserve.key();
        p.owner = a.owner.key();
    }
    p.shares = p
        .shares
        .checked_add(shares)
        .ok_or(LenderError::MathOverflow)?;
    a.reserve.lp_shares = a
        .reserve
        .lp_shares
        .checked_add(shares)
        .ok_or(LenderError::MathOverflow)?;
    a.reserve.available = a
        .reserve
        .available
        .checked_add(amount)
        .ok_or(LenderError::MathOverflow)?;
    emit_event(&LiquidityChanged {
        reserve: a.reserve.key(),
        owner: a.owner.key(),
        deposit: true,
        amount,
        shares,
        available_after: a.reserve.available,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct WithdrawLiquidity<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = mint, has_one = liquidity_vault)]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(
        mut,
        seeds = [LP_POSITION_SEED, reserve.key().as_ref(), owner.key().as_ref()],
        bump = position.bump,
    )]
    pub position: Box<Account<'info, LiquidityPosition>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint)]
    pub owner_token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Redeems shares for liquidity (rounded down), as far as it is not lent out.
pub fn withdraw_liquidity_handler(ctx: Context<WithdrawLiquidity>, shares: u64) -> Result<()> {
    require!(shares > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    require!(a.position.shares >= shares, LenderError::InsufficientShares);
    a.reserve.accrue(now)?;
    let total = a.reserve.total_liquidity()?;
    let amount = u64::try_from(shares as u128 * total as u128 / a.reserve.lp_shares as u128)
        .map_err(|_| error!(LenderError::MathOverflow))?;
    require!(amount > 0, LenderError::ZeroAmount);
    require!(
        amount <= a.reserve.available,
        LenderError::InsufficientLiquidity
    );
    a.position.shares -= shares;
    a.reserve.lp_shares -= shares;
    a.reserve.available -= amount;
    let reserve: &Reserve = &a.reserve;
    reserve_signer_seeds!(reserve, seeds);
    transfer(
        &a.token_program,
        &a.mint,
        a.liquidity_vault.to_account_info(),
        a.owner_token_account.to_account_info(),
        a.reserve.to_account_info(),
        &[seeds],
        amount,
    )?;
    emit_event(&LiquidityChanged {
        reserve: a.reserve.key(),
        owner: a.owner.key(),
        deposit: false,
        amount,
        shares,
        available_after: a.reserve.available,
    });
    Ok(())
}
