use crate::error::AmmError;
use crate::events::{emit_event, Swapped};
use crate::math;
use crate::pool_signer_seeds;
use crate::state::Pool;
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct Swap<'info> {
    pub user: Signer<'info>,

    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(mint::token_program = token_program_in)]
    pub mint_in: Box<InterfaceAccount<'info, Mint>>,
    #[account(mint::token_program = token_program_out)]
    pub mint_out: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub vault_in: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub vault_out: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, token::mint = mint_in, token::authority = user, token::token_program = token_program_in)]
    pub user_in: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint_out, token::token_program = token_program_out)]
    pub user_out: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program_in: Interface<'info, TokenInterface>,
    pub token_program_out: Interface<'info, TokenInterface>,
}

/// Sells exactly `amount_in` of `mint_in` for at least `min_out` of the other mint.
pub fn swap_handler(ctx: Context<Swap>, amount_in: u64, min_out: u64) -> Result<()> {
    let a = &mut *ctx.accounts;
    require!(amount_in > 0, AmmError::ZeroAmount);
    let mint_in = a.mint_in.key();
    let a_to_b = if mint_in == a.pool.mint_a && a.mint_out.key() == a.pool.mint_b {
        true
    } else if mint_in == a.pool.mint_b && a.mint_out.key() == a.pool.mint_a {
        false
    } else {
        return err!(AmmError::MintNotInPool);
    };
    let (pool_in, pool_out) = if a_to_b {
        (a.pool.vault_a, a.pool.vault_b)
    } else {
        (a.pool.vault_b, a.pool.vault_a)
    };
    require!(
        a.vault_in.key() == pool_in && a.vault_out.key() == pool_out,
        AmmError::WrongVault
    );

    let (r_in, r_out) = if a_to_b {
        (a.pool.reserve_a, a.pool.reserve_b)
    } else {
        (a.pool.reserve_b, a.pool.reserve_a)
    };
    let before = (a.pool.reserve_a, a.pool.reserve_b);

    let user = a.user.to_account_info();
    let received = transfer(
        &a.token_program_in,
        &a.mint_in,
        &a.user_in,
        &mut a.vault_in,
        &user,
        &[],
        amount_in,
    )?;
    let out =
        math::quote_out(r_in, r_out, received, a.pool.fee_bps).ok_or(AmmError::MathOverflow)?;
    require!(out > 0, AmmError::ZeroOutput);
    require!(out >= min_out, AmmError::SlippageExceeded);
    require!(out < r_out, AmmError::InsufficientReserves);

    let r_in_after = r_in.checked_add(received).ok_or(AmmError::MathOverflow)?;
    let r_out_after = r_out - out;
    if a_to_b {
        a.pool.reserve_a = r_in_after;
        a.pool.reserve_b = r_out_after;
    } else {
        a.pool.reserve_b = r_in_after;
        a.pool.reserve_a = r_out_after;
    }
    pool_signer_seeds!(a.pool, seeds);
    let pool_info = a.pool.to_account_info();
    transfer(
        &a.token_program_out,
        &a.mint_out,
        &a.vault_out,
        &mut a.user_out,
        &pool_info,
        &[seeds],
        out,
    )?;

    emit_event(&Swapped {
        pool: a.pool.key(),
        user: a.user.key(),
        mint_in,
        amount_in: received,
        amount_out: out,
        reserve_a_before: before.0,
        reserve_b_before: before.1,
        reserve_a_after: a.pool.reserve_a,
        reserve_b_after: a.pool.reserve_b,
    });
    Ok(())
}
