//! Random bytes from the operating system.

use crate::KeyError;

/// Fills `buf` with random bytes from the operating system's CSPRNG.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buf).map_err(|_| KeyError::Random)
}
