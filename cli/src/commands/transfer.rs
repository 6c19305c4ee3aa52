//! `copy`, `save` and `load`: moving an image with everything attached to it.

use crate::args::{CopyArgs, LoadArgs, SaveArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Printer;

/// `copy`.
pub fn copy(_args: &CopyArgs, _out: Printer) -> Result<(), CliError> {
    Err(CliError::new(Exit::Failure, "copy is not implemented yet"))
}

/// `save`.
pub fn save(_args: &SaveArgs, _out: Printer) -> Result<(), CliError> {
    Err(CliError::new(Exit::Failure, "save is not implemented yet"))
}

/// `load`.
pub fn load(_args: &LoadArgs, _out: Printer) -> Result<(), CliError> {
    Err(CliError::new(Exit::Failure, "load is not implemented yet"))
}
