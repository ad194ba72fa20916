//! A real, throwaway PostgreSQL server for the integration tests.
//!
//! `PgCluster::shared()` is one cluster per test binary: initdb + pg_ctl on a temporary
//! directory and a free loopback port (as the `postgres` user when running as root), stopped
//! when the test process exits. `DO_ENVSYNC_TEST_DATABASE_URL`, when set, names an existing
//! server instead (its role must be allowed to create databases). Each test takes its own
//! database with `fresh_database()`. There is no skip: a machine without a server and without
//! the URL fails the tests with a message saying what to install.
//!
//! `PgCluster::start_private()` is a cluster of the test's own, for tests that stop and start
//! the server (the shared one must stay up for the others).

#![allow(dead_code)] // each test binary uses a different part of the helper

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

/// The variable naming an existing server (admin URL) to use instead of a throwaway cluster.
pub const DATABASE_URL_VAR: &str = "DO_ENVSYNC_TEST_DATABASE_URL";
/// The variable naming the directory holding initdb/pg_ctl when it is not a Debian default.
pub const BIN_DIR_VAR: &str = "DO_ENVSYNC_PG_BIN";

pub struct PgCluster {
    /// `postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres`, or the external admin URL.
    admin_url: url::Url,
    /// The server's own files; `None` for an external server.
    own: Option<Owned>,
}

struct Owned {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Whether the server commands run as `postgres` (we are root).
    as_postgres: bool,
    running: Mutex<bool>,
}

static SHARED: OnceLock<PgCluster> = OnceLock::new();

