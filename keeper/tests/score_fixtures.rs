//! Score facts read from real mainnet accounts.

use keeper::accounts::parse_account;
use keeper::score::facts::{metaplex_metadata, mint_facts, ExtensionFact};
use keeper::score::{score, ScoreInputs, Weights};

fn account(rel: &str) -> keeper::accounts::RawAccount {
    let p = keeper::fixtures_dir()
        .expect(
            "shared fixtures (../shared/fixtures beside the repository, or $FLASHFORGE_FIXTURES)",
        )
        .join("accounts")
        .join(rel);
    parse_account(&std::fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn spl_mint_authorities() {
    let a = account("mints/spl_mint_and_freeze_authority_set__FQuMNJ6U.json");
    let m = mint_facts(&a.owner, &a.data).unwrap();
    assert!(m.mint_authority.is_some() && m.freeze_authority.is_some());
    let a = account("mints/spl_wsol_no_authorities__So111.json");
    let m = mint_facts(&a.owner, &a.data).unwrap();
    assert!(m.mint_authority.is_none() && m.freeze_authority.is_none());
    assert_eq!(m.decimals, 9);
    let a = account("mints/spl_mint_authority_set__3SmPYPvZfEmr__vixen.json");
    let m = mint_facts(&a.owner, &a.data).unwrap();
    assert!(m.mint_authority.is_some() && m.freeze_authority.is_none());
    let a = account("mints/spl_hubsol_mint_authority_no_freeze__HUBsve.json");
    let m = mint_facts(&a.owner, &a.data).unwrap();
    assert!(m.mint_authority.is_some() && m.freeze_authority.is_none());
}

#[test]
fn token_2022_extensions_and_their_authorities() {
    let a = account("mints/token2022_pyusd_many_extensions__2b1kV6Dk.json");
    assert_eq!(a.owner, spl_token_2022_interface::ID);
    let m = mint_facts(&a.owner, &a.data).unwrap();
    let has = |f: &dyn Fn(&ExtensionFact) -> bool| m.extensions.iter().any(f);
    assert!(
        has(&|e| matches!(e, ExtensionFact::PermanentDelegate { delegate: Some(_) })),
        "{:?}",
        m.extensions
    );
    assert!(has(&|e| matches!(
        e,
        ExtensionFact::TransferFee {
            authority: Some(_),
            ..
        }
    )));
    assert!(has(&|e| matches!(
        e,
        ExtensionFact::TransferHook {
            authority: Some(_),
            ..
        }
    )));
    // Every one of those is a named, evidenced deduction.
    let r = score(
        &ScoreInputs {
            mint: Some(m),
            ..ScoreInputs::default()
        },
        &Weights::default(),
    );
    for check in [
        "permanent_delegate",
        "transfer_fee",
        "transfer_hook",
        "mint_authority",
        "freeze_authority",
    ] {
        assert!(
            r.deductions
                .iter()
                .any(|d| d.check == check && d.points > 0),
            "{check}: {}",
            r.render()
        );
    }
}

#[test]
fn metaplex_metadata_mutability() {
    let a = account("metaplex/metadata_mad_lads_1313__CJPG6PQB.json");
    let md = metaplex_metadata(&a.data).unwrap();
    assert_eq!(md.name, "Mad Lads #1313");
    assert!(md.is_mutable);
    let a = account("metaplex/metadata_fox_federation_3454__F4LnzZuW.json");
    assert!(metaplex_metadata(&a.data).is_ok());
    // A truncated account is an error, not a panic.
    for cut in 0..a.data.len().min(400) {
        let _ = metaplex_metadata(&a.data[..cut]);
    }
}

#[test]
fn non_mints_are_refused() {
    let a = account("pumpfun/bonding_curve_account.json");
    assert!(mint_facts(&a.owner, &a.data).is_err());
}
