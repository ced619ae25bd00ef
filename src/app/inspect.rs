//! The Inspect panel's cameras: a live grid of up to four cameras with per-camera rates, latency
//! and drops (a fresh inspection result, with its overlay, replaces a camera's live picture for
//! a while), and an expanded single-camera view with zoom (wheel, pinch or buttons) and pan
//! (drag).

use std::time::{Duration, Instant};

use egui::{Align2, Color32, Pos2, Rect, RichText, Sense, Vec2, pos2, vec2};

use super::frame_textures::FrameTextures;
use super::live_quad::{CaptionBand, LiveQuad};
use super::result_textures::{ResultPixels, ResultTextures, ShownResult};
use super::theme;
use crate::camera::{CameraState, CounterSnapshot};
use crate::runtime::CameraHandle;

const MAX_ZOOM: f32 = 16.0;
const CAPTION_LINE_PX: f32 = 24.0;

/// Produced-frame rate from the slot's counters, sampled about once a second.
#[derive(Default, Clone)]
struct RateSample {
    at: Option<Instant>,
    counters: CounterSnapshot,
    produced_fps: f32,
}

#[derive(Default)]
pub struct InspectView {
    expanded: Option<usize>,
    /// 1 = the whole frame fits the view.
    zoom: f32,
    /// Centre of the view in frame UV (0..1).
    centre_uv: Vec2,
    rates: Vec<RateSample>,
}

impl InspectView {
    pub fn expanded(&self) -> Option<usize> {
        self.expanded
    }

    fn expand(&mut self, index: usize) {
        self.expanded = Some(index);
        self.fit();
    }

    /// Opens camera `index` expanded at `zoom` (the benchmark's "expanded, zoomed" scene).
    pub fn expand_zoomed(&mut self, index: usize, zoom: f32) {
        self.expand(index);
        self.zoom = zoom.clamp(1.0, MAX_ZOOM);
        self.clamp_centre();
    }

    fn fit(&mut self) {
        self.zoom = 1.0;
        self.centre_uv = vec2(0.5, 0.5);
    }

    fn produced_fps(&mut self, index: usize, counters: CounterSnapshot) -> f32 {
        if self.rates.len() <= index {
            self.rates.resize(index + 1, RateSample::default());
        }
        let sample = &mut self.rates[index];
        let now = Instant::now();
        match sample.at {
            None => {
                *sample = RateSample {
                    at: Some(now),
                    counters,
                    produced_fps: 0.0,
                };
            }
            Some(at) if now.duration_since(at) >= Duration::from_secs(1) => {
                let frames = counters.produced.saturating_sub(sample.counters.produced);
                sample.produced_fps = frames as f32 / now.duration_since(at).as_secs_f32();
                sample.at = Some(now);
                sample.counters = counters;
            }
            Some(_) => {}
        }
        sample.produced_fps
    }

    /// Zooms by `factor` keeping the point at `at` (0..1 across the shown image) in place.
    fn zoom_about(&mut self, at: Vec2, factor: f32) {
        let before = self.uv_rect();
        let uv_at = before.min.to_vec2() + at * before.size();
        self.zoom = (self.zoom * factor).clamp(1.0, MAX_ZOOM);
        let half = 0.5 / self.zoom;
        self.centre_uv = uv_at + (vec2(0.5, 0.5) - at) * (2.0 * half);
        self.clamp_centre();
    }

    fn clamp_centre(&mut self) {
        let half = 0.5 / self.zoom.max(1.0);
        self.centre_uv = vec2(
            self.centre_uv.x.clamp(half, 1.0 - half),
            self.centre_uv.y.clamp(half, 1.0 - half),
        );
    }

    /// The part of the frame shown at the current zoom and pan, in UV.
    fn uv_rect(&self) -> Rect {
        let half = 0.5 / self.zoom.max(1.0);
        let centre = vec2(
            self.centre_uv.x.clamp(half, 1.0 - half),
            self.centre_uv.y.clamp(half, 1.0 - half),
        );
        Rect::from_min_max(
            pos2(centre.x - half, centre.y - half),
            pos2(centre.x + half, centre.y + half),
        )
    }
}

/// How many columns show `count` tiles of `aspect` largest in `area`.
fn best_columns(count: usize, area: Vec2, aspect: f32) -> usize {
    (1..=count.max(1))
        .max_by(|a, b| {
            let tile_width = |columns: usize| {
                let rows = count.div_ceil(columns) as f32;
                let cell = vec2(
                    (area.x - theme::GAP * (columns - 1) as f32) / columns as f32,
                    (area.y - theme::GAP * (rows - 1.0)) / rows,
                );
                cell.x.min(cell.y * aspect)
            };
            tile_width(*a).total_cmp(&tile_width(*b))
        })
        .unwrap_or(1)
}

