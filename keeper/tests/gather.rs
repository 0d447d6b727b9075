//! Facts gathered from the embedded chain for the safety score: holders outside the pool,
//! LP burned share, and the simulated round trip that exposes tokens that cannot be sold.

use flashforge_tests::amm_fixture::TokenSpec;
use flashforge_tests::trading_fixture::TradingVault;
use flashforge_tests::{MintExtension, TestChain, TokenProgram};
use keeper::chain::local::LocalChain;
use keeper::chain::Chain;
use keeper::detect::DetectedPool;
use keeper::gather::{gather, Probe};
use keeper::score::{score, LiquidityModel, Weights};
use local_amm::client::PoolKeys;
use solana_sdk::signature::{Keypair, Signer};

const UNIT: u64 = 1_000_000;

struct Fx {
    chain: LocalChain,
    tv: TradingVault,
    probe_wallet: Keypair,
    probe_account: solana_sdk::pubkey::Pubkey,
}

async fn fx() -> Fx {
    let mut chain = TestChain::start().await;
    let tv = chain.trading_vault(10 * UNIT, |_| {}).await;
    let probe_wallet = chain.funded_keypair(1_000_000_000).await;
    let probe_account = chain
        .token_account(&tv.f.keys.base_mint, &probe_wallet.pubkey())
        .await;
    chain
        .mint_to(&tv.f.keys.base_mint, &probe_account, 100 * UNIT)
        .await;
    Fx {
        chain: LocalChain::new(chain, 1),
        tv,
        probe_wallet,
        probe_account,
    }
}

impl Fx {
    async fn pool(
        &mut self,
        token: TokenSpec<'_>,
        fee_bps: u16,
    ) -> (PoolKeys, solana_sdk::pubkey::Pubkey, Keypair) {
        let base = (self.tv.f.keys.base_mint, TokenProgram::Spl);
        let (p, mint, out) = self
            .chain
            .chain
            .create_pool_with_new_token(base, token, 1_000 * UNIT, 1_000 * UNIT, fee_bps)
            .await;
        out.unwrap();
        (p.keys, mint, p.creator)
    }

    fn detected(
        &self,
        keys: &PoolKeys,
        mint: &solana_sdk::pubkey::Pubkey,
        creator: &Keypair,
    ) -> DetectedPool {
        DetectedPool {
            venue: "local_amm",
            program_id: local_amm::ID,
            pool: keys.pool,
            base_mint: *mint,
            quote_mint: Some(self.tv.f.keys.base_mint),
            lp_mint: Some(keys.lp_mint),
            creator: Some(creator.pubkey()),
            signature: None,
        }
    }

