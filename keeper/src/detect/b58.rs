//! Base58 decoding of arbitrary-length instruction data.
//!
//! A general base58 decoder multiplies the whole number by 58 once per character, one byte
//! at a time: quadratic in the length with a large constant, and the largest cost of reading
//! a transaction whose instructions carry long data (token names and URIs at a launch).
//! Here the number is held in 32-bit limbs and five characters are folded in per step
//! (58^5 < 2^30, so a limb times the multiplier plus the carry fits in 64 bits): still
//! quadratic, about twenty times fewer operations. Fixed 32-byte keys go through five8.

/// Digit value of each ASCII byte, or -1.
const DIGITS: [i8; 128] = {
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut t = [-1i8; 128];
    let mut i = 0;
    while i < alphabet.len() {
        t[alphabet[i] as usize] = i as i8;
        i += 1;
    }
    t
};

/// Decodes `s`; `None` if it holds a character outside the alphabet. Leading `1`s are
/// leading zero bytes, as in every base58 codec.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    let rest = &s[zeros..];
    // log(58) / log(2^32) ≈ 0.1830 limbs per character.
    let mut limbs: Vec<u32> = Vec::with_capacity(rest.len() * 183 / 1000 + 2);
    for chunk in rest.chunks(5) {
        let mut value: u64 = 0;
        let mut mul: u64 = 1;
        for &c in chunk {
            let d = *DIGITS.get(c as usize)?;
            if d < 0 {
                return None;
            }
            value = value * 58 + d as u64;
            mul *= 58;
        }
        let mut carry = value;
        for l in limbs.iter_mut() {
            let v = *l as u64 * mul + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        while carry > 0 {
            limbs.push(carry as u32);
            carry >>= 32;
        }
    }
    let mut out = Vec::with_capacity(zeros + limbs.len() * 4);
    out.resize(zeros, 0);
    let mut started = false;
    for l in limbs.iter().rev() {
        for b in l.to_be_bytes() {
            if started || b != 0 {
                started = true;
                out.push(b);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use proptest::prelude::*;

    #[test]
    fn edge_cases_match_the_reference_codec() {
        for s in [
            "", "1", "11", "2", "z", "1z", "111z", "5Q444", "0", "O", "I", "l", "é",
        ] {
            assert_eq!(decode(s), bs58::decode(s).into_vec().ok(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn round_trips_any_bytes(mut bytes in proptest::collection::vec(any::<u8>(), 0..300), zeros in 0usize..4) {
            bytes.splice(0..0, std::iter::repeat_n(0u8, zeros));
            let s = bs58::encode(&bytes).into_string();
            prop_assert_eq!(decode(&s), Some(bytes));
        }

        #[test]
        fn agrees_with_the_reference_on_any_text(s in "[1-9A-Za-z0Il+/é]{0,80}") {
            prop_assert_eq!(decode(&s), bs58::decode(&s).into_vec().ok());
        }
    }
}
