use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, DepositorClosed};
use crate::state::{Depositor, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseDepositor<'info> {
    #[account(mut)]
    pub investor: Signer<'info>,

    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        close = investor,
        seeds = [DEPOSITOR_SEED, vault.key().as_ref(), investor.key().as_ref()],
        bump = depositor.bump,
        constraint = depositor.is_empty() @ VaultError::DepositorNotEmpty,
    )]
    pub depositor: Box<Account<'info, Depositor>>,
}

/// Closes an empty position and returns its rent to the investor.
pub fn close_depositor_handler(ctx: Context<CloseDepositor>) -> Result<()> {
    let d = &ctx.accounts.depositor;
    emit_event(&DepositorClosed {
        vault: ctx.accounts.vault.key(),
        investor: d.owner,
        total_deposited: d.total_deposited,
        total_withdrawn: d.total_withdrawn,
    });
    Ok(())
}
