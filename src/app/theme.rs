//! The one place for colours and sizes. Kiosk first: big touch targets for gloved hands, a dark
//! high-contrast theme, and status always spelled out in words as well as colour — under orange
//! or green laser-safety glasses colours alone are not reliable.

use egui::{Color32, FontFamily, FontId, Stroke, TextStyle, Vec2};

pub const BACKGROUND: Color32 = Color32::from_rgb(0x10, 0x12, 0x14);
pub const PANEL: Color32 = Color32::from_rgb(0x1b, 0x1f, 0x24);

/// The top bar's frame: a margin and no fill (the panel's separator line sets it off). A filled
/// strip across the window is a blended quad through egui's pipeline on every frame.
pub fn top_bar_frame() -> egui::Frame {
    egui::Frame::new().inner_margin(8.0)
}

/// What the window is cleared to before egui draws: the panels' colour (they paint none).
pub fn clear_colour() -> [f32; 4] {
    PANEL.to_normalized_gamma_f32()
}
pub const PANEL_RAISED: Color32 = Color32::from_rgb(0x26, 0x2b, 0x32);
pub const TEXT: Color32 = Color32::from_rgb(0xf4, 0xf6, 0xf8);
pub const TEXT_DIM: Color32 = Color32::from_rgb(0xb8, 0xc0, 0xc8);
pub const ACCENT: Color32 = Color32::from_rgb(0xff, 0xc2, 0x1a);
pub const ACCENT_TEXT: Color32 = Color32::from_rgb(0x10, 0x10, 0x10);
pub const OK: Color32 = Color32::from_rgb(0x3d, 0xdc, 0x84);
pub const WARN: Color32 = Color32::from_rgb(0xff, 0x9f, 0x1c);
pub const FAULT: Color32 = Color32::from_rgb(0xff, 0x4d, 0x4d);
/// The box around a value on its evidence (a page, a photo, a cell): magenta, which no paper,
/// label or status colour uses.
pub const EVIDENCE: Color32 = Color32::from_rgb(0xff, 0x2d, 0xd4);
pub const OVERLAY: Color32 = Color32::from_rgba_premultiplied(0, 0, 0, 190);

/// Smallest side of anything a finger must hit (about 12 mm on a 15" 1080p screen).
pub const TOUCH_PX: f32 = 56.0;
pub const KEYPAD_KEY: Vec2 = Vec2::new(96.0, 72.0);
pub const TOP_BAR_HEIGHT: f32 = 64.0;
pub const NAV_WIDTH: f32 = 168.0;
pub const GAP: f32 = 12.0;

pub fn heading() -> FontId {
    FontId::new(28.0, FontFamily::Proportional)
}

pub fn big() -> FontId {
    FontId::new(22.0, FontFamily::Proportional)
}

pub fn small() -> FontId {
    FontId::new(16.0, FontFamily::Proportional)
}

pub fn mono() -> FontId {
    FontId::new(17.0, FontFamily::Monospace)
}

/// Status levels shown across the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fault,
}

impl Level {
    pub fn colour(self) -> Color32 {
        match self {
            Self::Ok => OK,
            Self::Warn => WARN,
            Self::Fault => FAULT,
        }
    }

    /// The word shown beside the colour.
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warn => "WARN",
            Self::Fault => "FAULT",
        }
    }
}

/// Applies the station's look to every theme of the context.
pub fn apply(ctx: &egui::Context, ui_scale: f32) {
    ctx.set_fonts(fonts());
    ctx.set_theme(egui::Theme::Dark);
    ctx.set_zoom_factor(ui_scale);
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (TextStyle::Heading, heading()),
            (TextStyle::Body, FontId::new(20.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(20.0, FontFamily::Proportional),
            ),
            (TextStyle::Small, small()),
            (TextStyle::Monospace, mono()),
        ]
        .into();
        style.spacing.item_spacing = Vec2::new(GAP, GAP * 0.75);
        style.spacing.button_padding = Vec2::new(18.0, 12.0);
        style.spacing.interact_size = Vec2::new(TOUCH_PX, TOUCH_PX * 0.75);
        style.spacing.text_edit_width = 320.0;
        style.spacing.scroll.bar_width = 16.0;
        // No text selection on a touch kiosk: a tap on a label belongs to its row or tile.
        style.interaction.selectable_labels = false;
        let visuals = &mut style.visuals;
        visuals.dark_mode = true;
        // Text colours per widget state (not an override), so that selected widgets get dark
        // text on the accent fill.
        visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, TEXT);
        visuals.widgets.inactive.fg_stroke = Stroke::new(1.5, TEXT);
        visuals.widgets.hovered.fg_stroke = Stroke::new(1.5, TEXT);
        visuals.widgets.active.fg_stroke = Stroke::new(2.0, TEXT);
        // Panels paint nothing: the window is cleared to `PANEL` instead (`clear_colour`). A
        // full-window panel fill is a blended full-screen quad through egui's pipeline, which
        // cost 52 ms of a 54 ms empty frame on llvmpipe at 1920×1080; the clear costs ~2 ms.
        visuals.panel_fill = Color32::TRANSPARENT;
        visuals.window_fill = PANEL;
        visuals.extreme_bg_color = BACKGROUND;
        visuals.faint_bg_color = PANEL_RAISED;
        visuals.selection.bg_fill = ACCENT;
        visuals.selection.stroke = Stroke::new(2.0, ACCENT_TEXT);
        visuals.widgets.inactive.weak_bg_fill = PANEL_RAISED;
        visuals.widgets.inactive.bg_fill = PANEL_RAISED;
        visuals.widgets.inactive.bg_stroke = Stroke::new(1.5, TEXT_DIM);
        visuals.widgets.hovered.bg_stroke = Stroke::new(2.0, ACCENT);
        visuals.widgets.active.bg_stroke = Stroke::new(3.0, ACCENT);
        visuals.widgets.noninteractive.bg_stroke = Stroke::new(1.0, PANEL_RAISED);
    });
}

/// egui's fonts, with Hack (bundled for monospace) as the proportional family's last fallback:
/// check names, messages and text read from documents carry signs the UI font lacks (↔ → ≠),
/// which would otherwise be drawn as empty boxes.
fn fonts() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    let fallback = "Hack".to_owned();
    if fonts.font_data.contains_key(&fallback)
        && let Some(family) = fonts.families.get_mut(&FontFamily::Proportional)
        && !family.contains(&fallback)
    {
        family.push(fallback);
    }
    fonts
}

/// A framed, touch-sized button that shows whether it is the current choice (user tiles, the
/// navigation, tabs). Framed even when inactive, so it reads as a button without hovering.
pub fn choice_button<'a>(
    selected: bool,
    text: impl Into<egui::WidgetText>,
    min_size: Vec2,
) -> egui::Button<'a> {
    egui::Button::new(text.into())
        .selected(selected)
        .frame(true)
        .frame_when_inactive(true)
        .min_size(min_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proportional_font_falls_back_to_hack_for_arrows_and_signs() {
        let fonts = fonts();
        let family = &fonts.families[&FontFamily::Proportional];
        assert_eq!(family.first().map(String::as_str), Some("Ubuntu-Light"));
        assert_eq!(family.last().map(String::as_str), Some("Hack"));
    }
}
