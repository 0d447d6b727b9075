use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, LoopHealthChecked};
use crate::lending::read_obligation;
use crate::state::{LeverageLoop, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CheckLoopHealth<'info> {
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        mut,
        seeds = [LOOP_SEED, vault.key().as_ref(), leverage_loop.collateral_mint.as_ref()],
        bump = leverage_loop.bump,
        has_one = obligation @ VaultError::LenderMismatch,
        has_one = collateral_reserve @ VaultError::LenderMismatch,
        has_one = borrow_reserve @ VaultError::LenderMismatch,
    )]
    pub leverage_loop: Box<Account<'info, LeverageLoop>>,
    /// CHECK: the loop's obligation (has_one); read by the lending adapter.
    pub obligation: UncheckedAccount<'info>,
    /// CHECK: the loop's collateral reserve (has_one).
    pub collateral_reserve: UncheckedAccount<'info>,
    /// CHECK: checked against the reserve by the lending adapter.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: the loop's borrow reserve (has_one).
    pub borrow_reserve: UncheckedAccount<'info>,
    /// CHECK: checked against the reserve by the lending adapter.
    pub borrow_oracle: UncheckedAccount<'info>,
}

/// Permissionless: reads the loop's health factor from its lender and flags the loop when it
/// is below the vault's minimum (the keeper's cue to deleverage; guardians may then declare an
/// emergency deleverage and unwind it themselves).
pub fn check_loop_health_handler(ctx: Context<CheckLoopHealth>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    let view = read_obligation(
        &a.leverage_loop.lender,
        &a.obligation,
        &a.collateral_reserve,
        &a.collateral_oracle,
        &a.borrow_reserve,
        &a.borrow_oracle,
        now,
    )?;
    let min = a.vault.risk.min_health_factor_bps;
    let l = &mut a.leverage_loop;
    l.health_bps = view.health_bps;
    l.flagged = view.debt > 0 && view.health_bps < min as u64;
    emit_event(&LoopHealthChecked {
        vault: a.vault.key(),
        leverage_loop: l.key(),
        health_bps: view.health_bps,
        min_health_bps: min,
        flagged: l.flagged,
    });
    Ok(())
}
