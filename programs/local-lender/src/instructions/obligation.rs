use crate::constants::*;
use crate::error::LenderError;
use crate::events::{emit_event, ObligationAction, ObligationChanged};
use crate::math;
use crate::reserve_signer_seeds;
use crate::state::{Health, LendingMarket, Obligation, PriceFeed, Reserve};
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(seed: u64)]
pub struct InitObligation<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub owner: Signer<'info>,
    pub market: Box<Account<'info, LendingMarket>>,
    #[account(
        init,
        payer = payer,
        space = 8 + Obligation::INIT_SPACE,
        seeds = [OBLIGATION_SEED, market.key().as_ref(), owner.key().as_ref(), &seed.to_le_bytes()],
        bump,
    )]
    pub obligation: Box<Account<'info, Obligation>>,
    #[account(has_one = market @ LenderError::WrongAccount)]
    pub collateral_reserve: Box<Account<'info, Reserve>>,
    #[account(
        has_one = market @ LenderError::WrongAccount,
        constraint = borrow_reserve.key() != collateral_reserve.key() @ LenderError::WrongAccount,
    )]
    pub borrow_reserve: Box<Account<'info, Reserve>>,
    pub system_program: Program<'info, System>,
}

/// Opens an obligation: collateral in one reserve, borrowing from another.
pub fn init_obligation_handler(ctx: Context<InitObligation>, seed: u64) -> Result<()> {
    let a = &mut *ctx.accounts;
    a.obligation.set_inner(Obligation {
        bump: ctx.bumps.obligation,
        market: a.market.key(),
        owner: a.owner.key(),
        seed,
        collateral_reserve: a.collateral_reserve.key(),
        borrow_reserve: a.borrow_reserve.key(),
        collateral_amount: 0,
        borrowed_scaled: 0,
    });
    Ok(())
}

/// The obligation with both reserves and their oracles, for anything that values it.
#[derive(Accounts)]
pub struct ObligationBook<'info> {
    #[account(mut, has_one = collateral_reserve @ LenderError::WrongAccount, has_one = borrow_reserve @ LenderError::WrongAccount)]
    pub obligation: Box<Account<'info, Obligation>>,
    #[account(mut)]
    pub collateral_reserve: Box<Account<'info, Reserve>>,
    #[account(address = collateral_reserve.oracle @ LenderError::WrongAccount)]
    pub collateral_oracle: Box<Account<'info, PriceFeed>>,
    #[account(mut)]
    pub borrow_reserve: Box<Account<'info, Reserve>>,
    #[account(address = borrow_reserve.oracle @ LenderError::WrongAccount)]
    pub borrow_oracle: Box<Account<'info, PriceFeed>>,
}

impl ObligationBook<'_> {
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        self.collateral_reserve.accrue(now)?;
        self.borrow_reserve.accrue(now)
    }

    pub fn health(&self, now: i64) -> Result<Health> {
        self.obligation.health(
            &self.collateral_reserve,
            &self.collateral_oracle,
            &self.borrow_reserve,
            &self.borrow_oracle,
            now,
        )
    }

    fn changed(&self, action: ObligationAction, amount: u64) -> Result<()> {
        emit_event(&ObligationChanged {
            obligation: self.obligation.key(),
            action,
            amount,
            collateral_after: self.obligation.collateral_amount,
            debt_after: self.obligation.debt(&self.borrow_reserve)?,
        });
        Ok(())
    }
}

#[derive(Accounts)]
pub struct MoveCollateral<'info> {
    pub owner: Signer<'info>,
    #[account(constraint = book.obligation.owner == owner.key() @ LenderError::WrongAccount)]
    pub book: ObligationBook<'info>,
    #[account(address = book.collateral_reserve.mint @ LenderError::WrongAccount, mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = book.collateral_reserve.collateral_vault @ LenderError::WrongAccount)]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Source for deposits (owned by `owner`), destination for withdrawals.
    #[account(mut, token::mint = mint)]
    pub owner_token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn deposit_collateral_handler(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.book.accrue(now)?;
    transfer(
        &a.token_program,
        &a.mint,
        a.owner_token_account.to_account_info(),
        a.collateral_vault.to_account_info(),
        a.owner.to_account_info(),
        &[],
        amount,
    )?;
    let o = &mut a.book.obligation;
    o.collateral_amount = o
        .collateral_amount
        .checked_add(amount)
        .ok_or(LenderError::MathOverflow)?;
    let r = &mut a.book.collateral_reserve;
    r.collateral_total = r
        .collateral_total
        .checked_add(amount)
        .ok_or(LenderError::MathOverflow)?;
    a.book.changed(ObligationAction::DepositCollateral, amount)
}

