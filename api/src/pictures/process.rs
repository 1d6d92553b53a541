//! Turning uploaded bytes into the renditions served: the type found from the content (JPEG,
//! PNG, WebP, GIF's first frame; never from a name or a declared type), dimensions checked from
//! the header before anything is decoded (so a decompression bomb costs nothing), the
//! orientation applied, then each width re-encoded as JPEG — which leaves every piece of
//! metadata (EXIF with its GPS position, comments, profiles) behind — and a blurhash computed
//! to stand in for the picture while it loads. Each width's pixels are kept for its lossy WebP,
//! which takes as long as all the rest and is made once the upload is stored ([`webp`]).

use super::store::{Format, Rendition};
use convene_domain::picture::PictureFacts;
use convene_domain::FieldError;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The widths served, narrowest first; a picture is never made wider than it was sent.
pub const WIDTHS: [u32; 3] = [320, 640, 1280];
/// The most pixels a picture may have (40 megapixels: a large camera's photo), so that decoding
/// one stays within [`MAX_ALLOC`].
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// The most memory a decoder may take for one picture.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG quality of the renditions: small files, no visible loss on photos.
const QUALITY: u8 = 82;
/// WebP quality (libwebp's lossy scale): about a third smaller than the JPEG at the same look.
/// The `image` crate only writes lossless WebP, several times larger than a JPEG on photos.
const WEBP_QUALITY: f32 = 80.0;

/// What an upload became: its facts, its JPEG renditions (narrowest first) and the pixels its
/// WebP renditions are to be made from.
#[derive(Debug)]
pub struct Processed {
    pub facts: PictureFacts,
    pub renditions: Vec<Rendition>,
    pub webp_sources: WebpSources,
}

/// Each width's pixels (narrowest first), for its WebP rendition.
pub struct WebpSources(pub Vec<(u32, RgbImage)>);

impl std::fmt::Debug for WebpSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let widths: Vec<u32> = self.0.iter().map(|(w, _)| *w).collect();
        write!(f, "WebpSources({widths:?})")
    }
}

fn refused(message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError {
        field: "file".into(),
        message: message.into(),
    }]
}

