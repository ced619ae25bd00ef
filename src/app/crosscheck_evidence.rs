//! Where each value of a check was found, side by side: for a photo or a scanned page the
//! image with the value's box drawn, close up and whole; for a text PDF the page laid out from
//! its text lines (the positions the PDF gives) with the value's box; for a spreadsheet the
//! cells around the value's cell. One card per value; the value tapped in the table is framed.
//!
//! The stored file is read again by the cross-check worker (`CrosscheckCommand::Evidence`: the
//! same reading it did, so boxes fall where it found them; never file I/O on the UI thread) and
//! kept in a small cache keyed by the stored path — content-addressed, so an entry never goes
//! stale. The cache lists what it wants asked; the desk sends it. Only a card on screen asks
//! for its file, and at most one file's images are uploaded per frame. A file shown this frame
//! is never put out of the cache: more files on screen than it holds make it hold more for a
//! while, instead of asking the worker for them again every frame.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Color32, ColorImage, FontId, Pos2, Rect, RichText, Stroke, TextureHandle, Vec2, vec2};
use image::RgbImage;

use super::crosscheck_checks::{value_headline, value_source};
use super::theme;
use crate::domain::crosscheck::{CheckResult, FieldValue, Location, TextLine, column_letters};
use crate::runtime::{CrosscheckView, EvidenceDocument, OpenCrosscheck};

/// Files kept decoded (a photo's texture is a few megabytes), unless more are on screen.
const CACHED_FILES: usize = 6;
/// A page's size when its text does not reach past it: US Letter in points.
const LETTER_PT: Vec2 = Vec2::new(612.0, 792.0);
/// Written on a page drawn from its text lines (the long words, or the short where they do
/// not fit), so nobody takes it for the PDF's own rendering.
const PAGE_CAPTIONS: [&str; 2] = ["redrawn from the PDF's text", "redrawn"];
/// The narrowest close-up worth drawing beside the whole.
const MIN_CLOSE_UP_PX: f32 = 220.0;
/// Text drawn smaller than this on the laid-out page is shown as a grey bar instead.
const MIN_TEXT_PX: f32 = 5.0;

/// An image on the GPU and its size before any shrinking.
struct Picture {
    texture: TextureHandle,
    size_px: Vec2,
}

impl Picture {
    /// `units_per_px`: the size of one of the image's pixels in the units its boxes are in
    /// (the worker has already sized the image for the screen and says by how much).
    fn upload(ctx: &egui::Context, name: &str, image: &RgbImage, units_per_px: f32) -> Self {
        let size_px = vec2(image.width() as f32, image.height() as f32) * units_per_px;
        let pixels = ColorImage::from_rgb(
            [image.width() as usize, image.height() as usize],
            image.as_raw(),
        );
        Self {
            texture: ctx.load_texture(name, pixels, egui::TextureOptions::LINEAR),
            size_px,
        }
    }
}

/// What the evidence view needs of a file.
struct Loaded {
    /// Lines with their places: a PDF's text (`Page`), a sheet's cells (`Cell`).
    lines: Vec<TextLine>,
    photo: Option<Picture>,
    /// Scanned pages as rendered for the OCR, by page number.
    pages: Vec<(u32, Picture)>,
}

/// A file of the cache: asked of the worker, arrived, or uploaded for showing.
enum Entry {
    Asked,
    Arrived(Result<Arc<EvidenceDocument>, String>),
    Ready(Result<Loaded, String>),
}

/// Files read for the evidence view, most recently used last.
pub struct EvidenceCache {
    /// Each file with the frame it was last shown in.
    files: Vec<(PathBuf, u64, Entry)>,
    /// Counts frames (`begin_frame`).
    frame: u64,
    /// Files to ask the worker for (path, the name people know it by).
    asks: Vec<(PathBuf, String)>,
    uploads_left: u32,
    /// The value last brought into view, so it is scrolled to once, not every frame.
    scrolled_to: Option<(u8, usize)>,
}

impl Default for EvidenceCache {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            frame: 0,
            asks: Vec::new(),
            uploads_left: 1,
            scrolled_to: None,
        }
    }
}

impl EvidenceCache {
    /// A new frame may upload one file's images.
    pub fn begin_frame(&mut self) {
        self.frame += 1;
        self.uploads_left = 1;
    }

    /// The files to ask the worker for since the last call.
    pub fn take_asks(&mut self) -> Vec<(PathBuf, String)> {
        std::mem::take(&mut self.asks)
    }

