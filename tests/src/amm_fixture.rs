//! Local AMM pools for tests.

use crate::{MintExtension, TestChain, TokenProgram, TxOutcome};
use anchor_lang::prelude::Pubkey;
use local_amm::client::{self, PoolKeys};
use local_amm::state::Pool;
use solana_sdk::signature::{Keypair, Signer};

/// How to make a new token.
#[derive(Clone, Copy, Debug)]
pub struct TokenSpec<'a> {
    pub program: TokenProgram,
    pub decimals: u8,
    pub extensions: &'a [MintExtension],
}

impl TokenSpec<'static> {
    pub fn plain(program: TokenProgram, decimals: u8) -> Self {
        Self {
            program,
            decimals,
            extensions: &[],
        }
    }
}

/// A pool, its creator and the creator's token accounts.
pub struct PoolFixture {
    pub keys: PoolKeys,
    pub creator: Keypair,
    pub creator_a: Pubkey,
    pub creator_b: Pubkey,
}

impl TestChain {
    /// Creates a pool of `base` (existing mint) against a new token made to `token`, seeded
    /// with `base_amount` and `token_amount`.
    pub async fn create_pool_with_new_token(
        &mut self,
        base: (Pubkey, TokenProgram),
        token: TokenSpec<'_>,
        base_amount: u64,
        token_amount: u64,
        fee_bps: u16,
    ) -> (PoolFixture, Pubkey, TxOutcome) {
        let mint = self
            .create_mint(token.program, token.decimals, token.extensions)
            .await;
        let (pool, out) = self
            .create_pool(
                base,
                (mint, token.program),
                base_amount,
                token_amount,
                fee_bps,
            )
            .await;
        (pool, mint, out)
    }

    /// Creates a pool of two existing mints with `amount_x` of `x` and `amount_y` of `y`.
    pub async fn create_pool(
        &mut self,
        x: (Pubkey, TokenProgram),
        y: (Pubkey, TokenProgram),
        amount_x: u64,
        amount_y: u64,
        fee_bps: u16,
    ) -> (PoolFixture, TxOutcome) {
        let keys = PoolKeys::new((x.0, x.1.id()), (y.0, y.1.id()), fee_bps);
        let creator = self.funded_keypair(10_000_000_000).await;
        let (amount_a, amount_b) = if keys.mint_a == x.0 {
            (amount_x, amount_y)
        } else {
            (amount_y, amount_x)
        };
        let creator_a = self.token_account(&keys.mint_a, &creator.pubkey()).await;
        let creator_b = self.token_account(&keys.mint_b, &creator.pubkey()).await;
        self.mint_to(&keys.mint_a, &creator_a, amount_a).await;
        self.mint_to(&keys.mint_b, &creator_b, amount_b).await;
        let ix = client::create_pool(
            &keys,
            &creator.pubkey(),
            &creator_a,
            &creator_b,
            amount_a,
            amount_b,
        );
        let out = self.send(&[ix], &[&creator]).await;
        (
            PoolFixture {
                keys,
                creator,
                creator_a,
                creator_b,
            },
            out,
        )
    }

    pub async fn pool_state(&mut self, keys: &PoolKeys) -> Pool {
        self.anchor_account(&keys.pool).await
    }

    /// Swaps `amount_in` of `mint_in` for `trader` between its own token accounts.
    pub async fn swap(
        &mut self,
        keys: &PoolKeys,
        trader: &Keypair,
        mint_in: &Pubkey,
        amount_in: u64,
        min_out: u64,
    ) -> TxOutcome {
        let other = if *mint_in == keys.mint_a {
            keys.mint_b
        } else {
            keys.mint_a
        };
        let user_in = self.token_account(mint_in, &trader.pubkey()).await;
        let user_out = self.token_account(&other, &trader.pubkey()).await;
        let ix = client::swap(
            keys,
            &trader.pubkey(),
            mint_in,
            &user_in,
            &user_out,
            amount_in,
            min_out,
        )
        .expect("mint in pool");
        self.send(&[ix], &[trader]).await
    }
}
