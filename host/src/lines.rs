//! Reads JSON Lines input without ever holding more than one bounded line: an over-long
//! line is skipped to its end and reported, so one bad line never stops the stream.

use std::io::{self, BufRead};

/// Longest request line read. Real requests are a few hundred bytes; 4 MiB leaves room for
/// pathological-but-valid input (a 1 MB target list) while bounding memory per line.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// One input line.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes, without the line terminator.
    Text(Vec<u8>),
    /// The line was longer than [`MAX_LINE`]; holds its full length.
    TooLong(usize),
}

/// Reads the next line (`None` at end of input).
pub fn next_line(input: &mut impl BufRead) -> io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    let mut seen_any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        seen_any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        total += take;
        if total <= MAX_LINE {
            buf.extend_from_slice(chunk.get(..take).unwrap_or_default());
        } else {
            buf = Vec::new(); // drop what was kept; only the length is reported
        }
        input.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if total > MAX_LINE {
        return Ok(Some(Line::TooLong(total)));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(Line::Text(buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_reports_overlong_ones() {
        let mut data = b"a\r\n\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
        data.extend(b"\nlast");
        let mut input = io::Cursor::new(data);
        assert_eq!(
            next_line(&mut input).unwrap(),
            Some(Line::Text(b"a".to_vec()))
        );
        assert_eq!(next_line(&mut input).unwrap(), Some(Line::Text(Vec::new())));
        assert_eq!(
            next_line(&mut input).unwrap(),
            Some(Line::TooLong(MAX_LINE + 1))
        );
        assert_eq!(
            next_line(&mut input).unwrap(),
            Some(Line::Text(b"last".to_vec()))
        );
        assert_eq!(next_line(&mut input).unwrap(), None);
    }
}
