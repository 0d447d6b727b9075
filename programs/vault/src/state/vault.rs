use crate::constants::*;
use crate::error::VaultError;
use crate::math::shares::SharePrice;
use crate::state::{BreakerState, Flight, RiskLimits};
use anchor_lang::prelude::*;

/// One row of the investor-tier table. An investor belongs to the highest tier whose
/// `min_deposit` does not exceed the investor's net deposits; that tier's rates apply.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct InvestorTier {
    /// Lowest net deposit (base units) of the tier, inclusive.
    pub min_deposit: u64,
    /// Highest net deposit (base units) of the tier, exclusive; equals the next tier's minimum.
    pub max_deposit: u64,
    /// Management fee, basis points a year.
    pub management_fee_bps: u16,
    /// Performance fee, basis points of profit above the high-water mark.
    pub performance_fee_bps: u16,
}

/// The vault's configuration: every field a governance action may change.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct VaultConfig {
    /// Hot key allowed to trade inside the vault's limits; it can never move funds out.
    pub keeper: Pubkey,
    /// Owner of the token account that receives collected fees.
    pub fee_recipient: Pubkey,
    /// Seconds after an investor's latest deposit before a withdrawal can be paid.
    pub lockup_seconds: u64,
    /// Seconds between a withdrawal request and its payment.
    pub notice_seconds: u64,
    /// Minimum seconds between two permissionless performance-fee crystallizations of an
    /// investor (a withdrawal request always crystallizes).
    pub crystallization_period_seconds: u64,
    /// Smallest single deposit, base units.
    pub min_deposit: u64,
    /// Largest net asset value the vault accepts deposits up to, base units.
    pub max_aum: u64,
    /// Deposits refused while set. Withdrawals are never paused.
    pub deposits_paused: bool,
    /// Keeper trading refused while set. Investor exits stay open.
    pub trading_paused: bool,
    /// Seconds after a redemption matured (lock-up and notice passed) during which only the
    /// keeper may sell positions to pay it; afterwards anyone may.
    pub redemption_grace_seconds: u64,
    /// Investor tiers, ascending and contiguous.
    #[max_len(MAX_TIERS)]
    pub tiers: Vec<InvestorTier>,
}

/// A fund vault: the base-token treasury, the share ledger and the rules investors rely on.
#[account]
#[derive(InitSpace, Debug)]
pub struct Vault {
    /// Layout version of this account.
    pub version: u8,
    /// Bump of this PDA.
    pub bump: u8,
    /// Bump of the vault's token account PDA.
    pub token_account_bump: u8,
    /// Key that created the vault (part of the PDA seeds).
    pub creator: Pubkey,
    /// Creator-chosen number distinguishing the creator's vaults (part of the PDA seeds).
    pub vault_id: u64,
    /// The vault's governance (PDA); every privileged change goes through its proposals.
    pub governance: Pubkey,
    /// Mint of the base token investors deposit.
    pub base_mint: Pubkey,
    /// Token program of the base mint (SPL Token or Token-2022).
    pub base_token_program: Pubkey,
    /// Decimals of the base mint.
    pub base_decimals: u8,
    /// The vault's base-token account (PDA, owned by this vault).
    pub token_account: Pubkey,

    /// Base units the vault owns and holds in its token account. Tokens sent to the account
    /// without a deposit are not counted.
    pub idle_assets: u64,
    /// Every share in existence: dead, investor, escrowed for withdrawal, and fee shares.
    pub total_shares: u64,
    /// Shares created by the seed deposit at initialization, owned by nobody.
    pub dead_shares: u64,
    /// Fee shares accrued to the fee recipient and not yet collected.
    pub fee_shares: u64,
    /// Shares escrowed by pending withdrawal requests.
    pub pending_withdraw_shares: u64,
    /// Number of depositor accounts ever opened.
    pub depositor_count: u64,
    /// Lifetime base units deposited by investors (the seed excluded).
    pub total_deposited: u128,
    /// Lifetime base units paid to investors.
    pub total_withdrawn: u128,
    /// Lifetime base units paid to the fee recipient.
    pub total_fees_collected: u128,
    /// Base units owed to pending withdrawal requests at their request value; trading may not
    /// spend idle assets below this.
    pub pending_withdraw_value: u64,

