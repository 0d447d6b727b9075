//! Gathers the facts the safety score needs from the chain: the mint, its metadata, its
//! largest holders outside the pool, the pool's liquidity and age, and a simulated round trip
//! (buy then sell) that catches tokens which cannot be sold.
//!
//! A fact that cannot be read stays unknown (`None`), and the score charges it in full.

use crate::chain::{account, Chain};
use crate::detect::DetectedPool;
use crate::score::facts::{metadata_address, metaplex_metadata, mint_facts};
use crate::score::{HolderFacts, HoneypotCheck, LiquidityModel, PoolFacts, ScoreInputs};
use anchor_lang::AccountDeserialize;
use anyhow::Result;
use local_amm::client::PoolKeys;
use solana_sdk::account::Account;
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;
use vault::client::Market;

/// A local-AMM pool read from the chain.
#[derive(Clone, Debug)]
pub struct PoolState {
    pub keys: PoolKeys,
    pub state: local_amm::state::Pool,
}

impl PoolState {
    /// Reserves `(token, quote)` for a pool of `token` against `quote`.
    pub fn reserves(&self, token: &Pubkey) -> Option<(u64, u64)> {
        self.state.reserves_for(token)
    }

    /// The market the vault trades `token` in.
    pub fn market(&self, token: &Pubkey) -> Option<Market> {
        let (mint, token_program, _) = self.keys.side(token)?;
        Some(Market {
            mint,
            token_program,
            pool: self.keys,
        })
    }
}

/// Decodes a local-AMM pool account (`None` if it is not one).
pub fn local_pool(key: &Pubkey, a: &Account) -> Option<PoolState> {
    if a.owner != local_amm::ID {
        return None;
    }
    let state = local_amm::state::Pool::try_deserialize(&mut a.data.as_slice()).ok()?;
    Some(PoolState {
        keys: PoolKeys::from_state(*key, &state),
        state,
    })
}

/// What a round-trip probe may spend: a funded wallet and its quote-token account. The probe
/// is only simulated (signature verification off), so no key is needed.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    pub wallet: Pubkey,
    pub quote_account: Pubkey,
}

/// Everything gathered about one pool.
#[derive(Clone, Debug)]
pub struct Gathered {
    pub inputs: ScoreInputs,
    /// The token the pool trades against the quote mint.
    pub token: Pubkey,
    /// Set when the pool is a local-AMM pool of `token` against the quote mint.
    pub pool: Option<PoolState>,
}

/// The token of a detected pool that is not `quote` (a pool without `quote` yields its
/// base mint).
pub fn token_of(p: &DetectedPool, quote: &Pubkey) -> Pubkey {
    if p.base_mint == *quote {
        p.quote_mint.unwrap_or(p.base_mint)
    } else {
        p.base_mint
    }
}

/// Gathers the facts for `pool` (priced in `quote`).
pub async fn gather<C: Chain>(
    chain: &mut C,
    pool: &DetectedPool,
    quote: &Pubkey,
    probe: Option<&Probe>,
) -> Result<Gathered> {
    let token = token_of(pool, quote);
    let now = chain.now().await?;
    let keys = [token, metadata_address(&token), pool.pool];
    let accts = chain.accounts(&keys).await?;
    let mint = accts[0]
        .as_ref()
        .and_then(|a| mint_facts(&a.owner, &a.data).ok());
    let metadata = match &accts[1] {
        None => Some(None),
        Some(a) => metaplex_metadata(&a.data).ok().map(Some),
    };
    let pool_state = accts[2]
        .as_ref()
        .and_then(|a| local_pool(&pool.pool, a))
        .filter(|p| p.state.other_mint(&token) == Some(*quote));

    let mut inputs = ScoreInputs {
        mint,
        metadata,
        now,
        ..Default::default()
    };
    let pool_vaults: Vec<Pubkey> = pool_state
        .as_ref()
        .map(|p| vec![p.keys.vault_a, p.keys.vault_b])
        .unwrap_or_default();
    if let Some(m) = &inputs.mint {
        inputs.holders = holders(
            chain,
            &token,
            m.supply,
            &pool_vaults,
            &pool.pool,
            pool.creator,
        )
        .await
        .ok();
    }
    if let Some(p) = &pool_state {
        inputs.pool = Some(local_pool_facts(chain, p, quote).await?);
        if let Some(probe) = probe {
            inputs.honeypot = Some(round_trip(chain, p, &token, probe).await?);
        }
    }
    Ok(Gathered {
        inputs,
        token,
        pool: pool_state,
    })
}