    /// The worker's answer for `path` (dropped if the file left the cache meanwhile).
    pub fn arrive(&mut self, path: &Path, document: Result<Arc<EvidenceDocument>, String>) {
        if let Some((_, _, entry)) = self.files.iter_mut().find(|(p, _, _)| p == path) {
            *entry = Entry::Arrived(document);
        }
    }

    /// The file at `path` (known to people as `name`) ready to show; `None` while the worker
    /// reads it or its images wait for the next frame's upload.
    fn file(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        name: &str,
    ) -> Option<&Result<Loaded, String>> {
        let Some(index) = self.files.iter().position(|(p, _, _)| p == path) else {
            // The least recently used files go (their textures are freed with them), but not
            // one shown this frame: the first was used least recently, so then all were.
            while self.files.len() >= CACHED_FILES
                && self
                    .files
                    .first()
                    .is_some_and(|(_, shown, _)| *shown != self.frame)
            {
                drop(self.files.remove(0));
            }
            self.files
                .push((path.to_path_buf(), self.frame, Entry::Asked));
            self.asks.push((path.to_path_buf(), name.to_owned()));
            return None;
        };
        let mut entry = self.files.remove(index);
        entry.1 = self.frame;
        if let Entry::Arrived(document) = &entry.2 {
            if self.uploads_left == 0 {
                ctx.request_repaint();
            } else {
                self.uploads_left -= 1;
                let loaded = document
                    .as_ref()
                    .map(|document| upload(ctx, path, document))
                    .map_err(Clone::clone);
                entry.2 = Entry::Ready(loaded);
            }
        }
        self.files.push(entry);
        match self.files.last() {
            Some((_, _, Entry::Ready(loaded))) => Some(loaded),
            _ => None,
        }
    }
}

/// The file's images on the GPU.
fn upload(ctx: &egui::Context, path: &Path, document: &EvidenceDocument) -> Loaded {
    let key = path.display().to_string();
    let photo = document.photo.as_ref().map(|(image, units_per_px)| {
        Picture::upload(ctx, &format!("evidence {key}"), image, *units_per_px)
    });
    let pages = document
        .pages
        .iter()
        .map(|(page, image, units_per_px)| {
            let name = format!("evidence {key} page {page}");
            (*page, Picture::upload(ctx, &name, image, *units_per_px))
        })
        .collect();
    Loaded {
        lines: document.lines.clone(),
        photo,
        pages,
    }
}

/// The values of `check` side by side, `focused` framed.
pub fn evidence_ui(
    ui: &mut egui::Ui,
    cache: &mut EvidenceCache,
    view: &CrosscheckView,
    open: &OpenCrosscheck,
    check: &CheckResult,
    focused: Option<usize>,
) {
    ui.label(
        RichText::new(format!(
            "Where the values of check {} were found",
            check.number
        ))
        .strong(),
    );
    let count = check.values.len().max(1) as f32;
    let card_width = ((ui.available_width() - theme::GAP * (count - 1.0)) / count).max(250.0);
    let card_height = (ui.available_height() - theme::GAP).max(200.0);
    let scroll_to = focused
        .map(|index| (check.number, index))
        .filter(|now| cache.scrolled_to != Some(*now));
    cache.scrolled_to = focused.map(|index| (check.number, index));
    egui::ScrollArea::horizontal()
        .id_salt("crosscheck_evidence")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                for (index, value) in check.values.iter().enumerate() {
                    let response = card_ui(
                        ui,
                        cache,
                        view,
                        open,
                        value,
                        focused == Some(index),
                        vec2(card_width, card_height),
                    );
                    if scroll_to == Some((check.number, index)) {
                        response.scroll_to_me(Some(egui::Align::Center));
                    }
                }
            });
        });
}

/// One value: what it is, and the place it was read from.
fn card_ui(
    ui: &mut egui::Ui,
    cache: &mut EvidenceCache,
    view: &CrosscheckView,
    open: &OpenCrosscheck,
    value: &FieldValue,
    focused: bool,
    size: Vec2,
) -> egui::Response {
    let stroke = if focused {
        Stroke::new(3.0, theme::ACCENT)
    } else {
        Stroke::new(1.0, theme::TEXT_DIM)
    };
    egui::Frame::new()
        .stroke(stroke)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(size.x - 16.0);
            ui.set_height(size.y - 16.0);
            ui.vertical(|ui| {
                ui.spacing_mut().item_spacing.y = 4.0;
                ui.add(egui::Label::new(value_headline(value, false)).truncate());
                ui.add(
                    egui::Label::new(
                        RichText::new(format!(
                            "{} from the {} · {}",
                            value.kind.label(),
                            value.source.as_str(),
                            value_source(value)
                        ))
                        .font(theme::small())
                        .color(theme::TEXT_DIM),
                    )
                    .wrap(),
                );
                place_ui(ui, cache, view, open, value);
            });
        })
        .response
}

