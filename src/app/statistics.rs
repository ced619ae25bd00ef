//! The Statistics panel (`specs/porosity.md`, Statistics): counts by verdict, verdicts over
//! time, pores by zone, the pore size histogram, the Pareto of failed rules and the cycle time,
//! for the inspections the filter (shared in shape with History) selects.

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Line, Plot};

use super::history::FilterForm;
use super::theme;
use crate::runtime::stats::{SIZE_BIN_MM, Statistics};
use crate::runtime::{InspectionQuery, InspectorCommand, InspectorEvent};

#[derive(Default)]
pub struct StatisticsView {
    pub form: FilterForm,
    stats: Option<Box<Statistics>>,
    asked: bool,
}

impl StatisticsView {
    pub fn apply(&mut self, event: &InspectorEvent) {
        if let InspectorEvent::Statistics(stats) = event {
            self.stats = Some(stats.clone());
        }
    }

    pub fn query(&self) -> InspectorCommand {
        InspectorCommand::Query(InspectionQuery::Statistics(self.form.filter(0)))
    }

    /// Asks again next frame (a part was saved, a disposition signed).
    pub fn stale(&mut self) {
        self.asked = false;
    }
}

const PLOT_HEIGHT: f32 = 210.0;

fn plot(id: &str) -> Plot<'static> {
    Plot::new(id.to_owned())
        .height(PLOT_HEIGHT)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
}

fn figures_ui(ui: &mut egui::Ui, stats: &Statistics) {
    ui.horizontal_wrapped(|ui| {
        let figure = |ui: &mut egui::Ui, label: &str, value: String, colour| {
            egui::Frame::new()
                .fill(theme::PANEL_RAISED)
                .corner_radius(6.0)
                .inner_margin(10.0)
                .show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new(label).color(theme::TEXT_DIM));
                        ui.label(RichText::new(value).font(theme::heading()).color(colour));
                    });
                });
        };
        let total = f64::from(stats.inspections.max(1));
        figure(
            ui,
            "inspections",
            stats.inspections.to_string(),
            theme::TEXT,
        );
        for (index, (label, colour)) in [
            ("ACCEPT", theme::OK),
            ("WARN", theme::WARN),
            ("REJECT", theme::FAULT),
        ]
        .into_iter()
        .enumerate()
        {
            let count = stats.verdicts[index];
            figure(
                ui,
                label,
                format!("{count} ({:.1} %)", 100.0 * f64::from(count) / total),
                colour,
            );
        }
        figure(
            ui,
            "waiting for disposition",
            stats.pending_dispositions.to_string(),
            theme::WARN,
        );
        if let Some(cycle) = stats.cycle {
            figure(
                ui,
                "cycle min / mean / p95 / max",
                format!(
                    "{:.0} / {:.0} / {:.0} / {:.0} ms",
                    cycle.min_ms, cycle.mean_ms, cycle.p95_ms, cycle.max_ms
                ),
                theme::TEXT,
            );
        }
    });
}

fn over_time_ui(ui: &mut egui::Ui, stats: &Statistics) {
    // x: seconds since the first bucket, labelled with the wall-clock time.
    let first = stats.over_time.first().map_or(0, |b| b.start_s);
    let width = stats.bucket_s as f64 * 0.9;
    let series = |index: usize| -> Vec<Bar> {
        stats
            .over_time
            .iter()
            .map(|bucket| {
                let centre = (bucket.start_s - first) as f64 + stats.bucket_s as f64 / 2.0;
                Bar::new(centre, f64::from(bucket.counts[index])).width(width)
            })
            .collect()
    };
    let accept = BarChart::new("ACCEPT", series(0)).color(theme::OK);
    let warn = BarChart::new("WARN", series(1))
        .color(theme::WARN)
        .stack_on(&[&accept]);
    let reject = BarChart::new("REJECT", series(2))
        .color(theme::FAULT)
        .stack_on(&[&accept, &warn]);
    let format = if stats.bucket_s >= 86_400 {
        "%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    ui.label(format!(
        "Verdicts over time (UTC, bars of {} min)",
        stats.bucket_s / 60
    ));
    plot("over_time")
        .legend(Legend::default())
        .x_axis_formatter(move |mark, _| {
            chrono::DateTime::from_timestamp(first + mark.value.round() as i64, 0)
                .map(|at| at.format(format).to_string())
                .unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(accept);
            plot_ui.bar_chart(warn);
            plot_ui.bar_chart(reject);
        });
}

