pub mod open_position;
pub mod sell;

pub use open_position::*;
pub use sell::*;

use crate::error::VaultError;
use crate::events::{emit_event, BreakerTripped};
use crate::state::Vault;
use anchor_lang::prelude::*;

/// Everything that must hold before the keeper may add risk.
pub fn require_may_add_risk(vault: &Vault, keeper: &Pubkey) -> Result<()> {
    require!(vault.config.keeper == *keeper, VaultError::NotKeeper);
    require!(!vault.config.trading_paused, VaultError::TradingPaused);
    require!(!vault.risk.reduce_only, VaultError::ReduceOnly);
    require!(!vault.breaker.tripped, VaultError::BreakerTripped);
    require!(!vault.emergency_deleverage, VaultError::EmergencyDeleverage);
    Ok(())
}

/// Evaluates the circuit breaker after a NAV change; emits [`BreakerTripped`] when it trips.
pub fn evaluate_breaker(vault_key: Pubkey, vault: &mut Vault, now: i64) {
    let (low, high) = vault.scaled_prices();
    let limits = vault.risk;
    if let Some(reason) = vault.breaker.evaluate(&limits, low, high, now) {
        emit_event(&BreakerTripped {
            vault: vault_key,
            reason,
            price: low,
            price_high: high,
            day_start_price: vault.breaker.day_start_price,
            price_high_water: vault.breaker.price_high_water,
        });
    }
}