impl PgCluster {
    /// The cluster shared by the tests of this binary (started on first use).
    pub fn shared() -> &'static PgCluster {
        SHARED.get_or_init(|| {
            let cluster = match std::env::var(DATABASE_URL_VAR) {
                Ok(url) if !url.trim().is_empty() => PgCluster::external(url.trim()),
                _ => PgCluster::start_private(),
            };
            // Statics are never dropped: stop the server when the process exits.
            extern "C" fn stop_shared() {
                if let Some(cluster) = SHARED.get() {
                    cluster.destroy();
                }
            }
            // SAFETY: registering a plain `extern "C" fn` with no arguments.
            unsafe { libc::atexit(stop_shared) };
            cluster
        })
    }

    fn external(url: &str) -> PgCluster {
        let admin_url = url::Url::parse(url)
            .unwrap_or_else(|_| panic!("{DATABASE_URL_VAR} is not a postgresql:// URL"));
        PgCluster {
            admin_url,
            own: None,
        }
    }

    /// A new cluster of the caller's own, running; stopped and removed when dropped.
    pub fn start_private() -> PgCluster {
        let bin = bin_dir();
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::Builder::new()
            .prefix("do-envsync-pg-")
            .tempdir()
            .expect("a temporary directory for the test cluster")
            .keep();
        let password = format!("pgpw-{}", uuid::Uuid::new_v4().simple());
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n")).expect("write the password file");
        if as_postgres {
            chown_postgres(&dir);
            chown_postgres(&pwfile);
        }
        let data = dir.join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "scram-sha-256", "-E", "UTF8"])
            .args(["--no-sync", "--no-instructions"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run_checked(as_postgres, &mut initdb, "initdb");
        std::fs::remove_file(&pwfile).ok();

        // A free port can be taken between the probe and the start: try a few.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let owned = Owned {
                bin: bin.clone(),
                dir: dir.clone(),
                port,
                as_postgres,
                running: Mutex::new(false),
            };
            match owned.pg_ctl_start() {
                Ok(()) => {
                    *owned.running.lock().unwrap() = true;
                    let admin_url = url::Url::parse(&format!(
                        "postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
                    ))
                    .expect("a valid URL");
                    return PgCluster {
                        admin_url,
                        own: Some(owned),
                    };
                }
                Err(e) => last_error = e,
            }
        }
        panic!("could not start the test PostgreSQL cluster: {last_error}");
    }

    /// Creates an empty database and returns its URL (with the password).
    pub fn fresh_database(&self) -> String {
        let name = format!("envsync_{}", uuid::Uuid::new_v4().simple());
        self.execute(&format!("CREATE DATABASE {name}"));
        self.database_url(&name)
    }

    /// The URL of database `name` on this server.
    pub fn database_url(&self, name: &str) -> String {
        let mut url = self.admin_url.clone();
        url.set_path(&format!("/{name}"));
        url.to_string()
    }

    /// The admin (`postgres`) role's password: a canary for tests that check it never leaks.
    pub fn password(&self) -> String {
        // Own clusters use a hex password: nothing to percent-decode.
        self.admin_url.password().unwrap_or("").to_owned()
    }

    /// The loopback port of an own cluster (`None` for an external server).
    pub fn port(&self) -> Option<u16> {
        self.own.as_ref().map(|o| o.port)
    }

    /// Runs one SQL statement on the admin database.
    pub fn execute(&self, sql: &str) {
        let url = self.admin_url.to_string();
        let sql = sql.to_owned();
        // A runtime of its own, on a thread of its own: callers may be inside a tokio test.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("connect to the test server: {e}"))?;
                let task = tokio::spawn(connection);
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| format!("{sql}: {e}"))?;
                drop(client);
                let _ = task.await;
                Ok::<(), String>(())
            })
        })
        .join()
        .expect("the SQL thread")
        .unwrap_or_else(|e| panic!("test PostgreSQL: {e}"));
    }

    /// `pg_dump` of one database (plain SQL text), for canary scans.
    pub fn pg_dump(&self, database_url: &str) -> String {
        let bin = match &self.own {
            Some(o) => o.bin.join("pg_dump"),
            None => PathBuf::from("pg_dump"),
        };
        let out = Command::new(&bin)
            .arg("--no-owner")
            .arg(format!("--dbname={database_url}"))
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops an own cluster fast (as a crash or an operator would); the data stays.
    pub fn stop(&self) {
        let own = self
            .own
            .as_ref()
            .expect("only an own cluster can be stopped");
        let mut running = own.running.lock().unwrap();
        if *running {
            own.pg_ctl_stop();
            *running = false;
        }
    }

    /// Starts a stopped own cluster again on the same port.
    pub fn start(&self) {
        let own = self
            .own
            .as_ref()
            .expect("only an own cluster can be started");
        let mut running = own.running.lock().unwrap();
        if !*running {
            own.pg_ctl_start()
                .unwrap_or_else(|e| panic!("restart the test cluster: {e}"));
            *running = true;
        }
    }

    fn destroy(&self) {
        if let Some(own) = &self.own {
            let mut running = own.running.lock().unwrap();
            if *running {
                own.pg_ctl_stop();
                *running = false;
            }
            std::fs::remove_dir_all(&own.dir).ok();
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.destroy();
    }
}

impl Owned {
    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300",
            self.port,
            self.dir.display()
        );
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        let out = run(self.as_postgres, &mut cmd);
        if out.status.success() {
            Ok(())
        } else {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            Err(format!(
                "pg_ctl start: {}{}\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl_stop(&self) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.arg("-D").arg(self.dir.join("data")).args([
            "-m",
            "immediate",
            "-w",
            "-t",
            "30",
            "stop",
        ]);
        let _ = run(self.as_postgres, &mut cmd);
    }
}

/// initdb's directory: `DO_ENVSYNC_PG_BIN`, the newest Debian `/usr/lib/postgresql/N/bin`,
/// else `pg_config --bindir`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var(BIN_DIR_VAR) {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return bin;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() {
            return dir;
        }
    }
    panic!(
        "no PostgreSQL server for the tests: install the server binaries \
         (Debian: apt-get install postgresql-15), set {BIN_DIR_VAR} to their directory, \
         or set {DATABASE_URL_VAR} to an existing server's admin URL"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn chown_postgres(path: &Path) {
    let out = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .output()
        .expect("run chown");
    assert!(
        out.status.success(),
        "chown postgres {}: {out:?}",
        path.display()
    );
}

/// Runs a server command, as `postgres` when we are root (initdb and postgres refuse root).
fn run(as_postgres: bool, cmd: &mut Command) -> Output {
    let mut wrapped;
    let cmd = if as_postgres {
        wrapped = Command::new("runuser");
        wrapped
            .args(["-u", "postgres", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        &mut wrapped
    } else {
        cmd
    };
    // pg_ctl -l sends the server's output to its log: our pipes close when pg_ctl exits.
    cmd.stdin(std::process::Stdio::null());
    cmd.output().expect("run a PostgreSQL server command")
}

fn run_checked(as_postgres: bool, cmd: &mut Command, what: &str) {
    let out = run(as_postgres, cmd);
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
