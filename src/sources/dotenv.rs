//! `.env` files, parsed with `dotenvy`'s parser (never loaded into the process env).
//!
//! Everything dotenvy supports works: `KEY=value`, `export KEY=value`, single and
//! double quotes, values spanning several lines inside quotes, `\n` / `\"` / `\\`
//! escapes outside single quotes, `#` comments on their own line or after a space.
//! Several files may be given; a key in a later file wins (it keeps the position of
//! its first appearance). A UTF-8 byte-order mark is ignored.
//!
//! **`$` is never expanded.** dotenvy would replace `$NAME` and `${NAME}` outside
//! single quotes with a value from the *process environment* or an earlier line, and
//! with nothing when the name is unknown. That would silently turn App Platform's
//! bindable variables (`${db.DATABASE_URL}`, `${APP_URL}`, `${_self.PRIVATE_URL}`),
//! which DigitalOcean resolves at deploy time, into empty strings, and would copy
//! unrelated process variables into the app's secrets. So every `$` reaches the app
//! as written, whatever the quoting; `\$` still reads as `$` where dotenvy allows
//! that escape. This is done by escaping each `$` that dotenvy would treat as a
//! reference before its parser sees the line.
//!
//! Errors name the file and the line but never quote the line, which may hold a
//! secret.

use std::path::{Path, PathBuf};

use super::{SourceError, SourceSecrets};

/// `.env` files read in order; later files win.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvSource {
    pub paths: Vec<PathBuf>,
}

impl DotenvSource {
    /// Reads and parses every file now, without keeping the values: a sync is refused at
    /// creation for a missing or malformed file rather than failing at its first run.
    pub(crate) fn check(&self) -> Result<(), SourceError> {
        for path in &self.paths {
            let bytes = read_capped(path)?;
            parse_file(path, &bytes)?;
        }
        Ok(())
    }

    pub(crate) async fn read(&self) -> Result<SourceSecrets, SourceError> {
        let mut secrets = SourceSecrets::new();
        for path in &self.paths {
            let owned = path.clone();
            let bytes = tokio::task::spawn_blocking(move || read_capped(&owned))
                .await
                .map_err(|e| SourceError::File {
                    path: path.clone(),
                    message: format!("the read was interrupted: {e}"),
                })??;
            for (key, value) in parse_file(path, &bytes)? {
                secrets.insert(key, value);
            }
        }
        Ok(secrets)
    }
}

/// Largest `.env` file read: far above any real one, small enough that a wrong path
/// (a log, a dump, `/dev/zero`) fails at once instead of filling memory.
pub const MAX_DOTENV_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Longest physical line of a `.env` file (one value may hold at most 128 KiB anyway).
pub const MAX_DOTENV_LINE_BYTES: usize = 1024 * 1024;

/// Reads a `.env` file, refusing one larger than [`MAX_DOTENV_FILE_BYTES`] before
/// reading it (by its size) or while reading it (a file that grows, a device).
fn read_capped(path: &Path) -> Result<Vec<u8>, SourceError> {
    use std::io::Read;
    let fail = |message: String| SourceError::File {
        path: path.to_path_buf(),
        message,
    };
    let too_big = || {
        fail(format!(
            "larger than {} MiB; .env files are capped at that size",
            MAX_DOTENV_FILE_BYTES / (1024 * 1024)
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| fail(io_reason(&e)))?;
    let meta = file.metadata().map_err(|e| fail(io_reason(&e)))?;
    if meta.is_dir() {
        return Err(fail("is a directory, not a file".into()));
    }
    if meta.len() > MAX_DOTENV_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_DOTENV_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(io_reason(&e)))?;
    if bytes.len() as u64 > MAX_DOTENV_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// The 1-based number of the first physical line longer than [`MAX_DOTENV_LINE_BYTES`].
fn overlong_line(bytes: &[u8]) -> Option<usize> {
    bytes
        .split(|b| *b == b'\n')
        .position(|line| line.len() > MAX_DOTENV_LINE_BYTES)
        .map(|i| i + 1)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_string(),
        _ => e.to_string(),
    }
}

/// Parses one file's bytes; errors carry `path`.
pub(crate) fn parse_file(path: &Path, bytes: &[u8]) -> Result<Vec<(String, String)>, SourceError> {
    if let Some(line) = overlong_line(bytes) {
        return Err(SourceError::Syntax {
            path: path.to_path_buf(),
            line,
            message: format!(
                "longer than {} MiB; lines of .env files are capped at that length",
                MAX_DOTENV_LINE_BYTES / (1024 * 1024)
            ),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        SourceError::File {
            path: path.to_path_buf(),
            message: format!("not valid UTF-8 (line {line}); .env files must be UTF-8"),
        }
    })?;
    parse_text(text).map_err(|e| SourceError::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        message: e.message.to_string(),
    })
}

/// Where and why dotenv text is malformed (never the text itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvSyntaxError {
    pub line: usize,
    pub message: &'static str,
}

