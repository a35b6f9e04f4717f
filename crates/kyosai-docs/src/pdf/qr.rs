//! The QR code of a document's verify address, as an SVG the template places as a vector image
//! (sharp at any print resolution, a few kilobytes).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use typst::foundations::Bytes;

use super::RenderError;

/// SVG of `url` with error correction M (survives a fold or a smudge on a mailed page) and the
/// standard four-module quiet zone.
pub fn svg(url: &str) -> Result<Bytes, RenderError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
        RenderError::Qr {
            url: url.to_string(),
            message: e.to_string(),
        }
    })?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(120, 120)
        .build();
    Ok(Bytes::new(image.into_bytes()))
}
