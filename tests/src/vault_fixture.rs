//! A vault ready for tests: mint, creator, governance, keeper, fee recipient and helpers that drive
//! the vault's instructions through real transactions.

use crate::{MintExtension, TestChain, TokenProgram, TxOutcome};
use anchor_lang::prelude::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::client::{self, VaultKeys};
use vault::instructions::{GovernanceParams, InitializeVaultParams};
use vault::state::{
    required_delay, Depositor, Governance, GovernanceAction, InvestorTier, Member, Proposal, Vault,
    WithdrawAmount, PERMISSION_ALL,
};

pub const DAY: i64 = 24 * 60 * 60;

/// Base units the test creator seeds each vault with.
pub const TEST_SEED_ASSETS: u64 = 1_000_000;

/// Parameters that keep tests short: a 30-day lock-up, 7-day notice, no crystallization wait,
/// a tier table that starts at zero so small deposits are accepted, and a 1-of-1 governance
/// (the `governor`, with every permission, and a guardian) without a timelock.
pub fn test_params(
    governor: Pubkey,
    guardian: Pubkey,
    keeper: Pubkey,
    fee_recipient: Pubkey,
) -> InitializeVaultParams {
    InitializeVaultParams {
        vault_id: 0,
        governance: GovernanceParams {
            members: vec![
                Member {
                    key: governor,
                    permissions: PERMISSION_ALL,
                    guardian: false,
                },
                Member {
                    key: guardian,
                    permissions: 0,
                    guardian: true,
                },
            ],
            threshold: 1,
            timelock_seconds: 0,
            proposal_lifetime_seconds: 30 * DAY as u64,
        },
        keeper,
        fee_recipient,
        seed_assets: TEST_SEED_ASSETS,
        lockup_seconds: 30 * DAY as u64,
        notice_seconds: 7 * DAY as u64,
        crystallization_period_seconds: 0,
        redemption_grace_seconds: 3 * DAY as u64,
        min_deposit: 1,
        max_aum: u64::MAX,
        tiers: Some(test_tiers()),
        risk_limits: None,
    }
}

/// 2% / 20% up to 1e12 base units, 1.75% / 17.5% up to 1e13, 1.5% / 15% beyond.
pub fn test_tiers() -> Vec<InvestorTier> {
    vec![
        InvestorTier {
            min_deposit: 0,
            max_deposit: 1_000_000_000_000,
            management_fee_bps: 200,
            performance_fee_bps: 2_000,
        },
        InvestorTier {
            min_deposit: 1_000_000_000_000,
            max_deposit: 10_000_000_000_000,
            management_fee_bps: 175,
            performance_fee_bps: 1_750,
        },
        InvestorTier {
            min_deposit: 10_000_000_000_000,
            max_deposit: u64::MAX,
            management_fee_bps: 150,
            performance_fee_bps: 1_500,
        },
    ]
}

/// A created vault and the keys around it.
pub struct VaultFixture {
    pub keys: VaultKeys,
    pub creator: Keypair,
    /// Governance member with every permission.
    pub governor: Keypair,
    /// Governance guardian (no other permission).
    pub guardian: Keypair,
    pub keeper: Keypair,
    pub fee_recipient: Keypair,
    pub token_program: TokenProgram,
}

/// How to build a vault for a test.
pub struct VaultSpec {
    pub token_program: TokenProgram,
    pub decimals: u8,
    pub extensions: Vec<MintExtension>,
}

impl Default for VaultSpec {
    fn default() -> Self {
        Self {
            token_program: TokenProgram::Spl,
            decimals: 6,
            extensions: vec![],
        }
    }
}

impl TestChain {
    /// Creates a mint per `spec` and a vault on it with [`test_params`] modified by `tweak`.
    /// Returns the fixture and the outcome of `initialize_vault` (which may have failed).
    pub async fn try_create_vault(
        &mut self,
        spec: VaultSpec,
        tweak: impl FnOnce(&mut InitializeVaultParams),
    ) -> (VaultFixture, TxOutcome) {
        let mint = self
            .create_mint(spec.token_program, spec.decimals, &spec.extensions)
            .await;
        self.try_create_vault_on(mint, spec.token_program, tweak)
            .await
    }

