use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, WithdrawRequested};
use crate::instructions::shared::{now, settle_management_fee, settle_performance_fee};
use crate::state::{Depositor, Vault, WithdrawAmount};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RequestWithdraw<'info> {
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

/// Escrows shares for redemption. Fees are settled first (the performance fee crystallizes
/// here, at the price the request locks in). The request pays, once both the investor's
/// lock-up and the notice period have passed, the lesser of its value now and its value then.
pub fn request_withdraw_handler(
    ctx: Context<RequestWithdraw>,
    amount: WithdrawAmount,
) -> Result<()> {
    let now = now()?;
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let depositor = &mut accounts.depositor;
    require!(
        !depositor.withdraw_request.is_pending(),
        VaultError::WithdrawRequestPending
    );
    settle_management_fee(vault_key, vault, depositor, now)?;
    settle_performance_fee(vault_key, vault, depositor, now)?;
    let shares_before = depositor.shares;
    let request = vault.book_withdraw_request(depositor, amount, now)?;
    vault.invariant()?;

    let notice_end = now
        .checked_add(vault.config.notice_seconds as i64)
        .ok_or(VaultError::MathOverflow)?;
    emit_event(&WithdrawRequested {
        vault: vault_key,
        investor: depositor.owner,
        shares: request.shares,
        value: request.value,
        requested_at: now,
        payable_at: notice_end.max(depositor.lockup_end),
        investor_shares_before: shares_before,
        investor_shares_after: depositor.shares,
        pending_withdraw_shares_after: vault.pending_withdraw_shares,
    });
    Ok(())
}