/// The picture, page or cells the value came from.
fn place_ui(
    ui: &mut egui::Ui,
    cache: &mut EvidenceCache,
    view: &CrosscheckView,
    open: &OpenCrosscheck,
    value: &FieldValue,
) {
    let Some(file) = open
        .files
        .iter()
        .find(|file| file.original_name == value.provenance.file)
    else {
        ui.label(
            RichText::new(format!(
                "{} is not among this session's files.",
                value.provenance.file
            ))
            .color(theme::FAULT),
        );
        return;
    };
    if !ui.is_rect_visible(ui.available_rect_before_wrap()) {
        // Off screen: the file is asked for once the card is scrolled into view.
        return;
    }
    let path = view.data_dir.join(&file.stored_path);
    let Some(loaded) = cache.file(ui.ctx(), &path, &file.original_name) else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Reading {}…", file.original_name));
        });
        return;
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(reason) => {
            ui.label(RichText::new(location_words(&value.provenance.at)).strong());
            ui.label(
                RichText::new(format!("The file cannot be shown: {reason}")).color(theme::FAULT),
            );
            return;
        }
    };
    match &value.provenance.at {
        Location::Page { page, bbox_pt } => {
            let lines: Vec<&TextLine> = loaded
                .lines
                .iter()
                .filter(|line| {
                    matches!(line.provenance.at, Location::Page { page: p, .. } if p == *page)
                })
                .collect();
            // The provenance boxes the whole line; the value is boxed where it stands in it.
            let line_box = bbox_rect(*bbox_pt);
            let mark = lines
                .iter()
                .find(|line| match line.provenance.at {
                    Location::Page { bbox_pt: other, .. } => {
                        bbox_rect(other).distance_to_pos(line_box.center()) < 0.5
                            && (bbox_rect(other).size() - line_box.size()).length() < 0.5
                    }
                    _ => false,
                })
                .map_or(line_box, |line| {
                    narrow_to(line_box, &line.text, &value.value.raw, |text| {
                        measured_width(ui.ctx(), text)
                    })
                });
            let surface = Surface::Page {
                size_pt: page_size_pt(&lines),
                lines,
            };
            // Said on the drawing, so nobody takes it for the PDF's own rendering.
            surface_views_ui(ui, &surface, &Mark::Rect(mark), Some(PAGE_CAPTIONS));
        }
        Location::ImageBox { page, quad_px } => {
            let picture = match page {
                None => loaded.photo.as_ref(),
                Some(page) => loaded
                    .pages
                    .iter()
                    .find(|(p, _)| p == page)
                    .map(|(_, picture)| picture),
            };
            match picture {
                Some(picture) => {
                    let quad = quad_px.map(|[x, y]| Pos2::new(x, y));
                    surface_views_ui(ui, &Surface::Picture(picture), &Mark::Quad(quad), None);
                }
                None => {
                    ui.label(
                        RichText::new("The file gave no image for this place.").color(theme::FAULT),
                    );
                }
            }
        }
        Location::Cell { sheet, row, col } => {
            cells_ui(ui, &loaded.lines, sheet, *row, *col);
        }
    }
}

/// A place in words, for when it cannot be drawn.
fn location_words(at: &Location) -> String {
    match at {
        Location::Page { page, bbox_pt } => format!(
            "Page {page}, box ({:.0}, {:.0})–({:.0}, {:.0}) pt from the top left",
            bbox_pt[0], bbox_pt[1], bbox_pt[2], bbox_pt[3]
        ),
        Location::ImageBox { page, quad_px } => {
            let bounds = quad_bounds(&quad_px.map(|[x, y]| Pos2::new(x, y)));
            let whose = match page {
                Some(page) => format!("Scanned page {page}"),
                None => "Photo".to_owned(),
            };
            format!(
                "{whose}, box ({:.0}, {:.0})–({:.0}, {:.0}) px",
                bounds.min.x, bounds.min.y, bounds.max.x, bounds.max.y
            )
        }
        Location::Cell { sheet, row, col } => {
            format!("Sheet {sheet}, cell {}{row}", column_letters(*col))
        }
    }
}

