//! File input and output: bounded reads that name the file in every error, and writes that go to a temporary
//! file in the same directory and are renamed into place, so a failed write leaves the old file intact.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use hsign_core::limits::MAX_DOCUMENT_BYTES;

use crate::error::CliError;
use crate::exit::Exit;

/// Opens a regular file for reading; a directory or a missing file is a clear error naming `what`.
pub fn open(path: &Path, what: &str) -> Result<(File, u64), CliError> {
    let file = File::open(path).map_err(|e| CliError::io(path, what, &e))?;
    let meta = file.metadata().map_err(|e| CliError::io(path, what, &e))?;
    if meta.is_dir() {
        return Err(CliError::new(
            Exit::Input,
            format!("{what} '{}' is a directory, expected a file", path.display()),
        ));
    }
    Ok((file, meta.len()))
}

/// Reads a small document (key, bundle, signature) whole, refusing anything over the document limit.
pub fn read_document(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let (file, len) = open(path, what)?;
    if len > MAX_DOCUMENT_BYTES {
        return Err(CliError::new(
            Exit::Input,
            format!(
                "{what} '{}' has {len} bytes, more than the {MAX_DOCUMENT_BYTES} accepted",
                path.display()
            ),
        ));
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::io(path, what, &e))?;
    Ok(buf)
}

/// A file written to a temporary name, renamed into place by [`Staged::commit`].
pub struct Staged {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    overwrite: bool,
}

/// Writes `contents` to a temporary file beside `path` with `mode`, ready to be renamed into place.
pub fn stage(path: &Path, contents: &[u8], mode: u32, overwrite: bool) -> Result<Staged, CliError> {
    if !overwrite && fs::symlink_metadata(path).is_ok() {
        return Err(
            CliError::new(Exit::Failure, format!("'{}' already exists", path.display()))
                .hint("pass --force to overwrite it"),
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let what = "cannot write";
    // tempfile creates the file with mode 0600, so secrets are never readable by others, even briefly.
    let mut temp = tempfile::Builder::new()
        .prefix(".hsign-")
        .tempfile_in(dir)
        .map_err(|e| CliError::io(path, what, &e))?;
    temp.write_all(contents).map_err(|e| CliError::io(path, what, &e))?;
    temp.as_file().sync_all().map_err(|e| CliError::io(path, what, &e))?;
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode)).map_err(|e| CliError::io(path, what, &e))?;
    Ok(Staged {
        temp,
        path: path.to_path_buf(),
        overwrite,
    })
}

impl Staged {
    /// Renames the file into place (refusing to replace an existing file unless overwriting was asked for).
    pub fn commit(self) -> Result<(), CliError> {
        let path = self.path;
        let res = if self.overwrite {
            self.temp.persist(&path)
        } else {
            self.temp.persist_noclobber(&path)
        };
        res.map(drop).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::new(Exit::Failure, format!("'{}' already exists", path.display()))
                    .hint("pass --force to overwrite it")
            } else {
                CliError::io(&path, "cannot write", &e.error)
            }
        })
    }
}

/// Writes one file atomically.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32, overwrite: bool) -> Result<(), CliError> {
    stage(path, contents, mode, overwrite)?.commit()
}
