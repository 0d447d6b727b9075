use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::Signer;
use vault::events::Deposited;

#[tokio::test]
async fn deposit_round_trip() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let (alice, ata) = chain.investor(&f.keys.base_mint, 5_000_000).await;
    let out = chain.deposit(&f, &alice, &ata, 2_000_000).await.unwrap();
    println!("{}", out.logs.join("\n"));
    let ev: Vec<Deposited> = out.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].amount, 2_000_000);
    let d = chain.depositor_state(&f, &alice.pubkey()).await;
    assert_eq!(d.shares, ev[0].shares_minted);
    assert_eq!(chain.vault_balance(&f).await, TEST_SEED_ASSETS + 2_000_000);
}
