use super::execution_window;
use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, ActionExecuted};
use crate::instructions::shared::now;
use crate::state::{
    apply_action, ActionTargets, Allowlist, Governance, Proposal, ProposalStatus, Vault,
    PERMISSION_EXECUTE,
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExecuteProposal<'info> {
    pub executor: Signer<'info>,

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

    #[account(
        mut,
        seeds = [PROPOSAL_SEED, governance.key().as_ref(), &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = governance,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
}

/// Executes an approved proposal once its delay has passed. The delay depends on the action's
/// class, judged against the vault as it is at execution: protective changes at once, neutral
/// ones after the timelock, adverse ones after max(timelock, 7 days, 2 x notice period).
pub fn execute_proposal_handler(ctx: Context<ExecuteProposal>) -> Result<()> {
    let now = now()?;
    let a = &mut *ctx.accounts;
    a.governance
        .require_permission(&a.executor.key(), PERMISSION_EXECUTE)?;
    require!(
        a.proposal.status == ProposalStatus::Approved,
        VaultError::ProposalNotApproved
    );
    require!(
        !a.governance.is_stale(a.proposal.index),
        VaultError::ProposalStale
    );
    let (executable_at, expires_at) = execution_window(&a.proposal, &a.governance, &a.vault)?;
    if now < executable_at {
        crate::vlog!("executable at {} (now {})", executable_at, now);
        return err!(VaultError::TimelockActive);
    }
    require!(now <= expires_at, VaultError::ProposalExpired);

    let class = a.proposal.action.classify(&a.vault)?;
    let action = a.proposal.action.clone();
    let mut targets = ActionTargets {
        vault: &mut a.vault,
        governance: &mut a.governance,
        allowlist: &mut a.allowlist,
    };
    let (before, after) = apply_action(&mut targets, &action, now)?;
    a.proposal.status = ProposalStatus::Executed;
    a.proposal.executed_at = now;

    emit_event(&ActionExecuted {
        vault: a.vault.key(),
        proposal_index: a.proposal.index,
        by: a.executor.key(),
        guardian: false,
        action,
        class,
        before,
        after,
    });
    Ok(())
}
