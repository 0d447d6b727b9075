use crate::error::AmmError;
use crate::events::{emit_event, LiquidityChanged};
use crate::math;
use crate::pool_signer_seeds;
use crate::state::Pool;
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Burn, Mint, MintTo, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct ChangeLiquidity<'info> {
    pub user: Signer<'info>,

    #[account(mut, has_one = mint_a, has_one = mint_b, has_one = vault_a, has_one = vault_b, has_one = lp_mint)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(mint::token_program = token_program_a)]
    pub mint_a: Box<InterfaceAccount<'info, Mint>>,
    #[account(mint::token_program = token_program_b)]
    pub mint_b: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault_a: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub vault_b: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, token::mint = mint_a, token::authority = user, token::token_program = token_program_a)]
    pub user_a: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint_b, token::authority = user, token::token_program = token_program_b)]
    pub user_b: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = lp_mint, token::authority = user, token::token_program = lp_token_program)]
    pub user_lp: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program_a: Interface<'info, TokenInterface>,
    pub token_program_b: Interface<'info, TokenInterface>,
    #[account(address = anchor_spl::token::ID)]
    pub lp_token_program: Interface<'info, TokenInterface>,
}

/// Mints `lp_amount` LP tokens for deposits of both mints in proportion (rounded up), each at
/// most the caller's maximum.
pub fn add_liquidity_handler(
    ctx: Context<ChangeLiquidity>,
    lp_amount: u64,
    max_a: u64,
    max_b: u64,
) -> Result<()> {
    let a = &mut *ctx.accounts;
    require!(lp_amount > 0, AmmError::ZeroAmount);
    let supply = a.pool.lp_supply;
    let need_a =
        math::deposit_for_lp(lp_amount, a.pool.reserve_a, supply).ok_or(AmmError::MathOverflow)?;
    let need_b =
        math::deposit_for_lp(lp_amount, a.pool.reserve_b, supply).ok_or(AmmError::MathOverflow)?;
    require!(
        need_a <= max_a && need_b <= max_b,
        AmmError::DepositAboveMaximum
    );
    let user = a.user.to_account_info();
    let got_a = transfer(
        &a.token_program_a,
        &a.mint_a,
        &a.user_a,
        &mut a.vault_a,
        &user,
        &[],
        need_a,
    )?;
    let got_b = transfer(
        &a.token_program_b,
        &a.mint_b,
        &a.user_b,
        &mut a.vault_b,
        &user,
        &[],
        need_b,
    )?;
    require!(
        got_a >= need_a && got_b >= need_b,
        AmmError::InsufficientReceived
    );

    a.pool.reserve_a = a
        .pool
        .reserve_a
        .checked_add(got_a)
        .ok_or(AmmError::MathOverflow)?;
    a.pool.reserve_b = a
        .pool
        .reserve_b
        .checked_add(got_b)
        .ok_or(AmmError::MathOverflow)?;
    a.pool.lp_supply = supply
        .checked_add(lp_amount)
        .ok_or(AmmError::MathOverflow)?;
    pool_signer_seeds!(a.pool, seeds);
    let signer = [seeds];
    let ctx_mint = CpiContext::new_with_signer(
        a.lp_token_program.key(),
        MintTo {
            mint: a.lp_mint.to_account_info(),
            to: a.user_lp.to_account_info(),
            authority: a.pool.to_account_info(),
        },
        &signer,
    );
    token_interface::mint_to(ctx_mint, lp_amount)?;
    emit_event(&LiquidityChanged {
        pool: a.pool.key(),
        user: a.user.key(),
        added: true,
        lp_amount,
        amount_a: got_a,
        amount_b: got_b,
        reserve_a_after: a.pool.reserve_a,
        reserve_b_after: a.pool.reserve_b,
        lp_supply_after: a.pool.lp_supply,
    });
    Ok(())
}

/// Burns `lp_amount` LP tokens for the proportional reserves (rounded down), each at least the
/// caller's minimum.
pub fn remove_liquidity_handler(
    ctx: Context<ChangeLiquidity>,
    lp_amount: u64,
    min_a: u64,
    min_b: u64,
) -> Result<()> {
    let a = &mut *ctx.accounts;
    require!(lp_amount > 0, AmmError::ZeroAmount);
    let supply = a.pool.lp_supply;
    let out_a = math::withdrawal_for_lp(lp_amount, a.pool.reserve_a, supply)
        .ok_or(AmmError::MathOverflow)?;
    let out_b = math::withdrawal_for_lp(lp_amount, a.pool.reserve_b, supply)
        .ok_or(AmmError::MathOverflow)?;
    require!(out_a >= min_a && out_b >= min_b, AmmError::SlippageExceeded);
    require!(
        out_a < a.pool.reserve_a && out_b < a.pool.reserve_b,
        AmmError::InsufficientReserves
    );

    let burn = CpiContext::new(
        a.lp_token_program.key(),
        Burn {
            mint: a.lp_mint.to_account_info(),
            from: a.user_lp.to_account_info(),
            authority: a.user.to_account_info(),
        },
    );
    token_interface::burn(burn, lp_amount)?;
    a.pool.reserve_a -= out_a;
    a.pool.reserve_b -= out_b;
    a.pool.lp_supply -= lp_amount;
    pool_signer_seeds!(a.pool, seeds);
    let pool_info = a.pool.to_account_info();
    if out_a > 0 {
        transfer(
            &a.token_program_a,
            &a.mint_a,
            &a.vault_a,
            &mut a.user_a,
            &pool_info,
            &[seeds],
            out_a,
        )?;
    }
    if out_b > 0 {
        transfer(
            &a.token_program_b,
            &a.mint_b,
            &a.vault_b,
            &mut a.user_b,
            &pool_info,
            &[seeds],
            out_b,
        )?;
    }
    emit_event(&LiquidityChanged {
        pool: a.pool.key(),
        user: a.user.key(),
        added: false,
        lp_amount,
        amount_a: out_a,
        amount_b: out_b,
        reserve_a_after: a.pool.reserve_a,
        reserve_b_after: a.pool.reserve_b,
        lp_supply_after: a.pool.lp_supply,
    });
    Ok(())
}