    /// Creates a vault on an existing mint.
    pub async fn try_create_vault_on(
        &mut self,
        mint: Pubkey,
        token_program: TokenProgram,
        tweak: impl FnOnce(&mut InitializeVaultParams),
    ) -> (VaultFixture, TxOutcome) {
        let creator = self.funded_keypair(10_000_000_000).await;
        let governor = self.funded_keypair(1_000_000_000).await;
        let guardian = self.funded_keypair(1_000_000_000).await;
        let keeper = Keypair::new();
        let fee_recipient = Keypair::new();
        let mut params = test_params(
            governor.pubkey(),
            guardian.pubkey(),
            keeper.pubkey(),
            fee_recipient.pubkey(),
        );
        tweak(&mut params);
        let creator_ata = self.token_account(&mint, &creator.pubkey()).await;
        self.mint_to(&mint, &creator_ata, params.seed_assets.max(1))
            .await;
        let ix = client::initialize_vault(
            &creator.pubkey(),
            &mint,
            &token_program.id(),
            &creator_ata,
            params.clone(),
        );
        let outcome = self.send(&[ix], &[&creator]).await;
        let keys = VaultKeys::new(&creator.pubkey(), params.vault_id, mint, token_program.id());
        (
            VaultFixture {
                keys,
                creator,
                governor,
                guardian,
                keeper,
                fee_recipient,
                token_program,
            },
            outcome,
        )
    }

    /// Creates a vault that must succeed.
    pub async fn create_vault(
        &mut self,
        spec: VaultSpec,
        tweak: impl FnOnce(&mut InitializeVaultParams),
    ) -> VaultFixture {
        let (f, outcome) = self.try_create_vault(spec, tweak).await;
        outcome.unwrap();
        f
    }

    pub async fn vault_state(&mut self, f: &VaultFixture) -> Vault {
        self.anchor_account(&f.keys.vault).await
    }

    pub async fn depositor_state(&mut self, f: &VaultFixture, investor: &Pubkey) -> Depositor {
        self.anchor_account(&f.keys.depositor(investor)).await
    }

    pub async fn deposit(
        &mut self,
        f: &VaultFixture,
        investor: &Keypair,
        ata: &Pubkey,
        amount: u64,
    ) -> TxOutcome {
        let ix = client::deposit(&f.keys, &investor.pubkey(), ata, amount);
        self.send(&[ix], &[investor]).await
    }

    pub async fn request_withdraw(
        &mut self,
        f: &VaultFixture,
        investor: &Keypair,
        amount: WithdrawAmount,
    ) -> TxOutcome {
        let ix = client::request_withdraw(&f.keys, &investor.pubkey(), amount);
        self.send(&[ix], &[investor]).await
    }

    pub async fn cancel_withdraw(&mut self, f: &VaultFixture, investor: &Keypair) -> TxOutcome {
        let ix = client::cancel_withdraw_request(&f.keys, &investor.pubkey());
        self.send(&[ix], &[investor]).await
    }

    pub async fn withdraw(
        &mut self,
        f: &VaultFixture,
        investor: &Keypair,
        ata: &Pubkey,
    ) -> TxOutcome {
        let ix = client::withdraw(&f.keys, &investor.pubkey(), ata);
        self.send(&[ix], &[investor]).await
    }

    pub async fn crystallize(&mut self, f: &VaultFixture, investor: &Pubkey) -> TxOutcome {
        let ix = client::crystallize_fees(&f.keys, investor);
        self.send(&[ix], &[]).await
    }

    pub async fn governance_state(&mut self, f: &VaultFixture) -> Governance {
        self.anchor_account(&f.keys.governance()).await
    }

    pub async fn proposal_state(&mut self, f: &VaultFixture, index: u64) -> Proposal {
        let address = vault::client::proposal_address(&f.keys.governance(), index);
        self.anchor_account(&address).await
    }

    /// Proposes `action` as `proposer`; returns the new proposal's index and the outcome.
    pub async fn propose(
        &mut self,
        f: &VaultFixture,
        proposer: &Keypair,
        action: GovernanceAction,
    ) -> (u64, TxOutcome) {
        let index = self.governance_state(f).await.proposal_index + 1;
        let ix = client::propose(&f.keys, &proposer.pubkey(), index, action);
        (index, self.send(&[ix], &[proposer]).await)
    }

    pub async fn approve(&mut self, f: &VaultFixture, member: &Keypair, index: u64) -> TxOutcome {
        let ix = client::approve_proposal(&f.keys, &member.pubkey(), index);
        self.send(&[ix], &[member]).await
    }