/// Size text is measured at; widths scale with the size.
const MEASURE_PX: f32 = 10.0;

/// The size (in the page's units) a line of text is drawn at: as tall as its box allows and
/// no wider than its box, so the drawn line and the value's box within it agree.
fn line_font_size(line_box: Rect, width_at_measure: f32) -> f32 {
    let by_height = line_box.height() * 0.85;
    if width_at_measure <= 0.0 {
        return by_height;
    }
    by_height.min(MEASURE_PX * line_box.width() / width_at_measure)
}

/// The part of a line's box where `raw` stands in the line's `text` as the page is drawn here
/// (`width_of` measures text at `MEASURE_PX`); the whole box when `raw` is not in the text.
fn narrow_to(line_box: Rect, text: &str, raw: &str, width_of: impl Fn(&str) -> f32) -> Rect {
    let lower = text.to_lowercase();
    let raw = raw.trim().to_lowercase();
    let Some(start_byte) = lower.find(&raw).filter(|_| !raw.is_empty()) else {
        return line_box;
    };
    let before = lower[..start_byte].chars().count();
    let through = before + raw.chars().count();
    let prefix = |count: usize| text.chars().take(count).collect::<String>();
    let scale = line_font_size(line_box, width_of(text)) / MEASURE_PX;
    let x = |count: usize| line_box.min.x + width_of(&prefix(count)) * scale;
    Rect::from_min_max(
        Pos2::new(x(before), line_box.min.y),
        Pos2::new(x(through), line_box.max.y),
    )
}

/// The width of `text` at `MEASURE_PX` in the proportional font.
fn measured_width(ctx: &egui::Context, text: &str) -> f32 {
    ctx.fonts_mut(|fonts| {
        fonts
            .layout_no_wrap(text.to_owned(), FontId::proportional(MEASURE_PX), PAGE_TEXT)
            .size()
            .x
    })
}

fn bbox_rect(bbox: [f32; 4]) -> Rect {
    Rect::from_min_max(Pos2::new(bbox[0], bbox[1]), Pos2::new(bbox[2], bbox[3]))
}

fn quad_bounds(quad: &[Pos2; 4]) -> Rect {
    Rect::from_points(quad)
}

/// Letter, or larger when the text reaches further (A4 and landscape pages).
fn page_size_pt(lines: &[&TextLine]) -> Vec2 {
    lines
        .iter()
        .fold(LETTER_PT, |size, line| match line.provenance.at {
            Location::Page { bbox_pt, .. } => size.max(vec2(bbox_pt[2] + 36.0, bbox_pt[3] + 36.0)),
            _ => size,
        })
}

/// What a value's place is drawn on, in its own units (pixels or points).
enum Surface<'a> {
    Picture(&'a Picture),
    Page {
        size_pt: Vec2,
        lines: Vec<&'a TextLine>,
    },
}

impl Surface<'_> {
    fn size(&self) -> Vec2 {
        match self {
            Self::Picture(picture) => picture.size_px,
            Self::Page { size_pt, .. } => *size_pt,
        }
    }

    /// Draws what `view` sees of the surface into `screen`.
    fn paint(&self, painter: &egui::Painter, view: &View, screen: Rect) {
        let to_screen = |p: Pos2| view.to_screen(p, screen);
        match self {
            Self::Picture(picture) => {
                // A textured quad whose corners are the view's corners: a tilted label reads
                // level. Outside the picture the texture's edge is stretched; the background
                // painted first shows where the picture ends in the whole view.
                let size = picture.size_px;
                let corners = view.corners();
                let screen_corners = [
                    screen.left_top(),
                    screen.right_top(),
                    screen.right_bottom(),
                    screen.left_bottom(),
                ];
                let mut mesh = egui::Mesh::with_texture(picture.texture.id());
                for (corner, at) in corners.iter().zip(screen_corners) {
                    mesh.vertices.push(egui::epaint::Vertex {
                        pos: at,
                        uv: Pos2::new(corner.x / size.x, corner.y / size.y),
                        color: Color32::WHITE,
                    });
                }
                mesh.indices.extend([0, 1, 2, 0, 2, 3]);
                painter.add(egui::Shape::mesh(mesh));
            }
            Self::Page { lines, .. } => {
                // Pages are only seen level (their boxes are level): a view is a region.
                let scale = view.scale(screen);
                let whole =
                    Rect::from_min_max(to_screen(Pos2::ZERO), to_screen(self.size().to_pos2()));
                painter.rect_filled(whole, 0.0, Color32::WHITE);
                for line in lines {
                    let Location::Page { bbox_pt, .. } = line.provenance.at else {
                        continue;
                    };
                    let line_box = bbox_rect(bbox_pt);
                    let rect = Rect::from_min_max(to_screen(line_box.min), to_screen(line_box.max));
                    let width = painter
                        .layout_no_wrap(
                            line.text.clone(),
                            FontId::proportional(MEASURE_PX),
                            PAGE_TEXT,
                        )
                        .size()
                        .x;
                    let size_px = line_font_size(line_box, width) * scale;
                    if size_px < MIN_TEXT_PX {
                        painter.rect_filled(
                            rect.shrink2(vec2(0.0, rect.height() * 0.25)),
                            0.0,
                            PAGE_BAR,
                        );
                    } else {
                        painter.text(
                            rect.left_center(),
                            egui::Align2::LEFT_CENTER,
                            &line.text,
                            FontId::proportional(size_px),
                            PAGE_TEXT,
                        );
                    }
                }
            }
        }
    }
}

