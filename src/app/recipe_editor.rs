//! The Recipe panel (engineers): the active recipe as a draft, its zones drawn on a snapshot of
//! a camera. Drag a zone's corners, add or remove points, type coordinates, edit the zone's
//! rules and the recipe's detector, threshold and image saving in a form that validates as it
//! goes; "Try" runs the draft on the snapshot (nothing recorded) so the verdict change shows
//! before anything is saved; "Save as new version" stores it (audited) and makes it active.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, TextureHandle, pos2, vec2};
use image::RgbaImage;

use super::inspect::verdict_colour;
use super::result_textures::upload;
use super::theme;
use crate::domain::Permission;
use crate::runtime::{CameraInspection, InspectorCommand, InspectorEvent, InspectorView};
use crate::vision::detect::DetectorKind;
use crate::vision::recipe::{Recipe, SavingPolicy};
use crate::vision::rules::{PitchBetween, WindowShape, Zone, ZoneRules};
use crate::vision::zone::ZoneShape;

const HANDLE_PX: f32 = 14.0;

#[derive(Default)]
pub struct RecipeEditor {
    draft: Option<Recipe>,
    camera_index: usize,
    snapshot: Option<(usize, Arc<RgbaImage>, TextureHandle)>,
    tried: Option<(Arc<CameraInspection>, TextureHandle)>,
    zone: Option<usize>,
    point: Option<usize>,
    note: String,
    /// The calibration being typed for the camera shown.
    scale_input: Option<f32>,
    asked_snapshot: bool,
}

impl RecipeEditor {
    pub fn apply(&mut self, ctx: &egui::Context, event: &InspectorEvent) {
        match event {
            InspectorEvent::Snapshot {
                camera_index,
                image,
            } => {
                let texture = upload(ctx, "recipe-snapshot", image);
                self.snapshot = Some((*camera_index, Arc::clone(image), texture));
                self.tried = None;
            }
            InspectorEvent::Tried { result, .. } => {
                let texture = upload(ctx, "recipe-tried", &result.overlay);
                self.tried = Some((Arc::clone(result), texture));
            }
            InspectorEvent::RecipeSaved(_) => {
                // The saved version comes back as the active recipe; start again from it.
                self.draft = None;
                self.tried = None;
                self.note.clear();
            }
            _ => {}
        }
    }
}

/// Moves corner `index` of `shape` to `to` (a rectangle keeps the opposite corner).
fn move_point(shape: &mut ZoneShape, index: usize, to: [f32; 2]) {
    match shape {
        ZoneShape::Rect {
            x_px,
            y_px,
            width_px,
            height_px,
        } => {
            let corners = [
                [*x_px, *y_px],
                [*x_px + *width_px, *y_px],
                [*x_px + *width_px, *y_px + *height_px],
                [*x_px, *y_px + *height_px],
            ];
            let opposite = corners[(index + 2) % 4];
            *x_px = to[0].min(opposite[0]);
            *y_px = to[1].min(opposite[1]);
            *width_px = (to[0] - opposite[0]).abs().max(1.0);
            *height_px = (to[1] - opposite[1]).abs().max(1.0);
        }
        ZoneShape::Polygon { points_px } => {
            if let Some(point) = points_px.get_mut(index) {
                *point = to;
            }
        }
    }
}

/// A polygon with a point added at the middle of its longest edge.
fn add_point(shape: &mut ZoneShape) {
    let mut points = shape.corners_px();
    let n = points.len();
    let longest = (0..n)
        .max_by(|&a, &b| {
            let length = |i: usize| {
                let (p, q) = (points[i], points[(i + 1) % n]);
                (p[0] - q[0]).hypot(p[1] - q[1])
            };
            length(a).total_cmp(&length(b))
        })
        .unwrap_or(0);
    let (p, q) = (points[longest], points[(longest + 1) % n]);
    points.insert(longest + 1, [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0]);
    *shape = ZoneShape::Polygon { points_px: points };
}

fn to_screen(image_rect: Rect, size: egui::Vec2, p: [f32; 2]) -> Pos2 {
    image_rect.min
        + vec2(
            p[0] / size.x * image_rect.width(),
            p[1] / size.y * image_rect.height(),
        )
}

fn to_image(image_rect: Rect, size: egui::Vec2, p: Pos2) -> [f32; 2] {
    let rel = (p - image_rect.min) / image_rect.size();
    [
        (rel.x * size.x).clamp(0.0, size.x),
        (rel.y * size.y).clamp(0.0, size.y),
    ]
}

