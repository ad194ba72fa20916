//! A command whose stdout holds the secrets: the bridge to any secret manager with a
//! CLI (`vault kv get -format=json`, `op inject`, `doppler secrets download
//! --format json`, `infisical export`, ...).
//!
//! The command runs with stdin closed, in its own process group, and is killed with
//! that whole group when it outlives its timeout. stdout holds the values, so it is
//! never quoted in an error; stderr is, as a bounded excerpt of its end, scrubbed
//! first: whatever values the command printed on stdout, the product's own secrets
//! (token and master key variables) and anything token- or ciphertext-shaped are
//! masked, since a failing secret manager may well print a value on stderr.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::dotenv::parse_text;
use super::fields::type_name;
use super::{SourceError, SourceSecrets};
use crate::client::Scrubber;

/// Default time a command may run.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest accepted timeout.
pub const MAX_COMMAND_TIMEOUT: Duration = Duration::from_secs(3600);
/// stdout beyond this is refused (a secrets listing is far smaller).
const MAX_STDOUT_BYTES: usize = 16 * 1024 * 1024;
/// How much of stderr's end is kept for an error.
const STDERR_TAIL_BYTES: usize = 4096;
/// How much of that is shown.
const STDERR_EXCERPT_CHARS: usize = 600;

/// How to start the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// Executed directly: `argv[0]` is looked up in `PATH`, no shell is involved.
    Argv(Vec<String>),
    /// Run with `sh -c`.
    Shell(String),
}

/// How stdout is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// JSON when the first non-blank character is `{`, dotenv otherwise.
    Auto,
    /// A JSON object of string values.
    Json,
    /// dotenv lines (same rules as `.env` files, `$` never expanded).
    Dotenv,
}

