//! Seeds, bounds and fixed parameters. The keeper and the test harness import these so that
//! every party derives the same addresses.

/// PDA seed of a [`crate::state::Vault`]: `["vault", creator, vault_id (u64 LE)]`.
pub const VAULT_SEED: &[u8] = b"vault";
/// PDA seed of the vault's base-token account: `["vault_tokens", vault]`.
pub const VAULT_TOKENS_SEED: &[u8] = b"vault_tokens";
/// PDA seed of a [`crate::state::Depositor`]: `["depositor", vault, investor]`.
pub const DEPOSITOR_SEED: &[u8] = b"depositor";

/// Basis points in one whole (100%).
pub const BPS_DENOMINATOR: u64 = 10_000;
/// Seconds in the fee year (365 days; management fees accrue linearly over it).
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 60 * 60;

/// Virtual shares added to the share supply in every conversion. With [`VIRTUAL_ASSETS`] this
/// sets the initial price at 1,000 shares per base unit and makes inflating the share price
/// cost an attacker 1,000 times what it could take from a victim.
pub const VIRTUAL_SHARES: u64 = 1_000;
/// Virtual assets added to total assets in every conversion (see [`VIRTUAL_SHARES`]).
pub const VIRTUAL_ASSETS: u64 = 1;
/// Minimum base units the creator deposits at initialization; their shares are dead (owned by
/// nobody, never redeemable), so the vault never returns to an empty, easily-priced state.
pub const MIN_SEED_ASSETS: u64 = 1_000;

/// Ceiling on any management fee rate (10% a year).
pub const MAX_MANAGEMENT_FEE_BPS: u16 = 1_000;
/// Ceiling on any performance fee rate (50% of profit).
pub const MAX_PERFORMANCE_FEE_BPS: u16 = 5_000;
/// Most investor tiers a vault may define.
pub const MAX_TIERS: usize = 8;
/// Longest lock-up a vault may impose (two years).
pub const MAX_LOCKUP_SECONDS: u64 = 2 * SECONDS_PER_YEAR;
/// Longest redemption notice a vault may impose (180 days).
pub const MAX_NOTICE_SECONDS: u64 = 180 * 24 * 60 * 60;
/// Longest interval between permissionless performance-fee crystallizations (one year).
pub const MAX_CRYSTALLIZATION_PERIOD_SECONDS: u64 = SECONDS_PER_YEAR;

/// Seed defaults: lock-up of six months (182 days).
pub const DEFAULT_LOCKUP_SECONDS: u64 = 182 * 24 * 60 * 60;
/// Default performance-fee crystallization period for the permissionless crank (quarterly).
pub const DEFAULT_CRYSTALLIZATION_PERIOD_SECONDS: u64 = 91 * 24 * 60 * 60;

/// Seed investor tiers, in whole units of the base token (the seeds quote US dollars; for a
/// dollar stablecoin one whole token is one dollar). Scaled by `10^decimals` at initialization.
/// `(minimum, maximum, management fee bps, performance fee bps)`.
pub const DEFAULT_TIERS_WHOLE_UNITS: [(u64, u64, u16, u16); 3] = [
    (100_000, 1_000_000, 200, 2_000),
    (1_000_000, 10_000_000, 175, 1_750),
    (10_000_000, 50_000_000, 150, 1_500),
];

/// PDA seed of a vault's [`crate::state::Governance`]: `["governance", vault]`.
pub const GOVERNANCE_SEED: &[u8] = b"governance";
/// PDA seed of a [`crate::state::Proposal`]: `["proposal", governance, index (u64 LE)]`.
pub const PROPOSAL_SEED: &[u8] = b"proposal";
/// PDA seed of a vault's [`crate::state::Allowlist`]: `["allowlist", vault]`.
pub const ALLOWLIST_SEED: &[u8] = b"allowlist";

/// Most members a governance may have.
pub const MAX_MEMBERS: usize = 10;
/// Longest governance timelock (30 days).
pub const MAX_TIMELOCK_SECONDS: u64 = 30 * 24 * 60 * 60;
/// Shortest and longest proposal lifetime (1 to 90 days).
pub const MIN_PROPOSAL_LIFETIME_SECONDS: u64 = 24 * 60 * 60;
pub const MAX_PROPOSAL_LIFETIME_SECONDS: u64 = 90 * 24 * 60 * 60;
/// A change that hurts investors (fee increase, loosened limit, longer lock-up) waits at least
/// this long after approval, and at least twice the redemption notice period.
pub const MIN_ADVERSE_DELAY_SECONDS: u64 = 7 * 24 * 60 * 60;

/// Most venue programs, pools and mints on a vault's allowlist.
pub const MAX_ALLOWED_VENUES: usize = 16;
pub const MAX_ALLOWED_POOLS: usize = 64;
pub const MAX_ALLOWED_MINTS: usize = 64;

/// Number of AUM bands in [`crate::state::RiskLimits`].
pub const AUM_BANDS: usize = 5;
/// Highest leverage any band may allow (15x), basis points.
pub const MAX_LEVERAGE_BPS: u32 = 150_000;
/// No vault may let a leveraged position end a transaction below this health factor (1.1).
pub const MIN_HEALTH_FACTOR_FLOOR_BPS: u16 = 11_000;

/// Seconds in a day (the circuit breaker's daily window, aligned to UTC midnight).
pub const SECONDS_PER_DAY: u64 = 24 * 60 * 60;
/// Share prices in the circuit breaker are base units per share scaled by this.
pub const PRICE_SCALE: u128 = 1_000_000_000_000;
/// Default and ceiling of the mark freshness required for NAV-dependent operations.
pub const DEFAULT_MAX_MARK_AGE_SECONDS: u32 = 60 * 60;
pub const MAX_MARK_AGE_CEILING_SECONDS: u32 = 7 * 24 * 60 * 60;
/// PDA seed of a [`crate::state::Position`]: `["position", vault, mint]`.
pub const POSITION_SEED: &[u8] = b"position";
/// PDA seed of a position's token account: `["position_tokens", vault, mint]`.
pub const POSITION_TOKENS_SEED: &[u8] = b"position_tokens";
/// Seed exit plan: sell 30% / 30% / 40% of the position at 2x / 5x / 10x.
pub const DEFAULT_LADDER: [(u32, u16); 3] = [(20_000, 3_000), (50_000, 3_000), (100_000, 4_000)];
/// Default stop loss: the position may be cut once worth half its cost.
pub const DEFAULT_STOP_LOSS_BPS: u16 = 5_000;
/// Default wait after a redemption matured before anyone may sell positions to pay it.
pub const DEFAULT_REDEMPTION_GRACE_SECONDS: u64 = 3 * 24 * 60 * 60;
/// A permissionless sale for a redemption must fetch at least the conservative mark less this.
pub const REDEMPTION_SALE_MAX_DISCOUNT_BPS: u64 = 500;

/// PDA seed of a [`crate::state::LeverageLoop`]: `["loop", vault, collateral_mint]`.
pub const LOOP_SEED: &[u8] = b"loop";
/// PDA seed of a loop's collateral token account: `["loop_tokens", vault, collateral_mint]`.
pub const LOOP_TOKENS_SEED: &[u8] = b"loop_tokens";
/// Most flash lenders one leverage transaction may split its loan across.
pub const MAX_FLASH_LENDERS: usize = 6;
