//! One event per state change, each with the values before and after, so the keeper and
//! indexers can follow a vault from its logs alone.

use crate::state::{
    ActionSnapshot, ChangeClass, GovernanceAction, Member, ProposalStatus, RiskLimits, VaultConfig,
};
use anchor_lang::prelude::*;

pub use native_log::emit_event;

#[event]
pub struct VaultInitialized {
    pub vault: Pubkey,
    pub creator: Pubkey,
    pub governance: Pubkey,
    pub members: Vec<Member>,
    pub threshold: u8,
    pub timelock_seconds: u64,
    pub base_mint: Pubkey,
    pub base_token_program: Pubkey,
    pub token_account: Pubkey,
    pub seed_assets: u64,
    pub dead_shares: u64,
    pub config: VaultConfig,
    pub risk: RiskLimits,
}

#[event]
pub struct Deposited {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub amount: u64,
    pub shares_minted: u64,
    pub investor_shares_before: u64,
    pub investor_shares_after: u64,
    pub net_deposits_after: u64,
    pub lockup_start: i64,
    pub lockup_end: i64,
    pub total_assets_before: u64,
    pub total_assets_after: u64,
    pub total_shares_before: u64,
    pub total_shares_after: u64,
}

#[event]
pub struct ManagementFeeCharged {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub rate_bps: u16,
    pub fee_shares: u64,
    pub investor_shares_before: u64,
    pub investor_shares_after: u64,
    pub fee_shares_total_after: u64,
    pub paid_until: i64,
}

#[event]
pub struct PerformanceFeeCrystallized {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub rate_bps: u16,
    pub value_before: u64,
    pub profit: u64,
    pub fee_shares: u64,
    pub high_water_mark_before: u64,
    pub high_water_mark_after: u64,
    pub investor_shares_before: u64,
    pub investor_shares_after: u64,
    pub fee_shares_total_after: u64,
}

#[event]
pub struct WithdrawRequested {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub shares: u64,
    pub value: u64,
    pub requested_at: i64,
    /// Earliest time the request can be paid: the later of lock-up end and notice end.
    pub payable_at: i64,
    pub investor_shares_before: u64,
    pub investor_shares_after: u64,
    pub pending_withdraw_shares_after: u64,
}

#[event]
pub struct WithdrawCancelled {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub shares_escrowed: u64,
    pub fee_shares: u64,
    pub investor_shares_before: u64,
    pub investor_shares_after: u64,
    pub pending_withdraw_shares_after: u64,
}

#[event]
pub struct Withdrawn {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub shares_burned: u64,
    pub value_at_request: u64,
    pub value_now: u64,
    pub paid: u64,
    pub total_assets_before: u64,
    pub total_assets_after: u64,
    pub total_shares_before: u64,
    pub total_shares_after: u64,
}

#[event]
pub struct FeesCollected {
    pub vault: Pubkey,
    pub fee_recipient: Pubkey,
    pub shares_burned: u64,
    pub paid: u64,
    pub total_assets_before: u64,
    pub total_assets_after: u64,
    pub total_shares_before: u64,
    pub total_shares_after: u64,
}

#[event]
pub struct ProposalCreated {
    pub vault: Pubkey,
    pub governance: Pubkey,
    pub index: u64,
    pub proposer: Pubkey,
    pub action: GovernanceAction,
    /// Class against the vault as it was when proposed (execution re-classifies).
    pub class: ChangeClass,
}

#[event]
pub struct ProposalVoted {
    pub vault: Pubkey,
    pub index: u64,
    pub member: Pubkey,
    pub approve: bool,
    pub approvals: u8,
    pub rejections: u8,
    pub status_before: ProposalStatus,
    pub status_after: ProposalStatus,
}

#[event]
pub struct ProposalCancelled {
    pub vault: Pubkey,
    pub index: u64,
    pub member: Pubkey,
    pub cancellations: u8,
    pub status_before: ProposalStatus,
    pub status_after: ProposalStatus,
}

/// An action took effect, through a proposal (`proposal_index` > 0) or a guardian (0).
#[event]
pub struct ActionExecuted {
    pub vault: Pubkey,
    pub proposal_index: u64,
    pub by: Pubkey,
    pub guardian: bool,
    pub action: GovernanceAction,
    pub class: ChangeClass,
    pub before: ActionSnapshot,
    pub after: ActionSnapshot,
}

#[event]
pub struct DepositorClosed {
    pub vault: Pubkey,
    pub investor: Pubkey,
    pub total_deposited: u64,
    pub total_withdrawn: u64,
}