/// Reads, orients and renders `bytes`; a refusal names the field `file` and says why.
pub fn process(bytes: &[u8]) -> Result<Processed, Vec<FieldError>> {
    if bytes.is_empty() {
        return Err(refused("the file is empty: choose a picture"));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| refused(NOT_A_PICTURE))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return Err(refused(NOT_A_PICTURE)),
    }
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_is_whole(bytes) {
        return Err(refused(DAMAGED));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(refused(format!(
            "the picture is {width}×{height} pixels: at most {} megapixels are taken",
            MAX_PIXELS / 1_000_000
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    let hash = hex::encode(Sha256::digest(bytes));
    render(picture, hash)
}

const NOT_A_PICTURE: &str = "the file is not a JPEG, PNG, WebP or GIF picture";
const DAMAGED: &str = "the picture cannot be read: the file is damaged or incomplete";

/// Whether a JPEG's image data ends with its end marker. JPEG decoders fill a cut-off image
/// with grey rather than fail, so a truncated upload would pass unnoticed. The marker is looked
/// for after the last start of scan (an embedded thumbnail has its own end marker before it);
/// inside the image data a 0xFF byte is always followed by 0x00, so the pair cannot occur there
/// by chance.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    last_scan.is_some_and(|scan| bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

fn unreadable(error: image::ImageError) -> Vec<FieldError> {
    match error {
        image::ImageError::Limits(_) => refused(format!(
            "the picture is too large to read: at most {} megapixels and {MAX_SIDE} pixels a side",
            MAX_PIXELS / 1_000_000
        )),
        image::ImageError::Unsupported(_) => refused(NOT_A_PICTURE),
        _ => refused(DAMAGED),
    }
}

/// The renditions of an oriented picture, its dominant colour and its facts.
fn render(picture: DynamicImage, hash: String) -> Result<Processed, Vec<FieldError>> {
    let rgb = flattened(picture);
    let (width, height) = rgb.dimensions();
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
    // The widest rendition is the picture itself when it is narrower than the widest width.
    widths.push(width.min(WIDTHS[WIDTHS.len() - 1]));
    widths.dedup();
    // Each rendition is made from the next wider one: far faster than from the original, and
    // as good at these ratios.
    let mut renditions = Vec::with_capacity(widths.len());
    let mut webp_sources = Vec::with_capacity(widths.len());
    let mut source = DynamicImage::ImageRgb8(rgb);
    let mut heights = Vec::with_capacity(widths.len());
    for &w in widths.iter().rev() {
        let h = scaled_height(width, height, w);
        if source.width() != w {
            source = source.resize_exact(w, h, FilterType::Triangle);
        }
        let rgb = source.as_rgb8().ok_or_else(|| refused(DAMAGED))?;
        renditions.push(Rendition {
            width: w,
            format: Format::Jpeg,
            bytes: jpeg(rgb)?,
        });
        webp_sources.push((w, rgb.clone()));
        heights.push(h);
    }
    renditions.reverse();
    webp_sources.reverse();
    let colour = dominant_colour(&source);
    let blurhash = Some(blurhash_of(&source));
    let largest = widths[widths.len() - 1];
    Ok(Processed {
        facts: PictureFacts {
            hash,
            width: largest,
            height: heights[0],
            widths,
            colour,
            blurhash,
        },
        renditions,
        webp_sources: WebpSources(webp_sources),
    })
}

fn jpeg(rgb: &RgbImage) -> Result<Vec<u8>, Vec<FieldError>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(rgb)
        .map_err(|_| refused(DAMAGED))?;
    Ok(out)
}

/// Lossy WebP through libwebp.
pub fn webp(rgb: &RgbImage) -> Result<Vec<u8>, Vec<FieldError>> {
    let (width, height) = rgb.dimensions();
    webp::Encoder::from_rgb(rgb.as_raw(), width, height)
        .encode_simple(false, WEBP_QUALITY)
        .map(|memory| memory.to_vec())
        .map_err(|_| refused(DAMAGED))
}

/// The blurhash of a picture: 4 components along its longer side, 3 along the other, computed
/// on a copy at most 64 pixels wide (as good for a blur, and fast).
fn blurhash_of(picture: &DynamicImage) -> String {
    let small = picture.thumbnail(64, 64).into_rgba8();
    let (w, h) = small.dimensions();
    let (x, y) = if w >= h { (4, 3) } else { (3, 4) };
    // Only fails for component counts outside 1..=9.
    blurhash::encode(x, y, w, h, small.as_raw()).unwrap_or_default()
}

fn scaled_height(width: u32, height: u32, to: u32) -> u32 {
    let h = (u64::from(height) * u64::from(to) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

/// The picture over white (JPEG has no transparency; white is what a page shows behind).
fn flattened(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| {
            let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// The picture's average colour as `#rrggbb`, shown in its place while it loads.
fn dominant_colour(picture: &DynamicImage) -> String {
    let one = picture.resize_exact(1, 1, FilterType::Triangle).into_rgb8();
    let [r, g, b] = one.get_pixel(0, 0).0;
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbaImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgba([200, 0, 0, 255])
            } else {
                Rgba([0, 0, 200, 0])
            }
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&picture, width, height, image::ExtendedColorType::Rgba8)
            .expect("png");
        out
    }

    #[test]
    fn widths_never_exceed_the_original_and_heights_keep_the_ratio() {
        let done = process(&png(800, 400)).expect("processed");
        assert_eq!(done.facts.widths, [320, 640, 800]);
        assert_eq!((done.facts.width, done.facts.height), (800, 400));
        assert_eq!(done.renditions.len(), 3);
        let small = &done.renditions[0];
        assert_eq!((small.width, small.format), (320, Format::Jpeg));
        let decoded = image::load_from_memory(&small.bytes).expect("decoded");
        assert_eq!((decoded.width(), decoded.height()), (320, 160));
        // The WebP of each width, made later from the pixels kept.
        let (width, pixels) = &done.webp_sources.0[0];
        assert_eq!((*width, pixels.dimensions()), (320, (320, 160)));
        let webp = webp(pixels).expect("encoded");
        assert_eq!(image::guess_format(&webp).ok(), Some(ImageFormat::WebP));
        assert_eq!(done.webp_sources.0.len(), 3);
        let tiny = process(&png(100, 50)).expect("processed");
        assert_eq!(tiny.facts.widths, [100]);
        let huge = process(&png(3000, 100)).expect("processed");
        assert_eq!(huge.facts.widths, [320, 640, 1280]);
        assert_eq!(huge.facts.height, 43);
    }

    /// A measurement, not a check: `cargo test -p convene-api --lib -- --ignored --nocapture
    /// upload_time`. A 4000×2650 photo-like JPEG (gradients and grain, about 5 MB) is processed
    /// as an upload is (what it waits for), then its WebPs encoded as the background does.
    #[test]
    #[ignore]
    fn upload_time_of_a_5_mb_jpeg() {
        let (w, h) = (4000, 2650);
        let mut seed = 1u32;
        let photo = image::RgbImage::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let grain = (seed >> 24) as u8 / 3;
            let at = |v: u32, of: u32| u8::try_from(v * 200 / of).unwrap_or(200);
            let [r, g, b] = [at(x, w), at(y, h), at(x + y, w + h)].map(|c| c.saturating_add(grain));
            image::Rgb([r, g, b])
        });
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 92)
            .encode_image(&photo)
            .expect("jpeg");
        let started = std::time::Instant::now();
        let done = process(&jpeg).expect("processed");
        let upload = started.elapsed();
        let started = std::time::Instant::now();
        for (_, pixels) in &done.webp_sources.0 {
            webp(pixels).expect("webp");
        }
        let webps = started.elapsed();
        println!(
            "{} bytes: the upload waits {upload:?}; its WebPs then take {webps:?} (on the \
             upload's path before: {:?})",
            jpeg.len(),
            upload + webps
        );
    }

    #[test]
    fn transparency_becomes_white_and_the_colour_is_the_average() {
        let done = process(&png(64, 64)).expect("processed");
        // Half red, half white.
        let colour = &done.facts.colour;
        let channel = |i: usize| u8::from_str_radix(&colour[i..i + 2], 16).expect("hex");
        assert!(
            channel(1) > 200 && channel(3) > 100 && channel(5) > 100,
            "{colour}"
        );
        assert_eq!(done.facts.hash.len(), 64);
    }

    #[test]
    fn what_is_not_a_picture_is_refused_with_a_reason() {
        let message = |bytes: &[u8]| process(bytes).expect_err("refused")[0].message.clone();
        assert!(message(b"").contains("empty"));
        assert!(message(b"hello, this is text").contains("not a JPEG"));
        assert!(
            message(b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>")
                .contains("not a JPEG")
        );
        let whole = png(64, 64);
        assert!(message(&whole[..whole.len() / 2]).contains("damaged"));
        let jpeg = process(&whole).expect("png").renditions.remove(0).bytes;
        assert!(jpeg_is_whole(&jpeg));
        assert!(message(&jpeg[..jpeg.len() - 40]).contains("damaged"));
    }
}
