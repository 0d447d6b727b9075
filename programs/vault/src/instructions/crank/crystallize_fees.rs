use crate::constants::*;
use crate::error::VaultError;
use crate::instructions::shared::{now, settle_management_fee, settle_performance_fee};
use crate::state::{Depositor, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CrystallizeFees<'info> {
    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        seeds = [DEPOSITOR_SEED, vault.key().as_ref(), depositor.owner.as_ref()],
        bump = depositor.bump,
    )]
    pub depositor: Box<Account<'info, Depositor>>,
}

/// Permissionless: charges an investor's management fee and crystallizes the performance fee,
/// at most once per crystallization period so that nobody can pick a price peak at will.
pub fn crystallize_fees_handler(ctx: Context<CrystallizeFees>) -> Result<()> {
    let now = now()?;
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let depositor = &mut accounts.depositor;
    let due = depositor
        .last_crystallization
        .checked_add(vault.config.crystallization_period_seconds as i64)
        .ok_or(VaultError::MathOverflow)?;
    require!(now >= due, VaultError::CrystallizationTooEarly);
    settle_management_fee(vault_key, vault, depositor, now)?;
    settle_performance_fee(vault_key, vault, depositor, now)?;
    vault.invariant()
}
