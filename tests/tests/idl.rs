//! The checked-in IDL must be what the program code generates.

use std::path::Path;
use std::process::Command;

#[test]
fn checked_in_idl_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(root.join("scripts/gen-idl.sh"))
        .arg("--check")
        .current_dir(&root)
        .env_remove("RUSTUP_TOOLCHAIN")
        .status()
        .expect("run scripts/gen-idl.sh");
    assert!(
        status.success(),
        "idl/ is stale: run scripts/gen-idl.sh and commit the result"
    );
}

#[test]
fn idl_lists_every_error_with_its_code_and_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let idl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("idl/vault.json")).unwrap())
            .unwrap();
    let errors = idl["errors"].as_array().unwrap();
    // Codes are contiguous from 6000: variants are appended, never reordered.
    for (i, e) in errors.iter().enumerate() {
        assert_eq!(e["code"], 6000 + i as u64, "{e}");
        assert!(e["msg"].as_str().is_some_and(|m| m.ends_with('.')), "{e}");
    }
    use vault::error::VaultError as E;
    for (name, code) in [
        ("MathOverflow", u32::from(E::MathOverflow)),
        ("InvalidAdmin", u32::from(E::InvalidAdmin)),
        ("ProposalStillLive", u32::from(E::ProposalStillLive)),
        ("UnsupportedVenue", u32::from(E::UnsupportedVenue)),
    ] {
        assert_eq!(errors[(code - 6000) as usize]["name"], name);
    }
    assert_eq!(idl["address"], vault::ID.to_string());
    let amm: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("idl/local_amm.json")).unwrap())
            .unwrap();
    assert_eq!(amm["address"], local_amm::ID.to_string());
    let lender: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("idl/local_lender.json")).unwrap())
            .unwrap();
    assert_eq!(lender["address"], local_lender::ID.to_string());
}
