//! What a page shows in a picture's place while it loads, without JavaScript: the blurhash
//! decoded on the server into a tiny PNG (a few pixels a side) inlined as a `data:` address,
//! which the browser stretches smoothly to the picture's size — a blur of its colours. A
//! blurhash itself needs a script to be drawn; this needs none and weighs about 150 bytes.

use base64::Engine;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

/// The longer side of the tiny image, in pixels: the blurhash has at most 4 components a side,
/// so more pixels would only add bytes.
const SIDE: u32 = 6;

/// The `data:image/png;base64,…` address of `blurhash` drawn at the shape of a `width` ×
/// `height` picture; `None` for something that is not a blurhash.
pub fn data_uri(blurhash: &str, width: u32, height: u32) -> Option<String> {
    let (w, h) = if width >= height {
        (SIDE, scaled(height, width))
    } else {
        (scaled(width, height), SIDE)
    };
    let rgba = blurhash::decode(blurhash, w, h, 1.0).ok()?;
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&rgb, w, h, ExtendedColorType::Rgb8)
        .ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

/// The shorter side of the tiny image: `short / long` of [`SIDE`], at least one pixel.
fn scaled(short: u32, long: u32) -> u32 {
    let side = (u64::from(short) * u64::from(SIDE) + u64::from(long) / 2) / u64::from(long.max(1));
    u32::try_from(side).unwrap_or(SIDE).clamp(1, SIDE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blurhash_becomes_a_tiny_png_of_the_pictures_shape() {
        let uri = data_uri("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 1280, 640).expect("a blurhash");
        let encoded = uri
            .strip_prefix("data:image/png;base64,")
            .expect("a PNG data address");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        let tiny = image::load_from_memory(&png).expect("a PNG");
        assert_eq!((tiny.width(), tiny.height()), (6, 3));
        assert!(uri.len() < 300, "{} bytes", uri.len());
        let tall = data_uri("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 300, 900).expect("a blurhash");
        let png = base64::engine::general_purpose::STANDARD
            .decode(&tall["data:image/png;base64,".len()..])
            .expect("base64");
        let tiny = image::load_from_memory(&png).expect("a PNG");
        assert_eq!((tiny.width(), tiny.height()), (2, 6));
    }

    #[test]
    fn what_is_not_a_blurhash_draws_nothing() {
        assert_eq!(data_uri("", 10, 10), None);
        assert_eq!(data_uri("not a blurhash", 10, 10), None);
    }
}
