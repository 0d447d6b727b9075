use anchor_lang::prelude::*;

/// Every way a vault instruction can refuse. Append new variants at the end: clients match on
/// the numeric codes (6000 + position), so existing variants are never reordered or removed.
#[error_code]
pub enum VaultError {
    #[msg("An arithmetic operation overflowed; the amounts involved are out of range.")]
    MathOverflow,
    #[msg("The amount must be greater than zero.")]
    ZeroAmount,
    #[msg("The base mint uses a Token-2022 extension that breaks the vault's accounting (transfer fee, transfer hook, permanent delegate, default-frozen accounts, non-transferable or pausable).")]
    UnsupportedMintExtension,
    #[msg("The initial seed deposit is below the minimum that protects the first investor.")]
    SeedTooSmall,
    #[msg("A fee rate is above the ceiling the program allows.")]
    FeeRateTooHigh,
    #[msg("The investor tier table is empty, too long, not contiguous or not increasing.")]
    InvalidTiers,
    #[msg("The lock-up period is longer than the program allows.")]
    LockupTooLong,
    #[msg("The redemption notice period is longer than the program allows.")]
    NoticeTooLong,
    #[msg("The crystallization period is longer than the program allows.")]
    CrystallizationPeriodTooLong,
    #[msg("The maximum assets under management must be greater than zero.")]
    InvalidAumCap,
    #[msg("The minimum deposit must be greater than zero.")]
    InvalidMinDeposit,
    #[msg("The deposit is below the vault's minimum deposit.")]
    DepositBelowMinimum,
    #[msg(
        "After this deposit the investor's net deposits would be below the lowest tier's minimum."
    )]
    BelowTierMinimum,
    #[msg(
        "After this deposit the investor's net deposits would exceed the highest tier's maximum."
    )]
    AboveTierMaximum,
    #[msg("This deposit would take the vault above its maximum assets under management.")]
    AumCapExceeded,
    #[msg("Deposits into this vault are paused.")]
    DepositsPaused,
    #[msg("The deposit is too small to buy a single share at the current price.")]
    ZeroShares,
    /// Retired with the single admin (governance replaced it); kept so codes never shift.
    #[msg("The signer is not the vault's admin.")]
    NotAdmin,
    #[msg("The investor already has a pending withdrawal request; cancel or complete it first.")]
    WithdrawRequestPending,
    #[msg("The investor has no pending withdrawal request.")]
    NoWithdrawRequest,
    #[msg("The investor does not hold that many shares.")]
    InsufficientShares,
    #[msg("The investor's lock-up period has not ended yet.")]
    LockupActive,
    #[msg("The redemption notice period of this request has not elapsed yet.")]
    NoticePeriodActive,
    #[msg("The vault does not hold enough idle base tokens to pay this redemption now.")]
    InsufficientLiquidity,
    #[msg("The withdrawal is worth nothing at the current price.")]
    ZeroPayout,
    #[msg("The token account does not belong to the expected owner.")]
    WrongTokenAccountOwner,
    #[msg("The performance-fee crystallization period for this investor has not elapsed yet.")]
    CrystallizationTooEarly,
    #[msg("The vault's token balance is below what its accounting says it holds.")]
    AccountingMismatch,
    #[msg("The token transfer moved a different amount than requested.")]
    TransferAmountMismatch,
    #[msg("The vault's internal accounting violates an invariant.")]
    InvariantViolated,
    #[msg("There are no accrued fee shares to collect.")]
    NoFeesToCollect,
    #[msg("The depositor account still holds shares or a pending request and cannot be closed.")]
    DepositorNotEmpty,
    /// Retired with the single admin (governance replaced it); kept so codes never shift.
    #[msg("The new admin must differ from the current one and must not be the default address.")]
    InvalidAdmin,
    #[msg("The risk limits are out of range: a safety score above 100, a loss limit of zero or above 100%, or AUM bands that are not ascending, do not end at the maximum, or cap positions or leverage outside their bounds.")]
    InvalidRiskLimits,
    #[msg("The minimum health factor may not be set below 1.1.")]
    HealthFactorFloor,
    #[msg("The signer is not a member of this vault's governance.")]
    NotAMember,
    #[msg("The member lacks the permission this step needs (propose, vote or execute).")]
    MissingPermission,
    #[msg("The member has already voted on this proposal.")]
    AlreadyVoted,
    #[msg("The proposal is no longer open for votes.")]
    ProposalNotActive,
    #[msg("The proposal has not been approved.")]
    ProposalNotApproved,
    #[msg("The proposal predates a change of members, threshold or timelock and can no longer be approved or executed.")]
    ProposalStale,
    #[msg("The proposal is older than the governance's proposal lifetime.")]
    ProposalExpired,
    #[msg("The proposal's delay has not elapsed yet.")]
    TimelockActive,
    #[msg("The threshold must be at least 1 and at most the number of members who can vote.")]
    InvalidThreshold,
    #[msg("A key appears more than once among the members.")]
    DuplicateMember,
    #[msg("Governance needs 1 to 10 members, none the default key, each with a permission or the guardian role, and at least one proposer and one executor.")]
    InvalidMembers,
    #[msg("The governance timelock is longer than the program allows.")]
    TimelockTooLong,
    #[msg("The proposal lifetime is outside the range the program allows.")]
    InvalidProposalLifetime,
    #[msg("The signer is not a guardian of this vault.")]
    NotAGuardian,
    #[msg("Guardians may only pause, tighten limits, remove allowlist entries or start an emergency deleverage.")]
    NotProtective,
    #[msg("The allowlist has no room for another entry of this kind.")]
    AllowlistFull,
    #[msg("The entry is already on the allowlist.")]
    AlreadyAllowlisted,
    #[msg("The entry is not on the allowlist.")]
    NotAllowlisted,
    #[msg("The fee-rate list must have exactly one entry per investor tier.")]
    FeeRatesMismatch,
    #[msg("The action would change nothing.")]
    NoChange,
    #[msg("Only the proposer may withdraw a proposal before it is approved; approved proposals need the threshold of cancel votes.")]
    NotProposer,
    #[msg("The proposal can still take effect; it cannot be closed yet.")]
    ProposalStillLive,
    #[msg("Some open position has not been marked recently enough; run mark_nav over every position first.")]
    MarksStale,
    #[msg("The signer is not the vault's keeper.")]
    NotKeeper,
    #[msg("Trading is paused by governance.")]
    TradingPaused,
    #[msg(
        "The vault is reduce-only: positions may be reduced or closed, not opened or increased."
    )]
    ReduceOnly,
    #[msg("The circuit breaker has tripped: the vault is reduce-only until governance resets it.")]
    BreakerTripped,
    #[msg("An emergency deleverage is under way: positions may only be reduced.")]
    EmergencyDeleverage,
    #[msg("The attested safety score is below the vault's minimum.")]
    SafetyScoreTooLow,
    #[msg("A safety score is a number from 0 to 100.")]
    InvalidSafetyScore,
    #[msg("The venue program is not on the vault's allowlist.")]
    VenueNotAllowlisted,
    #[msg("The pool is not on the vault's allowlist.")]
    PoolNotAllowlisted,
    #[msg("The mint is not on the vault's allowlist.")]
    MintNotAllowlisted,
    #[msg("The pool does not belong to the venue, or does not pair this mint with the base mint.")]
    PoolMismatch,
    #[msg("The buy is larger than the vault's maximum per trade.")]
    MaxBuyExceeded,
    #[msg("The vault already holds its maximum number of open positions.")]
    MaxPositionsReached,
    #[msg("The buy would take total exposure above the vault's limit.")]
    MaxExposureExceeded,
    #[msg("The buy would take exposure to this token above the vault's per-token limit.")]
    TokenExposureExceeded,
    #[msg("The position would be larger than the vault's AUM band allows as a share of NAV.")]
    PositionTooLarge,
    #[msg("Idle assets owed to pending redemptions may not be traded.")]
    ReservedForRedemptions,
    #[msg("The trade returned less than the caller's minimum (slippage).")]
    SlippageExceeded,
    #[msg("The position does not hold that many tokens.")]
    InsufficientPositionTokens,
    #[msg("That ladder step has already been taken.")]
    LadderStepTaken,
    #[msg("The position has not reached that ladder step's price multiple.")]
    LadderNotReached,
    #[msg("The reduce sells more than the ladder step allows.")]
    LadderAmountExceeded,
    #[msg("The position is not down to its stop-loss level.")]
    StopNotReached,
    #[msg("The exit plan is invalid: ladder multiples must rise above 1x, sell fractions must total at most 100%, and the stop must be below 1x.")]
    InvalidExitPlan,
    #[msg("No redemption is overdue: the request is not matured past its grace period, or idle assets already cover it.")]
    RedemptionNotOverdue,
    #[msg("The venue is not one the vault knows how to trade.")]
    UnsupportedVenue,
    #[msg("A leverage transaction is in flight: nothing else may touch the vault until it ends.")]
    LeverageInFlight,
    #[msg("No leverage transaction is in flight.")]
    NoLeverageInFlight,
    #[msg("A leverage transaction must be top level and end with leverage_end for this vault in the same transaction.")]
    LeverageEndMissing,
    #[msg("The leverage step must run exactly once between begin and end.")]
    LeverageStepMissing,
    #[msg("The vault's balance does not match the leverage plan: the flash-repay delegation was used for something else.")]
    LeverageBalanceMismatch,
    #[msg("The leveraged position would end below the vault's minimum health factor.")]
    HealthTooLow,
    #[msg("The leveraged position would exceed the leverage cap of the vault's AUM band.")]
    LeverageTooHigh,
    #[msg("The lender program is not one the vault knows, or the account does not belong to this loop.")]
    LenderMismatch,
    #[msg("Only the keeper may run leverage transactions; a guardian may only unwind.")]
    NotLeverageActor,
    #[msg("This order id is not above the last executed one: the order already executed or was superseded.")]
    OrderIdReused,
}