const MALFORMED: &str = "expected KEY=VALUE (look for an unquoted space, an unknown \\ escape, \
                         a stray quote or an invalid key)";
const UNTERMINATED: &str = "a quoted value or escape starting on this line is never closed";

/// Parses dotenv text into (key, value) pairs in file order, `$` kept literally.
pub(crate) fn parse_text(text: &str) -> Result<Vec<(String, String)>, DotenvSyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pairs = Vec::new();
    for logical in logical_lines(text)? {
        if logical.text.trim().is_empty() {
            continue;
        }
        let mut escaped = escape_dollars(&logical.text);
        escaped.push('\n');
        for item in dotenvy::from_read_iter(escaped.as_bytes()) {
            match item {
                Ok(pair) => pairs.push(pair),
                Err(_) => {
                    return Err(DotenvSyntaxError {
                        line: logical.line,
                        message: MALFORMED,
                    })
                }
            }
        }
    }
    Ok(pairs)
}

struct LogicalLine {
    /// 1-based number of its first physical line.
    line: usize,
    text: String,
}

/// dotenvy's line-joining states (`QuotedLines` in dotenvy 0.15), reproduced so each
/// logical line can be given to the parser alone and errors can report line numbers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JoinState {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    Comment,
    WhiteSpace,
}

/// Runs the joining state machine over one physical line; `Comment` returns the byte
/// offset of the `#` that starts a trailing comment.
fn join_state(start: JoinState, line: &str) -> (usize, JoinState) {
    let mut state = start;
    for (pos, c) in line.char_indices() {
        state = match state {
            JoinState::WhiteSpace => match c {
                '#' => return (pos, JoinState::Comment),
                '\\' => JoinState::Escape,
                '"' => JoinState::WeakOpen,
                '\'' => JoinState::StrongOpen,
                _ => JoinState::Complete,
            },
            JoinState::Escape => JoinState::Complete,
            JoinState::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => JoinState::WhiteSpace,
                '\\' => JoinState::Escape,
                '"' => JoinState::WeakOpen,
                '\'' => JoinState::StrongOpen,
                _ => JoinState::Complete,
            },
            JoinState::WeakOpen => match c {
                '\\' => JoinState::WeakOpenEscape,
                '"' => JoinState::Complete,
                _ => JoinState::WeakOpen,
            },
            JoinState::WeakOpenEscape => JoinState::WeakOpen,
            JoinState::StrongOpen => match c {
                '\\' => JoinState::StrongOpenEscape,
                '\'' => JoinState::Complete,
                _ => JoinState::StrongOpen,
            },
            JoinState::StrongOpenEscape => JoinState::StrongOpen,
            JoinState::Comment => unreachable!("a comment ends the line"),
        };
    }
    (0, state)
}

