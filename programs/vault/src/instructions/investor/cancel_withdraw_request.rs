use crate::constants::*;
use crate::events::{emit_event, WithdrawCancelled};
use crate::instructions::shared::{now, settle_management_fee};
use crate::state::{Depositor, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelWithdrawRequest<'info> {
    pub investor: Signer<'info>,

    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        seeds = [DEPOSITOR_SEED, vault.key().as_ref(), investor.key().as_ref()],
        bump = depositor.bump,
    )]
    pub depositor: Box<Account<'info, Depositor>>,
}

/// Returns escrowed shares to the investor, less the management fee for the time they spent
/// in escrow.
pub fn cancel_withdraw_request_handler(ctx: Context<CancelWithdrawRequest>) -> Result<()> {
    let now = now()?;
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let depositor = &mut accounts.depositor;

    settle_management_fee(vault_key, vault, depositor, now)?;
    let shares_before = depositor.shares;
    let (request, fee) = vault.book_cancel_withdraw(depositor, now)?;
    vault.invariant()?;

    emit_event(&WithdrawCancelled {
        vault: vault_key,
        investor: depositor.owner,
        shares_escrowed: request.shares,
        fee_shares: fee,
        investor_shares_before: shares_before,
        investor_shares_after: depositor.shares,
        pending_withdraw_shares_after: vault.pending_withdraw_shares,
    });
    Ok(())
}