/// The snapshot with the draft's zones; corners drag.
fn canvas_ui(ui: &mut egui::Ui, editor: &mut RecipeEditor, camera: &str) {
    let Some((_, image, texture)) = &editor.snapshot else {
        ui.label("Waiting for a frame from the camera…");
        return;
    };
    let size = vec2(image.width() as f32, image.height() as f32);
    let available = ui.available_size();
    let scale = (available.x / size.x).min((available.y - 8.0).max(120.0) / size.y);
    let (image_rect, _) = ui.allocate_exact_size(size * scale, Sense::hover());
    let painter = ui.painter_at(image_rect);
    let shown = editor
        .tried
        .as_ref()
        .map_or(texture.id(), |(_, tried)| tried.id());
    painter.image(
        shown,
        image_rect,
        Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0)),
        Color32::WHITE,
    );
    let Some(draft) = &mut editor.draft else {
        return;
    };
    for (index, zone) in draft.zones.iter_mut().enumerate() {
        if zone.camera.as_deref().is_some_and(|c| c != camera) {
            continue;
        }
        let selected = editor.zone == Some(index);
        let colour = if selected { theme::ACCENT } else { theme::OK };
        let points = zone.shape.corners_px();
        let screen: Vec<Pos2> = points
            .iter()
            .map(|p| to_screen(image_rect, size, *p))
            .collect();
        painter.add(egui::Shape::closed_line(
            screen.clone(),
            Stroke::new(if selected { 3.0 } else { 2.0 }, colour),
        ));
        if let Some(first) = screen.first() {
            painter.text(
                *first + vec2(4.0, 4.0),
                egui::Align2::LEFT_TOP,
                &zone.name,
                theme::small(),
                colour,
            );
        }
        if !selected {
            continue;
        }
        for (point, at) in screen.iter().enumerate() {
            let id = ui.scope_id().with(("zone_handle", index, point));
            let handle = Rect::from_center_size(*at, vec2(HANDLE_PX * 2.0, HANDLE_PX * 2.0));
            let response = ui.interact(handle, id, Sense::click_and_drag());
            let active = editor.point == Some(point);
            painter.circle_filled(*at, if active { 9.0 } else { 7.0 }, colour);
            if response.clicked() || response.drag_started() {
                editor.point = Some(point);
            }
            if response.dragged()
                && let Some(pointer) = response.interact_pointer_pos()
            {
                move_point(&mut zone.shape, point, to_image(image_rect, size, pointer));
            }
        }
    }
}

fn optional_f32(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<f32>,
    default: f32,
    suffix: &str,
) {
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        if ui.checkbox(&mut on, label).changed() {
            *value = on.then_some(default);
        }
        if let Some(v) = value {
            ui.add(
                egui::DragValue::new(v)
                    .speed(0.01)
                    .range(0.0..=1000.0)
                    .suffix(suffix),
            );
        }
    });
}

fn optional_u32(ui: &mut egui::Ui, label: &str, value: &mut Option<u32>, default: u32) {
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        if ui.checkbox(&mut on, label).changed() {
            *value = on.then_some(default);
        }
        if let Some(v) = value {
            ui.add(egui::DragValue::new(v).range(0..=10_000));
        }
    });
}

fn rules_ui(ui: &mut egui::Ui, rules: &mut ZoneRules) {
    optional_f32(
        ui,
        "ignore pores below",
        &mut rules.ignore_below_mm,
        0.2,
        " mm",
    );
    optional_f32(ui, "max diameter", &mut rules.max_diameter_mm, 1.0, " mm");
    optional_u32(ui, "max count", &mut rules.max_count, 10);
    optional_f32(ui, "window", &mut rules.window_mm, 10.0, " mm");
    if rules.window_mm.is_some() {
        ui.horizontal(|ui| {
            ui.radio_value(&mut rules.window_shape, WindowShape::Circle, "circle");
            ui.radio_value(&mut rules.window_shape, WindowShape::Square, "square");
        });
        optional_u32(ui, "max in window", &mut rules.max_in_window, 4);
    }
    optional_f32(ui, "min pitch", &mut rules.min_pitch_mm, 2.0, " mm");
    if rules.min_pitch_mm.is_some() {
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut rules.pitch_between,
                PitchBetween::Centres,
                "centre to centre",
            );
            ui.radio_value(
                &mut rules.pitch_between,
                PitchBetween::Edges,
                "edge to edge",
            );
        });
    }
    optional_f32(
        ui,
        "min edge distance",
        &mut rules.min_edge_distance_mm,
        0.5,
        " mm",
    );
    optional_f32(ui, "max area", &mut rules.max_area_percent, 0.5, " %");
    optional_f32(ui, "warn at ratio", &mut rules.warn_ratio, 0.8, "");
}

