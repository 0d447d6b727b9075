//! A vault that trades: funded, with a keeper, the local AMM allowlisted, and markets to buy.

use crate::amm_fixture::TokenSpec;
use crate::vault_fixture::VaultFixture;
use crate::{TestChain, TokenProgram, TxOutcome};
use anchor_lang::prelude::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::client::{self, Market};
use vault::instructions::{InitializeVaultParams, OpenPositionArgs, ReduceArgs};
use vault::state::{GovernanceAction, Position, ReduceReason, VenueEntry};

/// A funded vault whose keeper may trade any local-AMM pool.
pub struct TradingVault {
    pub f: VaultFixture,
    pub investor: Keypair,
    pub investor_ata: Pubkey,
}

impl TestChain {
    /// A vault (SPL base, 6 decimals) with `deposit` base units from one investor, the
    /// keeper funded, and the local AMM allowlisted for any pool and mint.
    pub async fn trading_vault(
        &mut self,
        deposit: u64,
        tweak: impl FnOnce(&mut InitializeVaultParams),
    ) -> TradingVault {
        let f = self
            .create_vault(crate::vault_fixture::VaultSpec::default(), tweak)
            .await;
        self.fund(&f.keeper.pubkey(), 10_000_000_000).await;
        let (investor, investor_ata) = self.investor(&f.keys.base_mint, deposit).await;
        self.deposit(&f, &investor, &investor_ata, deposit)
            .await
            .unwrap();
        self.govern(
            &f,
            GovernanceAction::AllowVenue(VenueEntry {
                program: local_amm::ID,
                any_pool: true,
                any_mint: true,
            }),
        )
        .await
        .unwrap();
        TradingVault {
            f,
            investor,
            investor_ata,
        }
    }

    /// A new token (SPL Token, 6 decimals) and a pool against the vault's base mint.
    pub async fn market(
        &mut self,
        tv: &TradingVault,
        base_liquidity: u64,
        token_liquidity: u64,
        fee_bps: u16,
    ) -> Market {
        let base = (tv.f.keys.base_mint, TokenProgram::Spl);
        let (pool, mint, out) = self
            .create_pool_with_new_token(
                base,
                TokenSpec::plain(TokenProgram::Spl, 6),
                base_liquidity,
                token_liquidity,
                fee_bps,
            )
            .await;
        out.unwrap();
        Market {
            mint,
            token_program: TokenProgram::Spl.id(),
            pool: pool.keys,
        }
    }

    pub async fn open(
        &mut self,
        tv: &TradingVault,
        m: &Market,
        amount_in: u64,
        min_out: u64,
        score: u8,
    ) -> TxOutcome {
        let args = OpenPositionArgs {
            order_id: crate::next_order_id(),
            amount_in,
            min_out,
            safety_score: score,
            plan: None,
        };
        let keeper = tv.f.keeper.insecure_clone();
        let ix = client::open_position(&tv.f.keys, &keeper.pubkey(), m, args);
        self.send(&[ix], &[&keeper]).await
    }

    pub async fn reduce(
        &mut self,
        tv: &TradingVault,
        m: &Market,
        amount: u64,
        min_out: u64,
        reason: ReduceReason,
    ) -> TxOutcome {
        let keeper = tv.f.keeper.insecure_clone();
        let ix = client::reduce_position(
            &tv.f.keys,
            &keeper.pubkey(),
            m,
            ReduceArgs {
                order_id: crate::next_order_id(),
                amount,
                min_out,
                reason,
            },
        );
        self.send(&[ix], &[&keeper]).await
    }

    pub async fn close(&mut self, tv: &TradingVault, m: &Market, min_out: u64) -> TxOutcome {
        let keeper = tv.f.keeper.insecure_clone();
        let ix = client::close_position(
            &tv.f.keys,
            &keeper.pubkey(),
            m,
            min_out,
            crate::next_order_id(),
        );
        self.send(&[ix], &[&keeper]).await
    }

    /// Marks the given markets' positions.
    pub async fn mark(&mut self, tv: &TradingVault, markets: &[&Market]) -> TxOutcome {
        let pairs: Vec<(Pubkey, Pubkey)> = markets.iter().map(|m| (m.mint, m.pool.pool)).collect();
        let ix = client::mark_nav(&tv.f.keys, &pairs);
        self.send(&[ix], &[]).await
    }

    pub async fn position_state(&mut self, tv: &TradingVault, m: &Market) -> Position {
        self.anchor_account(&client::position_address(&tv.f.keys.vault, &m.mint))
            .await
    }

    /// Tokens in the vault's position account for `m`.
    pub async fn position_balance(&mut self, tv: &TradingVault, m: &Market) -> u64 {
        self.balance(&client::position_token_address(&tv.f.keys.vault, &m.mint))
            .await
    }

    /// A trader holding `base` base units and `tokens` of the market's token.
    pub async fn whale(
        &mut self,
        tv: &TradingVault,
        m: &Market,
        base: u64,
        tokens: u64,
    ) -> Keypair {
        let w = self.funded_keypair(1_000_000_000).await;
        let wb = self.token_account(&tv.f.keys.base_mint, &w.pubkey()).await;
        let wt = self.token_account(&m.mint, &w.pubkey()).await;
        if base > 0 {
            self.mint_to(&tv.f.keys.base_mint, &wb, base).await;
        }
        if tokens > 0 {
            self.mint_to(&m.mint, &wt, tokens).await;
        }
        w
    }
}
