//! Reading a statement from a file or standard input, with the checks every
//! command shares: readable, valid UTF-8, not empty.

use super::{Failure, InputArgs};
use crate::document::InputFormat;
use std::io::Read;

/// The text and its format.
pub(super) fn read(args: &InputArgs) -> Result<(String, InputFormat), Failure> {
    let name = args.input.display().to_string();
    let bytes = if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::input(format!("cannot read standard input: {e}")))?;
        bytes
    } else {
        std::fs::read(&args.input).map_err(|e| Failure::input(format!("cannot read {name}: {e}")))?
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::input(format!("{name} is not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to()))
    })?;
    if !text.chars().any(char::is_alphanumeric) {
        return Err(Failure::input(format!("{name} is empty: there is nothing to speak")));
    }
    let format = match args.format.as_deref() {
        Some(name) => InputFormat::from_extension(name).unwrap_or_default(),
        None => {
            args.input.extension().and_then(|e| e.to_str()).and_then(InputFormat::from_extension).unwrap_or_default()
        }
    };
    Ok((text, format))
}
