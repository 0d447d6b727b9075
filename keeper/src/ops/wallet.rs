//! Keypair files in the Solana CLI format (a JSON array of 64 bytes). They are read, never
//! printed: errors name the file and the problem, never the contents.

use anyhow::{anyhow, bail, Context, Result};
use solana_sdk::signature::Keypair;
use std::path::Path;

/// Reads a keypair file. On Unix the file must not be readable by group or others, as ssh
/// insists for its keys: a key others can read is a key others may have.
pub fn read_keypair(path: &Path) -> Result<Keypair> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("keypair file {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "keypair file {} is readable by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading keypair file {}", path.display()))?;
    // The parser's own message could quote part of the file: replace it.
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|_| {
        anyhow!(
            "keypair file {} is not a JSON array of 64 bytes",
            path.display()
        )
    })?;
    if bytes.len() != 64 {
        bail!(
            "keypair file {} holds {} bytes, not 64",
            path.display(),
            bytes.len()
        );
    }
    Keypair::try_from(bytes.as_slice())
        .map_err(|_| anyhow!("keypair file {} is not a valid keypair", path.display()))
}

/// Writes a new keypair file readable by its owner alone. Refuses to replace an existing file.
pub fn write_keypair(path: &Path, kp: &Keypair) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating keypair file {}", path.display()))?;
    let json = serde_json::to_string(&kp.to_bytes().to_vec())?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signature::Signer;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        let kp = Keypair::new();
        write_keypair(&p, &kp).unwrap();
        assert_eq!(read_keypair(&p).unwrap().pubkey(), kp.pubkey());
        // Never overwritten.
        assert!(write_keypair(&p, &Keypair::new()).is_err());

        let secret = "[1,2,3,\"not-a-byte\"]";
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, secret).unwrap();
        let short = dir.path().join("short.json");
        std::fs::write(&short, "[1,2,3]").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [&bad, &short] {
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            let open = dir.path().join("open.json");
            std::fs::write(
                &open,
                serde_json::to_string(&kp.to_bytes().to_vec()).unwrap(),
            )
            .unwrap();
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = read_keypair(&open).unwrap_err().to_string();
            assert!(e.contains("readable by other users (mode 644)"), "{e}");
            assert!(e.contains("chmod 600"), "{e}");
        }
        let e = format!("{:#}", read_keypair(&bad).unwrap_err());
        assert!(e.contains("not a JSON array of 64 bytes"), "{e}");
        assert!(!e.contains("not-a-byte"), "the file's contents leaked: {e}");
        let e = read_keypair(&short).unwrap_err().to_string();
        assert!(e.contains("holds 3 bytes"), "{e}");
        let e = format!(
            "{:#}",
            read_keypair(&dir.path().join("none.json")).unwrap_err()
        );
        assert!(e.contains("none.json"), "{e}");
    }
}
