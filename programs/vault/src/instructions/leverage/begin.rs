use super::require_leverage_actor;
use crate::constants::*;
use crate::error::VaultError;
use crate::instructions::keeper::require_may_add_risk;
use crate::state::{Flight, FlightKind, Governance, Vault};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::get_stack_height;
use anchor_lang::Discriminator;
use anchor_spl::token_interface::TokenAccount;
use solana_instructions_sysvar::{load_current_index_checked, load_instruction_at_checked};

/// Position of the vault among `LeverageEnd`'s accounts.
const END_VAULT_INDEX: usize = 1;

#[derive(Accounts)]
pub struct LeverageBegin<'info> {
    pub actor: Signer<'info>,
    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(seeds = [GOVERNANCE_SEED, vault.key().as_ref()], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the loop this transaction builds or unwinds; it may not exist yet (checked by
    /// address in the step and the end, which derive it).
    pub leverage_loop: UncheckedAccount<'info>,
    /// CHECK: the instructions sysvar (address checked).
    #[account(address = solana_instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
}

/// Starts a leverage transaction: freezes the vault and records its balance. Refused unless
/// it is a top-level instruction followed, in the same transaction, by `leverage_end` for
/// this vault.
pub fn leverage_begin_handler(
    ctx: Context<LeverageBegin>,
    kind: FlightKind,
    order_id: u64,
) -> Result<()> {
    let a = &mut *ctx.accounts;
    a.vault.require_not_in_flight()?;
    require_leverage_actor(&a.vault, &a.governance, &a.actor.key(), kind)?;
    a.vault.consume_order_id(order_id)?;
    if kind == FlightKind::Open {
        require_may_add_risk(&a.vault, &a.actor.key())?;
    }
    require!(get_stack_height() == 1, VaultError::LeverageEndMissing);
    let sysvar = a.instructions.to_account_info();
    let current = load_current_index_checked(&sysvar)? as usize;
    let vault_key = a.vault.key();
    let mut j = current + 1;
    let mut ends = 0;
    while let Ok(ix) = load_instruction_at_checked(j, &sysvar) {
        if ix.program_id == crate::ID
            && ix
                .data
                .starts_with(crate::instruction::LeverageEnd::DISCRIMINATOR)
            && ix.accounts.get(END_VAULT_INDEX).map(|m| m.pubkey) == Some(vault_key)
        {
            ends += 1;
        }
        j += 1;
    }
    require!(ends == 1, VaultError::LeverageEndMissing);
    a.vault.flight = Flight {
        active: true,
        kind,
        leverage_loop: a.leverage_loop.key(),
        actor: a.actor.key(),
        begin_balance: a.vault_token_account.amount,
        expected_end_balance: 0,
        step_done: false,
        capital_delta: 0,
    };
    Ok(())
}