/// Splits text into dotenvy's logical lines: a quoted value may span physical lines;
/// a line starting with `#` is a comment; a trailing ` #...` comment is cut off.
fn logical_lines(text: &str) -> Result<Vec<LogicalLine>, DotenvSyntaxError> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut state = JoinState::Complete;
    let mut start_line = 0;
    for (index, physical) in text.split_inclusive('\n').enumerate() {
        if buf.is_empty() && state == JoinState::Complete {
            start_line = index + 1;
            if physical.trim_start().starts_with('#') {
                continue;
            }
        }
        let offset = buf.len();
        buf.push_str(physical);
        let (pos, next) = join_state(state, physical);
        state = next;
        match state {
            JoinState::Complete => {
                if buf.ends_with('\n') {
                    buf.pop();
                    if buf.ends_with('\r') {
                        buf.pop();
                    }
                }
            }
            JoinState::Comment => buf.truncate(offset + pos),
            _ => continue,
        }
        out.push(LogicalLine {
            line: start_line,
            text: std::mem::take(&mut buf),
        });
        state = JoinState::Complete;
    }
    match state {
        JoinState::Complete => {}
        // dotenvy itself rejects a last line ending in a space or `\` when the file
        // has no final newline; the parser below gets the line with a newline, so
        // both read as they would before a newline.
        JoinState::WhiteSpace | JoinState::Escape => out.push(LogicalLine {
            line: start_line,
            text: buf,
        }),
        _ => {
            return Err(DotenvSyntaxError {
                line: start_line,
                message: UNTERMINATED,
            })
        }
    }
    Ok(out)
}

