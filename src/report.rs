//! Reporting an error with its causes. Herald's errors keep their causes
//! as sources rather than in their own messages; [`Chain`] shows them all,
//! `outer: inner: innermost`, for logs, problem details and the CLI.

use std::error::Error;
use std::fmt;

/// Displays an error and each of its sources.
pub(crate) struct Chain<'a>(pub &'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}
