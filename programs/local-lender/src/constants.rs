pub const MARKET_SEED: &[u8] = b"market";
pub const RESERVE_SEED: &[u8] = b"reserve";
pub const LIQUIDITY_VAULT_SEED: &[u8] = b"liquidity";
pub const COLLATERAL_VAULT_SEED: &[u8] = b"collateral";
pub const PRICE_SEED: &[u8] = b"price";
pub const LP_POSITION_SEED: &[u8] = b"lp";
pub const OBLIGATION_SEED: &[u8] = b"obligation";

pub const BPS: u128 = 10_000;
/// Fixed-point one for the borrow index.
pub const WAD: u128 = 1_000_000_000_000_000_000;
pub const SECONDS_PER_YEAR: u128 = 365 * 24 * 60 * 60;
/// A liquidation may repay at most this share of the debt at once.
pub const CLOSE_FACTOR_BPS: u128 = 5_000;
/// Prices are quoted in USD with this many decimals (like Pyth's exponent -8).
pub const PRICE_DECIMALS: u32 = 8;
