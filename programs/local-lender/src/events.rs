use anchor_lang::prelude::*;

pub use native_log::emit_event;

#[event]
pub struct ReserveCreated {
    pub market: Pubkey,
    pub reserve: Pubkey,
    pub mint: Pubkey,
    pub oracle: Pubkey,
}

#[event]
pub struct PriceUpdated {
    pub reserve: Pubkey,
    pub price_before: u64,
    pub price_after: u64,
    pub confidence: u64,
    pub publish_time: i64,
}

#[event]
pub struct LiquidityChanged {
    pub reserve: Pubkey,
    pub owner: Pubkey,
    pub deposit: bool,
    pub amount: u64,
    pub shares: u64,
    pub available_after: u64,
}

#[event]
pub struct ObligationChanged {
    pub obligation: Pubkey,
    pub action: ObligationAction,
    pub amount: u64,
    pub collateral_after: u64,
    pub debt_after: u64,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObligationAction {
    DepositCollateral,
    WithdrawCollateral,
    Borrow,
    Repay,
}

#[event]
pub struct Liquidated {
    pub obligation: Pubkey,
    pub liquidator: Pubkey,
    pub repaid: u64,
    pub collateral_seized: u64,
    pub health_before_bps: u64,
}

#[event]
pub struct FlashLoan {
    pub reserve: Pubkey,
    pub borrow: bool,
    pub amount: u64,
    pub fee: u64,
}
