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
    let first = &errors[0];
    assert_eq!(first["code"], 6000);
    assert_eq!(first["name"], "MathOverflow");
    assert_eq!(
        errors.len() as u32,
        u32::from(vault::error::VaultError::InvalidAdmin) - 6000 + 1,
        "the IDL lists every error"
    );
    assert_eq!(idl["address"], vault::ID.to_string());
}
