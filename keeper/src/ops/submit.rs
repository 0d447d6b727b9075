//! Sending one person's transaction and waiting for its fate: simulate first (a refusal costs
//! nothing and names the vault rule), then send, then follow the signature until it lands or
//! its blockhash expires. Expiry is final, so "not executed" is a fact, not a guess.

use crate::chain::{Chain, TxFailure};
use anyhow::{anyhow, Result};
use solana_sdk::instruction::Instruction;
use solana_sdk::message::{v0, VersionedMessage};
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::VersionedTransaction;
use std::time::{Duration, Instant};

/// How long to follow a sent transaction before giving up on watching it (it may still land;
/// the signature is printed so it can be checked).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A vault rule refused it: the rule's name and its message.
    #[error("the vault refused: {name}: {message}")]
    Vault {
        name: &'static str,
        message: &'static str,
    },
    /// Something else failed (another program, fees, an account).
    #[error("the transaction failed: {0}")]
    Failed(String),
    #[error(
        "the transaction {0} expired before it landed; nothing was executed and the command can \
         be run again"
    )]
    Expired(Signature),
    #[error(
        "the transaction {0} was sent but not seen landing within {1:?}; check it before \
         retrying"
    )]
    Unconfirmed(Signature, Duration),
}

impl Refused {
    fn from_failure(f: &TxFailure) -> Self {
        match f.vault_error() {
            Some((name, message)) => Refused::Vault { name, message },
            None => Refused::Failed(f.reason()),
        }
    }

    /// The vault error's name, when a vault rule refused.
    pub fn vault_rule(&self) -> Option<&'static str> {
        match self {
            Refused::Vault { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// Signs `ixs` with `payer` (fee payer) and `others`, simulates, sends and waits. Returns the
/// signature of the landed transaction.
pub async fn submit<C: Chain>(
    chain: &mut C,
    payer: &Keypair,
    others: &[&Keypair],
    ixs: &[Instruction],
) -> Result<Signature> {
    let blockhash = chain.latest_blockhash().await?;
    let msg = v0::Message::try_compile(&payer.pubkey(), ixs, &[], blockhash.hash)
        .map_err(|e| anyhow!("compiling the message: {e}"))?;
    // Signers in the order the message lists them.
    let needed = msg.header.num_required_signatures as usize;
    let mut signers: Vec<&Keypair> = Vec::with_capacity(needed);
    for key in &msg.account_keys[..needed] {
        let kp = std::iter::once(payer)
            .chain(others.iter().copied())
            .find(|k| k.pubkey() == *key)
            .ok_or_else(|| anyhow!("the transaction needs a signature from {key}"))?;
        signers.push(kp);
    }
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(msg), &signers)
        .map_err(|e| anyhow!("signing: {e}"))?;
    let sim = chain.simulate(&tx).await?;
    if let Some(f) = sim.err {
        return Err(Refused::from_failure(&f).into());
    }
    let sig = chain.send(&tx).await?;
    let started = Instant::now();
    loop {
        if let Some(landed) = chain.status(&sig).await? {
            return match landed.err {
                None => Ok(sig),
                Some(f) => Err(Refused::from_failure(&f).into()),
            };
        }
        if chain.block_height().await? > blockhash.last_valid_height {
            // One last look: it may have landed in the final valid block.
            if let Some(landed) = chain.status(&sig).await? {
                if landed.err.is_none() {
                    return Ok(sig);
                }
            }
            return Err(Refused::Expired(sig).into());
        }
        if started.elapsed() > CONFIRM_TIMEOUT {
            return Err(Refused::Unconfirmed(sig, CONFIRM_TIMEOUT).into());
        }
        chain.pause().await?;
    }
}