impl OutputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Auto => "auto",
            OutputFormat::Json => "json",
            OutputFormat::Dotenv => "dotenv",
        }
    }

    pub fn parse(text: &str) -> Option<OutputFormat> {
        match text {
            "auto" => Some(OutputFormat::Auto),
            "json" => Some(OutputFormat::Json),
            "dotenv" => Some(OutputFormat::Dotenv),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSource {
    pub command: CommandLine,
    pub format: OutputFormat,
    pub timeout: Duration,
    /// Working directory; `None` inherits the caller's.
    pub cwd: Option<PathBuf>,
    /// Variables the command gets although they are withheld by default (see
    /// [`withheld_vars`]), e.g. `DIGITALOCEAN_TOKEN` for a command that calls `doctl`.
    pub pass_env: Vec<String>,
}

impl CommandSource {
    /// The command as one line, shell-quoted where needed, for display.
    pub fn command_line(&self) -> String {
        match &self.command {
            CommandLine::Shell(script) => format!("sh -c {}", shell_quote(script)),
            CommandLine::Argv(argv) => argv
                .iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// A short name for errors: the command line, cut to a readable length.
    fn label(&self) -> String {
        let line = self.command_line();
        if line.chars().count() <= 80 {
            line
        } else {
            format!("{}…", line.chars().take(79).collect::<String>())
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "command: {} ({}, timeout {}s)",
            self.command_line(),
            self.format.as_str(),
            format_seconds(self.timeout)
        )
    }

    fn error(&self, problem: impl Into<String>) -> SourceError {
        SourceError::Command {
            command: self.label(),
            problem: problem.into(),
            exit_code: None,
            stderr: None,
        }
    }

    pub(crate) async fn read(&self) -> Result<SourceSecrets, SourceError> {
        let stdout = self.run().await?;
        let text = String::from_utf8(stdout)
            .map_err(|_| self.error("printed output that is not valid UTF-8"))?;
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            // An empty listing would delete every secret of the app; a command that
            // really has none can print `{}`.
            return Err(self.error("printed nothing (expected a JSON object or dotenv lines)"));
        }
        let json = match self.format {
            OutputFormat::Json => true,
            OutputFormat::Dotenv => false,
            OutputFormat::Auto => trimmed.starts_with('{'),
        };
        if json {
            parse_json_object(&text).map_err(|problem| self.error(problem))
        } else {
            let pairs = parse_text(&text)
                .map_err(|e| self.error(format!("output line {}: {}", e.line, e.message)))?;
            Ok(pairs.into_iter().collect())
        }
    }

    fn build(&self) -> Command {
        let mut cmd = match &self.command {
            CommandLine::Argv(argv) => {
                let mut cmd = Command::new(&argv[0]);
                cmd.args(&argv[1..]);
                cmd
            }
            CommandLine::Shell(script) => {
                let mut cmd = Command::new("sh");
                cmd.arg("-c").arg(script);
                cmd
            }
        };
        // The product's own secrets stay with the product: a secret manager's CLI
        // needs none of them, and a command that misbehaves must not get them.
        for name in withheld_vars() {
            if !self.pass_env.contains(&name) {
                cmd.env_remove(&name);
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = &self.cwd {
            cmd.current_dir(cwd);
        }
        // Its own group, so a timeout can kill what `sh -c` started as well.
        #[cfg(unix)]
        cmd.process_group(0);
        cmd
    }

    /// Runs the command to completion and returns its stdout.
    async fn run(&self) -> Result<Vec<u8>, SourceError> {
        let mut child = self
            .build()
            .spawn()
            .map_err(|e| self.error(format!("could not be started: {e}")))?;
        let pid = child.id();
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(self.error("could not be started: no output pipes"));
        };
        let tail = Mutex::new(Vec::new());
        let outcome = tokio::time::timeout(self.timeout, async {
            tokio::try_join!(
                read_limited(stdout, MAX_STDOUT_BYTES),
                drain_tail(stderr, &tail),
                async { child.wait().await.map_err(RunFailure::Io) },
            )
        })
        .await;
        let stderr_excerpt =
            |stdout: Option<&[u8]>| excerpt(&tail.lock(), &stderr_scrubber(stdout));
        match outcome {
            Ok(Ok((stdout, (), status))) if status.success() => Ok(stdout),
            Ok(Ok((stdout, (), status))) => Err(SourceError::Command {
                command: self.label(),
                problem: format!("failed with {}", describe_status(status)),
                exit_code: status.code(),
                stderr: stderr_excerpt(Some(&stdout)),
            }),
            Ok(Err(failure)) => {
                kill_group(pid, &mut child).await;
                let problem = match failure {
                    RunFailure::TooMuchOutput => format!(
                        "printed more than {} MiB and was stopped",
                        MAX_STDOUT_BYTES / (1024 * 1024)
                    ),
                    RunFailure::Io(e) => format!("could not be read: {e}"),
                };
                Err(SourceError::Command {
                    command: self.label(),
                    problem,
                    exit_code: None,
                    stderr: stderr_excerpt(None),
                })
            }
            Err(_elapsed) => {
                kill_group(pid, &mut child).await;
                Err(SourceError::Command {
                    command: self.label(),
                    problem: format!(
                        "timed out after {}s and was killed",
                        format_seconds(self.timeout)
                    ),
                    exit_code: None,
                    stderr: stderr_excerpt(None),
                })
            }
        }
    }
}

enum RunFailure {
    Io(std::io::Error),
    TooMuchOutput,
}

async fn read_limited(
    mut reader: impl AsyncRead + Unpin,
    limit: usize,
) -> Result<Vec<u8>, RunFailure> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = reader.read(&mut chunk).await.map_err(RunFailure::Io)?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > limit {
            return Err(RunFailure::TooMuchOutput);
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Reads stderr to its end, keeping only its last bytes (in `tail`, so they are
/// there even when the command times out).
async fn drain_tail(
    mut reader: impl AsyncRead + Unpin,
    tail: &Mutex<Vec<u8>>,
) -> Result<(), RunFailure> {
    let mut chunk = [0u8; 4096];
    loop {
        let n = reader.read(&mut chunk).await.map_err(RunFailure::Io)?;
        if n == 0 {
            return Ok(());
        }
        let mut tail = tail.lock();
        tail.extend_from_slice(&chunk[..n]);
        if tail.len() > STDERR_TAIL_BYTES {
            let cut = tail.len() - STDERR_TAIL_BYTES;
            tail.drain(..cut);
        }
    }
}

/// Kills the command's process group (the command and anything it started), then
/// reaps the command itself.
async fn kill_group(pid: Option<u32>, child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group whose id is
        // the command's pid (it leads its own group, see `build`); no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal {signal}");
        }
    }
    status.to_string()
}

/// Environment variables holding the product's own secrets: not passed to a command
/// (unless its `pass_env` names them) and masked in what it prints.
pub const PRODUCT_SECRET_VARS: [&str; 4] = [
    "DO_ENVSYNC_MASTER_KEY",
    "DIGITALOCEAN_TOKEN",
    "DIGITALOCEAN_ACCESS_TOKEN",
    "DO_ENVSYNC_EMULATOR_TOKEN",
];

/// Names of Infisical client secret variables this process reads (a sync's
/// `client_secret_env`): withheld from commands like [`PRODUCT_SECRET_VARS`].
static SECRET_VARS_IN_USE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records a variable holding one of the product's secrets (an Infisical
/// `client_secret_env`), so that commands started afterwards do not inherit it.
pub fn withhold_var(name: &str) {
    let mut names = SECRET_VARS_IN_USE.lock();
    if !names.iter().any(|n| n == name) {
        names.push(name.to_owned());
    }
}

/// Every variable a command does not inherit unless its `pass_env` names it.
pub fn withheld_vars() -> Vec<String> {
    let mut names: Vec<String> = PRODUCT_SECRET_VARS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    names.extend(SECRET_VARS_IN_USE.lock().iter().cloned());
    names
}

/// What a failed command's stderr must not show: the values it printed on stdout
/// (read leniently: JSON string values, dotenv values, or the right-hand side of each
/// `=` line), and the product's secrets from this process's environment.
fn stderr_scrubber(stdout: Option<&[u8]>) -> Scrubber {
    let mut scrubber = Scrubber::new();
    for name in withheld_vars() {
        if let Ok(value) = std::env::var(&name) {
            scrubber.add(&value);
        }
    }
    let Some(text) = stdout.map(String::from_utf8_lossy) else {
        return scrubber;
    };
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) {
        map.values()
            .filter_map(Value::as_str)
            .for_each(|v| scrubber.add(v));
    } else if let Ok(pairs) = parse_text(&text) {
        pairs.iter().for_each(|(_, v)| scrubber.add(v));
    } else {
        for line in text.lines() {
            if let Some((_, value)) = line.split_once(['=', ':']) {
                scrubber.add(value.trim().trim_matches(['"', '\'', ',']));
            }
        }
    }
    scrubber
}

/// The end of stderr as one line, scrubbed: lines joined with " | ", control
/// characters dropped, at most [`STDERR_EXCERPT_CHARS`] characters; `None` when blank.
/// When only the tail was kept, its first (cut) line is dropped: a secret cut in half
/// would no longer be recognised.
fn excerpt(bytes: &[u8], scrubber: &Scrubber) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let text = scrubber.scrub(&text);
    let cut = bytes.len() >= STDERR_TAIL_BYTES;
    let joined = text
        .lines()
        .skip(usize::from(cut))
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect::<String>()
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    if joined.is_empty() {
        return None;
    }
    let count = joined.chars().count();
    let truncated = count > STDERR_EXCERPT_CHARS || bytes.len() >= STDERR_TAIL_BYTES;
    let kept: String = joined
        .chars()
        .skip(count.saturating_sub(STDERR_EXCERPT_CHARS))
        .collect();
    Some(if truncated {
        format!("…{kept}")
    } else {
        kept
    })
}

/// A JSON object of string values; the error never quotes a value.
pub(crate) fn parse_json_object(text: &str) -> Result<SourceSecrets, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "JSON that ends too early",
            _ => "invalid JSON",
        };
        format!("printed {what} (line {}, column {})", e.line(), e.column())
    })?;
    let Value::Object(map) = value else {
        return Err(format!(
            "printed JSON that is {}, not an object of KEY: \"value\"",
            type_name(&value)
        ));
    };
    let mut secrets = SourceSecrets::with_capacity(map.len());
    for (key, value) in map {
        if key.is_empty() {
            return Err("printed a JSON object with an empty key".to_string());
        }
        match value {
            Value::String(s) => {
                secrets.insert(key, s);
            }
            other => {
                return Err(format!(
                "printed a JSON object whose key \"{key}\" has {} value; only strings are accepted",
                type_name(&other)
            ))
            }
        }
    }
    Ok(secrets)
}

