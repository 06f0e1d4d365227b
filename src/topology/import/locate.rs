//! Finds the 1-based line of a JSON path (`edges[3].node1_policy.time_lock_delta`) in the
//! raw text of a JSON document, so that an error about a parsed value can name its line
//! (serde_json's `Value` keeps no positions).
//!
//! It is a tolerant scanner, not a parser: on text it does not understand it returns the
//! line of the deepest part of the path it found (line 1 at worst). It must not reject or
//! validate anything (that is serde_json's job), allocate per byte, or panic on any input.

use std::fmt;

/// One step of a JSON path.
#[derive(Debug, Clone)]
enum Seg {
    Key(&'static str),
    Idx(usize),
}

#[derive(Debug, Clone, Default)]
pub(super) struct JPath(Vec<Seg>);

impl JPath {
    fn at(&self, s: Seg) -> JPath {
        let mut p = self.0.clone();
        p.push(s);
        JPath(p)
    }
    pub(super) fn key(&self, k: &'static str) -> JPath {
        self.at(Seg::Key(k))
    }
    pub(super) fn idx(&self, i: usize) -> JPath {
        self.at(Seg::Idx(i))
    }
}

impl fmt::Display for JPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Idx(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A cursor over raw JSON text, used only to find the line of a path for error messages.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    /// At a `"`: skips the string, returns its raw contents.
    fn string(&mut self) -> Option<&[u8]> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.i + 1;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    let s = self.b.get(start..self.i);
                    self.i += 1;
                    return s;
                }
                _ => self.i += 1,
            }
        }
    }
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
    /// Offset of the value at `path`, or of the deepest part of it that exists.
    fn find(&mut self, path: &[Seg]) -> usize {
        self.ws();
        let here = self.i;
        let Some((seg, rest)) = path.split_first() else {
            return here;
        };
        self.find_in(seg, rest).unwrap_or(here)
    }
    fn find_in(&mut self, seg: &Seg, rest: &[Seg]) -> Option<usize> {
        match (seg, self.peek()?) {
            (Seg::Key(k), b'{') => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.peek()? == b'}' {
                        return None;
                    }
                    let key_at = self.i;
                    let key = self.string()?;
                    let hit = key == k.as_bytes();
                    self.ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.i += 1;
                    if hit {
                        self.ws();
                        if rest.is_empty() {
                            return Some(key_at);
                        }
                        return Some(self.find(rest));
                    }
                    self.skip_value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                }
            }
            (Seg::Idx(n), b'[') => {
                self.i += 1;
                let mut j = 0;
                loop {
                    self.ws();
                    if self.peek()? == b']' {
                        return None;
                    }
                    if j == *n {
                        return Some(self.find(rest));
                    }
                    self.skip_value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                    j += 1;
                }
            }
            _ => None,
        }
    }
}

/// The 1-based line where `path` (or the deepest existing part of it) stands in `text`.
pub(super) fn json_line(text: &str, path: &JPath) -> usize {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    let off = c.find(&path.0).min(text.len());
    1 + text
        .as_bytes()
        .get(..off)
        .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_json_line_finder() {
        let text = "{\n \"a\": [1,\n  {\"b\": \"x\\\"}\",\n   \"c\": 5}\n ]\n}";
        let p = JPath::default().key("a").idx(1).key("c");
        assert_eq!(json_line(text, &p), 4);
        assert_eq!(
            json_line(text, &JPath::default().key("a").idx(1).key("zz")),
            3
        );
        assert_eq!(json_line(text, &JPath::default().key("a").idx(7)), 2);
        // Garbage never panics.
        for t in [
            "",
            "{",
            "[\"",
            "{\"a\":",
            "{\"a\" 1}",
            "]]]",
            "{\"a\": [\"\\",
        ] {
            let _ = json_line(t, &p);
        }
    }
}