    /// Sum over open positions of the lower of each position's two latest marks.
    pub positions_value_low: u64,
    /// Sum over open positions of the higher of each position's two latest marks.
    pub positions_value_high: u64,
    /// Positions holding tokens.
    pub open_positions: u16,
    /// Cost basis of all open positions, base units.
    pub total_exposure: u64,
    /// Lifetime realized profit and loss of trading, base units.
    pub realized_pnl: i64,
    /// Lifetime swap fees paid to venues, base units (estimated at the venue's fee rate).
    pub swap_fees_paid: u64,
    /// Current `mark_nav` round, positions still unmarked in it, and when it began.
    pub mark_round: u64,
    pub round_remaining: u16,
    pub round_started_at: i64,
    /// Start of the latest round in which every open position was marked.
    pub last_full_mark_at: i64,

    /// Investor-facing configuration; governance changes it.
    pub config: VaultConfig,
    /// Trading limits; governance sets them, guardians may tighten them.
    pub risk: RiskLimits,
    /// Circuit-breaker bookkeeping.
    pub breaker: BreakerState,
    /// Set by governance or a guardian: leveraged positions are to be unwound.
    pub emergency_deleverage: bool,
    /// The leverage transaction in flight, if any (never persists past its transaction).
    pub flight: Flight,
    /// Leveraged positions open (also counted in `open_positions`).
    pub open_loops: u16,
    /// Highest client order id executed; every keeper order must carry a higher one.
    pub last_order_id: u64,
}

impl Vault {
    /// Net asset value with each position at the lower of its two latest marks. The vault's
    /// official NAV: redemptions, fees and reports use it.
    pub fn total_assets(&self) -> u64 {
        self.idle_assets.saturating_add(self.positions_value_low)
    }

    /// Net asset value with each position at the higher of its two latest marks: deposits are
    /// priced on it, so a depositor never buys shares below their value.
    pub fn total_assets_high(&self) -> u64 {
        self.idle_assets.saturating_add(self.positions_value_high)
    }

    /// Share price for redemptions, fees and reports (positions valued low).
    pub fn share_price(&self) -> SharePrice {
        SharePrice::new(self.total_assets(), self.total_shares)
    }

    /// Share price for deposits (positions valued high).
    pub fn share_price_for_deposit(&self) -> SharePrice {
        SharePrice::new(self.total_assets_high(), self.total_shares)
    }

    /// `(low, high)` share prices scaled by `PRICE_SCALE`, for the circuit breaker.
    pub fn scaled_prices(&self) -> (u128, u128) {
        let scaled = |assets: u64| {
            (assets as u128 + VIRTUAL_ASSETS as u128).saturating_mul(PRICE_SCALE)
                / (self.total_shares as u128 + VIRTUAL_SHARES as u128)
        };
        (
            scaled(self.total_assets()),
            scaled(self.total_assets_high()),
        )
    }

    /// Accepts a keeper order id once: it must exceed every id executed before. A resend of an
    /// order that already landed is refused instead of trading twice.
    pub fn consume_order_id(&mut self, order_id: u64) -> Result<()> {
        require!(order_id > self.last_order_id, VaultError::OrderIdReused);
        self.last_order_id = order_id;
        Ok(())
    }

    /// Refuses NAV-dependent operations when some open position has not been marked within
    /// the freshness limit.
    pub fn require_fresh_marks(&self, now: i64) -> Result<()> {
        if self.open_positions == 0 {
            return Ok(());
        }
        let age = now.saturating_sub(self.last_full_mark_at);
        if age > self.risk.max_mark_age_seconds as i64 {
            crate::vlog!("positions last fully marked {}s ago", age);
            return err!(VaultError::MarksStale);
        }
        Ok(())
    }

    /// The tier that applies to an investor with `net_deposits` base units deposited. Investors
    /// below the lowest tier (possible after partial withdrawals) pay the lowest tier's rates.
    pub fn tier_for(&self, net_deposits: u64) -> InvestorTier {
        let mut chosen = self.config.tiers[0];
        for tier in self.config.tiers.iter() {
            if net_deposits >= tier.min_deposit {
                chosen = *tier;
            }
        }
        chosen
    }

    /// Cross-field rules that must hold after every instruction.
    pub fn invariant(&self) -> Result<()> {
        let accounted = self
            .dead_shares
            .checked_add(self.fee_shares)
            .and_then(|s| s.checked_add(self.pending_withdraw_shares))
            .ok_or(VaultError::InvariantViolated)?;
        require!(
            accounted <= self.total_shares,
            VaultError::InvariantViolated
        );
        require!(
            self.positions_value_low <= self.positions_value_high
                && (self.open_positions > 0
                    || (self.positions_value_high == 0 && self.total_exposure == 0)),
            VaultError::InvariantViolated
        );
        self.config.validate()?;
        self.risk.validate()
    }
}