    pub async fn reject(&mut self, f: &VaultFixture, member: &Keypair, index: u64) -> TxOutcome {
        let ix = client::reject_proposal(&f.keys, &member.pubkey(), index);
        self.send(&[ix], &[member]).await
    }

    pub async fn execute(&mut self, f: &VaultFixture, executor: &Keypair, index: u64) -> TxOutcome {
        let ix = client::execute_proposal(&f.keys, &executor.pubkey(), index);
        self.send(&[ix], &[executor]).await
    }

    pub async fn cancel(&mut self, f: &VaultFixture, member: &Keypair, index: u64) -> TxOutcome {
        let ix = client::cancel_proposal(&f.keys, &member.pubkey(), index);
        self.send(&[ix], &[member]).await
    }

    pub async fn guardian_act(
        &mut self,
        f: &VaultFixture,
        guardian: &Keypair,
        action: GovernanceAction,
    ) -> TxOutcome {
        let ix = client::guardian_act(&f.keys, &guardian.pubkey(), action);
        self.send(&[ix], &[guardian]).await
    }

    /// Seconds `action` must wait after approval, judged against the vault as it is now.
    pub async fn delay_for(&mut self, f: &VaultFixture, action: &GovernanceAction) -> i64 {
        let v = self.vault_state(f).await;
        let g = self.governance_state(f).await;
        required_delay(action.classify(&v).expect("classify"), &v, &g) as i64
    }

    /// Passes `action` through the fixture's 1-of-1 governance: propose, approve, wait the
    /// delay its class requires, execute. Returns the execution's outcome.
    pub async fn govern(&mut self, f: &VaultFixture, action: GovernanceAction) -> TxOutcome {
        let governor = f.governor.insecure_clone();
        let (index, out) = self.propose(f, &governor, action.clone()).await;
        if out.result.is_err() {
            return out;
        }
        self.approve(f, &governor, index).await.unwrap();
        let delay = self.delay_for(f, &action).await;
        if delay > 0 {
            self.warp_seconds(delay).await;
        }
        self.execute(f, &governor, index).await
    }

    /// Tokens held by the vault's token account.
    pub async fn vault_balance(&mut self, f: &VaultFixture) -> u64 {
        self.balance(&f.keys.token_account).await
    }
}

impl TestChain {
    /// Rewrites the vault account in place. Tests use it to stand in for trading results that
    /// later programs (positions, leverage) will produce.
    pub async fn rewrite_vault(&mut self, f: &VaultFixture, edit: impl FnOnce(&mut Vault)) {
        use anchor_lang::{AccountDeserialize, AccountSerialize};
        let mut account = self
            .ctx
            .banks_client
            .get_account(f.keys.vault)
            .await
            .unwrap()
            .expect("vault account");
        let mut state = Vault::try_deserialize(&mut account.data.as_slice()).expect("vault");
        edit(&mut state);
        let mut data = Vec::with_capacity(account.data.len());
        state.try_serialize(&mut data).expect("serialize vault");
        data.resize(account.data.len(), 0);
        account.data = data;
        self.ctx.set_account(&f.keys.vault, &account.into());
    }

    /// Sets a token account's balance directly (both token programs keep `amount` at byte 64).
    pub async fn rewrite_token_amount(&mut self, token_account: &Pubkey, amount: u64) {
        let mut account = self
            .ctx
            .banks_client
            .get_account(*token_account)
            .await
            .unwrap()
            .expect("token account");
        account.data[64..72].copy_from_slice(&amount.to_le_bytes());
        self.ctx.set_account(token_account, &account.into());
    }

    /// Simulates a trading result: the vault's net asset value becomes `nav`, with its token
    /// balance moved by the same amount so accounting and balances stay equal.
    pub async fn set_nav(&mut self, f: &VaultFixture, nav: u64) {
        let v = self.vault_state(f).await;
        let balance = self.vault_balance(f).await;
        let new_balance = if nav >= v.idle_assets {
            balance + (nav - v.idle_assets)
        } else {
            balance - (v.idle_assets - nav)
        };
        self.rewrite_token_amount(&f.keys.token_account, new_balance)
            .await;
        self.rewrite_vault(f, |v| v.idle_assets = nav).await;
    }
}
