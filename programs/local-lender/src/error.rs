use anchor_lang::prelude::*;

/// Every way the local lender refuses. Append only.
#[error_code]
pub enum LenderError {
    #[msg("An arithmetic operation overflowed.")]
    MathOverflow,
    #[msg("The amount must be greater than zero.")]
    ZeroAmount,
    #[msg("The reserve configuration is invalid: LTV must be below the liquidation threshold, both at most 95%, fees and rates within bounds.")]
    InvalidConfig,
    #[msg("The signer is not the market admin.")]
    NotAdmin,
    #[msg("The oracle price is older than the reserve allows.")]
    StalePrice,
    #[msg("The oracle price's confidence interval is wider than the reserve allows.")]
    PriceTooUncertain,
    #[msg("The oracle price must be greater than zero.")]
    InvalidPrice,
    #[msg("The reserve does not hold enough available liquidity.")]
    InsufficientLiquidity,
    #[msg("The borrow would exceed the obligation's loan-to-value limit.")]
    BorrowLimitExceeded,
    #[msg("The withdrawal would leave the obligation above its loan-to-value limit.")]
    WithdrawLimitExceeded,
    #[msg("The obligation does not hold that much collateral.")]
    InsufficientCollateral,
    #[msg("The obligation is healthy and cannot be liquidated.")]
    ObligationHealthy,
    #[msg("A liquidation may repay at most half of the debt at once.")]
    CloseFactorExceeded,
    #[msg("The account does not belong to this obligation or reserve.")]
    WrongAccount,
    #[msg("Flash loans must be top-level instructions, not called through another program.")]
    FlashLoanCpi,
    #[msg("A flash borrow needs exactly one matching flash repay later in the same transaction.")]
    FlashRepayMissing,
    #[msg("A flash repay must match a flash borrow of the same reserve and amount earlier in the transaction.")]
    FlashBorrowMissing,
    #[msg("A flash loan of this reserve is already outstanding.")]
    FlashLoanActive,
    #[msg("The liquidity position does not hold that many shares.")]
    InsufficientShares,
    #[msg("The repayment is larger than the debt.")]
    RepayExceedsDebt,
}
