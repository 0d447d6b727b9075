use crate::constants::*;
use crate::events::{emit_event, ProposalCreated};
use crate::instructions::shared::now;
use crate::state::{
    apply_action, ActionTargets, Allowlist, Governance, GovernanceAction, Proposal, ProposalStatus,
    Vault, PERMISSION_PROPOSE,
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(action: GovernanceAction)]
pub struct Propose<'info> {
    #[account(mut)]
    pub proposer: Signer<'info>,

    #[account(
        mut,
        seeds = [GOVERNANCE_SEED, vault.key().as_ref()],
        bump = governance.bump,
        has_one = vault,
    )]
    pub governance: Box<Account<'info, Governance>>,

    pub vault: Box<Account<'info, Vault>>,

    #[account(seeds = [ALLOWLIST_SEED, vault.key().as_ref()], bump = allowlist.bump)]
    pub allowlist: Box<Account<'info, Allowlist>>,

    #[account(
        init,
        payer = proposer,
        space = Proposal::space(&action),
        seeds = [
            PROPOSAL_SEED,
            governance.key().as_ref(),
            &(governance.proposal_index + 1).to_le_bytes(),
        ],
        bump,
    )]
    pub proposal: Box<Account<'info, Proposal>>,

    pub system_program: Program<'info, System>,
}

/// Creates a proposal. The action is tried against copies of the current state first, so a
/// malformed action (invalid limits, a bad member list, a removal of something not listed) is
/// refused now with its reason rather than after the votes.
pub fn propose_handler(ctx: Context<Propose>, action: GovernanceAction) -> Result<()> {
    let now = now()?;
    let a = &mut *ctx.accounts;
    a.governance
        .require_permission(&a.proposer.key(), PERMISSION_PROPOSE)?;

    let class = action.classify(&a.vault)?;
    {
        let mut vault = (**a.vault).clone();
        let mut governance = (**a.governance).clone();
        let mut allowlist = (**a.allowlist).clone();
        let mut targets = ActionTargets {
            vault: &mut vault,
            governance: &mut governance,
            allowlist: &mut allowlist,
        };
        apply_action(&mut targets, &action, now)?;
    }

    let index = a.governance.proposal_index + 1;
    a.governance.proposal_index = index;
    a.proposal.set_inner(Proposal {
        version: 1,
        bump: ctx.bumps.proposal,
        governance: a.governance.key(),
        index,
        proposer: a.proposer.key(),
        status: ProposalStatus::Active,
        created_at: now,
        approved_at: 0,
        executed_at: 0,
        approvals: Vec::new(),
        rejections: Vec::new(),
        cancellations: Vec::new(),
        action: action.clone(),
    });

    emit_event(&ProposalCreated {
        vault: a.vault.key(),
        governance: a.governance.key(),
        index,
        proposer: a.proposer.key(),
        action,
        class,
    });
    Ok(())
}
