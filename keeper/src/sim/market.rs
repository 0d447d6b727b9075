//! The simulated market: token launches on the local AMM — honest ones and rugs that each
//! carry one red flag the score knows — price paths driven by a market maker, rug pulls that
//! use the flag (mint, freeze, pull liquidity, dump, permanent delegate), and the scenario's
//! stress events. Everything happens through real transactions on the embedded chain, which
//! is how the keeper sees it.

use super::Scenario;
use anchor_lang::solana_program::system_instruction;
use anyhow::{bail, Result};
use flashforge_tests::TestChain;
use local_amm::client::PoolKeys;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use solana_sdk::instruction::Instruction;
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use spl_associated_token_account_interface::address::get_associated_token_address_with_program_id as ata_of;
use spl_associated_token_account_interface::instruction::create_associated_token_account_idempotent as create_ata;
use std::collections::HashMap;

/// Token decimals of every launched token.
pub const TOKEN_DECIMALS: u8 = 6;
/// Total supply of every launched token (one billion whole tokens).
pub const SUPPLY: u64 = 1_000_000_000 * 1_000_000;

/// What a launch is, and for a rug, the red flag it carries and uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Kind {
    Honest,
    /// Mint authority kept; the creator mints and dumps.
    MintDump,
    /// Freeze authority kept; the creator freezes holders and dumps.
    FreezeDump,
    /// LP tokens kept; the creator withdraws the liquidity.
    LpPull,
    /// The creator keeps a large share and dumps it.
    CreatorDump,
    /// The pool charges the maximum fee, so selling loses a fifth in a round trip.
    Honeypot,
    /// Token-2022 permanent delegate: the creator takes holders' tokens.
    PermanentDelegate,
    /// The creator hides a large share across many wallets and dumps it.
    SybilDump,
}

impl Kind {
    pub const RUGS: [Kind; 7] = [
        Kind::MintDump,
        Kind::FreezeDump,
        Kind::LpPull,
        Kind::CreatorDump,
        Kind::Honeypot,
        Kind::PermanentDelegate,
        Kind::SybilDump,
    ];

    pub fn is_rug(self) -> bool {
        self != Kind::Honest
    }
}

/// A launched token and its pool.
struct Launch {
    kind: Kind,
    mint: Pubkey,
    token_program: Pubkey,
    keys: PoolKeys,
    creator: Keypair,
    creator_token: Pubkey,
    creator_base: Pubkey,
    mm_token: Pubkey,
    sybils: Vec<Keypair>,
    born: u32,
    /// Tick the rug is pulled (rugs only).
    rug_at: Option<u32>,
    drift: f64,
    vol: f64,
    /// Log of the target price relative to the launch price.
    log_target: f64,
    p0: f64,
    rugged: bool,
}

/// Counters of what the market did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MarketStats {
    pub launches: u64,
    pub rugs_created: u64,
    pub rugs_pulled: u64,
    pub by_kind: HashMap<String, u64>,
    pub trades: u64,
    pub failed_market_txs: u64,
}

pub struct Market {
    rng: ChaCha8Rng,
    scenario: Scenario,
    pub base: Pubkey,
    mm: Keypair,
    mm_base: Pubkey,
    crowd: Vec<Keypair>,
    live: Vec<Launch>,
    /// Creation tick of every launch still to come, ascending.
    schedule: Vec<u32>,
    next_launch: usize,
    /// Ticks a launch keeps trading.
    active_ticks: u32,
    pub rug_share: f64,
    pub ticks: u32,
    /// Every mint launched and what it was.
    pub kinds: HashMap<Pubkey, Kind>,
    pub stats: MarketStats,
    vault: Pubkey,
}

fn spl() -> Pubkey {
    spl_token_interface::ID
}

fn t22() -> Pubkey {
    spl_token_2022_interface::ID
}

/// A keypair drawn from the market's generator, so a seed fixes every address.
fn keypair(rng: &mut ChaCha8Rng) -> Keypair {
    Keypair::new_from_array(rng.gen())
}