fn zone_ui(ui: &mut egui::Ui, editor: &mut RecipeEditor, cameras: &[String]) {
    let Some(draft) = &mut editor.draft else {
        return;
    };
    let Some(index) = editor.zone.filter(|i| *i < draft.zones.len()) else {
        ui.label(RichText::new("Select a zone to edit it, or add one.").color(theme::TEXT_DIM));
        return;
    };
    let zone = &mut draft.zones[index];
    ui.horizontal(|ui| {
        ui.label("Name");
        ui.add(egui::TextEdit::singleline(&mut zone.name).desired_width(160.0));
    });
    egui::ComboBox::from_id_salt("zone_camera")
        .selected_text(zone.camera.as_deref().unwrap_or("every camera"))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut zone.camera, None, "every camera");
            for camera in cameras {
                ui.selectable_value(&mut zone.camera, Some(camera.clone()), camera);
            }
        });
    ui.horizontal(|ui| {
        if ui.button("Add point").clicked() {
            add_point(&mut zone.shape);
        }
        let can_remove =
            matches!(&zone.shape, ZoneShape::Polygon { points_px } if points_px.len() > 3);
        if ui
            .add_enabled(
                can_remove && editor.point.is_some(),
                egui::Button::new("Remove point"),
            )
            .clicked()
            && let (ZoneShape::Polygon { points_px }, Some(point)) = (&mut zone.shape, editor.point)
            && point < points_px.len()
        {
            points_px.remove(point);
            editor.point = None;
        }
    });
    // Numeric entry of the selected point.
    if let Some(point) = editor.point {
        let mut points = zone.shape.corners_px();
        if let Some(p) = points.get_mut(point) {
            let before = *p;
            ui.horizontal(|ui| {
                ui.label(format!("point {}", point + 1));
                ui.add(egui::DragValue::new(&mut p[0]).prefix("x ").suffix(" px"));
                ui.add(egui::DragValue::new(&mut p[1]).prefix("y ").suffix(" px"));
            });
            if *p != before {
                let to = *p;
                move_point(&mut zone.shape, point, to);
            }
        }
    }
    ui.separator();
    ui.label(RichText::new("Rules").strong());
    rules_ui(ui, &mut zone.rules);
    ui.separator();
    if ui
        .add(egui::Button::new(
            RichText::new("Delete zone").color(theme::FAULT),
        ))
        .clicked()
    {
        draft.zones.remove(index);
        editor.zone = None;
        editor.point = None;
    }
}