pub fn withdraw_collateral_handler(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.book.accrue(now)?;
    require!(
        a.book.obligation.collateral_amount >= amount,
        LenderError::InsufficientCollateral
    );
    a.book.obligation.collateral_amount -= amount;
    a.book.collateral_reserve.collateral_total -= amount;
    if a.book.obligation.borrowed_scaled > 0 {
        let h = a.book.health(now)?;
        require!(
            h.debt_value <= h.borrow_limit,
            LenderError::WithdrawLimitExceeded
        );
    }
    let reserve: &Reserve = &a.book.collateral_reserve;
    reserve_signer_seeds!(reserve, seeds);
    transfer(
        &a.token_program,
        &a.mint,
        a.collateral_vault.to_account_info(),
        a.owner_token_account.to_account_info(),
        a.book.collateral_reserve.to_account_info(),
        &[seeds],
        amount,
    )?;
    a.book.changed(ObligationAction::WithdrawCollateral, amount)
}

#[derive(Accounts)]
pub struct Borrow<'info> {
    pub owner: Signer<'info>,
    #[account(constraint = book.obligation.owner == owner.key() @ LenderError::WrongAccount)]
    pub book: ObligationBook<'info>,
    #[account(address = book.borrow_reserve.mint @ LenderError::WrongAccount, mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = book.borrow_reserve.liquidity_vault @ LenderError::WrongAccount)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Borrows against the obligation's collateral, up to its loan-to-value limit.
pub fn borrow_handler(ctx: Context<Borrow>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.book.accrue(now)?;
    require!(
        amount <= a.book.borrow_reserve.available,
        LenderError::InsufficientLiquidity
    );
    let scaled = math::scaled_for_borrow(amount, a.book.borrow_reserve.borrow_index)
        .ok_or(LenderError::MathOverflow)?;
    a.book.obligation.borrowed_scaled = a
        .book
        .obligation
        .borrowed_scaled
        .checked_add(scaled)
        .ok_or(LenderError::MathOverflow)?;
    a.book.borrow_reserve.borrowed_scaled = a
        .book
        .borrow_reserve
        .borrowed_scaled
        .checked_add(scaled)
        .ok_or(LenderError::MathOverflow)?;
    a.book.borrow_reserve.available -= amount;
    let h = a.book.health(now)?;
    require!(
        h.debt_value <= h.borrow_limit,
        LenderError::BorrowLimitExceeded
    );
    let reserve: &Reserve = &a.book.borrow_reserve;
    reserve_signer_seeds!(reserve, seeds);
    transfer(
        &a.token_program,
        &a.mint,
        a.liquidity_vault.to_account_info(),
        a.destination.to_account_info(),
        a.book.borrow_reserve.to_account_info(),
        &[seeds],
        amount,
    )?;
    a.book.changed(ObligationAction::Borrow, amount)
}

#[derive(Accounts)]
pub struct Repay<'info> {
    /// Anyone may repay an obligation's debt from an account they control.
    pub payer: Signer<'info>,
    #[account(mut, has_one = borrow_reserve @ LenderError::WrongAccount)]
    pub obligation: Box<Account<'info, Obligation>>,
    #[account(mut)]
    pub borrow_reserve: Box<Account<'info, Reserve>>,
    #[account(address = borrow_reserve.mint @ LenderError::WrongAccount, mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = borrow_reserve.liquidity_vault @ LenderError::WrongAccount)]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Repays up to the whole debt.
pub fn repay_handler(ctx: Context<Repay>, amount: u64) -> Result<()> {
    require!(amount > 0, LenderError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.borrow_reserve.accrue(now)?;
    let owed = a.obligation.debt(&a.borrow_reserve)?;
    require!(amount <= owed, LenderError::RepayExceedsDebt);
    transfer(
        &a.token_program,
        &a.mint,
        a.source.to_account_info(),
        a.liquidity_vault.to_account_info(),
        a.payer.to_account_info(),
        &[],
        amount,
    )?;
    let scaled = if amount == owed {
        a.obligation.borrowed_scaled
    } else {
        math::scaled_for_repay(amount, a.borrow_reserve.borrow_index)
            .ok_or(LenderError::MathOverflow)?
            .min(a.obligation.borrowed_scaled)
    };
    a.obligation.borrowed_scaled -= scaled;
    a.borrow_reserve.borrowed_scaled = a.borrow_reserve.borrowed_scaled.saturating_sub(scaled);
    a.borrow_reserve.available = a
        .borrow_reserve
        .available
        .checked_add(amount)
        .ok_or(LenderError::MathOverflow)?;
    emit_event(&ObligationChanged {
        obligation: a.obligation.key(),
        action: ObligationAction::Repay,
        amount,
        collateral_after: a.obligation.collateral_amount,
        debt_after: a.obligation.debt(&a.borrow_reserve)?,
    });
    Ok(())
}
