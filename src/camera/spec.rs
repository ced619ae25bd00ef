//! Source specs: the one-line text that names a camera, as typed on the CLI and stored in the
//! database. `demo:porosity?size=1280x720&fps=30&seed=1`, `folder:/data/frames?fps=10`,
//! `v4l:/dev/video0?size=1920x1080&fps=30`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::FrameSize;

/// The synthetic scenes, one per job of the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoScene {
    /// A machined aluminium face with pores, parts arriving one after another.
    Porosity,
    /// Circuit boards with a serial label passing on a conveyor.
    Label,
    /// A metal part carrying a laser-etched QR mark.
    Qr,
}

impl DemoScene {
    pub const ALL: [DemoScene; 3] = [Self::Porosity, Self::Label, Self::Qr];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Porosity => "porosity",
            Self::Label => "label",
            Self::Qr => "qr",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Demo(DemoScene),
    Folder(PathBuf),
    V4l(PathBuf),
}

/// A parsed source spec. Options left out take the source's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub kind: SourceKind,
    pub size: Option<FrameSize>,
    pub fps: Option<f32>,
    pub seed: Option<u64>,
}

impl SourceSpec {
    pub fn demo(scene: DemoScene) -> Self {
        Self {
            kind: SourceKind::Demo(scene),
            size: None,
            fps: None,
            seed: None,
        }
    }

    pub fn with_size(mut self, size: FrameSize) -> Self {
        self.size = Some(size);
        self
    }

    pub fn with_fps(mut self, fps: f32) -> Self {
        self.fps = Some(fps);
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error(
        "source {0:?} has no kind: write demo:porosity, demo:label, demo:qr, folder:PATH or v4l:/dev/videoN"
    )]
    NoKind(String),
    #[error("unknown source kind {kind:?} in {spec:?}: use demo, folder or v4l")]
    UnknownKind { spec: String, kind: String },
    #[error("unknown demo scene {scene:?}: use porosity, label or qr")]
    UnknownScene { scene: String },
    #[error("source {0:?} names no path")]
    NoPath(String),
    #[error("option {option:?} in {spec:?}: {reason}")]
    BadOption {
        spec: String,
        option: String,
        reason: String,
    },
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| SpecError::NoKind(text.to_owned()))?;
        let (target, options) = match rest.rsplit_once('?') {
            Some((target, options)) => (target, Some(options)),
            None => (rest, None),
        };
        let kind = match kind.to_ascii_lowercase().as_str() {
            "demo" => SourceKind::Demo(
                DemoScene::ALL
                    .into_iter()
                    .find(|scene| scene.as_str() == target)
                    .ok_or_else(|| SpecError::UnknownScene {
                        scene: target.to_owned(),
                    })?,
            ),
            "folder" | "v4l" if target.is_empty() => {
                return Err(SpecError::NoPath(text.to_owned()));
            }
            "folder" => SourceKind::Folder(PathBuf::from(target)),
            "v4l" => SourceKind::V4l(PathBuf::from(target)),
            other => {
                return Err(SpecError::UnknownKind {
                    spec: text.to_owned(),
                    kind: other.to_owned(),
                });
            }
        };
        let mut spec = Self {
            kind,
            size: None,
            fps: None,
            seed: None,
        };
        for option in options
            .unwrap_or_default()
            .split('&')
            .filter(|o| !o.is_empty())
        {
            let bad = |reason: String| SpecError::BadOption {
                spec: text.to_owned(),
                option: option.to_owned(),
                reason,
            };
            let (key, value) = option
                .split_once('=')
                .ok_or_else(|| bad("write key=value".to_owned()))?;
            match key {
                "size" => spec.size = Some(value.parse().map_err(bad)?),
                "fps" => {
                    let fps: f32 = value.parse().map_err(|_| bad("not a number".to_owned()))?;
                    if !(0.1..=240.0).contains(&fps) {
                        return Err(bad("frame rate must be 0.1 to 240".to_owned()));
                    }
                    spec.fps = Some(fps);
                }
                "seed" => {
                    spec.seed = Some(
                        value
                            .parse()
                            .map_err(|_| bad("not a whole number".to_owned()))?,
                    );
                }
                _ => return Err(bad("unknown option: use size, fps or seed".to_owned())),
            }
        }
        Ok(spec)
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SourceKind::Demo(scene) => write!(f, "demo:{}", scene.as_str())?,
            SourceKind::Folder(path) => write!(f, "folder:{}", path.display())?,
            SourceKind::V4l(path) => write!(f, "v4l:{}", path.display())?,
        }
        let mut options = Vec::new();
        if let Some(size) = self.size {
            options.push(format!("size={size}"));
        }
        if let Some(fps) = self.fps {
            options.push(format!("fps={fps}"));
        }
        if let Some(seed) = self.seed {
            options.push(format!("seed={seed}"));
        }
        if !options.is_empty() {
            write!(f, "?{}", options.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_round_trips() {
        for text in [
            "demo:porosity",
            "demo:label?size=640x480&fps=15",
            "demo:qr?seed=7",
            "folder:/tmp/frames?fps=2",
            "v4l:/dev/video0?size=1920x1080&fps=30",
        ] {
            let spec: SourceSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(matches!(
            "webcam0".parse::<SourceSpec>(),
            Err(SpecError::NoKind(_))
        ));
        assert!(matches!(
            "demo:weld".parse::<SourceSpec>(),
            Err(SpecError::UnknownScene { .. })
        ));
        assert!(matches!(
            "folder:".parse::<SourceSpec>(),
            Err(SpecError::NoPath(_))
        ));
        let err = "demo:qr?fps=1000".parse::<SourceSpec>().unwrap_err();
        assert!(err.to_string().contains("fps=1000"), "{err}");
        let err = "demo:qr?size=big".parse::<SourceSpec>().unwrap_err();
        assert!(err.to_string().contains("size=big"), "{err}");
    }
}
