//! Flashforge vault: a fund whose rules live on-chain. Investors deposit one SPL token and hold
//! shares that never leave their position account; fees, lock-up and high-water marks are
//! enforced here, not promised off-chain.
//!
//! This file only forwards: each instruction lives in `instructions/`, grouped by caller.

use anchor_lang::prelude::*;

#[cfg(not(target_os = "solana"))]
pub mod client;
pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
pub mod lending;
pub mod log;
pub mod math;
pub mod state;
pub mod token;
pub mod venues;

use instructions::*;
use state::{FlightKind, GovernanceAction, WithdrawAmount};

declare_id!("5wkGVFhG7TPugxJ5nAR9qfUVRYqFMAdi6AHEzkerZooY");

#[program]
pub mod vault {
    use super::*;

    /// Creates a vault for one base mint, seeded with dead shares bought by the creator.
    pub fn initialize_vault(
        ctx: Context<InitializeVault>,
        params: InitializeVaultParams,
    ) -> Result<()> {
        initialize_vault_handler(ctx, params)
    }

    /// Deposits base tokens and credits shares at the current net asset value (rounded down).
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        deposit_handler(ctx, amount)
    }

    /// Escrows shares for redemption after the notice period and lock-up.
    pub fn request_withdraw(ctx: Context<RequestWithdraw>, amount: WithdrawAmount) -> Result<()> {
        request_withdraw_handler(ctx, amount)
    }

    /// Returns escrowed shares to the investor (less the management fee while escrowed).
    pub fn cancel_withdraw_request(ctx: Context<CancelWithdrawRequest>) -> Result<()> {
        cancel_withdraw_request_handler(ctx)
    }

    /// Pays a matured withdrawal request: the lesser of its value then and now.
    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        withdraw_handler(ctx)
    }

    /// Closes an empty position and refunds its rent.
    pub fn close_depositor(ctx: Context<CloseDepositor>) -> Result<()> {
        close_depositor_handler(ctx)
    }

    /// Permissionless: charges an investor's management fee and crystallizes the performance fee.
    pub fn crystallize_fees(ctx: Context<CrystallizeFees>) -> Result<()> {
        crystallize_fees_handler(ctx)
    }

    /// Permissionless: pays accrued fee shares to the fee recipient.
    pub fn collect_fees(ctx: Context<CollectFees>) -> Result<()> {
        collect_fees_handler(ctx)
    }

    /// Member with the propose permission: proposes one typed action.
    pub fn propose(ctx: Context<Propose>, action: GovernanceAction) -> Result<()> {
        propose_handler(ctx, action)
    }

    /// Member with the vote permission: approves a proposal.
    pub fn approve_proposal(ctx: Context<VoteOnProposal>) -> Result<()> {
        vote_handler(ctx, true)
    }

    /// Member with the vote permission: rejects a proposal.
    pub fn reject_proposal(ctx: Context<VoteOnProposal>) -> Result<()> {
        vote_handler(ctx, false)
    }

    /// The proposer (before approval) or the threshold of voters (after): cancels a proposal.
    pub fn cancel_proposal(ctx: Context<CancelProposal>) -> Result<()> {
        cancel_proposal_handler(ctx)
    }

    /// Member with the execute permission: executes an approved proposal after its delay.
    pub fn execute_proposal(ctx: Context<ExecuteProposal>) -> Result<()> {
        execute_proposal_handler(ctx)
    }

    /// Guardian: pauses, tightens or removes at once, alone.
    pub fn guardian_act(ctx: Context<GuardianAct>, action: GovernanceAction) -> Result<()> {
        guardian_act_handler(ctx, action)
    }

    /// Permissionless: closes a finished proposal and refunds the proposer.
    pub fn close_proposal(ctx: Context<CloseProposal>) -> Result<()> {
        close_proposal_handler(ctx)
    }

    /// Keeper: opens or increases a position inside the vault's limits.
    pub fn open_position(ctx: Context<OpenPosition>, args: OpenPositionArgs) -> Result<()> {
        open_position_handler(ctx, args)
    }

    /// Keeper: sells part of a position (discretionary, a ladder step or the stop loss).
    pub fn reduce_position(ctx: Context<ReducePosition>, args: ReduceArgs) -> Result<()> {
        reduce_position_handler(ctx, args)
    }

    /// Keeper: sells the rest of a position and closes it.
    pub fn close_position(ctx: Context<ClosePosition>, min_out: u64, order_id: u64) -> Result<()> {
        close_position_handler(ctx, min_out, order_id)
    }

    /// Permissionless: sells a position to pay a redemption overdue past its grace period.
    pub fn sell_for_redemption(ctx: Context<SellForRedemption>, amount: u64) -> Result<()> {
        sell_for_redemption_handler(ctx, amount)
    }

    /// Permissionless: re-marks positions (remaining accounts: position, pool pairs) and
    /// evaluates the circuit breaker.
    pub fn mark_nav<'info>(ctx: Context<'info, MarkNav<'info>>) -> Result<()> {
        mark_nav_handler(ctx)
    }

    /// Keeper (or a guardian, for emergency unwinds): starts a leverage transaction.
    pub fn leverage_begin(
        ctx: Context<LeverageBegin>,
        kind: FlightKind,
        order_id: u64,
    ) -> Result<()> {
        leverage_begin_handler(ctx, kind, order_id)
    }

    /// The opening step: swap, deposit collateral, borrow, approve the flash repay.
    pub fn leverage_open_step(ctx: Context<LoopAccounts>, args: OpenStepArgs) -> Result<()> {
        leverage_open_step_handler(ctx, args)
    }

    /// The unwinding step: repay, withdraw collateral, swap back, approve the flash repay.
    pub fn leverage_unwind_step(ctx: Context<LoopAccounts>, args: UnwindStepArgs) -> Result<()> {
        leverage_unwind_step_handler(ctx, args)
    }

    /// Ends a leverage transaction after checking health, leverage, exposure and balances.
    pub fn leverage_end(ctx: Context<LeverageEnd>) -> Result<()> {
        leverage_end_handler(ctx)
    }

    /// Permissionless: flags a loop whose health factor is below the vault's minimum.
    pub fn check_loop_health(ctx: Context<CheckLoopHealth>) -> Result<()> {
        check_loop_health_handler(ctx)
    }
}
