use super::is_finished;
use crate::constants::*;
use crate::error::VaultError;
use crate::instructions::shared::now;
use crate::state::{Governance, Proposal, Vault};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseProposal<'info> {
    /// The proposer, who paid the rent and gets it back.
    #[account(mut, address = proposal.proposer @ VaultError::NotProposer)]
    pub proposer: SystemAccount<'info>,

    #[account(
        seeds = [GOVERNANCE_SEED, vault.key().as_ref()],
        bump = governance.bump,
        has_one = vault,
    )]
    pub governance: Box<Account<'info, Governance>>,

    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        close = proposer,
        seeds = [PROPOSAL_SEED, governance.key().as_ref(), &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = governance,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
}

/// Permissionless: closes a proposal that can never take effect any more (executed, rejected,
/// cancelled, stale or expired) and refunds its rent to the proposer.
pub fn close_proposal_handler(ctx: Context<CloseProposal>) -> Result<()> {
    let a = &ctx.accounts;
    require!(
        is_finished(&a.proposal, &a.governance, &a.vault, now()?)?,
        VaultError::ProposalStillLive
    );
    Ok(())
}
