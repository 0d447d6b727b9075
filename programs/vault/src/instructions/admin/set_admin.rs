use crate::error::VaultError;
use crate::events::{emit_event, AdminChanged};
use crate::state::Vault;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetAdmin<'info> {
    pub admin: Signer<'info>,

    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Hands the admin authority to another key (governance takes it over this way).
pub fn set_admin_handler(ctx: Context<SetAdmin>, new_admin: Pubkey) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    require!(
        new_admin != Pubkey::default() && new_admin != vault.admin,
        VaultError::InvalidAdmin
    );
    let before = vault.admin;
    vault.admin = new_admin;
    emit_event(&AdminChanged {
        vault: vault.key(),
        before,
        after: new_admin,
    });
    Ok(())
}
