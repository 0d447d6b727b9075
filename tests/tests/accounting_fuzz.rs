//! Random sequences of investor actions, fees and clock moves through the real runtime and the
//! real token programs; after every step the vault's books must equal its token balance and
//! every share must be owned.

use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use proptest::prelude::*;
use solana_sdk::signature::{Keypair, Signer};
use vault::state::WithdrawAmount;

#[derive(Clone, Debug)]
enum Step {
    Deposit(usize, u64),
    Request(usize, u16),
    RequestAll(usize),
    Cancel(usize),
    Withdraw(usize),
    Crystallize(usize),
    Collect,
    Warp(i64),
    Donate(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 1u64..=50_000_000).prop_map(|(i, a)| Step::Deposit(i, a)),
        (0..3usize, 1u16..=1_000).prop_map(|(i, p)| Step::Request(i, p)),
        (0..3usize).prop_map(Step::RequestAll),
        (0..3usize).prop_map(Step::Cancel),
        (0..3usize).prop_map(Step::Withdraw),
        (0..3usize).prop_map(Step::Crystallize),
        Just(Step::Collect),
        (1i64..=20 * DAY).prop_map(Step::Warp),
        (1u64..=10_000_000).prop_map(Step::Donate),
    ]
}

async fn run(steps: Vec<Step>, token_program: TokenProgram) -> Result<(), TestCaseError> {
    let mut chain = TestChain::start().await;
    let f = chain
        .create_vault(
            VaultSpec {
                token_program,
                ..VaultSpec::default()
            },
            |_| {},
        )
        .await;
    let mut investors: Vec<(Keypair, solana_sdk::pubkey::Pubkey)> = Vec::new();
    for _ in 0..3 {
        investors.push(chain.investor(&f.keys.base_mint, 200_000_000).await);
    }
    let (donor, donor_ata) = chain.investor(&f.keys.base_mint, 1_000_000_000).await;
    let recipient_ata = chain
        .token_account(&f.keys.base_mint, &f.fee_recipient.pubkey())
        .await;
    let mut donated = 0u64;
    let mut paid_out = 0u64;

    for s in &steps {
        match *s {
            Step::Deposit(i, a) => {
                let (k, ata) = &investors[i];
                chain.deposit(&f, k, ata, a).await;
            }
            Step::Request(i, permille) => {
                let (k, _) = &investors[i];
                if chain.account_exists(&f.keys.depositor(&k.pubkey())).await {
                    let d = chain.depositor_state(&f, &k.pubkey()).await;
                    let shares = (d.shares as u128 * permille as u128 / 1_000) as u64;
                    chain
                        .request_withdraw(&f, k, WithdrawAmount::Shares(shares))
                        .await;
                }
            }
            Step::RequestAll(i) => {
                let (k, _) = &investors[i];
                chain.request_withdraw(&f, k, WithdrawAmount::All).await;
            }
            Step::Cancel(i) => {
                let (k, _) = &investors[i];
                chain.cancel_withdraw(&f, k).await;
            }
            Step::Withdraw(i) => {
                let (k, ata) = &investors[i];
                // Liveness: a matured request is always payable (all of NAV is idle here).
                let matured = if chain.account_exists(&f.keys.depositor(&k.pubkey())).await {
                    let d = chain.depositor_state(&f, &k.pubkey()).await;
                    let notice = chain.vault_state(&f).await.config.notice_seconds as i64;
                    let now = chain.now().await;
                    d.withdraw_request.is_pending()
                        && now >= d.lockup_end
                        && now >= d.withdraw_request.requested_at + notice
                } else {
                    false
                };
                let before = chain.balance(ata).await;
                let out = chain.withdraw(&f, k, ata).await;
                prop_assert_eq!(
                    out.result.is_ok(),
                    matured,
                    "withdraw outcome {:?}",
                    out.result
                );
                if out.result.is_ok() {
                    paid_out += chain.balance(ata).await - before;
                }
            }
            Step::Crystallize(i) => {
                let (k, _) = &investors[i];
                chain.crystallize(&f, &k.pubkey()).await;
            }
            Step::Collect => {
                let ix = vault::client::collect_fees(&f.keys, &recipient_ata);
                chain.send(&[ix], &[]).await;
            }
            Step::Warp(secs) => chain.warp_seconds(secs).await,
            Step::Donate(a) => {
                chain
                    .transfer_tokens(
                        &f.keys.base_mint,
                        &donor_ata,
                        &f.keys.token_account,
                        &donor,
                        a,
                    )
                    .await
                    .unwrap();
                donated += a;
            }
        }
        let v = chain.vault_state(&f).await;
        let balance = chain.vault_balance(&f).await;
        prop_assert_eq!(
            balance,
            v.idle_assets + donated,
            "books + donations == tokens after {:?}",
            s
        );
        let mut owned = v.dead_shares as u128 + v.fee_shares as u128;
        let mut pending = 0u128;
        for (k, _) in &investors {
            if chain.account_exists(&f.keys.depositor(&k.pubkey())).await {
                let d = chain.depositor_state(&f, &k.pubkey()).await;
                owned += d.shares as u128 + d.withdraw_request.shares as u128;
                pending += d.withdraw_request.shares as u128;
            }
        }
        prop_assert_eq!(
            owned,
            v.total_shares as u128,
            "every share is owned after {:?}",
            s
        );
        prop_assert_eq!(pending, v.pending_withdraw_shares as u128);
        let fees = chain.balance(&recipient_ata).await;
        prop_assert_eq!(
            v.total_withdrawn + v.total_fees_collected,
            (paid_out + fees) as u128,
            "lifetime payouts match transfers"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn books_equal_token_balances_spl(steps in proptest::collection::vec(step(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps, TokenProgram::Spl))?;
    }

    #[test]
    fn books_equal_token_balances_token_2022(steps in proptest::collection::vec(step(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps, TokenProgram::Token2022))?;
    }
}