/// Seconds without a useless fraction: 60 → "60", 0.5 → "0.5".
pub(crate) fn format_seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{}", duration.as_secs())
    } else {
        format!("{secs}")
    }
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_must_be_strings() {
        let ok = parse_json_object(r#"{"A":"1","B":"${db.DATABASE_URL}"}"#).unwrap();
        assert_eq!(ok["A"], "1");
        assert_eq!(ok["B"], "${db.DATABASE_URL}");

        let err = parse_json_object(r#"{"A":"canary-value","PORT":8080}"#).unwrap_err();
        assert!(err.contains("\"PORT\" has a number value"), "{err}");
        assert!(!err.contains("canary"), "{err}");

        let err = parse_json_object(r#"["canary"]"#).unwrap_err();
        assert!(err.contains("an array"), "{err}");
        assert!(!err.contains("canary"), "{err}");

        let err = parse_json_object(r#"{"A": "canary"#).unwrap_err();
        assert!(err.contains("ends too early"), "{err}");
        assert!(!err.contains("canary"), "{err}");

        assert!(parse_json_object(r#"{"":"x"}"#)
            .unwrap_err()
            .contains("empty key"));
    }

    #[test]
    fn stderr_excerpt_is_one_bounded_line() {
        let none = Scrubber::new();
        assert_eq!(excerpt(b"  \n", &none), None);
        assert_eq!(
            excerpt(b"error: denied\n\x1b[31mhint\x1b[0m: login\n", &none).unwrap(),
            "error: denied | [31mhint[0m: login"
        );
        let long = format!("{}\n", "x".repeat(100)).repeat(50);
        let shown = excerpt(long.as_bytes(), &none).unwrap();
        assert!(shown.starts_with('…'));
        assert_eq!(shown.chars().count(), STDERR_EXCERPT_CHARS + 1);
    }

    #[test]
    fn stderr_is_scrubbed_of_stdout_values_and_token_shapes() {
        let stdout = b"{\"A\": \"canary-json-value\"}";
        let s = stderr_scrubber(Some(stdout));
        let legacy = "ab".repeat(32);
        let err = format!("denied for canary-json-value\ntoken {legacy} dop_v1_abc\n");
        let shown = excerpt(err.as_bytes(), &s).unwrap();
        assert_eq!(shown, "denied for [REDACTED] | token [REDACTED] [REDACTED]");
        let s = stderr_scrubber(Some(b"export B='dotenv-canary'\nC=x\n"));
        assert_eq!(
            excerpt(b"B is dotenv-canary", &s).unwrap(),
            "B is [REDACTED]"
        );
        // Output that parses as neither: each line's right-hand side.
        let s = stderr_scrubber(Some(b"{ broken\n  \"D\": \"half-json-canary\",\n"));
        assert_eq!(excerpt(b"x half-json-canary", &s).unwrap(), "x [REDACTED]");
        // A secret cut by the tail limit is dropped with its line, not shown in part.
        let mut tail = b"ary-json-value is wrong\n".to_vec();
        tail.resize(STDERR_TAIL_BYTES - 12, b'z');
        tail.extend_from_slice(b"\nfinal error");
        let shown = excerpt(&tail, &s).unwrap();
        assert!(!shown.contains("ary-json"), "{shown}");
        assert!(shown.ends_with("final error"), "{shown}");
    }

    #[test]
    fn command_lines_are_quoted_for_display() {
        let source = CommandSource {
            command: CommandLine::Argv(vec![
                "vault".into(),
                "kv".into(),
                "get".into(),
                "it's here".into(),
            ]),
            format: OutputFormat::Json,
            timeout: Duration::from_millis(1500),
            cwd: None,
            pass_env: Vec::new(),
        };
        assert_eq!(source.command_line(), r#"vault kv get 'it'\''s here'"#);
        assert_eq!(
            source.describe(),
            r#"command: vault kv get 'it'\''s here' (json, timeout 1.5s)"#
        );
    }
}