/// Prefixes with `\` every `$` that dotenvy's value parser would take as the start of
/// a substitution (outside single quotes and not already escaped), so it reads back
/// as a literal `$`. The quoting rules followed are those of dotenvy's `parse_value`:
/// nothing is special inside `'...'`; `\` escapes the next character elsewhere.
fn escape_dollars(line: &str) -> String {
    #[derive(Clone, Copy)]
    enum Quote {
        None,
        NoneEscaped,
        Strong,
        Weak,
        WeakEscaped,
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut quote = Quote::None;
    for c in line.chars() {
        quote = match (quote, c) {
            (Quote::Strong, '\'') => Quote::None,
            (Quote::Strong, _) => Quote::Strong,
            (Quote::NoneEscaped, _) => Quote::None,
            (Quote::WeakEscaped, _) => Quote::Weak,
            (Quote::None | Quote::Weak, '$') => {
                out.push('\\');
                quote
            }
            (Quote::None, '\'') => Quote::Strong,
            (Quote::None, '"') => Quote::Weak,
            (Quote::None, '\\') => Quote::NoneEscaped,
            (Quote::Weak, '"') => Quote::None,
            (Quote::Weak, '\\') => Quote::WeakEscaped,
            (q, _) => q,
        };
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_lines_are_capped_without_quoting_them() {
        let dir = tempfile::tempdir().unwrap();
        // Larger than the cap by its size: refused before a byte is read (sparse file).
        let big = dir.path().join("big.env");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_DOTENV_FILE_BYTES + 1)
            .unwrap();
        let e = read_capped(&big).unwrap_err().to_string();
        assert!(e.contains("big.env") && e.contains("10 MiB"), "{e}");
        // A device with no size that never ends: stopped at the cap.
        #[cfg(unix)]
        {
            let e = read_capped(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(e.contains("10 MiB"), "{e}");
        }
        // A line over 1 MiB: its number, never its text.
        let mut text = b"A=1\nB=canary-long-".to_vec();
        text.resize(MAX_DOTENV_LINE_BYTES + 100, b'x');
        text.extend_from_slice(b"\nC=3\n");
        let e = parse_file(Path::new("x.env"), &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("1 MiB"), "{e}");
        assert!(!e.contains("canary"), "{e}");
        // At the limit it parses.
        let mut ok = b"A=".to_vec();
        ok.resize(MAX_DOTENV_LINE_BYTES, b'y');
        assert_eq!(parse_file(Path::new("x.env"), &ok).unwrap()[0].0, "A");
    }

    fn parse(text: &str) -> Vec<(String, String)> {
        parse_text(text).unwrap_or_else(|e| panic!("parse failed at line {}", e.line))
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn quotes_export_and_comments() {
        let text = "# leading comment\n\
                    A=plain\n\
                    export B=exported\n\
                    C='single # not a comment'\n\
                    D=\"double \\\"quoted\\\" \\n newline\"\n\
                    E=value # trailing comment with an apostrophe: it's\n\
                    F=after\n\
                    \n   # indented comment\n\
                    G=\n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("A", "plain"),
                ("B", "exported"),
                ("C", "single # not a comment"),
                ("D", "double \"quoted\" \n newline"),
                ("E", "value"),
                ("F", "after"),
                ("G", ""),
            ])
        );
    }

    #[test]
    fn multiline_values_keep_their_newlines() {
        let text = "CERT=\"-----BEGIN-----\nline two\n-----END-----\"\nNEXT='a\nb'\nLAST=1\n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("CERT", "-----BEGIN-----\nline two\n-----END-----"),
                ("NEXT", "a\nb"),
                ("LAST", "1"),
            ])
        );
    }

    #[test]
    fn dollar_references_are_never_expanded() {
        // HOME is set in any test environment: dotenvy alone would substitute it.
        assert!(std::env::var("HOME").is_ok());
        let text = "A=${db.DATABASE_URL}\n\
                    B=\"${APP_URL}/callback\"\n\
                    C='${_self.PRIVATE_URL}'\n\
                    D=$HOME\n\
                    E=\"cost \\$5 and ${HOME}\"\n\
                    F=pa$$word\n\
                    G=\\$escaped\n\
                    H=${A}\n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("A", "${db.DATABASE_URL}"),
                ("B", "${APP_URL}/callback"),
                ("C", "${_self.PRIVATE_URL}"),
                ("D", "$HOME"),
                ("E", "cost $5 and ${HOME}"),
                ("F", "pa$$word"),
                ("G", "$escaped"),
                ("H", "${A}"),
            ])
        );
    }

    #[test]
    fn backslashes_inside_single_quotes_stay_literal() {
        assert_eq!(
            parse("A='c:\\dir\\$x'\nB=\"a\\\\$b\"\n"),
            pairs(&[("A", "c:\\dir\\$x"), ("B", "a\\$b")])
        );
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        assert_eq!(
            parse("\u{feff}A=1\r\nB=\"two\r\nlines\"\r\n"),
            pairs(&[("A", "1"), ("B", "two\r\nlines")])
        );
    }

    #[test]
    fn malformed_lines_report_their_number() {
        let text = "A=1\nMULTI=\"x\ny\"\nB=two words\nC=3\n";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line, 4);
        assert_eq!(err.message, MALFORMED);

        assert_eq!(parse_text("A=1\n1BAD=x\n").unwrap_err().line, 2);
        assert_eq!(parse_text("NOEQUALS\n").unwrap_err().line, 1);
        assert_eq!(parse_text("A=\"\\q\"\n").unwrap_err().line, 1);
    }

    #[test]
    fn unterminated_quotes_report_the_opening_line() {
        let err = parse_text("A=1\nB=2\nC='never closed\nD=4\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.message, UNTERMINATED);
    }

    #[test]
    fn errors_do_not_quote_the_line() {
        let err = parse_file(Path::new("/x/.env"), b"TOKEN=canary secret-canary\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("/x/.env") && text.contains("line 1"),
            "{text}"
        );
        assert!(!text.contains("canary"), "{text}");
    }

    #[test]
    fn non_utf8_is_rejected_with_its_line() {
        let err = parse_file(Path::new("/x/.env"), b"A=1\nB=\xff\xfe\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not valid UTF-8 (line 2)"), "{text}");
    }

    #[test]
    fn duplicates_are_returned_in_order() {
        assert_eq!(parse("A=1\nA=2\n"), pairs(&[("A", "1"), ("A", "2")]));
    }

    #[test]
    fn last_line_without_newline() {
        assert_eq!(parse("A=1\nB=2  "), pairs(&[("A", "1"), ("B", "2")]));
        assert_eq!(parse("A='x'"), pairs(&[("A", "x")]));
        // A dangling backslash reads as it does before a newline (dotenvy drops it).
        assert_eq!(parse("A=1\nB=x\\"), parse("A=1\nB=x\\\n"));
    }
}
