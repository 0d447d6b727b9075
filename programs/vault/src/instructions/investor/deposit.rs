use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, Deposited};
use crate::instructions::shared::{now, settle_management_fee};
use crate::state::{Depositor, Vault};
use crate::token::transfer_exact;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(mut)]
    pub investor: Signer<'info>,

    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    /// Created on the investor's first deposit.
    #[account(
        init_if_needed,
        payer = investor,
        space = 8 + Depositor::INIT_SPACE,
        seeds = [DEPOSITOR_SEED, vault.key().as_ref(), investor.key().as_ref()],
        bump,
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
    pub system_program: Program<'info, System>,
}

/// Buys shares at the current net asset value, rounding the share count down.
///
/// The deposit is refused, never clamped, when it would take the investor outside the tier
/// table or the vault above its AUM cap: a clamped deposit would move a different amount than
/// the investor signed for.
pub fn deposit_handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    let now = now()?;
    let accounts = &mut *ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let depositor = &mut accounts.depositor;

    if depositor.vault == Pubkey::default() {
        vault.open_position(
            depositor,
            vault_key,
            accounts.investor.key(),
            ctx.bumps.depositor,
            now,
        );
    }
    // Fees are settled on the shares held before this deposit.
    settle_management_fee(vault_key, vault, depositor, now)?;

    let assets_before = vault.total_assets();
    let total_shares_before = vault.total_shares;
    let shares_before = depositor.shares;
    let shares = vault.book_deposit(depositor, amount, now)?;

    transfer_exact(
        &accounts.base_token_program,
        &accounts.base_mint,
        &accounts.investor_token_account,
        &mut accounts.vault_token_account,
        &accounts.investor.to_account_info(),
        &[],
        amount,
    )?;
    require!(
        accounts.vault_token_account.amount >= vault.idle_assets,
        VaultError::AccountingMismatch
    );
    vault.invariant()?;

    emit_event(&Deposited {
        vault: vault_key,
        investor: depositor.owner,
        amount,
        shares_minted: shares,
        investor_shares_before: shares_before,
        investor_shares_after: depositor.shares,
        net_deposits_after: depositor.net_deposits,
        lockup_start: depositor.lockup_start,
        lockup_end: depositor.lockup_end,
        total_assets_before: assets_before,
        total_assets_after: vault.total_assets(),
        total_shares_before,
        total_shares_after: vault.total_shares,
    });
    Ok(())
}