const PAGE_TEXT: Color32 = Color32::from_rgb(0x20, 0x20, 0x20);
const PAGE_BAR: Color32 = Color32::from_rgb(0xb0, 0xb0, 0xb0);

/// The value's place on a surface.
enum Mark {
    Rect(Rect),
    /// Corners clockwise from the top-left of the text as read.
    Quad([Pos2; 4]),
}

impl Mark {
    fn corners(&self) -> [Pos2; 4] {
        match self {
            Self::Rect(rect) => [
                rect.left_top(),
                rect.right_top(),
                rect.right_bottom(),
                rect.left_bottom(),
            ],
            Self::Quad(quad) => *quad,
        }
    }

    /// The text's top-left corner, its reading direction and its downward direction (unit
    /// vectors), its length and its height.
    fn axes(&self) -> (Pos2, Vec2, Vec2, Vec2) {
        let [top_left, top_right, bottom_right, bottom_left] = self.corners();
        let along = (top_right - top_left).normalized();
        let along = if along.is_finite() && along.length() > 0.5 {
            along
        } else {
            Vec2::X
        };
        // Screen coordinates run downwards: a quarter turn clockwise of "along" is "down".
        let down = vec2(-along.y, along.x);
        let length =
            ((top_right - top_left).length() + (bottom_right - bottom_left).length()) / 2.0;
        let height =
            ((bottom_left - top_left).length() + (bottom_right - top_right).length()) / 2.0;
        (top_left, along, down, vec2(length, height))
    }

    fn paint(&self, painter: &egui::Painter, view: &View, screen: Rect) {
        let grow = if matches!(self, Self::Rect(_)) {
            1.5
        } else {
            0.0
        };
        let (origin, along, down, size) = self.axes();
        let origin = origin - along * grow - down * grow;
        let size = size + Vec2::splat(2.0 * grow);
        let points: Vec<Pos2> = [
            origin,
            origin + along * size.x,
            origin + along * size.x + down * size.y,
            origin + down * size.y,
        ]
        .into_iter()
        .map(|p| view.to_screen(p, screen))
        .collect();
        // A dark rim under the colour keeps the box visible on white paper and dark labels.
        painter.add(egui::Shape::closed_line(
            points.clone(),
            Stroke::new(6.0, Color32::from_black_alpha(200)),
        ));
        painter.add(egui::Shape::closed_line(
            points,
            Stroke::new(3.0, theme::EVIDENCE),
        ));
    }
}

/// What part of a surface is drawn: a rectangle in the surface's units, possibly turned
/// (`along` is drawn rightwards, `down` downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
struct View {
    origin: Pos2,
    along: Vec2,
    down: Vec2,
    size: Vec2,
}

impl View {
    /// The whole surface, level.
    fn whole(surface: Vec2) -> Self {
        Self {
            origin: Pos2::ZERO,
            along: Vec2::X,
            down: Vec2::Y,
            size: surface,
        }
    }

    /// Around `mark`, turned so its text reads level, with room for the words beside it and
    /// the lines above and below, shaped like the screen (`aspect`, width over height).
    fn around(mark: &Mark, surface: Vec2, aspect: f32) -> Self {
        let (top_left, along, down, text) = mark.axes();
        let pad_y = (text.y * 1.5).max(surface.y * 0.02);
        let pad_x = (text.x * 0.2).max(pad_y * 2.0);
        let mut size = text + vec2(2.0 * pad_x, 2.0 * pad_y);
        if size.x / size.y < aspect {
            size.x = size.y * aspect;
        } else {
            size.y = size.x / aspect;
        }
        let origin =
            top_left - along * ((size.x - text.x) / 2.0) - down * ((size.y - text.y) / 2.0);
        Self {
            origin,
            along,
            down,
            size,
        }
    }