/// The texture coordinates of `outer` when `inner` shows `uv`: the same mapping, extended to
/// the edges of `outer` (beyond 0..1 where `outer` shows more than the frame).
fn extend_uv(uv: Rect, inner: Rect, outer: Rect) -> Rect {
    let per_point = uv.size() / inner.size().max(vec2(1.0, 1.0));
    Rect::from_min_max(
        uv.min - (inner.min - outer.min) * per_point,
        uv.max + (outer.max - inner.max) * per_point,
    )
}

/// Paints the bars of `outer` that `image` leaves uncovered, and nothing under the image:
/// every pixel is drawn once.
fn letterbox(painter: &egui::Painter, outer: Rect, image: Rect) {
    let bars = [
        Rect::from_min_max(outer.min, pos2(outer.max.x, image.min.y)),
        Rect::from_min_max(pos2(outer.min.x, image.max.y), outer.max),
        Rect::from_min_max(
            pos2(outer.min.x, image.min.y),
            pos2(image.min.x, image.max.y),
        ),
        Rect::from_min_max(
            pos2(image.max.x, image.min.y),
            pos2(outer.max.x, image.max.y),
        ),
    ];
    for bar in bars {
        if bar.width() >= 0.5 && bar.height() >= 0.5 {
            painter.rect_filled(bar, 0.0, Color32::BLACK);
        }
    }
}

/// The largest rect of `aspect` (width / height) centred in `outer`.
fn fit_rect(outer: Rect, aspect: f32) -> Rect {
    let size = if outer.width() / outer.height() > aspect {
        vec2(outer.height() * aspect, outer.height())
    } else {
        vec2(outer.width(), outer.width() / aspect)
    };
    Rect::from_center_size(outer.center(), size)
}

/// The band at the foot of a tile that holds `lines` of caption.
fn caption_band(rect: Rect, lines: usize) -> Rect {
    Rect::from_min_max(
        pos2(
            rect.left(),
            rect.bottom() - CAPTION_LINE_PX * lines as f32 - 8.0,
        ),
        rect.right_bottom(),
    )
}

/// Writes the caption into `band`; `dim` paints the translucent overlay under it (the live-quad
/// path dims the image in its own shader instead, and the letterbox bars are already black).
fn caption_ui(painter: &egui::Painter, band: Rect, lines: &[String], dim: bool) {
    if dim {
        painter.rect_filled(band, 0.0, theme::OVERLAY);
    }
    for (index, line) in lines.iter().enumerate() {
        painter.text(
            pos2(
                band.left() + 8.0,
                band.top() + 4.0 + index as f32 * CAPTION_LINE_PX,
            ),
            Align2::LEFT_TOP,
            line,
            theme::small(),
            theme::TEXT,
        );
    }
}

