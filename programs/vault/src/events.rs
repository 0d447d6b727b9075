//! One event per state change, each with the values before and after, so the keeper and
//! indexers can follow a vault from its logs alone.

use crate::state::{
    ActionSnapshot, BreakerReason, ChangeClass, GovernanceAction, Member, ProposalStatus,
    ReduceReason, RiskLimits, VaultConfig,
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

/// One fill of a position: a buy (`buy`) or a sale for `reason`.
#[event]
pub struct PositionFilled {
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub venue: Pubkey,
    pub pool: Pubkey,
    pub buy: bool,
    pub reason: Option<ReduceReason>,
    /// Base units spent (buy) or received (sale).
    pub base_amount: u64,
    /// Tokens received (buy) or sold (sale).
    pub token_amount: u64,
    pub tokens_before: u64,
    pub tokens_after: u64,
    pub cost_before: u64,
    pub cost_after: u64,
    /// Profit or loss realized by this fill.
    pub realized_pnl: i64,
    /// What the remaining holding would fetch now.
    pub mark_after: u64,
    pub safety_score: u8,
    pub nav_after: u64,
    pub nav_high_after: u64,
    pub idle_after: u64,
    pub open_positions_after: u16,
    pub total_exposure_after: u64,
}

#[event]
pub struct PositionClosed {
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub realized_pnl: i64,
    pub total_bought: u64,
    pub total_sold: u64,
    /// Tokens found in the account beyond the books (donations, rounding) and burned.
    pub dust_burned: u64,
}

#[event]
pub struct NavMarked {
    pub vault: Pubkey,
    pub positions_marked: u16,
    pub nav_before: u64,
    pub nav_after: u64,
    pub nav_high_after: u64,
    pub round: u64,
    pub round_remaining: u16,
    pub last_full_mark_at: i64,
}

#[event]
pub struct BreakerTripped {
    pub vault: Pubkey,
    pub reason: BreakerReason,
    pub price: u128,
    pub price_high: u128,
    pub day_start_price: u128,
    pub price_high_water: u128,
}

/// A leverage transaction ended: what it changed on the loop and the vault.
#[event]
pub struct LeverageChanged {
    pub vault: Pubkey,
    pub leverage_loop: Pubkey,
    pub collateral_mint: Pubkey,
    pub open: bool,
    pub actor: Pubkey,
    /// Base units the vault's idle balance moved by (negative: capital committed).
    pub idle_delta: i64,
    pub collateral_before: u64,
    pub collateral_after: u64,
    pub debt_before: u64,
    pub debt_after: u64,
    pub capital_after: u64,
    pub realized_pnl: i64,
    pub health_bps: u64,
    pub leverage_bps: u64,
    pub exit_value: u64,
    pub nav_after: u64,
}

#[event]
pub struct LoopHealthChecked {
    pub vault: Pubkey,
    pub leverage_loop: Pubkey,
    pub health_bps: u64,
    pub min_health_bps: u16,
    pub flagged: bool,
}
