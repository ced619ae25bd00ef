//! The toolpath preview of an engraving job: burn moves drawn bright, travel thin and dim, the
//! job's bounding box, the head's position while it runs, and the estimate. The plan is made
//! once per selected job (about a millisecond for a 25×25 code) and its segments kept.

use egui::{Color32, Pos2, Rect, RichText, Sense, Shape, Stroke, pos2, vec2};

use super::theme;
use crate::engrave::JobPlan;
use crate::engrave::modal::ModalState;

/// A job's moves, ready to draw.
pub struct Toolpath {
    pub job_id: i64,
    /// (from, to, burns) in machine mm.
    segments: Vec<([f64; 2], [f64; 2], bool)>,
    bbox_mm: [f64; 4],
    pub estimate_s: f64,
    pub burn_mm: f64,
    pub travel_mm: f64,
    pub lines: usize,
    pub modules: usize,
}

impl Toolpath {
    pub fn from_plan(job_id: i64, plan: &JobPlan) -> Self {
        let mut state = ModalState::default();
        let segments = plan
            .program
            .lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| state.apply(index + 1, line).ok()?.movement)
            .filter(|movement| movement.length_mm() > 0.0)
            .map(|movement| (movement.from_mm, movement.to_mm, movement.burns()))
            .collect();
        Self {
            job_id,
            segments,
            bbox_mm: plan.program.bbox_mm,
            estimate_s: plan.estimate.seconds,
            burn_mm: plan.program.burn_mm,
            travel_mm: plan.program.travel_mm,
            lines: plan.program.lines.len(),
            modules: plan.modules,
        }
    }
}

/// Draws `path` filling the available width (square), with the head at `head_mm` if known.
pub fn toolpath_ui(ui: &mut egui::Ui, path: &Toolpath, head_mm: Option<[f64; 2]>) {
    let side = ui.available_width().min(340.0);
    let (allocated, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
    // A justified layout may give more width than asked: draw in a square at its left, and
    // keep travel from the machine's origin, which may start outside the view, inside it.
    let area = Rect::from_min_size(allocated.min, vec2(side, side));
    let painter = ui.painter_at(area);
    painter.rect_filled(area, 6.0, theme::PANEL);
    let [x0, y0, x1, y1] = path.bbox_mm;
    // A margin of 8 % around the job, and the origin (0, 0) when it is near.
    let span = (x1 - x0).max(y1 - y0).max(1.0) * 1.16;
    let centre = [(x0 + x1) / 2.0, (y0 + y1) / 2.0];
    let scale = f64::from(area.width()) / span;
    let to_screen = |mm: [f64; 2]| -> Pos2 {
        pos2(
            area.center().x + ((mm[0] - centre[0]) * scale) as f32,
            // Machine Y points up; the screen's down.
            area.center().y - ((mm[1] - centre[1]) * scale) as f32,
        )
    };
    let travel = Stroke::new(1.0, theme::TEXT_DIM.gamma_multiply(0.5));
    let burn = Stroke::new(
        ((scale * 0.08) as f32).clamp(1.0, 3.0),
        Color32::from_rgb(0xff, 0x6a, 0x3d),
    );
    let mut shapes = Vec::with_capacity(path.segments.len() + 2);
    for &(from, to, burns) in &path.segments {
        let stroke = if burns { burn } else { travel };
        shapes.push(Shape::line_segment(
            [to_screen(from), to_screen(to)],
            stroke,
        ));
    }
    let bbox = Rect::from_two_pos(to_screen([x0, y0]), to_screen([x1, y1]));
    shapes.extend(Shape::dashed_line(
        &[
            bbox.left_top(),
            bbox.right_top(),
            bbox.right_bottom(),
            bbox.left_bottom(),
            bbox.left_top(),
        ],
        Stroke::new(1.5, theme::ACCENT),
        6.0,
        4.0,
    ));
    painter.extend(shapes);
    if let Some(head) = head_mm {
        let at = to_screen(head);
        if area.contains(at) {
            let cross = Stroke::new(2.0, theme::OK);
            painter.line_segment([at - vec2(10.0, 0.0), at + vec2(10.0, 0.0)], cross);
            painter.line_segment([at - vec2(0.0, 10.0), at + vec2(0.0, 10.0)], cross);
            painter.circle_stroke(at, 6.0, cross);
        }
    }
    ui.label(
        RichText::new(format!(
            "{} × {} modules · {} lines · burn {:.0} mm, travel {:.0} mm · box X {:.1}–{:.1} Y {:.1}–{:.1} mm",
            path.modules, path.modules, path.lines, path.burn_mm, path.travel_mm, x0, x1, y0, y1
        ))
        .font(theme::small())
        .color(theme::TEXT_DIM),
    );
    ui.label(
        RichText::new(format!(
            "Estimated {} on this machine",
            duration_text(path.estimate_s)
        ))
        .strong(),
    );
}

/// `m:ss` (or `h:mm:ss`).
pub fn duration_text(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engrave::LaserSettings;

    #[test]
    fn the_preview_keeps_every_move_and_tells_burn_from_travel() {
        let plan = JobPlan::new("PAD-V0100-L2025-09-00001", &LaserSettings::default()).unwrap();
        let path = Toolpath::from_plan(1, &plan);
        let burned: f64 = path
            .segments
            .iter()
            .filter(|s| s.2)
            .map(|(a, b, _)| (b[0] - a[0]).hypot(b[1] - a[1]))
            .sum();
        assert!(
            (burned - plan.program.burn_mm).abs() < 1e-6,
            "{burned} vs {}",
            plan.program.burn_mm
        );
        assert!(path.segments.iter().any(|s| !s.2));
        assert_eq!(path.modules, 25);
        assert_eq!(duration_text(65.4), "1:05");
        assert_eq!(duration_text(3725.0), "1:02:05");
    }
}