impl Market {
    /// A market of `pools` launches over `ticks` ticks.
    pub async fn new(
        chain: &mut TestChain,
        scenario: Scenario,
        seed: u64,
        pools: u32,
        ticks: u32,
        base: Pubkey,
        vault: Pubkey,
    ) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rug_share = match scenario {
            Scenario::RugPullWave => 0.7,
            _ => 0.35,
        };
        // Launches arrive over the first three quarters of the run.
        let span = (ticks * 3 / 4).max(1);
        let mut schedule: Vec<u32> = (0..pools).map(|_| rng.gen_range(0..span)).collect();
        schedule.sort_unstable();
        let mm = keypair(&mut rng);
        chain.fund(&mm.pubkey(), 100_000_000_000).await;
        let mm_base = chain.token_account(&base, &mm.pubkey()).await;
        chain.mint_to(&base, &mm_base, u64::MAX / 4).await;
        let crowd: Vec<Keypair> = (0..16).map(|_| keypair(&mut rng)).collect();
        Ok(Self {
            rng,
            scenario,
            base,
            mm,
            mm_base,
            crowd,
            live: Vec::new(),
            schedule,
            next_launch: 0,
            active_ticks: 40,
            rug_share,
            ticks,
            kinds: HashMap::new(),
            stats: MarketStats::default(),
            vault,
        })
    }

    /// One tick of market activity: launches due now, price moves, rugs due now.
    pub async fn step(&mut self, chain: &mut TestChain, tick: u32) -> Result<()> {
        while self.next_launch < self.schedule.len() && self.schedule[self.next_launch] <= tick {
            self.next_launch += 1;
            self.launch(chain, tick).await?;
        }
        let crash = self.crash_factor(tick);
        let mut i = 0;
        while i < self.live.len() {
            let age = tick - self.live[i].born;
            if age > self.active_ticks && self.live[i].rug_at.is_none_or(|r| r < tick) {
                // Gone quiet: no more trading, forget it.
                self.live.swap_remove(i);
                continue;
            }
            if self.live[i].rug_at == Some(tick) && !self.live[i].rugged {
                self.pull_rug(chain, i).await?;
            } else if !self.live[i].rugged {
                self.drive_price(chain, i, crash).await?;
            }
            i += 1;
        }
        Ok(())
    }

    /// Multiplier on every target price from the scenario's crash (1.0 outside it).
    pub fn crash_factor(&self, tick: u32) -> f64 {
        if self.scenario != Scenario::FlashCrash {
            return 1.0;
        }
        let at = self.ticks / 2;
        match tick.checked_sub(at) {
            Some(0..=2) => 0.35,
            Some(3..=10) => 0.6,
            _ => 1.0,
        }
    }

    fn pick_kind(&mut self) -> Kind {
        if self.rng.gen_bool(self.rug_share) {
            Kind::RUGS[self.rng.gen_range(0..Kind::RUGS.len())]
        } else {
            Kind::Honest
        }
    }

    async fn launch(&mut self, chain: &mut TestChain, tick: u32) -> Result<()> {
        let kind = self.pick_kind();
        let payer = chain.payer();
        let creator = keypair(&mut self.rng);
        let mint_kp = keypair(&mut self.rng);
        let mint = mint_kp.pubkey();
        let token_program = if kind == Kind::PermanentDelegate || self.rng.gen_bool(0.2) {
            t22()
        } else {
            spl()
        };
        // Liquidity in base units (SOL-like, 9 decimals): 5 to 300 whole units, log-uniform.
        let base_liq = (5.0f64 * (60.0f64).powf(self.rng.gen::<f64>()) * 1e9) as u64;
        let fee_bps: u16 = if kind == Kind::Honeypot { 1_000 } else { 30 };
        let (pool_share, creator_share) = match kind {
            Kind::CreatorDump => (0.50, 0.40),
            Kind::FreezeDump | Kind::Honeypot | Kind::PermanentDelegate => (0.62, 0.20),
            Kind::SybilDump => (0.47, 0.03),
            _ => (0.80, 0.02),
        };
        let pool_tokens = (SUPPLY as f64 * pool_share) as u64;
        let creator_keeps = (SUPPLY as f64 * creator_share) as u64;
        let mm_tokens = SUPPLY / 10;
        let sybil_each = SUPPLY / 20;
        let n_sybils = if kind == Kind::SybilDump { 7 } else { 0 };

        // 1. The mint (creator is mint and freeze authority until revoked), the creator's
        //    and the market maker's token accounts, the whole supply to the creator, and
        //    the creator's base liquidity.
        let mut ixs: Vec<Instruction> = Vec::new();
        let (space, ext_ixs) = if kind == Kind::PermanentDelegate {
            use spl_token_2022_interface::extension::ExtensionType;
            let space = ExtensionType::try_calculate_account_len::<
                spl_token_2022_interface::state::Mint,
            >(&[ExtensionType::PermanentDelegate])?;
            let ix = spl_token_2022_interface::instruction::initialize_permanent_delegate(
                &t22(),
                &mint,
                &creator.pubkey(),
            )?;
            (space, vec![ix])
        } else {
            // A mint without extensions has the same size under both token programs.
            (spl_token_interface::state::Mint::LEN, vec![])
        };
        let rent = chain.rent().await;
        // The creator pays for the pool's accounts.
        ixs.push(system_instruction::transfer(
            &payer.pubkey(),
            &creator.pubkey(),
            100_000_000,
        ));
        ixs.push(system_instruction::create_account(
            &payer.pubkey(),
            &mint,
            rent.minimum_balance(space),
            space as u64,
            &token_program,
        ));
        ixs.extend(ext_ixs);
        let freeze = matches!(kind, Kind::FreezeDump) || self.rng.gen_bool(0.05);
        ixs.push(spl_token_2022_interface::instruction::initialize_mint2(
            &token_program,
            &mint,
            &creator.pubkey(),
            Some(&creator.pubkey()),
            TOKEN_DECIMALS,
        )?);
        let creator_token = ata_of(&creator.pubkey(), &mint, &token_program);
        let creator_base = ata_of(&creator.pubkey(), &self.base, &spl());
        let mm_token = ata_of(&self.mm.pubkey(), &mint, &token_program);
        ixs.push(create_ata(
            &payer.pubkey(),
            &creator.pubkey(),
            &mint,
            &token_program,
        ));
        ixs.push(create_ata(
            &payer.pubkey(),
            &creator.pubkey(),
            &self.base,
            &spl(),
        ));
        ixs.push(create_ata(
            &payer.pubkey(),
            &self.mm.pubkey(),
            &mint,
            &token_program,
        ));
        ixs.push(spl_token_2022_interface::instruction::mint_to(
            &token_program,
            &mint,
            &creator_token,
            &creator.pubkey(),
            &[],
            SUPPLY,
        )?);
        ixs.push(spl_token_2022_interface::instruction::mint_to(
            &spl(),
            &self.base,
            &creator_base,
            &payer.pubkey(),
            &[],
            base_liq,
        )?);
        self.send(chain, &ixs, &[&creator, &mint_kp]).await?;

        // 2. The pool, the market maker's inventory, and the launch's promises: revoke
        //    authorities and burn the LP tokens unless the rug needs them.
        let keys = PoolKeys::new((self.base, spl()), (mint, token_program), fee_bps);
        let (amount_a, amount_b) = if keys.mint_a == self.base {
            (base_liq, pool_tokens)
        } else {
            (pool_tokens, base_liq)
        };
        let (creator_a, creator_b) = if keys.mint_a == self.base {
            (creator_base, creator_token)
        } else {
            (creator_token, creator_base)
        };
        let mut ixs = vec![local_amm::client::create_pool(
            &keys,
            &creator.pubkey(),
            &creator_a,
            &creator_b,
            amount_a,
            amount_b,
        )];
        ixs.push(transfer(
            &token_program,
            &creator_token,
            &mint,
            &mm_token,
            &creator.pubkey(),
            mm_tokens,
        )?);
        use spl_token_2022_interface::instruction::AuthorityType;
        if kind != Kind::MintDump {
            ixs.push(spl_token_2022_interface::instruction::set_authority(
                &token_program,
                &mint,
                None,
                AuthorityType::MintTokens,
                &creator.pubkey(),
                &[],
            )?);
        }
        if !freeze {
            ixs.push(spl_token_2022_interface::instruction::set_authority(
                &token_program,
                &mint,
                None,
                AuthorityType::FreezeAccount,
                &creator.pubkey(),
                &[],
            )?);
        }
        if kind != Kind::LpPull {
            let lp = local_amm::math::initial_lp(amount_a, amount_b) as u64
                - local_amm::constants::MINIMUM_LIQUIDITY;
            ixs.push(spl_token_2022_interface::instruction::burn(
                &spl(),
                &keys.lp_account(&creator.pubkey()),
                &keys.lp_mint,
                &creator.pubkey(),
                &[],
                lp,
            )?);
        }
        self.send(chain, &ixs, &[&creator]).await?;

        // 3. The rest of the supply: a crowd of holders, or the creator's hidden wallets.
        let sybils: Vec<Keypair> = (0..n_sybils).map(|_| keypair(&mut self.rng)).collect();
        let distributed = pool_tokens + creator_keeps + mm_tokens + sybil_each * n_sybils as u64;
        let rest = SUPPLY.saturating_sub(distributed);
        let mut ixs = Vec::new();
        let owners: Vec<Pubkey> = if n_sybils > 0 {
            sybils.iter().map(|k| k.pubkey()).collect()
        } else {
            let start = self.rng.gen_range(0..self.crowd.len());
            (0..5)
                .map(|j| self.crowd[(start + j) % self.crowd.len()].pubkey())
                .collect()
        };
        let each = if n_sybils > 0 {
            sybil_each
        } else {
            rest / owners.len() as u64
        };
        for o in &owners {
            ixs.push(create_ata(&payer.pubkey(), o, &mint, &token_program));
            ixs.push(transfer(
                &token_program,
                &creator_token,
                &mint,
                &ata_of(o, &mint, &token_program),
                &creator.pubkey(),
                each,
            )?);
        }
        self.send(chain, &ixs, &[&creator]).await?;

        let p0 = base_liq as f64 / pool_tokens as f64;
        let (drift, vol) = match kind {
            // Rugs pump to lure buyers before the pull.
            k if k.is_rug() => (0.02, 0.05),
            _ => {
                let r: f64 = self.rng.gen();
                if r < 0.1 {
                    (0.06, 0.08) // a runner
                } else if r < 0.5 {
                    (0.0, 0.06)
                } else {
                    (-0.01, 0.05)
                }
            }
        };
        let rug_at = kind.is_rug().then(|| {
            let wave = self.scenario == Scenario::RugPullWave;
            let delay = if wave {
                // Pulled together around two thirds of the run, or soon after launch.
                (self.ticks * 2 / 3)
                    .saturating_sub(tick)
                    .clamp(3, self.active_ticks)
            } else {
                self.rng.gen_range(4..self.active_ticks)
            };
            tick + delay
        });
        self.stats.launches += 1;
        if kind.is_rug() {
            self.stats.rugs_created += 1;
        }
        *self.stats.by_kind.entry(format!("{kind:?}")).or_default() += 1;
        self.kinds.insert(mint, kind);
        self.live.push(Launch {
            kind,
            mint,
            token_program,
            keys,
            creator,
            creator_token,
            creator_base,
            mm_token,
            sybils,
            born: tick,
            rug_at,
            drift,
            vol,
            log_target: 0.0,
            p0,
            rugged: false,
        });
        Ok(())
    }

    async fn send(
        &mut self,
        chain: &mut TestChain,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<()> {
        let out = chain.send(ixs, signers).await;
        if let Err(e) = out.result {
            self.stats.failed_market_txs += 1;
            bail!("market transaction failed: {e:?}\n{}", out.logs.join("\n"));
        }
        Ok(())
    }

    /// Trades the pool toward the launch's price path.
    async fn drive_price(&mut self, chain: &mut TestChain, i: usize, crash: f64) -> Result<()> {
        let z: f64 = {
            // Box-Muller from two uniforms.
            let u1: f64 = self.rng.gen::<f64>().max(1e-12);
            let u2: f64 = self.rng.gen();
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let l = &mut self.live[i];
        l.log_target += l.drift + l.vol * z;
        // Not every pool trades every tick.
        if !self.rng.gen_bool(0.6) {
            return Ok(());
        }
        let l = &self.live[i];
        let target = l.p0 * l.log_target.exp() * crash;
        let pool: local_amm::state::Pool = chain.pool_state(&l.keys).await;
        let Some((tok_r, base_r)) = pool.reserves_for(&l.mint) else {
            return Ok(());
        };
        if tok_r == 0 || base_r == 0 {
            return Ok(());
        }
        let price = base_r as f64 / tok_r as f64;
        let k = base_r as f64 * tok_r as f64;
        let (mint_in, amount, user_in, user_out) = if target > price * 1.005 {
            let new_base = (k * target).sqrt();
            let amt = (new_base - base_r as f64).min(base_r as f64 * 2.0);
            (self.base, amt as u64, self.mm_base, l.mm_token)
        } else if target < price * 0.995 {
            let new_tok = (k / target).sqrt();
            let inventory = chain.balance(&l.mm_token).await;
            let amt = (new_tok - tok_r as f64).min(inventory as f64);
            (l.mint, amt as u64, l.mm_token, self.mm_base)
        } else {
            return Ok(());
        };
        if amount == 0 {
            return Ok(());
        }
        let ix = local_amm::client::swap(
            &l.keys,
            &self.mm.pubkey(),
            &mint_in,
            &user_in,
            &user_out,
            amount,
            0,
        )
        .expect("the pool trades its own mints");
        let mm = self.mm.insecure_clone();
        let out = chain.send(&[ix], &[&mm]).await;
        if out.result.is_ok() {
            self.stats.trades += 1;
        } else {
            self.stats.failed_market_txs += 1;
        }
        Ok(())
    }

    /// The rug: the creator uses the launch's red flag.
    async fn pull_rug(&mut self, chain: &mut TestChain, i: usize) -> Result<()> {
        let l = &self.live[i];
        let creator = l.creator.insecure_clone();
        let c = creator.pubkey();
        let (tp, mint, keys) = (l.token_program, l.mint, l.keys);
        let position_tokens = vault::client::position_token_address(&self.vault, &mint);
        let vault_holds = chain.account_exists(&position_tokens).await;
        let mut ixs: Vec<Instruction> = Vec::new();
        let mut dump = chain.balance(&l.creator_token).await;
        match l.kind {
            Kind::Honest => return Ok(()),
            Kind::MintDump => {
                let extra = SUPPLY * 20;
                ixs.push(spl_token_2022_interface::instruction::mint_to(
                    &tp,
                    &mint,
                    &l.creator_token,
                    &c,
                    &[],
                    extra,
                )?);
                dump += extra;
            }
            Kind::FreezeDump => {
                for acct in [Some(l.mm_token), vault_holds.then_some(position_tokens)]
                    .into_iter()
                    .flatten()
                {
                    ixs.push(spl_token_2022_interface::instruction::freeze_account(
                        &tp,
                        &acct,
                        &mint,
                        &c,
                        &[],
                    )?);
                }
            }
            Kind::LpPull => {
                let lp = chain.balance(&keys.lp_account(&c)).await;
                let (ca, cb) = if keys.mint_a == self.base {
                    (l.creator_base, l.creator_token)
                } else {
                    (l.creator_token, l.creator_base)
                };
                ixs.push(local_amm::client::remove_liquidity(
                    &keys, &c, &ca, &cb, lp, 0, 0,
                ));
                dump = 0;
            }
            Kind::PermanentDelegate => {
                if vault_holds {
                    let taken = chain.balance(&position_tokens).await;
                    if taken > 0 {
                        ixs.push(transfer(
                            &tp,
                            &position_tokens,
                            &mint,
                            &l.creator_token,
                            &c,
                            taken,
                        )?);
                        dump += taken;
                    }
                }
            }
            Kind::SybilDump => {
                for s in &l.sybils {
                    let from = ata_of(&s.pubkey(), &mint, &tp);
                    let amount = chain.balance(&from).await;
                    ixs.push(transfer(
                        &tp,
                        &from,
                        &mint,
                        &l.creator_token,
                        &s.pubkey(),
                        amount,
                    )?);
                    dump += amount;
                }
            }
            Kind::CreatorDump | Kind::Honeypot => {}
        }
        if dump > 0 {
            let swap = local_amm::client::swap(
                &keys,
                &c,
                &mint,
                &l.creator_token,
                &l.creator_base,
                dump,
                0,
            )
            .expect("the pool trades its own mints");
            ixs.push(swap);
        }
        let sybils: Vec<Keypair> = l.sybils.iter().map(|k| k.insecure_clone()).collect();
        let mut signers: Vec<&Keypair> = vec![&creator];
        signers.extend(sybils.iter());
        if !ixs.is_empty() {
            self.send(chain, &ixs, &signers).await?;
        }
        self.live[i].rugged = true;
        self.stats.rugs_pulled += 1;
        Ok(())
    }
}

fn transfer(
    program: &Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Result<Instruction> {
    Ok(spl_token_2022_interface::instruction::transfer_checked(
        program,
        from,
        mint,
        to,
        authority,
        &[],
        amount,
        TOKEN_DECIMALS,
    )?)
}