    fn corners(&self) -> [Pos2; 4] {
        let across = self.along * self.size.x;
        let downwards = self.down * self.size.y;
        [
            self.origin,
            self.origin + across,
            self.origin + across + downwards,
            self.origin + downwards,
        ]
    }

    /// Screen points per surface unit.
    fn scale(&self, screen: Rect) -> f32 {
        screen.width() / self.size.x.max(1e-3)
    }

    fn to_screen(self, p: Pos2, screen: Rect) -> Pos2 {
        let offset = p - self.origin;
        screen.min + vec2(offset.dot(self.along), offset.dot(self.down)) * self.scale(screen)
    }
}

/// A close-up of the place and the whole surface, both with the box: side by side on a wide
/// card or for a portrait page, else the whole beneath. The first of `captions` that fits is
/// written on the close-up's corner.
fn surface_views_ui(
    ui: &mut egui::Ui,
    surface: &Surface<'_>,
    mark: &Mark,
    captions: Option<[&str; 2]>,
) {
    let room = vec2(
        ui.available_width(),
        (ui.available_height() - theme::GAP).max(120.0),
    );
    let whole_size = surface.size();
    // Side by side when the card is wide for its height (or the page is portrait) and the
    // close-up keeps room to be read; else the whole goes beneath.
    let beside_width = (room.y * whole_size.x / whole_size.y).min(room.x * 0.35);
    let wide_enough = room.x - beside_width - theme::GAP >= MIN_CLOSE_UP_PX;
    let side_by_side = wide_enough && (whole_size.y > whole_size.x || room.x > 1.6 * room.y);
    let (close_px, whole_room) = if side_by_side {
        (
            vec2(room.x - beside_width - theme::GAP, room.y),
            vec2(beside_width, room.y),
        )
    } else {
        let close_height = (room.y * 0.55).max(60.0);
        (
            vec2(room.x, close_height),
            vec2(room.x, (room.y - close_height - theme::GAP).max(60.0)),
        )
    };
    let scale = (whole_room.x / whole_size.x).min(whole_room.y / whole_size.y);
    let draw = |ui: &mut egui::Ui| {
        let (close, _) = ui.allocate_exact_size(close_px, egui::Sense::hover());
        let view = View::around(mark, whole_size, close.width() / close.height());
        let painter = ui.painter_at(close);
        painter.rect_filled(close, 0.0, theme::BACKGROUND);
        surface.paint(&painter, &view, close);
        mark.paint(&painter, &view, close);
        if let Some(captions) = captions {
            let fits = |text: &str| {
                let galley = painter.layout_no_wrap(text.to_owned(), theme::small(), theme::TEXT);
                (galley.size().x <= close.width() - 12.0).then_some(galley)
            };
            if let Some(galley) = captions.iter().find_map(|text| fits(text)) {
                let at = close.right_bottom() - vec2(4.0, 2.0);
                let back = Rect::from_min_size(at - galley.size(), galley.size()).expand(2.0);
                painter.rect_filled(back, 2.0, theme::OVERLAY);
                painter.galley(back.min + vec2(2.0, 2.0), galley, theme::TEXT);
            }
        }
        let (whole, _) = ui.allocate_exact_size(whole_size * scale, egui::Sense::hover());
        let view = View::whole(whole_size);
        let painter = ui.painter_at(whole);
        surface.paint(&painter, &view, whole);
        mark.paint(&painter, &view, whole);
    };
    if side_by_side {
        ui.horizontal_top(|ui| draw(ui));
    } else {
        draw(ui);
    }
}

/// Width of a cell in the cells view.
const CELL_PX: f32 = 76.0;

