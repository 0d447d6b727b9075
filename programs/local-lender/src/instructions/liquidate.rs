use super::obligation::*;
use crate::constants::*;
use crate::error::LenderError;
use crate::events::{emit_event, Liquidated};
use crate::math;
use crate::reserve_signer_seeds;
use crate::state::Reserve;
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    pub book: ObligationBook<'info>,
    #[account(address = book.borrow_reserve.mint @ LenderError::WrongAccount, mint::token_program = borrow_token_program)]
    pub borrow_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = book.borrow_reserve.liquidity_vault @ LenderError::WrongAccount)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = borrow_mint, token::authority = liquidator)]
    pub liquidator_repay_account: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(address = book.collateral_reserve.mint @ LenderError::WrongAccount, mint::token_program = collateral_token_program)]
    pub collateral_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = book.collateral_reserve.collateral_vault @ LenderError::WrongAccount)]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = collateral_mint)]
    pub liquidator_collateral_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub borrow_token_program: Interface<'info, TokenInterface>,
    pub collateral_token_program: Interface<'info, TokenInterface>,
}

/// Anyone may repay up to half the debt of an obligation whose health is below 1 and take
/// collateral worth the repaid value plus the liquidation bonus.
pub fn liquidate_handler(ctx: Context<Liquidate>, repay_amount: u64) -> Result<()> {
    require!(repay_amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.book.accrue(now)?;
    let h = a.book.health(now)?;
    require!(
        h.debt_value > h.liquidation_limit,
        LenderError::ObligationHealthy
    );
    let owed = a.book.obligation.debt(&a.book.borrow_reserve)?;
    require!(
        repay_amount as u128 * BPS <= owed as u128 * CLOSE_FACTOR_BPS,
        LenderError::CloseFactorExceeded
    );
    let borrow_price = a
        .book
        .borrow_oracle
        .checked_price(&a.book.borrow_reserve.config, now)?;
    let collateral_price = a
        .book
        .collateral_oracle
        .checked_price(&a.book.collateral_reserve.config, now)?;
    let repaid_value = math::value(repay_amount, a.book.borrow_reserve.decimals, borrow_price)
        .ok_or(LenderError::MathOverflow)?;
    let bonus = a.book.collateral_reserve.config.liquidation_bonus_bps as u128;
    let seize_value = repaid_value * (BPS + bonus) / BPS;
    let seize = math::amount_for_value(
        seize_value,
        a.book.collateral_reserve.decimals,
        collateral_price,
    )
    .ok_or(LenderError::MathOverflow)?
    .min(a.book.obligation.collateral_amount);

    transfer(
        &a.borrow_token_program,
        &a.borrow_mint,
        a.liquidator_repay_account.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.liquidator.to_account_info(),
        &[],
        repay_amount,
    )?;
    let scaled = math::scaled_for_repay(repay_amount, a.book.borrow_reserve.borrow_index)
        .ok_or(LenderError::MathOverflow)?
        .min(a.book.obligation.borrowed_scaled);
    a.book.obligation.borrowed_scaled -= scaled;
    a.book.borrow_reserve.borrowed_scaled =
        a.book.borrow_reserve.borrowed_scaled.saturating_sub(scaled);
    a.book.borrow_reserve.available = a
        .book
        .borrow_reserve
        .available
        .checked_add(repay_amount)
        .ok_or(LenderError::MathOverflow)?;
    a.book.obligation.collateral_amount -= seize;
    a.book.collateral_reserve.collateral_total -= seize;
    let reserve: &Reserve = &a.book.collateral_reserve;
    reserve_signer_seeds!(reserve, seeds);
    transfer(
        &a.collateral_token_program,
        &a.collateral_mint,
        a.collateral_vault.to_account_info(),
        a.liquidator_collateral_account.to_account_info(),
        a.book.collateral_reserve.to_account_info(),
        &[seeds],
        seize,
    )?;
    emit_event(&Liquidated {
        obligation: a.book.obligation.key(),
        liquidator: a.liquidator.key(),
        repaid: repay_amount,
        collateral_seized: seize,
        health_before_bps: h.factor_bps(),
    });
    Ok(())
}