fn recipe_form_ui(ui: &mut egui::Ui, draft: &mut Recipe, cameras: &[String]) {
    ui.horizontal(|ui| {
        ui.label("Part number");
        ui.add(egui::TextEdit::singleline(&mut draft.part_number).desired_width(160.0))
            .on_hover_text("Another part number saves this draft as that part's recipe");
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Cameras");
        for camera in cameras {
            let mut used = draft.cameras.is_empty() || draft.cameras.contains(camera);
            if ui.checkbox(&mut used, camera).changed() {
                if draft.cameras.is_empty() {
                    draft.cameras = cameras.to_vec();
                }
                if used {
                    draft.cameras.push(camera.clone());
                } else if draft.cameras.len() > 1 {
                    // The last camera stays: a recipe looks through at least one.
                    draft.cameras.retain(|c| c != camera);
                }
                draft.cameras.sort();
                draft.cameras.dedup();
                if draft.cameras.len() == cameras.len() {
                    // Every camera: stored as "all", so a camera added later is used too.
                    draft.cameras.clear();
                }
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Detector");
        ui.radio_value(&mut draft.detector, DetectorKind::Onnx, "network");
        ui.radio_value(&mut draft.detector, DetectorKind::Classical, "classical");
    });
    ui.horizontal(|ui| {
        ui.label("Threshold");
        ui.add(egui::Slider::new(&mut draft.threshold, 0.05..=0.95));
    });
    ui.horizontal(|ui| {
        ui.label("Keep images");
        ui.radio_value(&mut draft.saving.policy, SavingPolicy::None, "none");
        ui.radio_value(&mut draft.saving.policy, SavingPolicy::NgOnly, "NG only");
        ui.radio_value(&mut draft.saving.policy, SavingPolicy::All, "all");
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut draft.saving.raw, "raw");
        ui.checkbox(&mut draft.saving.overlay, "overlay");
    });
    egui::CollapsingHeader::new("Rules where no zone is drawn")
        .id_salt("default_rules")
        .show(ui, |ui| rules_ui(ui, &mut draft.default_rules));
}

/// The panel; commands for the inspection worker go to `commands`.
pub fn recipe_ui(
    ui: &mut egui::Ui,
    editor: &mut RecipeEditor,
    view: &InspectorView,
    state: &super::state::AppState,
    commands: &mut Vec<InspectorCommand>,
) {
    if editor.draft.is_none() {
        editor.draft = Some((*view.recipe).clone());
        editor.zone = None;
        editor.point = None;
    }
    let cameras = &view.camera_names;
    if cameras.is_empty() {
        ui.label("This station has no camera to draw zones on.");
        return;
    }
    editor.camera_index = editor.camera_index.min(cameras.len() - 1);
    let stale_snapshot = editor
        .snapshot
        .as_ref()
        .is_none_or(|(index, _, _)| *index != editor.camera_index);
    if stale_snapshot && !editor.asked_snapshot {
        editor.asked_snapshot = true;
        commands.push(InspectorCommand::Snapshot {
            camera_index: editor.camera_index,
        });
    }
    if !stale_snapshot {
        editor.asked_snapshot = false;
    }
    ui.horizontal_wrapped(|ui| {
        let draft = editor.draft.as_ref();
        ui.label(
            RichText::new(format!(
                "Recipe {} · editing v{} (active v{})",
                draft.map_or("", |d| d.part_number.as_str()),
                draft.map_or(0, |d| d.version),
                view.recipe.version
            ))
            .font(theme::big()),
        );
        for (index, camera) in cameras.iter().enumerate() {
            if ui
                .add(theme::choice_button(
                    editor.camera_index == index,
                    camera,
                    vec2(120.0, 40.0),
                ))
                .clicked()
            {
                editor.camera_index = index;
                editor.asked_snapshot = false;
                editor.scale_input = None;
            }
        }
        if ui.button("New snapshot").clicked() {
            commands.push(InspectorCommand::Snapshot {
                camera_index: editor.camera_index,
            });
        }
    });
    let camera = cameras[editor.camera_index].clone();
    calibration_ui(ui, editor, view, state, commands);
    let full = ui.available_rect_before_wrap();
    let split = full.max.x - 430.0;
    let canvas_rect = Rect::from_min_max(full.min, pos2(split - theme::GAP, full.max.y));
    let form_rect = Rect::from_min_max(pos2(split, full.min.y), full.max);
    ui.scope_builder(egui::UiBuilder::new().max_rect(canvas_rect), |ui| {
        canvas_ui(ui, editor, &camera);
        if let Some((tried, _)) = &editor.tried {
            let verdict = tried.inspection.verdict;
            ui.label(
                RichText::new(format!(
                    "Draft on this image: {verdict} · {} pore(s)",
                    tried.inspection.pores.len()
                ))
                .strong()
                .color(verdict_colour(verdict)),
            );
            for finding in &tried.inspection.findings {
                ui.label(RichText::new(finding.to_string()).color(verdict_colour(finding.verdict)));
            }
        }
    });
    ui.scope_builder(egui::UiBuilder::new().max_rect(form_rect), |ui| {
        egui::ScrollArea::vertical()
            .id_salt("recipe_form")
            .show(ui, |ui| {
                form_ui(ui, editor, &camera, cameras, state, commands);
            });
    });
    ui.allocate_rect(full, Sense::hover());
}

/// The camera's scale: what it is, and (engineers) a new one.
fn calibration_ui(
    ui: &mut egui::Ui,
    editor: &mut RecipeEditor,
    view: &InspectorView,
    state: &super::state::AppState,
    commands: &mut Vec<InspectorCommand>,
) {
    let index = editor.camera_index;
    let current = view.scales.get(index).copied().flatten();
    ui.horizontal(|ui| {
        ui.label(match current {
            Some(scale) => format!("Calibration: {scale:.4} mm/px"),
            None => format!(
                "Not calibrated: {:.4} mm/px from the recipe or the default",
                view.recipe
                    .mm_per_px
                    .unwrap_or(crate::vision::recipe::DEFAULT_MM_PER_PX)
            ),
        });
        if !state.may(Permission::Engineer) {
            return;
        }
        let input = editor
            .scale_input
            .get_or_insert(current.unwrap_or(crate::vision::recipe::DEFAULT_MM_PER_PX));
        ui.add(
            egui::DragValue::new(input)
                .speed(0.0005)
                .range(0.001..=5.0)
                .max_decimals(4)
                .suffix(" mm/px"),
        );
        if ui.button("Set calibration").clicked()
            && let Some(actor) = state.actor.clone()
        {
            commands.push(InspectorCommand::Calibrate {
                actor,
                camera_index: index,
                mm_per_px: Some(f64::from(*input)),
            });
        }
    });
}

fn form_ui(
    ui: &mut egui::Ui,
    editor: &mut RecipeEditor,
    camera: &str,
    cameras: &[String],
    state: &super::state::AppState,
    commands: &mut Vec<InspectorCommand>,
) {
    let Some(draft) = &mut editor.draft else {
        return;
    };
    ui.label(RichText::new("Zones").strong());
    ui.horizontal_wrapped(|ui| {
        for (index, zone) in draft.zones.iter().enumerate() {
            let label = match &zone.camera {
                Some(c) => format!("{} ({c})", zone.name),
                None => zone.name.clone(),
            };
            if ui
                .add(theme::choice_button(
                    editor.zone == Some(index),
                    label,
                    vec2(0.0, 36.0),
                ))
                .clicked()
            {
                editor.zone = Some(index);
                editor.point = None;
            }
        }
    });
    let (w, h) = editor
        .snapshot
        .as_ref()
        .map_or((1280.0, 720.0), |(_, image, _)| {
            (image.width() as f32, image.height() as f32)
        });
    ui.horizontal(|ui| {
        let add = |shape: ZoneShape, draft: &mut Recipe| {
            draft.zones.push(Zone {
                name: format!("zone {}", draft.zones.len() + 1),
                camera: Some(camera.to_owned()),
                shape,
                rules: ZoneRules::station_default(),
            });
            Some(draft.zones.len() - 1)
        };
        if ui.button("New rectangle").clicked() {
            editor.zone = add(
                ZoneShape::Rect {
                    x_px: w * 0.3,
                    y_px: h * 0.3,
                    width_px: w * 0.4,
                    height_px: h * 0.4,
                },
                draft,
            );
        }
        if ui.button("New polygon").clicked() {
            editor.zone = add(
                ZoneShape::Polygon {
                    points_px: vec![
                        [w * 0.3, h * 0.3],
                        [w * 0.7, h * 0.3],
                        [w * 0.7, h * 0.7],
                        [w * 0.3, h * 0.7],
                    ],
                },
                draft,
            );
        }
    });
    ui.separator();
    zone_ui(ui, editor, cameras);
    let Some(draft) = &mut editor.draft else {
        return;
    };
    ui.separator();
    ui.label(RichText::new("Recipe").strong());
    recipe_form_ui(ui, draft, cameras);
    ui.separator();
    let valid = draft.validate();
    match &valid {
        Ok(()) => {
            ui.label(RichText::new("The draft is valid.").color(theme::OK));
        }
        Err(err) => {
            ui.label(RichText::new(err.to_string()).color(theme::FAULT));
        }
    }
    let mut discard = false;
    ui.horizontal(|ui| {
        let can_try = valid.is_ok() && editor.snapshot.is_some();
        if ui
            .add_enabled(
                can_try,
                egui::Button::new("Try on this image").min_size(vec2(0.0, 44.0)),
            )
            .clicked()
            && let Some((index, image, _)) = &editor.snapshot
        {
            commands.push(InspectorCommand::Try {
                recipe: Box::new(draft.clone()),
                camera_index: *index,
                image: Arc::clone(image),
            });
        }
        discard = ui.button("Discard changes").clicked();
    });
    if discard {
        editor.draft = None;
        editor.tried = None;
    }
    let Some(draft) = &editor.draft else { return };
    ui.add(
        egui::TextEdit::singleline(&mut editor.note)
            .hint_text("what changed and why (for the audit trail)")
            .desired_width(f32::INFINITY),
    );
    let may = state.may(Permission::Engineer);
    let save = egui::Button::new(RichText::new("Save as new version").strong())
        .min_size(vec2(0.0, theme::TOUCH_PX));
    if ui
        .add_enabled(may && valid.is_ok() && !editor.note.trim().is_empty(), save)
        .on_disabled_hover_text("An engineer saves a valid draft with a note")
        .clicked()
        && let Some(actor) = state.actor.clone()
    {
        commands.push(InspectorCommand::SaveRecipe {
            actor,
            recipe: Box::new(draft.clone()),
            note: editor.note.trim().to_owned(),
        });
    }
}
