pub mod cancel_proposal;
pub mod close_proposal;
pub mod execute_proposal;
pub mod guardian_act;
pub mod propose;
pub mod vote;

pub use cancel_proposal::*;
pub use close_proposal::*;
pub use execute_proposal::*;
pub use guardian_act::*;
pub use propose::*;
pub use vote::*;

use crate::error::VaultError;
use crate::state::{required_delay, Governance, Proposal, ProposalStatus, Vault};
use anchor_lang::prelude::*;

/// Whether an active proposal has outlived its voting window.
pub fn voting_expired(p: &Proposal, g: &Governance, now: i64) -> bool {
    now > p
        .created_at
        .saturating_add(g.proposal_lifetime_seconds as i64)
}

/// The `(executable_at, expires_at)` window of an approved proposal, classifying its action
/// against the vault as it is now.
pub fn execution_window(p: &Proposal, g: &Governance, vault: &Vault) -> Result<(i64, i64)> {
    let class = p.action.classify(vault)?;
    let delay = required_delay(class, vault, g) as i64;
    let executable_at = p
        .approved_at
        .checked_add(delay)
        .ok_or(VaultError::MathOverflow)?;
    let expires_at = executable_at.saturating_add(g.proposal_lifetime_seconds as i64);
    Ok((executable_at, expires_at))
}

/// Whether a proposal can never take effect any more (so its rent may be reclaimed).
pub fn is_finished(p: &Proposal, g: &Governance, vault: &Vault, now: i64) -> Result<bool> {
    Ok(match p.status {
        ProposalStatus::Executed | ProposalStatus::Rejected | ProposalStatus::Cancelled => true,
        _ if g.is_stale(p.index) => true,
        ProposalStatus::Active => voting_expired(p, g, now),
        ProposalStatus::Approved => now > execution_window(p, g, vault)?.1,
    })
}
