//! The one byte scan both the fast reader and the writers run over string contents: where
//! the first byte is that a JSON string cannot hold as it is (`"`, `\` or a control
//! character). Eight bytes at a time, in plain integer arithmetic (no `unsafe`, no SIMD
//! intrinsics, so the same code serves the native build and both wasm builds): strings in
//! requests and answers are short, ASCII and escape-free, and a byte-at-a-time loop was the
//! largest single cost of reading a request.

/// `0x01` in every byte.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x80` in every byte.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` that is `"`, `\` or below `0x20`. Exact for the
/// lowest such byte (a borrow can only mark bytes above a true one), which is all
/// [`plain_len`] reads.
const fn special(word: u64) -> u64 {
    let quote = word ^ (ONES * b'"' as u64);
    let backslash = word ^ (ONES * b'\\' as u64);
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (zero_quote | zero_backslash | control) & HIGHS
}

/// The length of the longest prefix of `bytes` without `"`, `\` or a control character
/// (all of `bytes` when there is none).
///
/// ```text
/// plain_len(b"abc\"def") == 3      plain_len(b"abc") == 3
/// ```
#[inline]
pub(crate) fn plain_len(bytes: &[u8]) -> usize {
    let mut offset = 0;
    while let Some(chunk) = bytes.get(offset..offset + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let hits = special(u64::from_le_bytes(word));
        if hits != 0 {
            // Little-endian: the lowest set bit is the first byte in text order.
            return offset + (hits.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    let tail = bytes.get(offset..).unwrap_or_default();
    offset
        + tail
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(tail.len())
}

/// The eight bytes at `at`, if there are eight.
#[inline]
fn word(bytes: &[u8], at: usize) -> Option<u64> {
    let mut word = [0; 8];
    word.copy_from_slice(bytes.get(at..at + 8)?);
    Some(u64::from_le_bytes(word))
}

/// Whether `text` starts with `prefix`, compared a word at a time (the last word overlapping
/// the one before), without a call to `memcmp`: object keys are a few bytes to a few words.
#[inline]
pub(crate) fn starts_with(text: &[u8], prefix: &[u8]) -> bool {
    let Some(text) = text.get(..prefix.len()) else {
        return false;
    };
    if prefix.len() < 8 {
        return text == prefix;
    }
    let last = prefix.len() - 8;
    let mut at = 0;
    while at < last {
        if word(text, at) != word(prefix, at) {
            return false;
        }
        at += 8;
    }
    word(text, last) == word(prefix, last)
}

#[cfg(test)]
mod tests {
    use super::plain_len;
    use alloc::vec::Vec;

    fn slow(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len())
    }

    #[test]
    fn starts_with_agrees_with_the_slice_method() {
        let text = b"\"allowed_to_authenticate\":true,\"two_way\":false}";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let prefix = &text[start..end];
                for from in 0..text.len() {
                    let t = &text[from..];
                    assert_eq!(super::starts_with(t, prefix), t.starts_with(prefix));
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_byte_loop_on_every_byte_at_every_position() {
        for len in 0..20 {
            for at in 0..len {
                for special in 0..=255u8 {
                    // A background of bytes that sit next to the special ones in value.
                    let mut text: Vec<u8> = (0..len)
                        .map(|i| [b'!', b'#', 0x20, 0x7f, 0xff, b']'][i % 6])
                        .collect();
                    text[at] = special;
                    assert_eq!(plain_len(&text), slow(&text), "{text:?}");
                    // Two specials: the first one counts.
                    if at + 1 < len {
                        text[at + 1] = b'"';
                        assert_eq!(plain_len(&text), slow(&text), "{text:?}");
                    }
                }
            }
        }
    }
}
