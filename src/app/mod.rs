//! The GUI: an eframe app over the runtime. `logic` drains runtime events (within a time
//! budget) and uploads new camera frames; `ui` only draws `AppState` and queues commands, which
//! are sent after drawing. Only this module imports egui or eframe.

mod admin;
mod audit_view;
mod crosscheck;
mod crosscheck_checks;
mod crosscheck_evidence;
mod crosscheck_new;
mod crosscheck_open;
mod engrave;
mod fields;
mod frame_textures;
mod gpio_page;
mod headless;
mod history;
mod inspect;
mod inventory;
mod live_quad;
mod recipe_editor;
mod repaint;
mod result_textures;
mod scan;
mod signin;
#[cfg(test)]
mod snapshots;
mod state;
mod statistics;
pub mod theme;
mod toolpath;
mod top_bar;
mod users_admin;
mod verdict_column;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use egui::{CentralPanel, Panel as SidePanel};

use crate::config::Config;
use crate::domain::Permission;
use crate::paths::{Mode, StationPaths};
use crate::runtime::UsersCommand;
use crate::runtime::{Command, InspectorHandle, Runtime, RuntimeOptions, SessionPolicy};

pub use frame_textures::{FrameTextures, UploadPath, UploadStats, frame_texture, write_frame};
pub use headless::{
    BaselineResult, BenchScene, CameraBenchResult, InspectionFigures, InspectionLoad,
    ProcessAllocations, bench_baseline, bench_cameras, headless_render_state,
};
pub use state::{AppState, NoticeKind};

/// Longest time `logic` spends applying events before it lets the frame be drawn.
const EVENT_BUDGET: Duration = Duration::from_millis(8);

/// The panels of the station. Only panels that work are listed; later capabilities add theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Inspect,
    History,
    Statistics,
    Recipe,
    Engrave,
    Scan,
    Crosscheck,
    Inventory,
    Admin,
}

impl Panel {
    pub fn title(self) -> &'static str {
        match self {
            Self::Inspect => "Inspect",
            Self::History => "History",
            Self::Statistics => "Statistics",
            Self::Recipe => "Recipe",
            Self::Engrave => "Engrave",
            Self::Scan => "Scan",
            Self::Crosscheck => "Cross-check",
            Self::Inventory => "Inventory",
            Self::Admin => "Admin",
        }
    }

    /// What the signed-in user needs to open it.
    pub fn permission(self) -> Permission {
        match self {
            Self::Inspect | Self::History | Self::Statistics => Permission::ViewLive,
            Self::Recipe => Permission::Engineer,
            Self::Engrave => Permission::Operate,
            Self::Inventory | Self::Scan | Self::Crosscheck => Permission::ViewLive,
            Self::Admin => Permission::ViewAudit,
        }
    }

    pub const ALL: [Panel; 9] = [
        Panel::Inspect,
        Panel::History,
        Panel::Statistics,
        Panel::Recipe,
        Panel::Engrave,
        Panel::Scan,
        Panel::Crosscheck,
        Panel::Inventory,
        Panel::Admin,
    ];
}

/// UI options that come from the config and the command line.
#[derive(Debug, Clone, Copy)]
pub struct UiOptions {
    pub ui_scale: f32,
    pub fullscreen: bool,
    /// Close the window on SIGTERM/SIGINT (the real station; not tests).
    pub close_on_signals: bool,
    /// Demo mode: the top bar shows a DEMO chip at all times.
    pub demo: bool,
}

pub struct StationApp {
    runtime: Runtime,
    state: AppState,
    textures: FrameTextures,
    panel: Panel,
    signin: signin::SignInForm,
    inspect: inspect::InspectView,
    admin: admin::AdminView,
    engrave: engrave::EngraveView,
    scan: scan::ScanView,
    crosscheck: crosscheck::CrosscheckDesk,
    inventory: inventory::InventoryView,
    history: history::HistoryView,
    statistics: statistics::StatisticsView,
    recipe: recipe_editor::RecipeEditor,
    column: verdict_column::ColumnForm,
    results: result_textures::ResultTextures,
    /// Commands for the inspection worker, sent after drawing.
    inspector_outbox: Vec<crate::runtime::InspectorCommand>,
    outbox: Vec<Command>,
    show_alarms: bool,
    fullscreen: bool,
    /// The runtime's dropped-event count last seen; a change means the screen may be stale.
    events_dropped_seen: u64,
}