/// Draws one camera into `rect` (image, state, rates); returns the rect the image covers.
fn camera_tile(
    ui: &egui::Ui,
    view: &mut InspectView,
    textures: &FrameTextures,
    camera: &CameraHandle,
    index: usize,
    rect: Rect,
    uv: Rect,
) -> Rect {
    let painter = ui.painter_at(rect);
    let counters = camera.slot.counters();
    let produced_fps = view.produced_fps(index, counters);
    let mut image_rect = rect;
    let mut lines = vec![camera.name.clone()];
    let mut live = None;
    if textures.view(index).is_none() {
        painter.rect_filled(rect, 4.0, Color32::BLACK);
    }
    if let Some(frame_view) = textures.view(index) {
        let shown_uv = uv.size() * frame_view.size_px;
        image_rect = fit_rect(rect, shown_uv.x / shown_uv.y.max(1.0));
        // Tell the capture loop how many pixels the whole frame gets on screen, so it shrinks
        // frames for display when that is half their size or less.
        let whole_frame_px = image_rect.size() * ui.ctx().pixels_per_point() / uv.size();
        camera.slot.set_display_size(crate::camera::FrameSize::new(
            whole_frame_px.x.ceil() as u32,
            whole_frame_px.y.ceil() as u32,
        ));
        match frame_view.live_key {
            // One opaque, unblended quad over the whole tile (black outside the frame): each
            // pixel of the tile costs one texture read. Its shape is set once the caption, and
            // so the band it dims, is known.
            Some(key) => live = Some((painter.add(egui::Shape::Noop), key)),
            None => {
                letterbox(&painter, rect, image_rect);
                painter.image(frame_view.texture, image_rect, uv, Color32::WHITE);
            }
        }
        let latency_ms = counters.last_latency_micros as f32 / 1000.0;
        lines.push(format!(
            "{:.0} fps in · {} fps shown · {:.0} ms · {} dropped",
            produced_fps,
            textures.shown_fps(index),
            latency_ms,
            counters.dropped
        ));
    }
    match camera.slot.state() {
        CameraState::Live if camera.slot.stalled(std::time::Instant::now()) => {
            // A hung capture would otherwise look live with a frozen picture.
            painter.text(
                rect.center() - vec2(0.0, 18.0),
                Align2::CENTER_CENTER,
                "STALLED",
                theme::heading(),
                theme::FAULT,
            );
            let detail = match camera.slot.frame_age(std::time::Instant::now()) {
                Some(age) => format!(
                    "no new frame for {:.1} s: the picture is old",
                    age.as_secs_f32()
                ),
                None => "no frame since the camera opened".to_owned(),
            };
            painter.text(
                rect.center() + vec2(0.0, 18.0),
                Align2::CENTER_CENTER,
                detail,
                theme::small(),
                theme::TEXT,
            );
        }
        CameraState::Live => {}
        CameraState::Starting => {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Starting…",
                theme::big(),
                theme::TEXT,
            );
        }
        CameraState::Reconnecting { error, retry_in } => {
            painter.text(
                rect.center() - vec2(0.0, 18.0),
                Align2::CENTER_CENTER,
                "NO SIGNAL",
                theme::heading(),
                theme::FAULT,
            );
            painter.text(
                rect.center() + vec2(0.0, 18.0),
                Align2::CENTER_CENTER,
                format!("retrying every {:.0} s", retry_in.as_secs_f32().ceil()),
                theme::small(),
                theme::TEXT,
            );
            lines.push(error);
        }
        CameraState::Stopped => {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Stopped",
                theme::big(),
                theme::WARN,
            );
        }
    }
    if rect.height() < 260.0 {
        // Small tiles get one caption line, so the band covers little of the picture.
        lines = vec![lines.join(" · ")];
    }
    let band = caption_band(rect, lines.len());
    if let Some((slot, key)) = live {
        let band = CaptionBand {
            from: ((band.top() - rect.top()) / rect.height().max(1.0)).clamp(0.0, 2.0),
            keep: 1.0 - f32::from(theme::OVERLAY.a()) / 255.0,
        };
        let uv = extend_uv(uv, image_rect, rect);
        painter.set(slot, LiveQuad { key, uv, band }.shape(rect));
    }

    caption_ui(&painter, band, &lines, live.is_none());
    image_rect
}

/// A camera's last inspection in place of its live picture: the inspected frame with its
/// overlay, and a caption with the verdict.
fn result_tile(ui: &egui::Ui, shown: &ShownResult, rect: Rect) {
    let painter = ui.painter_at(rect);
    let image_rect = fit_rect(rect, shown.size_px.x / shown.size_px.y.max(1.0));
    let full = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
    let mut lines = vec![format!(
        "{} · part #{}",
        shown.outcome.camera, shown.outcome.part_seq
    )];
    let verdict = shown.outcome.result.as_ref().ok().map(|result| {
        let inspection = &result.inspection;
        let cycle_ms = shown
            .outcome
            .finished_at
            .duration_since(shown.outcome.fired_at)
            .as_secs_f64()
            * 1e3;
        lines.push(format!(
            "{} · {} pore(s) · {:.0} ms from trigger",
            inspection.verdict,
            inspection.pores.len(),
            cycle_ms
        ));
        inspection.verdict
    });
    let band = caption_band(rect, lines.len());
    match &shown.pixels {
        ResultPixels::Live(key) => {
            // One opaque quad, black outside the image, the caption band dimmed in the pass.
            let band = CaptionBand {
                from: ((band.top() - rect.top()) / rect.height().max(1.0)).clamp(0.0, 2.0),
                keep: 1.0 - f32::from(theme::OVERLAY.a()) / 255.0,
            };
            let uv = extend_uv(full, image_rect, rect);
            painter.add(
                LiveQuad {
                    key: *key,
                    uv,
                    band,
                }
                .shape(rect),
            );
        }
        ResultPixels::Managed(texture) => {
            letterbox(&painter, rect, image_rect);
            painter.image(texture.id(), image_rect, full, Color32::WHITE);
        }
    }
    caption_ui(
        &painter,
        band,
        &lines,
        matches!(shown.pixels, ResultPixels::Managed(_)),
    );
    if let Some(verdict) = verdict {
        let colour = verdict_colour(verdict);
        painter.rect_stroke(
            rect,
            4.0,
            egui::Stroke::new(4.0, colour),
            egui::StrokeKind::Inside,
        );
        painter.text(
            rect.left_top() + vec2(12.0, 10.0),
            Align2::LEFT_TOP,
            verdict.as_str(),
            theme::heading(),
            colour,
        );
    }
}

