//! Keeping another local user out of the store's files.
//!
//! The threat: a second user on the machine plants a file, a symbolic link or a
//! world-writable directory where the store will look (a shared directory, a
//! pre-created `<state>.locks/`), so that the victim's next run writes through a
//! link into one of its own files, or adopts a database or key the other user can
//! read. The rules, checked on every open:
//!
//! - the state directory and the lock directory belong to the current user and
//!   nobody else can write in them (so no other user can create, swap or remove a
//!   name inside them between a check and a use);
//! - the state path, key files and lock files are opened without following a
//!   symbolic link (`O_NOFOLLOW`), never truncated on open, and must be regular
//!   files of the current user that nobody else can read or write;
//! - nothing is ever "repaired": a file or directory that breaks a rule is refused
//!   with its path and the command that fixes it, and never chmod-ed (it may not be
//!   ours to change).
//!
//! Where permissions are not Unix modes (Windows) these checks are no-ops.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

use super::{io_err, StoreError, STATE_ENV_VAR};

/// What a refused path is, for messages ("state directory", "lock file"...).
pub(crate) type What = &'static str;

fn unsafe_path(what: What, path: &Path, problem: String, fix: String) -> StoreError {
    StoreError::UnsafePath {
        what,
        path: path.to_owned(),
        problem,
        fix,
    }
}

#[cfg(unix)]
fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn other_path_fix() -> String {
    format!("choose a state path of your own with --state or ${STATE_ENV_VAR}")
}

/// Checks a directory the store keeps files in: a real directory (a link to one is
/// followed only for the state directory's ancestors, never here), owned by the
/// current user, writable by nobody else.
pub(crate) fn check_dir(what: What, dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The state directory may be reached through a link (a moved home directory);
        // what matters is who controls the directory itself.
        let meta = fs::metadata(dir).map_err(io_err("inspect", dir))?;
        if !meta.is_dir() {
            return Err(unsafe_path(
                what,
                dir,
                "it is not a directory".into(),
                other_path_fix(),
            ));
        }
        check_owner(what, dir, meta.uid())?;
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(unsafe_path(
                what,
                dir,
                format!("it is writable by other users (mode {mode:04o})"),
                format!(
                    "run `chmod go-w {}` if it is yours, or {}",
                    dir.display(),
                    other_path_fix()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (what, dir);
    Ok(())
}

#[cfg(unix)]
fn check_owner(what: What, path: &Path, owner: u32) -> Result<(), StoreError> {
    let me = current_uid();
    if owner != me {
        return Err(unsafe_path(
            what,
            path,
            format!("it belongs to uid {owner}, not to the current user (uid {me}), who could read or replace it"),
            format!(
                "remove it if you did not create it, or {}",
                other_path_fix()
            ),
        ));
    }
    Ok(())
}

/// Checks an open store file: a regular file of the current user that nobody else
/// can read or write. Checked on the open descriptor, so a name swapped after the
/// open does not matter.
pub(crate) fn check_open_file(what: What, path: &Path, file: &File) -> Result<(), StoreError> {
    let meta = file.metadata().map_err(io_err("inspect", path))?;
    check_file_meta(what, path, &meta)
}

fn check_file_meta(what: What, path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !meta.is_file() {
            return Err(unsafe_path(
                what,
                path,
                "it is not a regular file".into(),
                format!("remove it, or {}", other_path_fix()),
            ));
        }
        check_owner(what, path, meta.uid())?;
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(unsafe_path(
                what,
                path,
                format!("other users may access it (mode {mode:04o})"),
                format!("run `chmod 600 {}` if it is yours", path.display()),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (what, path, meta);
    Ok(())
}

/// Checks a store file by name without opening it: when it exists it must not be a
/// link and must pass [`check_open_file`]'s rules. For SQLite's files (the database,
/// `-wal`, `-shm`) opening is not an option: closing any descriptor of a file drops
/// every POSIX lock this process holds on it, SQLite's included. The directory is
/// ours (checked first), so the name cannot be swapped after this check.
pub(crate) fn check_existing_file(what: What, path: &Path) -> Result<bool, StoreError> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err("inspect", path)(e)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        return Err(symlink_refused(what, path));
    }
    check_file_meta(what, path, &meta)?;
    Ok(true)
}

/// Creates a SQLite file owner-only when missing (`O_EXCL`, which never follows a
/// link), else checks the existing one without opening it (see
/// [`check_existing_file`]).
pub(crate) fn create_or_check_db_file(what: What, path: &Path) -> Result<(), StoreError> {
    if check_existing_file(what, path)? {
        return Ok(());
    }
    match super::private_options()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(()),
        // Created meanwhile by another process: check what it made.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            check_existing_file(what, path).map(|_| ())
        }
        Err(e) => Err(io_err("create", path)(e)),
    }
}

fn symlink_refused(what: What, path: &Path) -> StoreError {
    let target = fs::read_link(path)
        .map(|t| format!(" (to {})", t.display()))
        .unwrap_or_default();
    unsafe_path(
        what,
        path,
        format!("it is a symbolic link{target}, which the store never follows"),
        format!("give the real path with --state or ${STATE_ENV_VAR}, or remove the link"),
    )
}

/// Opens `path` with `options` plus `O_NOFOLLOW`: `Ok(None)` when it does not exist
/// (and `options` does not create it), an error naming the link when it is one.
pub(crate) fn open_nofollow(
    options: &mut OpenOptions,
    what: What,
    path: &Path,
) -> Result<Option<File>, StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    match options.open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(symlink_refused(what, path)),
        Err(e) => Err(io_err("open", path)(e)),
    }
}

/// Opens (creating owner-only when missing, never truncating) a store file for
/// reading and writing, without following a link, and checks it.
pub(crate) fn open_private_rw(what: What, path: &Path) -> Result<File, StoreError> {
    let mut options = super::private_options();
    options.read(true).write(true).create(true).truncate(false);
    let file = open_nofollow(&mut options, what, path)?
        .ok_or_else(|| io_err("create", path)(io::ErrorKind::NotFound.into()))?;
    check_open_file(what, path, &file)?;
    Ok(file)
}

/// Opens an existing store file for reading, without following a link, and checks
/// it; `Ok(None)` when it does not exist.
pub(crate) fn open_private_read(what: What, path: &Path) -> Result<Option<File>, StoreError> {
    let Some(file) = open_nofollow(OpenOptions::new().read(true), what, path)? else {
        return Ok(None);
    };
    check_open_file(what, path, &file)?;
    Ok(Some(file))
}

/// Creates `dir` owner-only when missing (and its missing parents when `recursive`),
/// then checks it with [`check_dir`]. An existing directory is never changed.
pub(crate) fn ensure_private_dir(
    what: What,
    dir: &Path,
    recursive: bool,
) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("create directory", dir)(e)),
    }
    check_dir(what, dir)
}

/// Refuses a state path that is a symbolic link (dangling or not): following it
/// would create or open a database wherever the link points.
pub(crate) fn refuse_symlink(what: What, path: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_refused(what, path)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("inspect", path)(e)),
    }
}