impl StationApp {
    pub fn new(cc: &eframe::CreationContext<'_>, mut runtime: Runtime, options: UiOptions) -> Self {
        theme::apply(&cc.egui_ctx, options.ui_scale);
        let ctx = cc.egui_ctx.clone();
        // Workers' repaints (mostly new camera frames) at the cameras' pace, not faster:
        // drawing 60 times a second for 30 fps cameras doubled the rasteriser's work.
        let pacer = repaint::RepaintPacer::for_rates(
            runtime
                .cameras()
                .iter()
                .map(|camera| camera.spec.fps.unwrap_or(30.0)),
        );
        runtime.set_waker(move || match pacer.request(Instant::now()) {
            repaint::Repaint::Now => ctx.request_repaint(),
            repaint::Repaint::After(delay) => ctx.request_repaint_after(delay),
            repaint::Repaint::AlreadyScheduled => {}
        });
        #[cfg(unix)]
        if options.close_on_signals {
            let ctx = cc.egui_ctx.clone();
            let installed = runtime.close_on_termination(move || {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                ctx.request_repaint();
            });
            if let Err(err) = installed {
                tracing::warn!("SIGTERM will not close the station cleanly: {err:#}");
            }
        }
        let textures = FrameTextures::new(cc.wgpu_render_state.clone(), runtime.cameras().len());
        tracing::info!("camera frames take the {:?} path", textures.path());
        let mut state = AppState::new(&runtime.initial_settings().station_name);
        state.demo = options.demo;
        Self {
            runtime,
            state,
            textures,
            panel: Panel::Inspect,
            signin: signin::SignInForm::default(),
            inspect: inspect::InspectView::default(),
            admin: admin::AdminView::default(),
            engrave: engrave::EngraveView::default(),
            scan: scan::ScanView::default(),
            crosscheck: crosscheck::CrosscheckDesk::default(),
            inventory: inventory::InventoryView::default(),
            history: history::HistoryView::default(),
            statistics: statistics::StatisticsView::default(),
            recipe: recipe_editor::RecipeEditor::default(),
            column: verdict_column::ColumnForm::default(),
            results: result_textures::ResultTextures::new(cc.wgpu_render_state.clone()),
            inspector_outbox: Vec::new(),
            outbox: Vec::new(),
            show_alarms: false,
            fullscreen: options.fullscreen,
            events_dropped_seen: 0,
        }
    }