fn named_bars_ui(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    values: &[(String, u32)],
    colour: egui::Color32,
) {
    ui.label(title);
    let bars: Vec<Bar> = values
        .iter()
        .enumerate()
        .map(|(index, (name, count))| {
            Bar::new(index as f64, f64::from(*count))
                .name(name)
                .width(0.7)
                .fill(colour)
        })
        .collect();
    let names: Vec<String> = values.iter().map(|(name, _)| name.clone()).collect();
    plot(id)
        .x_axis_formatter(move |mark, _| {
            let index = mark.value.round();
            if (mark.value - index).abs() < 1e-6 && index >= 0.0 {
                names.get(index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new(title, bars).color(colour))
        });
}

fn histogram_ui(ui: &mut egui::Ui, stats: &Statistics) {
    ui.label(format!(
        "Pore size histogram (Ø, bins of {SIZE_BIN_MM} mm; the last bin holds larger ones)"
    ));
    let bars: Vec<Bar> = stats
        .size_histogram
        .iter()
        .enumerate()
        .map(|(index, count)| {
            Bar::new(
                (index as f64 + 0.5) * f64::from(SIZE_BIN_MM),
                f64::from(*count),
            )
            .width(f64::from(SIZE_BIN_MM) * 0.9)
        })
        .collect();
    plot("sizes").x_axis_label("Ø mm").show(ui, |plot_ui| {
        plot_ui.bar_chart(BarChart::new("pores", bars).color(theme::ACCENT));
    });
}

fn cycle_ui(ui: &mut egui::Ui, stats: &Statistics) {
    let Some(first) = stats.cycle_series.first().map(|(at, _)| *at) else {
        return;
    };
    ui.label("Cycle time, trigger to verdict (ms), per inspection (UTC)");
    let span_s = stats.cycle_series.last().map_or(0, |(at, _)| at - first);
    let format = if span_s < 3_600 {
        "%H:%M:%S"
    } else {
        "%m-%d %H:%M"
    };
    let points: Vec<[f64; 2]> = stats
        .cycle_series
        .iter()
        .map(|(at, ms)| [(at - first) as f64, *ms])
        .collect();
    plot("cycle")
        .x_axis_formatter(move |mark, _| {
            chrono::DateTime::from_timestamp(first + mark.value.round() as i64, 0)
                .map(|at| at.format(format).to_string())
                .unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            plot_ui.points(
                egui_plot::Points::new("cycle ms", points)
                    .radius(2.0)
                    .color(theme::ACCENT),
            );
        });
}

fn pareto_ui(ui: &mut egui::Ui, stats: &Statistics) {
    let values: Vec<(String, u32)> = stats
        .pareto
        .iter()
        .map(|(rule, count, _)| (rule.clone(), *count))
        .collect();
    named_bars_ui(
        ui,
        "pareto",
        "Pareto of failed rules (inspections)",
        &values,
        theme::FAULT,
    );
    let top = stats.pareto.iter().map(|(_, n, _)| *n).max().unwrap_or(1);
    let cumulative: Vec<[f64; 2]> = stats
        .pareto
        .iter()
        .enumerate()
        .map(|(index, (_, _, share))| [index as f64, share / 100.0 * f64::from(top)])
        .collect();
    if let Some((rule, _, share)) = stats.pareto.first() {
        ui.label(
            RichText::new(format!("{rule} alone is {share:.0} % of the failures"))
                .color(theme::TEXT_DIM),
        );
    }
    // The cumulative share, scaled to the tallest bar, on a plot of its own.
    if cumulative.len() > 1 {
        plot("pareto_cumulative").height(90.0).show(ui, |plot_ui| {
            plot_ui.line(Line::new("cumulative share", cumulative).color(theme::TEXT));
        });
    }
}

/// The panel; commands for the inspection worker go to `commands`.
pub fn statistics_ui(
    ui: &mut egui::Ui,
    view: &mut StatisticsView,
    cameras: &[String],
    commands: &mut Vec<InspectorCommand>,
) {
    if view.form.ui(ui, cameras) || !view.asked {
        view.asked = true;
        commands.push(view.query());
    }
    ui.separator();
    let Some(stats) = &view.stats else {
        ui.label("Reading the inspections…");
        return;
    };
    egui::ScrollArea::vertical().show(ui, |ui| {
        figures_ui(ui, stats);
        if stats.inspections == 0 {
            ui.add_space(theme::GAP);
            ui.label("No inspection matches the filter.");
            return;
        }
        ui.add_space(theme::GAP);
        ui.columns(2, |columns| {
            over_time_ui(&mut columns[0], stats);
            histogram_ui(&mut columns[1], stats);
        });
        ui.add_space(theme::GAP);
        ui.columns(2, |columns| {
            named_bars_ui(
                &mut columns[0],
                "zones",
                "Pores by zone",
                &stats.pores_by_zone,
                theme::ACCENT,
            );
            pareto_ui(&mut columns[1], stats);
        });
        ui.add_space(theme::GAP);
        cycle_ui(ui, stats);
        ui.add_space(theme::GAP);
    });
}