/// The cells around (`row`, `col`) of `sheet`, that cell marked: as many columns either side
/// as the card has room for (up to two), two rows above and three below.
fn cells_ui(ui: &mut egui::Ui, lines: &[TextLine], sheet: &str, row: u32, col: u32) {
    let spacing = vec2(6.0, 4.0);
    // The value's own column is twice as wide: it is what the card is about.
    let fit =
        ((ui.available_width() - 36.0 - 2.0 * CELL_PX) / (CELL_PX + spacing.x)).floor() as u32;
    let side = (fit / 2).min(2);
    let rows = row.saturating_sub(2).max(1)..=row + 3;
    let cols = col.saturating_sub(side).max(1)..=col + side;
    let cells: HashMap<(u32, u32), &str> = lines
        .iter()
        .filter_map(|line| match &line.provenance.at {
            Location::Cell {
                sheet: s,
                row: r,
                col: c,
            } if s == sheet && rows.contains(r) && cols.contains(c) => {
                Some(((*r, *c), line.text.as_str()))
            }
            _ => None,
        })
        .collect();
    let cell = |ui: &mut egui::Ui, text: RichText, wide: bool| {
        let width = if wide { 2.0 * CELL_PX } else { CELL_PX };
        ui.add_sized(
            [width, 22.0],
            egui::Label::new(text).truncate().halign(egui::Align::LEFT),
        );
    };
    egui::Grid::new(("crosscheck_cell_grid", sheet, row, col))
        .striped(true)
        .spacing(spacing)
        .min_row_height(24.0)
        .show(ui, |ui| {
            ui.label("");
            for c in cols.clone() {
                cell(
                    ui,
                    RichText::new(column_letters(c)).color(theme::TEXT_DIM),
                    c == col,
                );
            }
            ui.end_row();
            for r in rows.clone() {
                ui.label(RichText::new(r.to_string()).color(theme::TEXT_DIM));
                for c in cols.clone() {
                    let text = cells.get(&(r, c)).copied().unwrap_or("");
                    if (r, c) == (row, col) {
                        egui::Frame::new()
                            .fill(theme::EVIDENCE)
                            .inner_margin(egui::Margin::symmetric(2, 0))
                            .show(ui, |ui| {
                                cell(
                                    ui,
                                    RichText::new(text)
                                        .font(theme::small())
                                        .color(theme::ACCENT_TEXT)
                                        .strong(),
                                    true,
                                );
                            });
                    } else {
                        cell(ui, RichText::new(text).font(theme::small()), c == col);
                    }
                }
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::Provenance;

    fn page_line(page: u32, bbox_pt: [f32; 4]) -> TextLine {
        TextLine {
            text: "Job 12345".into(),
            confidence: 1.0,
            provenance: Provenance {
                file: "traveler.pdf".into(),
                at: Location::Page { page, bbox_pt },
            },
        }
    }

    #[test]
    fn files_on_screen_are_asked_for_once_and_textures_go_with_their_files() {
        let ctx = egui::Context::default();
        let textures = || ctx.tex_manager().read().num_allocated();
        let before = textures();
        let mut cache = EvidenceCache::default();
        // More files on screen than the cache holds, frame after frame.
        let paths: Vec<PathBuf> = (0..CACHED_FILES + 2)
            .map(|n| PathBuf::from(format!("/data/crosscheck/files/{n}.png")))
            .collect();
        for _ in 0..3 {
            cache.begin_frame();
            for path in &paths {
                assert!(cache.file(&ctx, path, "label.png").is_none());
            }
        }
        assert_eq!(
            cache.take_asks().len(),
            paths.len(),
            "each file asked for once, not again every frame"
        );
        let photo = Arc::new(EvidenceDocument {
            lines: Vec::new(),
            photo: Some((RgbImage::new(4, 3), 1.0)),
            pages: Vec::new(),
        });
        for path in &paths {
            cache.arrive(path, Ok(Arc::clone(&photo)));
        }
        // One file's images are uploaded per frame, once.
        for frame in 1..=paths.len() + 1 {
            cache.begin_frame();
            let ready = paths
                .iter()
                .filter(|path| cache.file(&ctx, path, "label.png").is_some())
                .count();
            assert_eq!(ready, frame.min(paths.len()));
            assert_eq!(textures() - before, ready);
        }
        // Off screen: another file puts out the least recently shown, and their textures.
        cache.begin_frame();
        assert!(
            cache
                .file(&ctx, Path::new("/data/b.png"), "b.png")
                .is_none()
        );
        assert_eq!(cache.files.len(), CACHED_FILES);
        assert_eq!(textures() - before, CACHED_FILES - 1);
        assert_eq!(
            cache.take_asks(),
            [(PathBuf::from("/data/b.png"), "b.png".to_owned())]
        );
    }

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(703), "AAA");
    }

    #[test]
    fn a_page_is_letter_unless_its_text_reaches_further() {
        let letter = page_line(1, [72.0, 700.0, 300.0, 712.0]);
        assert_eq!(page_size_pt(&[&letter]), LETTER_PT);
        let a4 = page_line(1, [72.0, 800.0, 300.0, 812.0]);
        assert_eq!(page_size_pt(&[&letter, &a4]), vec2(612.0, 848.0));
    }

    #[test]
    fn the_close_up_holds_the_box_and_has_the_screens_shape() {
        let mark = Mark::Rect(Rect::from_min_max(
            Pos2::new(100.0, 200.0),
            Pos2::new(180.0, 212.0),
        ));
        let view = View::around(&mark, LETTER_PT, 2.0);
        assert_eq!((view.along, view.down), (Vec2::X, Vec2::Y));
        let region = Rect::from_min_size(view.origin, view.size);
        assert!(
            region.contains_rect(Rect::from_points(&mark.corners())),
            "{region:?}"
        );
        assert!((region.width() / region.height() - 2.0).abs() < 1e-3);
        // Room around the box: a line above and below, some words either side.
        assert!(region.min.y <= 200.0 - 12.0 && region.max.x >= 180.0 + 24.0);
    }

    #[test]
    fn a_label_turned_in_the_photo_reads_level_in_the_close_up() {
        // Text reading downwards (the label turned a quarter clockwise), 100 px long, 20 high.
        let quad = [
            Pos2::new(300.0, 100.0),
            Pos2::new(300.0, 200.0),
            Pos2::new(280.0, 200.0),
            Pos2::new(280.0, 100.0),
        ];
        let mark = Mark::Quad(quad);
        let view = View::around(&mark, vec2(1600.0, 1200.0), 3.0);
        let screen = Rect::from_min_size(Pos2::ZERO, vec2(600.0, 200.0));
        let [start, end, _, below] = quad.map(|p| view.to_screen(p, screen));
        assert!(
            (start.y - end.y).abs() < 1e-3 && end.x > start.x + 100.0,
            "{start:?} {end:?}"
        );
        assert!(
            (start.x - below.x).abs() < 1e-3 && below.y > start.y,
            "{below:?}"
        );
        // The box sits in the middle of the close-up.
        let middle = view.to_screen(Pos2::new(290.0, 150.0), screen);
        assert!((middle - screen.center()).length() < 1e-2, "{middle:?}");
    }

    #[test]
    fn places_read_in_words_when_they_cannot_be_drawn() {
        let page = Location::Page {
            page: 2,
            bbox_pt: [72.0, 140.4, 220.0, 152.0],
        };
        assert_eq!(
            location_words(&page),
            "Page 2, box (72, 140)–(220, 152) pt from the top left"
        );
        let cell = Location::Cell {
            sheet: "As built".into(),
            row: 7,
            col: 3,
        };
        assert_eq!(location_words(&cell), "Sheet As built, cell C7");
        let photo = Location::ImageBox {
            page: None,
            quad_px: [[12.0, 30.0], [80.0, 28.0], [81.0, 44.0], [13.0, 46.0]],
        };
        assert_eq!(location_words(&photo), "Photo, box (12, 28)–(81, 46) px");
    }

    #[test]
    fn a_value_is_boxed_where_it_stands_in_its_line() {
        // Every character is 1 unit wide at the measuring size.
        let width_of = |text: &str| text.chars().count() as f32;
        let line = Rect::from_min_max(Pos2::new(100.0, 50.0), Pos2::new(240.0, 62.0));
        // By height: 10.2 pt, so a character is 1.02 pt wide.
        assert!((line_font_size(line, 14.0) - 10.2).abs() < 1e-4);
        let boxed = narrow_to(line, "Job No.: 12345", " 12345 ", width_of);
        assert!(
            (boxed.min.x - (100.0 + 9.0 * 1.02)).abs() < 1e-3,
            "{boxed:?}"
        );
        assert!(
            (boxed.max.x - (100.0 + 14.0 * 1.02)).abs() < 1e-3,
            "{boxed:?}"
        );
        assert_eq!((boxed.min.y, boxed.max.y), (50.0, 62.0));
        // By width: a narrow box squeezes the text, and the value's box with it.
        let narrow = Rect::from_min_max(Pos2::new(0.0, 0.0), Pos2::new(9.0, 12.0));
        let boxed = narrow_to(narrow, "JOB 12345", "job", width_of);
        assert!((boxed.max.x - 3.0).abs() < 1e-4, "{boxed:?}");
        assert_eq!(narrow_to(line, "Job 12345", "54321", width_of), line);
        assert_eq!(narrow_to(line, "Job 12345", "", width_of), line);
    }
}