    /// The plant's lot-number rule, for the batch form.
    pub fn set_lot_rule(&mut self, rule: crate::domain::LotRule) {
        self.engrave.lot_rule = rule;
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn panel(&self) -> Panel {
        self.panel
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    fn drain_events(&mut self, ctx: &egui::Context) {
        let started = Instant::now();
        let was_signed_in = self.state.actor.clone();
        while let Ok(event) = self.runtime.events().try_recv() {
            self.state.apply(event);
            if started.elapsed() > EVENT_BUDGET {
                // The rest waits for the next frame, which is requested now.
                ctx.request_repaint();
                break;
            }
        }
        if let Some(engraver) = self.runtime.engraver() {
            while let Ok(event) = engraver.events().try_recv() {
                let (kind, text) = match event {
                    crate::runtime::EngraverEvent::Info(text) => (NoticeKind::Info, text),
                    crate::runtime::EngraverEvent::Refused(text) => (NoticeKind::Refused, text),
                    crate::runtime::EngraverEvent::Failed(text) => (NoticeKind::Error, text),
                };
                self.state.notify(kind, text);
                // A job's end moves items: what is on screen may be stale.
                self.state.stale = true;
            }
        }
        if let Some(scanner) = self.runtime.scanner() {
            while let Ok(event) = scanner.events().try_recv() {
                self.scan.apply(&mut self.state, event);
            }
        }
        if let Some(crosschecker) = self.runtime.crosschecker() {
            while let Ok(event) = crosschecker.events().try_recv() {
                self.crosscheck.apply(&mut self.state, event);
            }
        }
        if let Some(inventory) = self.runtime.inventory() {
            while let Ok(event) = inventory.events().try_recv() {
                self.inventory.apply(event);
            }
        }
        let inspector_events: Vec<_> = self
            .runtime
            .inspector()
            .map(InspectorHandle::try_events)
            .unwrap_or_default();
        for event in inspector_events {
            self.apply_inspector_event(ctx, event);
        }
        let dropped = self.runtime.events_dropped();
        if dropped != self.events_dropped_seen {
            // Some events never arrived: re-read what is on screen, and take the session from
            // the runtime's snapshot rather than from the events that were lost.
            self.events_dropped_seen = dropped;
            self.state.stale = true;
            self.state.actor = self.runtime.session().actor().map(|actor| (*actor).clone());
        }
        if was_signed_in != self.state.actor {
            self.on_session_change();
        }
    }

    fn apply_inspector_event(
        &mut self,
        ctx: &egui::Context,
        event: crate::runtime::InspectorEvent,
    ) {
        use crate::runtime::InspectorEvent;
        match &event {
            InspectorEvent::Info(text) => self.state.notify(NoticeKind::Info, text.clone()),
            InspectorEvent::Failed(text) => self.state.notify(NoticeKind::Error, text.clone()),
            InspectorEvent::SignatureRefused(text) => {
                self.state.notify(NoticeKind::Refused, text.clone());
            }
            InspectorEvent::RecipeSaved(record) => self.state.notify(
                NoticeKind::Info,
                format!("Recipe {} v{} saved", record.part_number, record.version),
            ),
            InspectorEvent::Disposed(record) => self.state.notify(
                NoticeKind::Info,
                format!("Inspection {} dispositioned", record.id),
            ),
            _ => {}
        }
        self.statistics.apply(&event);
        self.recipe.apply(ctx, &event);
        if self.history.apply(ctx, event) {
            self.inspector_outbox.push(self.history.query());
            self.statistics.stale();
        }
    }

    fn send_inspector_outbox(&mut self) {
        let Some(inspector) = self.runtime.inspector() else {
            self.inspector_outbox.clear();
            return;
        };
        for command in self.inspector_outbox.drain(..) {
            if let Err(err) = inspector.send(command) {
                self.state.notify(
                    NoticeKind::Error,
                    format!("The inspection command was not sent: {err}"),
                );
            }
        }
    }

    /// A new user (or none) starts from a clean screen. The sign-in list is refreshed through
    /// `stale`, which the session events set.
    fn on_session_change(&mut self) {
        self.signin = signin::SignInForm::default();
        self.admin = admin::AdminView::default();
        self.inspect = inspect::InspectView::default();
        self.history = history::HistoryView::default();
        self.crosscheck = crosscheck::CrosscheckDesk::default();
        if !self.state.may(self.panel.permission()) {
            self.panel = Panel::Inspect;
        }
    }

    /// Which cameras are on screen: all of them on the sign-in screen and the Inspect grid, one
    /// in the expanded view, none on Admin.
    fn camera_visible(&self, index: usize) -> bool {
        match (&self.state.actor, self.panel) {
            (None, _) => true,
            (Some(_), Panel::Inspect) => self.inspect.expanded().is_none_or(|shown| shown == index),
            (
                Some(_),
                Panel::Admin
                | Panel::Engrave
                | Panel::Scan
                | Panel::Crosscheck
                | Panel::Inventory
                | Panel::History
                | Panel::Statistics
                | Panel::Recipe,
            ) => false,
        }
    }

    /// Re-asks the queries behind what is on screen after a change was committed.
    fn refresh_stale(&mut self) {
        if !std::mem::take(&mut self.state.stale) {
            return;
        }
        self.outbox.push(Command::Users(UsersCommand::ListSignIn));
        if self.panel == Panel::Inventory {
            self.ask_inventory();
        }
        if self.panel == Panel::Admin {
            self.outbox
                .extend(admin::queries(&self.state, self.admin.tab()));
        }
    }

    fn send_outbox(&mut self) {
        for command in self.outbox.drain(..) {
            if let Err(err) = self.runtime.send(command) {
                self.state.apply(crate::runtime::Event::Failed {
                    what: "send the command",
                    error: format!("{err:#}"),
                });
            }
        }
    }

    fn note_input(&self, ctx: &egui::Context) {
        let active = ctx.input(|input| {
            input.events.iter().any(|event| {
                matches!(
                    event,
                    egui::Event::PointerButton { .. }
                        | egui::Event::PointerMoved(_)
                        | egui::Event::Key { .. }
                        | egui::Event::Text(_)
                        | egui::Event::Touch { .. }
                        | egui::Event::MouseWheel { .. }
                )
            })
        });
        if active {
            self.runtime.touch();
        }
    }

    fn toggle_fullscreen(&mut self, ctx: &egui::Context) {
        if ctx.input(|input| input.key_pressed(egui::Key::F11)) {
            self.fullscreen = !self.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
        }
    }

    fn ask_inventory(&mut self) {
        if let Some(inventory) = self.runtime.inventory()
            && let Err(err) = inventory.send(self.inventory.query())
        {
            self.state.notify(
                NoticeKind::Error,
                format!("The inventory query was not sent: {err}"),
            );
        }
    }

    fn open_panel(&mut self, panel: Panel) {
        if self.panel != panel {
            self.panel = panel;
            if panel == Panel::Inventory {
                self.ask_inventory();
            }
            if panel == Panel::Crosscheck {
                self.crosscheck.relist();
            }
            if panel == Panel::Admin {
                self.outbox
                    .extend(admin::queries(&self.state, self.admin.tab()));
            }
        }
    }
}

impl eframe::App for StationApp {
    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        theme::clear_colour()
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events(ctx);
        self.note_input(ctx);
        self.toggle_fullscreen(ctx);
        self.refresh_stale();
        self.state.health = self.runtime.health().map(|report| (*report).clone());
        self.state.workers = self.runtime.workers();
        self.state.laser = self.runtime.engraver().map(|engraver| engraver.view());
        if let Some(inspector) = self.runtime.inspector() {
            let view = inspector.view();
            self.results.refresh(ctx, &view);
            if self.results.any_active(Instant::now()) {
                // A result leaves the tile by itself: look again when it may have.
                ctx.request_repaint_after(Duration::from_millis(250));
            }
        }
        // The live views keep running without a user; where no camera is shown, no frame is
        // uploaded and none wakes the UI.
        let visible: Vec<bool> = (0..self.runtime.cameras().len())
            .map(|index| self.camera_visible(index))
            .collect();
        self.runtime.set_live_view(visible.contains(&true));
        self.textures
            .refresh(ctx, self.runtime.cameras(), |index| visible[index]);
        self.state.expire_notices();
        if visible.contains(&true) {
            // A camera that stops delivering wakes nobody: look again so a stall shows.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if !self.state.notices.is_empty() || self.state.health.is_none() {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        self.send_outbox();
        self.send_inspector_outbox();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let alarms = top_bar::alarms(&self.state, self.runtime.cameras());
        SidePanel::top("top_bar")
            .exact_size(theme::TOP_BAR_HEIGHT)
            .frame(theme::top_bar_frame())
            .show(ui, |ui| {
                top_bar::top_bar_ui(
                    ui,
                    &self.state,
                    self.runtime.cameras(),
                    &alarms,
                    &mut self.show_alarms,
                    &mut self.outbox,
                );
            });
        if self.show_alarms && !alarms.is_empty() {
            SidePanel::top("alarms").show(ui, |ui| top_bar::alarm_list_ui(ui, &alarms));
        }
        if !self.state.notices.is_empty() {
            SidePanel::bottom("notices").show(ui, |ui| top_bar::notices_ui(ui, &self.state));
        }
        if self.state.actor.is_none() {
            CentralPanel::default().show(ui, |ui| {
                signin::sign_in_screen_ui(
                    ui,
                    &mut self.signin,
                    &self.state,
                    &mut self.outbox,
                    |ui| {
                        inspect::grid_ui(
                            ui,
                            &mut self.inspect,
                            &self.textures,
                            self.runtime.cameras(),
                            false,
                            None,
                        );
                    },
                );
            });
        } else {
            self.signed_in_ui(ui);
        }
        self.send_outbox();
    }
}

impl StationApp {
    /// Navigation and the open panel.
    fn signed_in_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        SidePanel::left("nav")
            .exact_size(theme::NAV_WIDTH)
            .resizable(false)
            .show(ui, |ui| {
                ui.add_space(theme::GAP);
                for panel in Panel::ALL {
                    if !self.state.may(panel.permission()) {
                        continue;
                    }
                    let button = theme::choice_button(
                        self.panel == panel,
                        panel.title(),
                        egui::vec2(theme::NAV_WIDTH - 16.0, theme::TOUCH_PX),
                    );
                    if ui.add(button).clicked() {
                        chosen = Some(panel);
                    }
                }
            });
        if let Some(panel) = chosen {
            self.open_panel(panel);
        }
        let inspector_view = self.runtime.inspector().map(|inspector| inspector.view());
        if self.panel == Panel::Inspect
            && let Some(view) = &inspector_view
        {
            let mut open_pending = false;
            let simulated_board = self
                .runtime
                .inspector()
                .and_then(InspectorHandle::gpio)
                .and_then(|gpio| gpio.view().simulated.clone());
            SidePanel::right("verdict_column")
                .exact_size(verdict_column::COLUMN_WIDTH)
                .resizable(false)
                .show(ui, |ui| {
                    open_pending = verdict_column::verdict_column_ui(
                        ui,
                        &mut self.column,
                        view,
                        simulated_board.as_ref(),
                        &self.state,
                        &mut self.results.hold,
                        &mut self.inspector_outbox,
                    );
                });
            if open_pending {
                self.history.show_pending();
                self.open_panel(Panel::History);
            }
            // Parts in flight and the live counters change without events.
            ui.ctx().request_repaint_after(Duration::from_millis(200));
        }
        CentralPanel::default().show(ui, |ui| match (self.panel, &inspector_view) {
            (Panel::Inspect, _) => inspect::inspect_ui(
                ui,
                &mut self.inspect,
                &self.textures,
                self.runtime.cameras(),
                inspector_view.is_some().then_some(&self.results),
            ),
            (Panel::History, Some(view)) => history::history_ui(
                ui,
                &mut self.history,
                &self.state,
                &view.camera_names,
                &mut self.inspector_outbox,
            ),
            (Panel::Statistics, Some(view)) => statistics::statistics_ui(
                ui,
                &mut self.statistics,
                &view.camera_names,
                &mut self.inspector_outbox,
            ),
            (Panel::Recipe, Some(view)) => recipe_editor::recipe_ui(
                ui,
                &mut self.recipe,
                view,
                &self.state,
                &mut self.inspector_outbox,
            ),
            (Panel::History | Panel::Statistics | Panel::Recipe, None) => {
                ui.label("Porosity inspection is not enabled on this station ([inspection] enabled in the config file).");
            }
            (Panel::Engrave, _) => engrave::engrave_ui(
                ui,
                &mut self.engrave,
                &mut self.state,
                self.runtime.engraver(),
            ),
            (Panel::Scan, _) => scan::scan_ui(
                ui,
                &mut self.scan,
                &mut self.state,
                self.runtime.scanner(),
            ),
            (Panel::Crosscheck, _) => crosscheck::crosscheck_ui(
                ui,
                &mut self.crosscheck,
                &mut self.state,
                self.runtime.crosschecker(),
            ),
            (Panel::Inventory, _) => {
                if let Some(query) = inventory::inventory_ui(ui, &mut self.inventory)
                    && let Some(inventory) = self.runtime.inventory()
                    && let Err(err) = inventory.send(query)
                {
                    self.state.notify(
                        NoticeKind::Error,
                        format!("The inventory query was not sent: {err}"),
                    );
                }
            }
            (Panel::Admin, _) => admin::admin_ui(
                ui,
                &mut self.admin,
                &self.state,
                self.runtime.inspector().and_then(|inspector| inspector.gpio()),
                &mut self.outbox,
            ),
        });
        if self.panel == Panel::Engrave {
            // The bench's state is a snapshot the worker updates without events: look again.
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }
    }
}

/// Why the station's window could not run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("starting the station on {database}: {source}")]
    Start {
        database: String,
        source: crate::runtime::RuntimeError,
    },
    #[error("the station's window could not open: {0}")]
    Window(String),
}

