use super::voting_expired;
use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, ProposalVoted};
use crate::instructions::shared::now;
use crate::state::{Governance, Proposal, ProposalStatus, PERMISSION_VOTE};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct VoteOnProposal<'info> {
    pub member: Signer<'info>,

    #[account(
        seeds = [GOVERNANCE_SEED, governance.vault.as_ref()],
        bump = governance.bump,
    )]
    pub governance: Box<Account<'info, Governance>>,

    #[account(
        mut,
        seeds = [PROPOSAL_SEED, governance.key().as_ref(), &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = governance,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
}

/// Records one member's vote. The proposal is approved once approvals reach the threshold,
/// and rejected once enough members rejected that the threshold can no longer be reached.
pub fn vote_handler(ctx: Context<VoteOnProposal>, approve: bool) -> Result<()> {
    let now = now()?;
    let g = &ctx.accounts.governance;
    let p = &mut ctx.accounts.proposal;
    let member = ctx.accounts.member.key();
    g.require_permission(&member, PERMISSION_VOTE)?;
    require!(
        p.status == ProposalStatus::Active,
        VaultError::ProposalNotActive
    );
    require!(!g.is_stale(p.index), VaultError::ProposalStale);
    require!(!voting_expired(p, g, now), VaultError::ProposalExpired);
    require!(!p.has_voted(&member), VaultError::AlreadyVoted);

    let before = p.status;
    if approve {
        p.approvals.push(member);
        if p.approvals.len() >= g.threshold as usize {
            p.status = ProposalStatus::Approved;
            p.approved_at = now;
        }
    } else {
        p.rejections.push(member);
        // Approval is impossible once more than (voters - threshold) members rejected.
        if p.rejections.len() > g.voters().saturating_sub(g.threshold as usize) {
            p.status = ProposalStatus::Rejected;
        }
    }

    emit_event(&ProposalVoted {
        vault: g.vault,
        index: p.index,
        member,
        approve,
        approvals: p.approvals.len() as u8,
        rejections: p.rejections.len() as u8,
        status_before: before,
        status_after: p.status,
    });
    Ok(())
}