impl VaultConfig {
    /// Rules every configuration must satisfy, whoever sets it.
    pub fn validate(&self) -> Result<()> {
        validate_tiers(&self.tiers)?;
        require!(
            self.lockup_seconds <= MAX_LOCKUP_SECONDS,
            VaultError::LockupTooLong
        );
        require!(
            self.notice_seconds <= MAX_NOTICE_SECONDS,
            VaultError::NoticeTooLong
        );
        require!(
            self.crystallization_period_seconds <= MAX_CRYSTALLIZATION_PERIOD_SECONDS,
            VaultError::CrystallizationPeriodTooLong
        );
        require!(self.min_deposit > 0, VaultError::InvalidMinDeposit);
        require!(self.max_aum > 0, VaultError::InvalidAumCap);
        require!(
            self.redemption_grace_seconds <= MAX_NOTICE_SECONDS,
            VaultError::NoticeTooLong
        );
        Ok(())
    }
}

/// Checks a tier table: 1..=MAX_TIERS rows, each `min < max`, contiguous (`max` equals the next
/// row's `min`), and every rate under the program's ceilings.
pub fn validate_tiers(tiers: &[InvestorTier]) -> Result<()> {
    require!(
        !tiers.is_empty() && tiers.len() <= MAX_TIERS,
        VaultError::InvalidTiers
    );
    for (i, t) in tiers.iter().enumerate() {
        require!(t.min_deposit < t.max_deposit, VaultError::InvalidTiers);
        require!(
            t.management_fee_bps <= MAX_MANAGEMENT_FEE_BPS
                && t.performance_fee_bps <= MAX_PERFORMANCE_FEE_BPS,
            VaultError::FeeRateTooHigh
        );
        if let Some(next) = tiers.get(i + 1) {
            require!(t.max_deposit == next.min_deposit, VaultError::InvalidTiers);
        }
    }
    Ok(())
}

/// The seed tier table scaled to a mint with `decimals` decimals.
pub fn default_tiers(decimals: u8) -> Result<Vec<InvestorTier>> {
    let unit = 10u64
        .checked_pow(decimals as u32)
        .ok_or(VaultError::MathOverflow)?;
    DEFAULT_TIERS_WHOLE_UNITS
        .iter()
        .map(|&(min, max, mgmt, perf)| {
            Ok(InvestorTier {
                min_deposit: min.checked_mul(unit).ok_or(VaultError::MathOverflow)?,
                max_deposit: max.checked_mul(unit).ok_or(VaultError::MathOverflow)?,
                management_fee_bps: mgmt,
                performance_fee_bps: perf,
            })
        })
        .collect()
}

/// Binds `$name` to the signer seeds of `$vault` (a `&Vault`): `["vault", creator, id, bump]`.
#[macro_export]
macro_rules! vault_signer_seeds {
    ($vault:expr, $name:ident) => {
        let __vault_id = $vault.vault_id.to_le_bytes();
        let __bump = [$vault.bump];
        let $name: &[&[u8]] = &[
            $crate::constants::VAULT_SEED,
            $vault.creator.as_ref(),
            &__vault_id,
            &__bump,
        ];
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(min: u64, max: u64) -> InvestorTier {
        InvestorTier {
            min_deposit: min,
            max_deposit: max,
            management_fee_bps: 100,
            performance_fee_bps: 1_000,
        }
    }

    #[test]
    fn default_tiers_scale_with_decimals() {
        let t = default_tiers(6).unwrap();
        assert_eq!(t[0].min_deposit, 100_000_000_000);
        assert_eq!(t[2].max_deposit, 50_000_000_000_000);
        assert_eq!(t[1].management_fee_bps, 175);
        assert_eq!(t[2].performance_fee_bps, 1_500);
        validate_tiers(&t).unwrap();
        validate_tiers(&default_tiers(0).unwrap()).unwrap();
        validate_tiers(&default_tiers(9).unwrap()).unwrap();
        assert!(default_tiers(12).is_err());
    }

    #[test]
    fn tier_tables_must_be_contiguous_and_increasing() {
        validate_tiers(&[tier(0, 10), tier(10, 20)]).unwrap();
        assert!(validate_tiers(&[]).is_err());
        assert!(validate_tiers(&[tier(0, 10), tier(11, 20)]).is_err());
        assert!(validate_tiers(&[tier(10, 10)]).is_err());
        assert!(validate_tiers(&[tier(0, 10); MAX_TIERS + 1]).is_err());
        let mut t = tier(0, 10);
        t.management_fee_bps = MAX_MANAGEMENT_FEE_BPS + 1;
        assert!(validate_tiers(&[t]).is_err());
    }
}