/// Starts the runtime and opens the station's window; returns when the window closes and every
/// worker has stopped.
pub fn run(paths: &StationPaths, config: &Config, fullscreen: bool) -> Result<ExitCode, AppError> {
    let idle = config.security.idle_signout_secs;
    let runtime = Runtime::start(RuntimeOptions {
        database: paths.database.clone(),
        data_dir: paths.data_dir.clone(),
        demo: paths.mode == Mode::Demo,
        session: SessionPolicy {
            lockout: config.lockout(),
            idle_signout: (idle > 0).then(|| Duration::from_secs(u64::from(idle))),
        },
        cameras: None,
        laser: match paths.mode {
            // The demo has a laser: the station's GRBL simulator, in real time.
            Mode::Demo => Some(crate::runtime::LaserPlan::Simulated {
                time_scale: 1.0,
                machine: crate::engrave::MachineSettings::desktop_diode(),
            }),
            _ => config.laser_plan(),
        },
        inspection: config.inspection_plan(&paths.data_dir, paths.mode == Mode::Demo),
        scanning: match paths.mode {
            // The demo scans with a simulated hand-held reader.
            Mode::Demo => Some(crate::runtime::ScanPlan::live(
                crate::runtime::ScanFrom::Simulated,
            )),
            _ => config.scan_plan(),
        },
        // Every station has the QC desk; the config was validated, so the patterns compile.
        crosscheck: config.crosscheck.compile().ok().map(|patterns| {
            crate::runtime::CrosscheckPlan {
                patterns,
                limits: crate::docs::Limits::default(),
                demo_packs: paths.mode == Mode::Demo,
            }
        }),
        min_free_bytes: config.storage.min_free_bytes(),
    })
    .map_err(|source| AppError::Start {
        database: paths.database.display().to_string(),
        source,
    })?;
    if paths.mode == Mode::Demo {
        tracing::info!(
            "demo mode (no config file): demo database {}",
            paths.database.display()
        );
    }
    let fullscreen = fullscreen || config.station.fullscreen;
    let lot_rule = config.lot_rule();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("qcstation")
            .with_app_id("qcstation")
            .with_inner_size([1366.0, 820.0])
            .with_min_inner_size([1024.0, 700.0])
            .with_fullscreen(fullscreen),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let ui_options = UiOptions {
        ui_scale: config.station.ui_scale,
        fullscreen,
        close_on_signals: true,
        demo: paths.mode == Mode::Demo,
    };
    eframe::run_native(
        "qcstation",
        options,
        Box::new(move |cc| {
            let mut app = StationApp::new(cc, runtime, ui_options);
            app.set_lot_rule(lot_rule);
            Ok(Box::new(app))
        }),
    )
    .map_err(|err| AppError::Window(err.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
