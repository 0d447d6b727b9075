//! Flash loans with the rules mainnet lenders enforce: both halves are top-level instructions
//! of one transaction (never reached through another program), every borrow has exactly one
//! matching repay after it, and the repay names its borrow by instruction index.

use crate::error::LenderError;
use crate::events::{emit_event, FlashLoan};
use crate::reserve_signer_seeds;
use crate::state::Reserve;
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{get_stack_height, Instruction};
use anchor_lang::Discriminator;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use solana_instructions_sysvar::{load_current_index_checked, load_instruction_at_checked};

/// Position of the reserve among `FlashBorrow`'s accounts.
const BORROW_RESERVE_INDEX: usize = 0;
/// Position of the reserve among `FlashRepay`'s accounts.
const REPAY_RESERVE_INDEX: usize = 1;
/// Stack height of a top-level instruction.
const TOP_LEVEL: usize = 1;

#[derive(Accounts)]
pub struct FlashBorrow<'info> {
    #[account(mut, has_one = mint @ LenderError::WrongAccount, has_one = liquidity_vault @ LenderError::WrongAccount)]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the instructions sysvar (address checked).
    #[account(address = solana_instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

#[derive(Accounts)]
pub struct FlashRepay<'info> {
    /// Owner or delegate of `source`.
    pub authority: Signer<'info>,
    #[account(mut, has_one = mint @ LenderError::WrongAccount, has_one = liquidity_vault @ LenderError::WrongAccount)]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the instructions sysvar (address checked).
    #[account(address = solana_instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

fn is_ix(ix: &Instruction, discriminator: &[u8]) -> bool {
    ix.program_id == crate::ID && ix.data.starts_with(discriminator)
}

/// The fee on a flash loan of `amount`, rounded up.
pub fn flash_fee(amount: u64, fee_bps: u16) -> u64 {
    ((amount as u128 * fee_bps as u128).div_ceil(10_000)) as u64
}

pub fn flash_borrow_handler(ctx: Context<FlashBorrow>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    require!(get_stack_height() == TOP_LEVEL, LenderError::FlashLoanCpi);
    let a = &mut *ctx.accounts;
    let sysvar = a.instructions.to_account_info();
    let current = load_current_index_checked(&sysvar)? as usize;
    let reserve_key = a.reserve.key();
    let mut matches = 0;
    let mut j = current + 1;
    while let Ok(ix) = load_instruction_at_checked(j, &sysvar) {
        if is_ix(&ix, crate::instruction::FlashRepay::DISCRIMINATOR) {
            let args = crate::instruction::FlashRepay::try_from_slice(
                &ix.data[crate::instruction::FlashRepay::DISCRIMINATOR.len()..],
            )
            .map_err(|_| error!(LenderError::FlashRepayMissing))?;
            let same_reserve =
                ix.accounts.get(REPAY_RESERVE_INDEX).map(|m| m.pubkey) == Some(reserve_key);
            if args.borrow_instruction_index as usize == current
                && same_reserve
                && args.amount == amount
            {
                matches += 1;
            }
        }
        j += 1;
    }
    require!(matches == 1, LenderError::FlashRepayMissing);
    require!(
        a.reserve.flash_outstanding == 0,
        LenderError::FlashLoanActive
    );
    require!(
        amount <= a.reserve.available,
        LenderError::InsufficientLiquidity
    );

    a.reserve.available -= amount;
    a.reserve.flash_outstanding = amount;
    let reserve: &Reserve = &a.reserve;
    reserve_signer_seeds!(reserve, seeds);
    transfer(
        &a.token_program,
        &a.mint,
        a.liquidity_vault.to_account_info(),
        a.destination.to_account_info(),
        a.reserve.to_account_info(),
        &[seeds],
        amount,
    )?;
    emit_event(&FlashLoan {
        reserve: reserve_key,
        borrow: true,
        amount,
        fee: flash_fee(amount, a.reserve.config.flash_fee_bps),
    });
    Ok(())
}

pub fn flash_repay_handler(
    ctx: Context<FlashRepay>,
    amount: u64,
    borrow_instruction_index: u8,
) -> Result<()> {
    require!(get_stack_height() == TOP_LEVEL, LenderError::FlashLoanCpi);
    let a = &mut *ctx.accounts;
    let sysvar = a.instructions.to_account_info();
    let current = load_current_index_checked(&sysvar)? as usize;
    let index = borrow_instruction_index as usize;
    require!(index < current, LenderError::FlashBorrowMissing);
    let borrow = load_instruction_at_checked(index, &sysvar)
        .map_err(|_| error!(LenderError::FlashBorrowMissing))?;
    require!(
        is_ix(&borrow, crate::instruction::FlashBorrow::DISCRIMINATOR),
        LenderError::FlashBorrowMissing
    );
    let args = crate::instruction::FlashBorrow::try_from_slice(
        &borrow.data[crate::instruction::FlashBorrow::DISCRIMINATOR.len()..],
    )
    .map_err(|_| error!(LenderError::FlashBorrowMissing))?;
    let reserve_key = a.reserve.key();
    require!(
        args.amount == amount
            && borrow.accounts.get(BORROW_RESERVE_INDEX).map(|m| m.pubkey) == Some(reserve_key)
            && a.reserve.flash_outstanding == amount,
        LenderError::FlashBorrowMissing
    );
    let fee = flash_fee(amount, a.reserve.config.flash_fee_bps);
    let total = amount.checked_add(fee).ok_or(LenderError::MathOverflow)?;
    transfer(
        &a.token_program,
        &a.mint,
        a.source.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.authority.to_account_info(),
        &[],
        total,
    )?;
    a.reserve.available = a
        .reserve
        .available
        .checked_add(total)
        .ok_or(LenderError::MathOverflow)?;
    a.reserve.flash_outstanding = 0;
    emit_event(&FlashLoan {
        reserve: reserve_key,
        borrow: false,
        amount,
        fee,
    });
    Ok(())
}
