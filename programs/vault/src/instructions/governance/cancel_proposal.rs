use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, ProposalCancelled};
use crate::state::{Governance, Proposal, ProposalStatus, PERMISSION_VOTE};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelProposal<'info> {
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

/// Withdraws a proposal: the proposer alone while it is still being voted on; once approved,
/// the threshold of members voting to cancel.
pub fn cancel_proposal_handler(ctx: Context<CancelProposal>) -> Result<()> {
    let g = &ctx.accounts.governance;
    let p = &mut ctx.accounts.proposal;
    let member = ctx.accounts.member.key();
    let before = p.status;
    match p.status {
        ProposalStatus::Active => {
            g.member(&member).ok_or(VaultError::NotAMember)?;
            require!(p.proposer == member, VaultError::NotProposer);
            p.status = ProposalStatus::Cancelled;
        }
        ProposalStatus::Approved => {
            g.require_permission(&member, PERMISSION_VOTE)?;
            require!(!p.cancellations.contains(&member), VaultError::AlreadyVoted);
            p.cancellations.push(member);
            if p.cancellations.len() >= g.threshold as usize {
                p.status = ProposalStatus::Cancelled;
            }
        }
        _ => return err!(VaultError::ProposalNotActive),
    }
    emit_event(&ProposalCancelled {
        vault: g.vault,
        index: p.index,
        member,
        cancellations: p.cancellations.len() as u8,
        status_before: before,
        status_after: p.status,
    });
    Ok(())
}
