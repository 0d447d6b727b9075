//! Local lender markets for tests.

use crate::{TestChain, TokenProgram, TxOutcome};
use anchor_lang::prelude::Pubkey;
use local_lender::client::{self, ReserveKeys};
use local_lender::state::{Obligation, Reserve, ReserveConfig};
use solana_sdk::signature::{Keypair, Signer};

/// $1.00 with the oracle's 8 decimals.
pub const ONE_DOLLAR: u64 = 100_000_000;

/// Test reserve parameters: 85% LTV, 90% liquidation threshold, 5% bonus, 5% + 20%
/// utilization rates, 10 bps flash fee, prices valid for a day, 1% confidence.
pub fn test_reserve_config() -> ReserveConfig {
    ReserveConfig {
        ltv_bps: 8_500,
        liquidation_threshold_bps: 9_000,
        liquidation_bonus_bps: 500,
        base_rate_bps: 500,
        rate_slope_bps: 2_000,
        flash_fee_bps: 10,
        max_price_age_seconds: 24 * 60 * 60,
        max_confidence_bps: 100,
    }
}

/// A lending market and its admin (who also publishes prices).
pub struct LenderFixture {
    pub admin: Keypair,
    pub market: Pubkey,
}

impl TestChain {
    pub async fn lending_market(&mut self, market_id: u64) -> LenderFixture {
        let admin = self.funded_keypair(10_000_000_000).await;
        self.send(
            &[client::create_market(&admin.pubkey(), market_id)],
            &[&admin],
        )
        .await
        .unwrap();
        LenderFixture {
            market: client::market_address(&admin.pubkey(), market_id),
            admin,
        }
    }

    /// Adds a reserve for `mint` with `config`, publishes `price`, and deposits `liquidity`
    /// from a fresh liquidity provider.
    pub async fn reserve(
        &mut self,
        l: &LenderFixture,
        mint: &Pubkey,
        program: TokenProgram,
        config: ReserveConfig,
        price: u64,
        liquidity: u64,
    ) -> ReserveKeys {
        let r = ReserveKeys::new(l.market, *mint, program.id());
        self.send(
            &[client::create_reserve(&l.admin.pubkey(), &r, config)],
            &[&l.admin],
        )
        .await
        .unwrap();
        self.set_price(l, &r, price).await.unwrap();
        if liquidity > 0 {
            let (lp, ata) = self.investor(mint, liquidity).await;
            self.send(
                &[client::deposit_liquidity(&lp.pubkey(), &r, &ata, liquidity)],
                &[&lp],
            )
            .await
            .unwrap();
        }
        r
    }

    pub async fn set_price(&mut self, l: &LenderFixture, r: &ReserveKeys, price: u64) -> TxOutcome {
        self.send(
            &[client::set_price(
                &l.admin.pubkey(),
                r,
                price,
                price / 1_000,
            )],
            &[&l.admin],
        )
        .await
    }

    pub async fn reserve_state(&mut self, r: &ReserveKeys) -> Reserve {
        self.anchor_account(&r.reserve).await
    }

    pub async fn obligation_state(&mut self, o: &Pubkey) -> Obligation {
        self.anchor_account(o).await
    }
}