    async fn gather(&mut self, d: &DetectedPool) -> keeper::gather::Gathered {
        let base = self.tv.f.keys.base_mint;
        let probe = Probe {
            wallet: self.probe_wallet.pubkey(),
            quote_account: self.probe_account,
        };
        gather(&mut self.chain, d, &base, Some(&probe))
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn holders_exclude_the_pool_and_rank_by_owner() {
    let mut f = fx().await;
    let (keys, mint, creator) = f.pool(TokenSpec::plain(TokenProgram::Spl, 6), 30).await;
    // Two holders outside the pool: the creator with 300 and a whale with 100.
    let creator_ata = f.chain.chain.token_account(&mint, &creator.pubkey()).await;
    f.chain.chain.mint_to(&mint, &creator_ata, 300 * UNIT).await;
    let whale = Keypair::new();
    let whale_ata = f.chain.chain.token_account(&mint, &whale.pubkey()).await;
    f.chain.chain.mint_to(&mint, &whale_ata, 100 * UNIT).await;

    let largest = f.chain.largest_token_accounts(&mint).await.unwrap();
    assert_eq!(
        largest.len(),
        2,
        "the pool's vault was created by the program, not indexed as a holder"
    );
    assert!(largest[0].1 >= largest[1].1);

    let d = f.detected(&keys, &mint, &creator);
    let g = f.gather(&d).await;
    let h = g.inputs.holders.clone().unwrap();
    assert_eq!(h.supply, 1_400 * UNIT);
    assert_eq!(
        h.largest,
        vec![(creator.pubkey(), 300 * UNIT), (whale.pubkey(), 100 * UNIT)]
    );
    assert!(!h.largest.iter().any(|(o, _)| *o == keys.pool));
    let r = score(&g.inputs, &Weights::default());
    let creator_d = r
        .deductions
        .iter()
        .find(|d| d.check == "creator_holdings")
        .unwrap();
    assert!(
        creator_d.points > 0 && creator_d.evidence.contains("21.42%"),
        "{}",
        r.render()
    );
}

#[tokio::test]
async fn burned_lp_counts_as_locked_liquidity() {
    let mut f = fx().await;
    let (keys, mint, creator) = f.pool(TokenSpec::plain(TokenProgram::Spl, 6), 30).await;
    let d = f.detected(&keys, &mint, &creator);
    let before = f.gather(&d).await.inputs.pool.unwrap();
    let lp_total = local_amm::math::initial_lp(1_000 * UNIT, 1_000 * UNIT) as u64;
    assert_eq!(
        before.liquidity,
        Some(LiquidityModel::LpMint {
            supply: lp_total,
            burned_or_locked: local_amm::constants::MINIMUM_LIQUIDITY
        })
    );
    assert_eq!(before.quote_reserve, 1_000 * UNIT);
    // The creator burns every LP token: all liquidity is now locked for good.
    let lp_account = keys.lp_account(&creator.pubkey());
    let burn = spl_token_interface::instruction::burn(
        &spl_token_interface::ID,
        &lp_account,
        &keys.lp_mint,
        &creator.pubkey(),
        &[],
        lp_total - local_amm::constants::MINIMUM_LIQUIDITY,
    )
    .unwrap();
    f.chain.chain.send(&[burn], &[&creator]).await.unwrap();
    let after = f.gather(&d).await.inputs.pool.unwrap();
    assert_eq!(
        after.liquidity,
        Some(LiquidityModel::LpMint {
            supply: lp_total,
            burned_or_locked: lp_total
        })
    );
}

#[tokio::test]
async fn the_round_trip_sees_pool_fees_and_unsellable_tokens() {
    let mut f = fx().await;
    // An ordinary pool: a round trip loses two fees of 0.3% and a little impact.
    let (keys, mint, creator) = f.pool(TokenSpec::plain(TokenProgram::Spl, 6), 30).await;
    let d = f.detected(&keys, &mint, &creator);
    let h = f.gather(&d).await.inputs.honeypot.unwrap();
    assert_eq!(h.blocked, None);
    assert!((9_930..=9_945).contains(&h.round_trip_return_bps), "{h:?}");

    // A pool charging the maximum fee: a fifth is lost, which the score calls a honeypot.
    let (keys, mint, creator) = f.pool(TokenSpec::plain(TokenProgram::Spl, 6), 1_000).await;
    let d = f.detected(&keys, &mint, &creator);
    let g = f.gather(&d).await;
    let h = g.inputs.honeypot.clone().unwrap();
    assert!((8_090..=8_110).contains(&h.round_trip_return_bps), "{h:?}");
    let r = score(&g.inputs, &Weights::default());
    assert!(r
        .deductions
        .iter()
        .any(|d| d.check == "honeypot" && d.points == 100));

    // A Token-2022 transfer fee: what the buy delivers is less than the quote, so the sale of
    // the quoted amount fails.
    let ext = [MintExtension::TransferFee {
        bps: 1_000,
        max: u64::MAX,
    }];
    let spec = TokenSpec {
        program: TokenProgram::Token2022,
        decimals: 6,
        extensions: &ext,
    };
    let (keys, mint, creator) = f.pool(spec, 30).await;
    let d = f.detected(&keys, &mint, &creator);
    let h = f.gather(&d).await.inputs.honeypot.unwrap();
    assert!(h.blocked.is_some(), "{h:?}");
    // Nothing was committed by the probes.
    assert_eq!(f.chain.chain.balance(&f.probe_account).await, 100 * UNIT);
}

#[tokio::test]
async fn a_pool_not_against_the_quote_mint_is_not_tradeable() {
    let mut f = fx().await;
    let (keys, mint, creator) = f.pool(TokenSpec::plain(TokenProgram::Spl, 6), 30).await;
    let mut d = f.detected(&keys, &mint, &creator);
    let other = Keypair::new().pubkey();
    let probe = Probe {
        wallet: f.probe_wallet.pubkey(),
        quote_account: f.probe_account,
    };
    d.quote_mint = Some(other);
    let g = gather(&mut f.chain, &d, &other, Some(&probe))
        .await
        .unwrap();
    assert!(g.pool.is_none());
    assert!(g.inputs.pool.is_none() && g.inputs.honeypot.is_none());
    let r = score(&g.inputs, &Weights::default());
    assert!(
        r.deductions
            .iter()
            .any(|d| d.check == "lp_not_burned" && d.evidence.contains("unknown")),
        "{}",
        r.render()
    );
}

#[tokio::test]
async fn pool_keys_read_from_the_account_match_the_derived_ones() {
    let mut f = fx().await;
    let ext = [MintExtension::TransferFee { bps: 0, max: 0 }];
    let specs = [
        TokenSpec::plain(TokenProgram::Spl, 6),
        TokenSpec {
            program: TokenProgram::Token2022,
            decimals: 9,
            extensions: &ext,
        },
    ];
    for spec in specs {
        let (keys, mint, creator) = f.pool(spec, 30).await;
        let d = f.detected(&keys, &mint, &creator);
        // `keys` were derived from the seeds; the gathered ones are read from the account.
        let read = f.gather(&d).await.pool.expect("a local pool").keys;
        assert_eq!(read, keys);
    }
}
