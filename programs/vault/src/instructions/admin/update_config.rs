use crate::error::VaultError;
use crate::events::{emit_event, ConfigUpdated};
use crate::state::{ConfigChange, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateConfig<'info> {
    pub admin: Signer<'info>,

    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Applies one typed configuration change; the result must pass the same validation as a new
/// vault's configuration.
pub fn update_config_handler(ctx: Context<UpdateConfig>, change: ConfigChange) -> Result<()> {
    let vault_key = ctx.accounts.vault.key();
    let vault = &mut ctx.accounts.vault;
    let before = vault.config.clone();
    vault.config.apply(&change);
    vault.invariant()?;
    emit_event(&ConfigUpdated {
        vault: vault_key,
        authority: ctx.accounts.admin.key(),
        change,
        before,
        after: vault.config.clone(),
    });
    Ok(())
}