/// The largest holders by owner, pool vaults (and anything the pool owns) excluded.
pub async fn holders<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    supply: u64,
    pool_vaults: &[Pubkey],
    pool: &Pubkey,
    creator: Option<Pubkey>,
) -> Result<HolderFacts> {
    let largest = chain.largest_token_accounts(mint).await?;
    let keys: Vec<Pubkey> = largest.iter().map(|x| x.0).collect();
    let accts = chain.accounts(&keys).await?;
    let mut by_owner: HashMap<Pubkey, u64> = HashMap::new();
    for ((key, amount), a) in largest.iter().zip(accts) {
        if pool_vaults.contains(key) {
            continue;
        }
        let owner = a
            .as_ref()
            .and_then(|a| crate::chain::local::token_amount(&a.data))
            .map(|(_, owner, _)| owner)
            .unwrap_or(*key);
        if owner == *pool {
            continue;
        }
        *by_owner.entry(owner).or_default() += amount;
    }
    let mut largest: Vec<(Pubkey, u64)> = by_owner.into_iter().collect();
    largest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(HolderFacts {
        supply,
        largest,
        creator,
    })
}

/// Liquidity, LP ownership and age of a local-AMM pool. LP tokens burned by their holders
/// leave the pool's own count (`lp_supply`) above the LP mint's supply; that gap plus the
/// permanently locked minimum is liquidity nobody can withdraw.
pub async fn local_pool_facts<C: Chain>(
    chain: &mut C,
    p: &PoolState,
    quote: &Pubkey,
) -> Result<PoolFacts> {
    let lp = account(chain, &p.keys.lp_mint).await?;
    let lp_supply = lp
        .and_then(|a| mint_facts(&a.owner, &a.data).ok())
        .map(|m| m.supply);
    let quote_reserve = p.state.reserves_for(quote).map(|r| r.0).unwrap_or(0);
    Ok(PoolFacts {
        venue: "local_amm".into(),
        quote_reserve,
        liquidity: lp_supply.map(|circulating| LiquidityModel::LpMint {
            supply: p.state.lp_supply,
            burned_or_locked: p.state.lp_supply.saturating_sub(circulating),
        }),
        opened_at: Some(p.state.created_at),
    })
}

