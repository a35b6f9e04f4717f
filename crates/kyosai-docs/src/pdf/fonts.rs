//! The faces the templates use, read once from a font directory (Debian's by default).
//!
//! BIZ UD (Morisawa, SIL OFL) is a universal-design face made for official documents; Debian
//! ships it as `fonts-morisawa-bizud-gothic` and `fonts-morisawa-bizud-mincho`. Only the three
//! faces the templates name are loaded, so only they can be embedded (typst embeds a subset of
//! each face a page uses).

use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::Font;

use super::RenderError;

/// Where Debian's packages put the fonts.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/truetype";

/// The faces the templates use, relative to the font directory: body text and headings in
/// BIZ UDPGothic, the document's title in BIZ UDPMincho.
const FACES: [&str; 3] = [
    "bizud-gothic/BIZUDPGothic-Regular.ttf",
    "bizud-gothic/BIZUDPGothic-Bold.ttf",
    "bizud-mincho/BIZUDPMincho-Regular.ttf",
];

/// Reads every face the templates use; a missing or unreadable file names itself and the
/// Debian packages that provide it.
pub fn load(dir: &Path) -> Result<Vec<Font>, RenderError> {
    FACES
        .iter()
        .map(|relative| {
            let path = dir.join(relative);
            let data = std::fs::read(&path).map_err(|source| RenderError::FontMissing {
                path: path.clone(),
                source,
            })?;
            Font::new(Bytes::new(data), 0).ok_or(RenderError::FontInvalid(path))
        })
        .collect()
}

/// The font directory: `KYOSAI_FONT_DIR` when set (a machine with the fonts elsewhere), else
/// Debian's.
pub fn default_dir() -> PathBuf {
    std::env::var_os("KYOSAI_FONT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FONT_DIR))
}
