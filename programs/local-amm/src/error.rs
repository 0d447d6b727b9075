use anchor_lang::prelude::*;

/// Every way the local AMM refuses. Append only.
#[error_code]
pub enum AmmError {
    #[msg("An arithmetic operation overflowed.")]
    MathOverflow,
    #[msg("The amount must be greater than zero.")]
    ZeroAmount,
    #[msg("The pool's mints must be distinct and given in ascending address order.")]
    MintsNotSorted,
    #[msg("The fee is above the maximum a pool may charge.")]
    FeeTooHigh,
    #[msg(
        "The initial deposit is too small: it must mint more than the locked minimum liquidity."
    )]
    InitialLiquidityTooSmall,
    #[msg("The output is below the caller's minimum (slippage).")]
    SlippageExceeded,
    #[msg("The required deposit is above the caller's maximum (slippage).")]
    DepositAboveMaximum,
    #[msg("The mint is not one of the pool's two mints.")]
    MintNotInPool,
    #[msg("The token account is not the pool's vault for that mint.")]
    WrongVault,
    #[msg("The trade would return nothing.")]
    ZeroOutput,
    #[msg("The pool received fewer tokens than it must (transfer fee or hook).")]
    InsufficientReceived,
    #[msg("The withdrawal would take more than the pool's reserves.")]
    InsufficientReserves,
}