/// The colour of a verdict on screen.
pub fn verdict_colour(verdict: crate::domain::Verdict) -> Color32 {
    match verdict {
        crate::domain::Verdict::Accept => theme::OK,
        crate::domain::Verdict::Warn => theme::WARN,
        crate::domain::Verdict::Reject => theme::FAULT,
    }
}

/// The live grid. With `clickable`, a tap on a tile expands that camera. With `results`, a
/// camera's fresh inspection result replaces its live picture for a while.
pub fn grid_ui(
    ui: &mut egui::Ui,
    view: &mut InspectView,
    textures: &FrameTextures,
    cameras: &[CameraHandle],
    clickable: bool,
    results: Option<&ResultTextures>,
) {
    if cameras.is_empty() {
        ui.label("No cameras are configured. An engineer adds them with `qcstation camera add`.");
        return;
    }
    let shown = cameras.len().min(4);
    let area = ui.available_rect_before_wrap();
    let columns = best_columns(shown, area.size(), 16.0 / 9.0);
    let rows = shown.div_ceil(columns);
    let cell = vec2(
        (area.width() - theme::GAP * (columns - 1) as f32) / columns as f32,
        (area.height() - theme::GAP * (rows - 1) as f32) / rows as f32,
    );
    let full = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
    for (index, camera) in cameras.iter().take(shown).enumerate() {
        let (col, row) = (index % columns, index / columns);
        let min = area.min
            + vec2(
                col as f32 * (cell.x + theme::GAP),
                row as f32 * (cell.y + theme::GAP),
            );
        let rect = Rect::from_min_size(min, cell);
        let sense = if clickable {
            Sense::click()
        } else {
            Sense::hover()
        };
        let response = ui.interact(rect, ui.scope_id().with(("camera", index)), sense);
        let label = format!("Camera {}", camera.name);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        match results.and_then(|results| results.active(index, std::time::Instant::now())) {
            Some(shown) => result_tile(ui, shown, rect),
            None => {
                camera_tile(ui, view, textures, camera, index, rect, full);
            }
        }
        if clickable && response.hovered() {
            ui.painter().rect_stroke(
                rect,
                4.0,
                egui::Stroke::new(3.0, theme::ACCENT),
                egui::StrokeKind::Inside,
            );
        }
        if response.clicked() {
            view.expand(index);
        }
    }
    ui.allocate_rect(area, Sense::hover());
}

