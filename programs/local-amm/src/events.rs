use anchor_lang::prelude::*;

pub use native_log::emit_event;

#[event]
pub struct PoolCreated {
    pub pool: Pubkey,
    pub creator: Pubkey,
    pub mint_a: Pubkey,
    pub mint_b: Pubkey,
    pub lp_mint: Pubkey,
    pub fee_bps: u16,
    pub reserve_a: u64,
    pub reserve_b: u64,
    pub lp_minted: u64,
}

#[event]
pub struct Swapped {
    pub pool: Pubkey,
    pub user: Pubkey,
    pub mint_in: Pubkey,
    pub amount_in: u64,
    pub amount_out: u64,
    pub reserve_a_before: u64,
    pub reserve_b_before: u64,
    pub reserve_a_after: u64,
    pub reserve_b_after: u64,
}

#[event]
pub struct LiquidityChanged {
    pub pool: Pubkey,
    pub user: Pubkey,
    pub added: bool,
    pub lp_amount: u64,
    pub amount_a: u64,
    pub amount_b: u64,
    pub reserve_a_after: u64,
    pub reserve_b_after: u64,
    pub lp_supply_after: u64,
}