/// The associated token program's `CreateIdempotent` for an address already derived
/// (the interface's builder derives it a second time).
fn create_ata_idempotent(
    wallet: &Pubkey,
    token_account: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    const CREATE_IDEMPOTENT: u8 = 1;
    Instruction {
        program_id: spl_associated_token_account_interface::program::ID,
        accounts: vec![
            AccountMeta::new(*wallet, true),
            AccountMeta::new(*token_account, false),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![CREATE_IDEMPOTENT],
    }
}

/// Simulates buying a little of `token` and selling it straight back from the probe wallet.
pub async fn round_trip<C: Chain>(
    chain: &mut C,
    p: &PoolState,
    token: &Pubkey,
    probe: &Probe,
) -> Result<HoneypotCheck> {
    let quote = p.state.other_mint(token).unwrap_or_default();
    let (token_reserve, quote_reserve) = p.reserves(token).unwrap_or((0, 0));
    if token_reserve == 0 || quote_reserve == 0 {
        return Ok(HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some("the pool is empty".into()),
        });
    }
    let amount_in = (quote_reserve / 10_000).max(1_000);
    let Some(bought) = p.state.quote_sell(&quote, amount_in) else {
        return Ok(HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some("no quote for a buy".into()),
        });
    };
    let wallet = probe.wallet;
    let (_, token_program, _) = p.keys.side(token).unwrap_or_default();
    let token_account = spl_associated_token_account_interface::address::get_associated_token_address_with_program_id(
        &wallet,
        token,
        &token_program,
    );
    let create = create_ata_idempotent(&wallet, &token_account, token, &token_program);
    let buy = local_amm::client::swap(
        &p.keys,
        &wallet,
        &quote,
        &probe.quote_account,
        &token_account,
        amount_in,
        0,
    );
    let sell = local_amm::client::swap(
        &p.keys,
        &wallet,
        token,
        &token_account,
        &probe.quote_account,
        bought,
        0,
    );
    let (Some(buy), Some(sell)) = (buy, sell) else {
        return Ok(HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some("the pool does not trade this pair".into()),
        });
    };
    let bh = chain.latest_blockhash().await?;
    let tx = crate::execute::unsigned(&wallet, &[create, buy, sell], &[], &bh)?;
    let sim = chain.simulate(&tx).await?;
    if let Some(err) = sim.err {
        return Ok(HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some(format!("selling failed in simulation: {}", err.message)),
        });
    }
    let swaps: Vec<local_amm::events::Swapped> = local_amm::client::decode_events(&sim.logs);
    let returned = swaps
        .iter()
        .rev()
        .find(|s| s.mint_in == *token)
        .map(|s| s.amount_out);
    Ok(match returned {
        Some(out) => HoneypotCheck {
            round_trip_return_bps: (out as u128 * 10_000 / amount_in as u128).min(u32::MAX as u128)
                as u32,
            blocked: None,
        },
        None => HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some("the simulated sale reported nothing".into()),
        },
    })
}

/// The safety report for an address: a mint (scored without a pool: pool checks stay
/// unknown) or a local-AMM pool (scored with its pool, priced in `quote`).
pub async fn score_address<C: Chain>(
    chain: &mut C,
    address: &Pubkey,
    account: &Account,
    quote: &Pubkey,
    weights: &crate::score::Weights,
) -> Result<crate::score::SafetyReport> {
    let token_programs = [spl_token_interface::ID, spl_token_2022_interface::ID];
    let inputs = if token_programs.contains(&account.owner) {
        let mint = mint_facts(&account.owner, &account.data).map_err(|e| {
            anyhow::anyhow!("{address} is owned by a token program but is not a mint: {e}")
        })?;
        let md = crate::chain::account(chain, &metadata_address(address)).await?;
        let metadata = match md {
            None => Some(None),
            Some(a) => metaplex_metadata(&a.data).ok().map(Some),
        };
        let creator = metadata
            .as_ref()
            .and_then(|m| m.as_ref().map(|m| m.update_authority));
        let holders = holders(
            chain,
            address,
            mint.supply,
            &[],
            &Pubkey::default(),
            creator,
        )
        .await
        .ok();
        ScoreInputs {
            mint: Some(mint),
            metadata,
            holders,
            now: chain.now().await?,
            ..Default::default()
        }
    } else if let Some(p) = local_pool(address, account) {
        let token = p.state.other_mint(quote).ok_or_else(|| {
            anyhow::anyhow!("pool {address} does not trade against the quote mint {quote}")
        })?;
        let detected = DetectedPool {
            venue: "local_amm",
            program_id: local_amm::ID,
            pool: *address,
            base_mint: token,
            quote_mint: Some(*quote),
            lp_mint: Some(p.keys.lp_mint),
            creator: Some(p.state.creator),
            signature: None,
        };
        gather(chain, &detected, quote, None).await?.inputs
    } else {
        anyhow::bail!(
            "{address} is owned by {}: neither a token mint nor a pool this keeper can read; pass the token's mint address",
            account.owner
        );
    };
    Ok(crate::score::score(&inputs, weights))
}
