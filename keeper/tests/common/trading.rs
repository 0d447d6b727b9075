//! A vault ready to trade on an embedded chain, and pools to trade: the setting of the tests
//! that run a keeper against it.

#![allow(dead_code)] // not every test binary uses every helper

use anchor_lang::AccountDeserialize;
use flashforge_tests::trading_fixture::TradingVault;
use flashforge_tests::{TestChain, TokenProgram};
use keeper::chain::local::LocalChain;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use vault::state::{GovernanceAction, Position};

/// One whole token of the vault's base mint (6 decimals).
pub const UNIT: u64 = 1_000_000;

/// A funded trading vault whose on-chain score floor is 0 (the fixture's tokens keep their
/// authorities), and the keeper's base-token account for probes, holding one token.
pub async fn setup() -> (LocalChain, TradingVault, Pubkey) {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
    // The fixture's tokens keep their authorities; let the vault take any score here.
    let mut r = chain.vault_state(&tv.f).await.risk;
    r.min_safety_score = 0;
    chain
        .govern(&tv.f, GovernanceAction::SetRiskLimits(r))
        .await
        .unwrap();
    let probe = chain
        .token_account(&tv.f.keys.base_mint, &tv.f.keeper.pubkey())
        .await;
    chain.mint_to(&tv.f.keys.base_mint, &probe, UNIT).await;
    (LocalChain::new(chain, 3), tv, probe)
}

pub async fn launch(chain: &mut LocalChain, tv: &TradingVault) -> Pubkey {
    let base = (tv.f.keys.base_mint, TokenProgram::Spl);
    let (_, mint, out) = chain
        .chain
        .create_pool_with_new_token(
            base,
            flashforge_tests::amm_fixture::TokenSpec::plain(TokenProgram::Spl, 6),
            1_000 * UNIT,
            1_000 * UNIT,
            30,
        )
        .await;
    out.unwrap();
    mint
}

pub async fn position(chain: &mut LocalChain, tv: &TradingVault, mint: &Pubkey) -> Position {
    let key = vault::client::position_address(&tv.f.keys.vault, mint);
    let a = keeper::chain::account(chain, &key).await.unwrap().unwrap();
    Position::try_deserialize(&mut a.data.as_slice()).unwrap()
}
