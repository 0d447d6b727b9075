use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, Withdrawn};
use crate::instructions::shared::now;
use crate::state::{Depositor, Vault};
use crate::token::transfer_exact;
use crate::vault_signer_seeds;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub investor: Signer<'info>,

    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        seeds = [DEPOSITOR_SEED, vault.key().as_ref(), investor.key().as_ref()],
        bump = depositor.bump,
    )]
    pub depositor: Box<Account<'info, Depositor>>,

    pub base_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = base_mint,
        token::authority = investor,
        token::token_program = base_token_program,
    )]
    pub investor_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = vault.base_token_program)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

/// Pays a matured withdrawal request: the lesser of its value when requested and its value
/// now, rounded down. Works while deposits or trading are paused.
pub fn withdraw_handler(ctx: Context<Withdraw>) -> Result<()> {
    let now = now()?;
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let depositor = &mut accounts.depositor;

    let assets_before = vault.total_assets();
    let shares_before = vault.total_shares;
    let payout = vault.book_withdraw(depositor, now)?;

    if payout.paid > 0 {
        vault_signer_seeds!(vault, seeds);
        transfer_exact(
            &accounts.base_token_program,
            &accounts.base_mint,
            &accounts.vault_token_account,
            &mut accounts.investor_token_account,
            &vault.to_account_info(),
            &[seeds],
            payout.paid,
        )?;
        accounts.vault_token_account.reload()?;
    }
    require!(
        accounts.vault_token_account.amount >= vault.idle_assets,
        VaultError::AccountingMismatch
    );
    vault.invariant()?;

    emit_event(&Withdrawn {
        vault: vault_key,
        investor: depositor.owner,
        shares_burned: payout.request.shares,
        value_at_request: payout.request.value,
        value_now: payout.value_now,
        paid: payout.paid,
        total_assets_before: assets_before,
        total_assets_after: vault.total_assets(),
        total_shares_before: shares_before,
        total_shares_after: vault.total_shares,
    });
    Ok(())
}
