//! The inspection records worker: History lists, an inspection opened with its pores and
//! overlay, a stored raw image rerun through the current recipe, and Statistics. Reads that
//! may take a while (months of inspections, an image from disk, a network run) happen here, on
//! a read-only connection of their own, so they never hold up a trigger on the inspection
//! worker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::job::{PorosityJob, REPLAY_CAMERA};
use super::{InspectorEvent, OpenedInspection, Rerun, stats};
use crate::runtime::port::Port;
use crate::runtime::worker::{WorkerCtx, WorkerExit};
use crate::store::{InspectionFilter, StoreReader};
use crate::vision::image_file::{read_grey, read_rgba};
use crate::vision::recipe::Recipe;

/// Rows the History panel lists at most.
const HISTORY_ROWS: usize = 500;

/// A question about stored inspections.
#[derive(Debug, Clone)]
pub enum InspectionQuery {
    History(InspectionFilter),
    /// One inspection with its pores and overlay image.
    Open(i64),
    /// A stored raw image through the current recipe (nothing is recorded).
    Rerun(i64),
    Statistics(InspectionFilter),
}

pub(super) struct RecordsWorker {
    pub reader: StoreReader,
    /// The inspection worker's active recipe (reruns use it).
    pub recipe: Arc<ArcSwap<Recipe>>,
    pub images_dir: PathBuf,
}

impl RecordsWorker {
    pub fn serve(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<InspectionQuery, InspectorEvent>,
    ) -> WorkerExit {
        while !worker.is_stopped() {
            worker.beat();
            match port.next_command(Duration::from_millis(250)) {
                Ok(Some(query)) => port.emit(self.answer(query)),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        WorkerExit::Finished
    }

    fn answer(&self, query: InspectionQuery) -> InspectorEvent {
        match query {
            InspectionQuery::History(filter) => {
                let filter = InspectionFilter {
                    limit: if filter.limit == 0 {
                        HISTORY_ROWS
                    } else {
                        filter.limit
                    },
                    ..filter
                };
                match self.reader.inspections(&filter) {
                    Ok(rows) => InspectorEvent::History(rows),
                    Err(err) => InspectorEvent::Failed(format!("History: {err}")),
                }
            }
            InspectionQuery::Open(id) => match self.open(id) {
                Ok(opened) => InspectorEvent::Opened(Box::new(opened)),
                Err(err) => InspectorEvent::Failed(err),
            },
            InspectionQuery::Rerun(id) => match self.rerun(id) {
                Ok(rerun) => InspectorEvent::Rerun(Box::new(rerun)),
                Err(err) => InspectorEvent::Failed(err),
            },
            InspectionQuery::Statistics(filter) => {
                let rows = self.reader.inspections(&filter);
                let pores = self.reader.pore_sizes(&filter);
                match (rows, pores) {
                    (Ok(rows), Ok(pores)) => {
                        InspectorEvent::Statistics(Box::new(stats::compute(&rows, &pores)))
                    }
                    (Err(err), _) | (_, Err(err)) => {
                        InspectorEvent::Failed(format!("Statistics: {err}"))
                    }
                }
            }
        }
    }

    fn open(&self, id: i64) -> Result<OpenedInspection, String> {
        let record = self
            .reader
            .inspection(id)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("no inspection {id}"))?;
        let pores = self
            .reader
            .inspection_pores(id)
            .map_err(|err| err.to_string())?;
        let (overlay, image_note) = match &record.overlay_image {
            Some(path) => match read_rgba(&self.images_dir.join(path)) {
                Ok(image) => (Some(Arc::new(image)), None),
                Err(err) => (None, Some(format!("{err:#}"))),
            },
            None => (
                None,
                Some(
                    "no overlay image was kept (the recipe's saving policy, or images were \
                     paused while the disk was almost full)"
                        .to_owned(),
                ),
            ),
        };
        Ok(OpenedInspection {
            record,
            pores,
            overlay,
            image_note,
        })
    }

    fn rerun(&self, id: i64) -> Result<Rerun, String> {
        let record = self
            .reader
            .inspection(id)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("no inspection {id}"))?;
        let raw = record.raw_image.as_ref().ok_or_else(|| {
            format!(
                "inspection {id} kept no raw image (the recipe's saving policy, or a full disk): nothing to rerun"
            )
        })?;
        let grey = read_grey(&self.images_dir.join(raw)).map_err(|err| format!("{err:#}"))?;
        let recipe = self.recipe.load_full();
        let camera = (record.camera != REPLAY_CAMERA).then_some(record.camera.as_str());
        // The image was taken at the scale it was judged at.
        let now = PorosityJob::run(&recipe, camera, &grey, record.mm_per_px, None)?;
        Ok(Rerun {
            inspection_id: id,
            stored_verdict: record.verdict,
            recipe_version: recipe.version,
            now: Arc::new(now),
        })
    }
}