pub fn inspect_ui(
    ui: &mut egui::Ui,
    view: &mut InspectView,
    textures: &FrameTextures,
    cameras: &[CameraHandle],
    results: Option<&ResultTextures>,
) {
    let Some(index) = view.expanded.filter(|index| *index < cameras.len()) else {
        view.expanded = None;
        grid_ui(ui, view, textures, cameras, true, results);
        return;
    };
    let camera = &cameras[index];
    ui.horizontal(|ui| {
        let back = egui::Button::new("Back to all cameras").min_size(vec2(0.0, theme::TOUCH_PX));
        if ui.add(back).clicked() {
            view.expanded = None;
        }
        ui.label(RichText::new(&camera.name).font(theme::heading()));
        ui.add_space(theme::GAP);
        let zoom_button = |text: &str| {
            egui::Button::new(RichText::new(text).font(theme::heading()))
                .min_size(vec2(theme::TOUCH_PX, theme::TOUCH_PX))
        };
        if ui.add(zoom_button("-")).clicked() {
            view.zoom = (view.zoom / 1.5).max(1.0);
        }
        if ui.add(zoom_button("+")).clicked() {
            view.zoom = (view.zoom * 1.5).min(MAX_ZOOM);
        }
        if ui
            .add(egui::Button::new("Fit").min_size(vec2(theme::TOUCH_PX, theme::TOUCH_PX)))
            .clicked()
        {
            view.fit();
        }
        ui.label(format!("{:.0} %", view.zoom * 100.0));
    });
    if view.expanded.is_none() {
        return;
    }
    let stats_height = 40.0;
    let mut area = ui.available_rect_before_wrap();
    area.max.y -= stats_height;
    let response = ui.interact(
        area,
        ui.scope_id().with("expanded"),
        Sense::click_and_drag(),
    );
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            format!("Camera {} expanded", camera.name),
        )
    });
    let uv = view.uv_rect();
    let image_rect = camera_tile(ui, view, textures, camera, index, area, uv);
    // Drag pans; the wheel or a pinch zooms about the pointer.
    if response.dragged() && image_rect.width() > 0.0 {
        let delta = response.drag_delta() / image_rect.size() * view.uv_rect().size();
        view.centre_uv -= delta;
    }
    if response.double_clicked() {
        view.fit();
    }
    if response.hovered() {
        let (zoom_delta, scroll) =
            ui.input(|input| (input.zoom_delta(), input.smooth_scroll_delta.y));
        let factor = zoom_delta * (scroll / 400.0).exp();
        if let Some(pointer) = response.hover_pos().filter(|_| (factor - 1.0).abs() > 1e-4) {
            view.zoom_about((pointer - image_rect.min) / image_rect.size(), factor);
        }
    }
    view.clamp_centre();
    ui.allocate_rect(area, Sense::hover());
    if let Some(frame_view) = textures.view(index) {
        let frame = frame_view.frame;
        let counters = camera.slot.counters();
        ui.label(
            RichText::new(format!(
                "{} · {} · frame {} at {} UTC · {} produced · {} shown · {} dropped",
                camera.spec,
                frame.size(),
                frame.seq,
                frame.captured_utc.format("%H:%M:%S%.3f"),
                counters.produced,
                counters.shown,
                counters.dropped
            ))
            .font(theme::small())
            .color(theme::TEXT_DIM),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_extends_the_frame_mapping_to_its_edges() {
        let tile = Rect::from_min_max(pos2(0.0, 0.0), pos2(200.0, 100.0));
        let image = Rect::from_min_max(pos2(50.0, 0.0), pos2(150.0, 100.0));
        let full = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
        let uv = extend_uv(full, image, tile);
        assert_eq!(uv, Rect::from_min_max(pos2(-0.5, 0.0), pos2(1.5, 1.0)));
    }

    #[test]
    fn zoomed_view_stays_inside_the_frame() {
        let mut view = InspectView::default();
        view.fit();
        assert_eq!(
            view.uv_rect(),
            Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0))
        );
        view.zoom = 4.0;
        view.centre_uv = vec2(0.0, 1.0);
        let uv = view.uv_rect();
        assert!((uv.width() - 0.25).abs() < 1e-6);
        assert!(uv.min.x >= 0.0 && uv.max.y <= 1.0, "{uv:?}");
    }

    #[test]
    fn zoom_keeps_the_point_under_the_finger() {
        let mut view = InspectView::default();
        view.fit();
        let at = vec2(0.25, 0.5);
        view.zoom_about(at, 2.0);
        let uv = view.uv_rect();
        let under = uv.min.to_vec2() + at * uv.size();
        assert!((under - vec2(0.25, 0.5)).length() < 1e-5, "{under:?}");
        assert!((uv.width() - 0.5).abs() < 1e-6);
        view.zoom_about(at, 0.1);
        assert_eq!(view.zoom, 1.0, "never below fit");
    }

    #[test]
    fn grid_shape_follows_the_area() {
        assert_eq!(best_columns(4, vec2(1600.0, 900.0), 16.0 / 9.0), 2);
        assert_eq!(
            best_columns(2, vec2(430.0, 700.0), 16.0 / 9.0),
            1,
            "a tall strip stacks"
        );
        assert_eq!(
            best_columns(3, vec2(2400.0, 500.0), 16.0 / 9.0),
            3,
            "a wide strip lines up"
        );
        assert_eq!(best_columns(1, vec2(100.0, 100.0), 1.0), 1);
    }

    #[test]
    fn fit_keeps_aspect() {
        let outer = Rect::from_min_size(Pos2::ZERO, vec2(1000.0, 400.0));
        let fitted = fit_rect(outer, 16.0 / 9.0);
        assert!((fitted.width() / fitted.height() - 16.0 / 9.0).abs() < 1e-3);
        assert_eq!(fitted.height(), 400.0);
    }
}
