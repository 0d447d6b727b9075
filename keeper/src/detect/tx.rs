//! The transaction model the detectors read, and the wire-format message parser.

use super::DetectError;
use solana_sdk::pubkey::Pubkey;

/// One compiled instruction: indices into the transaction's account list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ix {
    pub program: u16,
    pub accounts: Vec<u16>,
    pub data: Vec<u8>,
}

/// A transaction: its accounts (static keys, then addresses loaded writable, then readonly,
/// the order the runtime uses), its top-level instructions and their inner instructions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tx {
    pub signature: Option<String>,
    pub keys: Vec<Pubkey>,
    pub top: Vec<Ix>,
    /// `(top-level index, inner instructions)`.
    pub inner: Vec<(usize, Vec<Ix>)>,
    /// The transaction failed: nothing it did took effect.
    pub failed: bool,
    pub logs: Vec<String>,
}

impl Tx {
    pub fn key(&self, i: usize) -> Result<&Pubkey, DetectError> {
        self.keys
            .get(i)
            .ok_or(DetectError::AccountIndex(i, self.keys.len()))
    }

    /// The account at position `i` of instruction `ix`.
    pub fn account(&self, ix: &Ix, i: usize) -> Result<Option<&Pubkey>, DetectError> {
        match ix.accounts.get(i) {
            None => Ok(None),
            Some(&k) => self.key(k as usize).map(Some),
        }
    }

    pub fn inner_of(&self, top: usize) -> impl Iterator<Item = &Ix> {
        self.inner
            .iter()
            .filter(move |(i, _)| *i == top)
            .flat_map(|(_, v)| v.iter())
    }
}

/// A cursor over wire bytes that fails instead of panicking.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DetectError> {
        if self.b.len() < n {
            return Err(DetectError::Message(what));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DetectError> {
        Ok(self.take(1, what)?[0])
    }

    /// Solana's compact-u16 length prefix.
    fn short_vec(&mut self, what: &'static str) -> Result<usize, DetectError> {
        let mut value = 0usize;
        for shift in [0, 7, 14] {
            let byte = self.u8(what)? as usize;
            value |= (byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DetectError::Message(what))
    }

    fn key(&mut self, what: &'static str) -> Result<Pubkey, DetectError> {
        let bytes = self.take(32, what)?;
        let mut a = [0u8; 32];
        a.copy_from_slice(bytes);
        Ok(Pubkey::new_from_array(a))
    }
}

/// A parsed wire transaction: signatures, static keys, instructions and the lookup-table
/// index lists (`(table, writable indexes, readonly indexes)`).
pub struct WireTx {
    pub signatures: Vec<[u8; 64]>,
    pub keys: Vec<Pubkey>,
    pub instructions: Vec<Ix>,
    pub lookups: Vec<(Pubkey, Vec<u8>, Vec<u8>)>,
}

/// Parses a serialized transaction (legacy or version 0).
pub fn parse_wire(bytes: &[u8]) -> Result<WireTx, DetectError> {
    let mut r = Reader { b: bytes };
    let n = r.short_vec("signature count")?;
    if n > 64 {
        return Err(DetectError::Message("signature count"));
    }
    let mut signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let s = r.take(64, "signature")?;
        let mut a = [0u8; 64];
        a.copy_from_slice(s);
        signatures.push(a);
    }
    let first = r.u8("message header")?;
    let versioned = first & 0x80 != 0;
    if versioned {
        if first & 0x7f != 0 {
            return Err(DetectError::Message("unsupported message version"));
        }
        r.take(3, "message header")?;
    } else {
        r.take(2, "message header")?;
    }
    let nkeys = r.short_vec("account keys")?;
    let mut keys = Vec::with_capacity(nkeys.min(256));
    for _ in 0..nkeys {
        keys.push(r.key("account key")?);
    }
    r.take(32, "recent blockhash")?;
    let nix = r.short_vec("instructions")?;
    let mut instructions = Vec::with_capacity(nix.min(64));
    for _ in 0..nix {
        let program = r.u8("program index")? as u16;
        let na = r.short_vec("instruction accounts")?;
        let accounts = r
            .take(na, "instruction accounts")?
            .iter()
            .map(|&a| a as u16)
            .collect();
        let nd = r.short_vec("instruction data")?;
        let data = r.take(nd, "instruction data")?.to_vec();
        instructions.push(Ix {
            program,
            accounts,
            data,
        });
    }
    let mut lookups = Vec::new();
    if versioned {
        let nl = r.short_vec("address table lookups")?;
        for _ in 0..nl {
            let table = r.key("lookup table")?;
            let nw = r.short_vec("lookup writable")?;
            let w = r.take(nw, "lookup writable")?.to_vec();
            let nr = r.short_vec("lookup readonly")?;
            let ro = r.take(nr, "lookup readonly")?.to_vec();
            lookups.push((table, w, ro));
        }
    }
    Ok(WireTx {
        signatures,
        keys,
        instructions,
        lookups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_an_error_at_every_length() {
        let ix = solana_sdk::instruction::Instruction {
            program_id: Pubkey::new_unique(),
            accounts: vec![solana_sdk::instruction::AccountMeta::new(
                Pubkey::new_unique(),
                false,
            )],
            data: vec![1, 2, 3],
        };
        let payer = solana_sdk::signature::Keypair::new();
        let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&solana_sdk::signer::Signer::pubkey(&payer)),
            &[&payer],
            solana_sdk::hash::Hash::default(),
        );
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(tx.signatures[0].as_ref());
        bytes.extend_from_slice(&tx.message_data());
        let parsed = parse_wire(&bytes).unwrap();
        assert_eq!(parsed.keys, tx.message.account_keys);
        assert_eq!(parsed.instructions[0].data, vec![1, 2, 3]);
        for cut in 0..bytes.len() {
            assert!(parse_wire(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
