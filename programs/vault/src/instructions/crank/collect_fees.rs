use crate::error::VaultError;
use crate::events::{emit_event, FeesCollected};
use crate::state::Vault;
use crate::token::transfer_exact;
use crate::vault_signer_seeds;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct CollectFees<'info> {
    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    pub base_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Must belong to the vault's fee recipient: whoever cranks, the fees go only there.
    #[account(
        mut,
        token::mint = base_mint,
        token::token_program = base_token_program,
        constraint = fee_recipient_token_account.owner == vault.config.fee_recipient
            @ VaultError::WrongTokenAccountOwner,
    )]
    pub fee_recipient_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = vault.base_token_program)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

/// Permissionless: redeems every accrued fee share at the current price (rounded down) and
/// pays the fee recipient.
pub fn collect_fees_handler(ctx: Context<CollectFees>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let assets_before = vault.total_assets();
    let shares_before = vault.total_shares;
    let (shares, paid) = vault.book_fee_collection(crate::instructions::shared::now()?)?;

    vault_signer_seeds!(vault, seeds);
    transfer_exact(
        &accounts.base_token_program,
        &accounts.base_mint,
        &accounts.vault_token_account,
        &mut accounts.fee_recipient_token_account,
        &vault.to_account_info(),
        &[seeds],
        paid,
    )?;
    accounts.vault_token_account.reload()?;
    require!(
        accounts.vault_token_account.amount >= vault.idle_assets,
        VaultError::AccountingMismatch
    );
    vault.invariant()?;

    emit_event(&FeesCollected {
        vault: vault_key,
        fee_recipient: vault.config.fee_recipient,
        shares_burned: shares,
        paid,
        total_assets_before: assets_before,
        total_assets_after: vault.total_assets(),
        total_shares_before: shares_before,
        total_shares_after: vault.total_shares,
    });
    Ok(())
}
