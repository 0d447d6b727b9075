use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, ActionExecuted};
use crate::instructions::shared::now;
use crate::state::{apply_action, ActionTargets, Allowlist, Governance, GovernanceAction, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct GuardianAct<'info> {
    pub guardian: Signer<'info>,

    #[account(
        mut,
        seeds = [GOVERNANCE_SEED, vault.key().as_ref()],
        bump = governance.bump,
        has_one = vault,
    )]
    pub governance: Box<Account<'info, Governance>>,

    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(mut, seeds = [ALLOWLIST_SEED, vault.key().as_ref()], bump = allowlist.bump)]
    pub allowlist: Box<Account<'info, Allowlist>>,
}

/// A guardian acts alone and at once, but only to protect: pause trading or deposits, tighten
/// risk limits, remove allowlist entries, or start an emergency deleverage. Never loosen,
/// resume, or move funds.
pub fn guardian_act_handler(ctx: Context<GuardianAct>, action: GovernanceAction) -> Result<()> {
    let now = now()?;
    let a = &mut *ctx.accounts;
    let member = a
        .governance
        .member(&a.guardian.key())
        .ok_or(VaultError::NotAMember)?;
    require!(member.guardian, VaultError::NotAGuardian);
    require!(action.guardian_may(&a.vault)?, VaultError::NotProtective);
    let class = action.classify(&a.vault)?;
    let mut targets = ActionTargets {
        vault: &mut a.vault,
        governance: &mut a.governance,
        allowlist: &mut a.allowlist,
    };
    let (before, after) = apply_action(&mut targets, &action, now)?;
    emit_event(&ActionExecuted {
        vault: a.vault.key(),
        proposal_index: 0,
        by: a.guardian.key(),
        guardian: true,
        action,
        class,
        before,
        after,
    });
    Ok(())
}
