/// PDA seed of a pool: `["pool", mint_a, mint_b, fee_bps (u16 LE)]`.
pub const POOL_SEED: &[u8] = b"pool";
/// PDA seed of a pool's token vault: `["pool_vault", pool, mint]`.
pub const POOL_VAULT_SEED: &[u8] = b"pool_vault";
/// PDA seed of a pool's LP mint: `["lp_mint", pool]`.
pub const LP_MINT_SEED: &[u8] = b"lp_mint";
/// LP tokens locked forever at creation so the pool never empties.
pub const MINIMUM_LIQUIDITY: u64 = 1_000;
/// Highest swap fee a pool may charge (10%).
pub const MAX_FEE_BPS: u16 = 1_000;
/// Decimals of every LP mint.
pub const LP_DECIMALS: u8 = 9;
