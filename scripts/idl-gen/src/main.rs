//! Builds every program's Anchor IDL natively and writes it to `idl/<program>.json`, or with
//! `--check` fails when a checked-in IDL differs from what the code generates.
//!
//! This is what `anchor idl build` does, without needing the Anchor CLI or the SBF toolchain:
//! Anchor's `idl-build` feature compiles the program for the host with tests that print the IDL
//! pieces, and `anchor-lang-idl` assembles them.

use anchor_lang_idl::build::IdlBuilder;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Programs whose IDL is published under `idl/`: (directory under `programs/`, IDL name).
const PROGRAMS: &[(&str, &str)] = &[
    ("vault", "vault"),
    ("local-amm", "local_amm"),
    ("local-lender", "local_lender"),
];

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: idl-gen [--check]   (unknown argument {other:?})");
            return ExitCode::from(2);
        }
    };
    // anchor-lang-idl forwards RUSTUP_TOOLCHAIN as a `+toolchain` argument that it does not
    // format correctly; the machine's default toolchain is the one we build with anyway.
    std::env::remove_var("RUSTUP_TOOLCHAIN");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let mut stale = Vec::new();
    for (dir, program) in PROGRAMS {
        match build(&root, dir) {
            Ok(json) => {
                let path = root.join("idl").join(format!("{program}.json"));
                if check {
                    let current = std::fs::read_to_string(&path).unwrap_or_default();
                    if current != json {
                        stale.push(path);
                    } else {
                        eprintln!("{}: up to date", path.display());
                    }
                } else {
                    std::fs::write(&path, json).expect("write IDL");
                    eprintln!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("building the IDL of {program} failed: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    if stale.is_empty() {
        ExitCode::SUCCESS
    } else {
        for p in stale {
            eprintln!(
                "{} is stale: run scripts/gen-idl.sh and commit the result",
                p.display()
            );
        }
        ExitCode::FAILURE
    }
}

fn build(root: &Path, program: &str) -> anyhow_like::Result<String> {
    let target: PathBuf = root.join("target").join("idl");
    let idl = IdlBuilder::new()
        .program_path(root.join("programs").join(program))
        .cargo_args(vec!["--target-dir".into(), target.display().to_string()])
        .build()
        .map_err(|e| anyhow_like::Error(format!("{e:#}")))?;
    let mut json =
        serde_json::to_string_pretty(&idl).map_err(|e| anyhow_like::Error(e.to_string()))?;
    json.push('\n');
    Ok(json)
}

/// A string error, so this tool needs no error crate of its own.
mod anyhow_like {
    #[derive(Debug)]
    pub struct Error(pub String);
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    pub type Result<T> = std::result::Result<T, Error>;
}
