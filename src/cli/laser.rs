//! `qcstation laser …`: the engraving bench's controller from a terminal, against any GRBL 1.1
//! device path (the station's simulator or a real board). `stream` sends a G-code file by
//! character counting and exits 0 only when every line was acknowledged with `ok`, 1 on an
//! `error:N` or an alarm (naming the line), 2 when the port is lost or cannot be used.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::engrave::grbl::{
    DEFAULT_BAUD, Grbl, GrblError, Program, StreamControl, StreamEnd, StreamReport, alarm_words,
    error_words,
};
use crate::engrave::modal::ModalState;

#[derive(Debug, Subcommand)]
pub enum LaserCommand {
    /// Stream a G-code file to a GRBL controller.
    Stream(StreamArgs),
    /// Print the controller's state, position and `$$` settings.
    Status(PortArgs),
    /// List the serial ports this machine has.
    Ports,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The controller's device path (e.g. /dev/ttyUSB0, or the path `grbl-sim` prints).
    #[arg(long, value_name = "PATH")]
    pub port: String,
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    pub baud: u32,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    /// The G-code file.
    pub file: PathBuf,
    /// Resume at the file's line N: the modal state the earlier lines set (units, distance
    /// mode, position, laser mode, feed, power) is rebuilt first, with the laser off on the way.
    #[arg(long, value_name = "N")]
    pub from_line: Option<usize>,
    /// Run the file through GRBL's check mode first: a line GRBL would refuse stops the job
    /// before the laser fires (exit 1, naming the line).
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub port: PortArgs,
}

/// Exit code when a line was refused or the controller raised an alarm.
const EXIT_REFUSED: u8 = 1;
/// Exit code when the port was lost or could not be used.
const EXIT_PORT: u8 = 2;

pub fn run(command: LaserCommand) -> anyhow::Result<ExitCode> {
    match command {
        LaserCommand::Stream(args) => stream(&args),
        LaserCommand::Status(args) => status(&args),
        LaserCommand::Ports => ports(),
    }
}

#[derive(Serialize)]
struct StreamJson<'a> {
    file: String,
    port: &'a str,
    result: &'static str,
    lines_total: usize,
    lines_sent: usize,
    lines_acked: usize,
    peak_in_flight_bytes: usize,
    wall_s: f64,
    /// The file's line number of the last line acknowledged (where a resume would start after).
    last_acked_file_line: usize,
    /// The refused line, or where the alarm or loss happened, in the file's numbering.
    failed_line: Option<usize>,
    code: Option<u8>,
    message: Option<String>,
}

fn connect_failed(args: &PortArgs, err: &GrblError) -> ExitCode {
    if args.json {
        let body =
            serde_json::json!({"port": args.port, "result": "port", "message": err.to_string()});
        println!("{body}");
    }
    eprintln!("error: {err}");
    ExitCode::from(EXIT_PORT)
}

/// The program from the file's line `from` on, after the lines that restore the state the
/// earlier lines left (they count as line `from` in reports).
fn resumed(program: Program, from: usize, file: &std::path::Path) -> anyhow::Result<Program> {
    let start = program
        .source_line_no
        .iter()
        .position(|&line_no| line_no >= from)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no G-code at or after line {from} (the last is line {})",
                file.display(),
                program.source_line_no.last().copied().unwrap_or(0)
            )
        })?;
    let (lines, restore) = ModalState::resume_from(&program.lines, start)
        .map_err(|err| anyhow::anyhow!("{}: {err}", file.display()))?;
    let mut source_line_no = vec![program.source_line_no[start]; restore];
    source_line_no.extend_from_slice(&program.source_line_no[start..]);
    Ok(Program {
        lines,
        source_line_no,
    })
}

fn stream(args: &StreamArgs) -> anyhow::Result<ExitCode> {
    let mut program = Program::load(&args.file)?;
    if let Some(from) = args.from_line {
        program = resumed(program, from, &args.file)?;
    }
    let mut grbl = match Grbl::connect(&args.port.port, args.port.baud) {
        Ok(grbl) => grbl,
        Err(err) => return Ok(not_streamed(args, &program, "port", &err, EXIT_PORT)),
    };
    // Ctrl-C holds, then aborts keeping position, rather than killing the sender mid-job.
    let (controls, inbox) = crossbeam_channel::bounded(4);
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, std::sync::Arc::clone(&interrupted))?;
    }
    if args.check {
        let checked = grbl.check_program(&program.lines, &inbox, &mut |_| {});
        match checked {
            Ok(report) if report.end == StreamEnd::Done => {
                if !args.port.json {
                    eprintln!("check mode: all {} lines accepted", program.lines.len());
                }
            }
            Ok(report) => {
                print_stream(args, &program, &report);
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            Err(err) => return Ok(not_streamed(args, &program, "port", &err, EXIT_PORT)),
        }
    }
    let mut last_print = std::time::Instant::now();
    let mut asked_abort = false;
    let report = grbl.stream(&program.lines, &inbox, &mut |progress| {
        if interrupted.load(std::sync::atomic::Ordering::Relaxed) && !asked_abort {
            asked_abort = controls.try_send(StreamControl::Abort).is_ok();
        }
        if !args.port.json && last_print.elapsed() >= Duration::from_secs(1) {
            last_print = std::time::Instant::now();
            eprintln!(
                "{}/{} lines acknowledged, {} s",
                progress.lines_acked,
                progress.lines_total,
                progress.elapsed.as_secs()
            );
        }
    });
    let report = match report {
        Ok(report) => report,
        Err(err @ GrblError::Alarm { .. }) => {
            return Ok(not_streamed(args, &program, "alarm", &err, EXIT_REFUSED));
        }
        Err(err @ GrblError::Refused { .. }) => {
            return Ok(not_streamed(args, &program, "error", &err, EXIT_REFUSED));
        }
        Err(err) => return Ok(not_streamed(args, &program, "port", &err, EXIT_PORT)),
    };
    print_stream(args, &program, &report);
    Ok(match report.end {
        StreamEnd::Done => ExitCode::SUCCESS,
        StreamEnd::Lost { .. } | StreamEnd::Reset => ExitCode::from(EXIT_PORT),
        StreamEnd::Failed { .. } | StreamEnd::Alarm { .. } | StreamEnd::Aborted => {
            ExitCode::from(EXIT_REFUSED)
        }
    })
}

fn print_json(body: &impl Serialize) {
    match serde_json::to_string(body) {
        Ok(text) => println!("{text}"),
        Err(err) => eprintln!("error: {err}"),
    }
}

/// A stream that never started (no port, an alarm lock): the same JSON shape as a finished
/// one, with nothing sent, so tools parse one shape.
fn not_streamed(
    args: &StreamArgs,
    program: &Program,
    result: &'static str,
    err: &GrblError,
    exit: u8,
) -> ExitCode {
    if args.port.json {
        let body = StreamJson {
            file: args.file.display().to_string(),
            port: &args.port.port,
            result,
            lines_total: program.lines.len(),
            lines_sent: 0,
            lines_acked: 0,
            peak_in_flight_bytes: 0,
            wall_s: 0.0,
            last_acked_file_line: 0,
            failed_line: None,
            code: None,
            message: Some(err.to_string()),
        };
        print_json(&body);
    }
    eprintln!("error: {err}");
    ExitCode::from(exit)
}

fn print_stream(args: &StreamArgs, program: &Program, report: &StreamReport) {
    let file = args.file.display().to_string();
    let last_acked_file_line = if report.lines_acked == 0 {
        0
    } else {
        program.file_line(report.lines_acked)
    };
    let (result, failed_line, code, message) = match &report.end {
        StreamEnd::Done => ("done", None, None, None),
        StreamEnd::Failed {
            line_no,
            line,
            code,
        } => (
            "error",
            Some(program.file_line(*line_no)),
            Some(*code),
            Some(format!("`{line}`: error:{code}: {}", error_words(*code))),
        ),
        StreamEnd::Alarm { code } => (
            "alarm",
            Some(program.file_line(report.lines_acked + 1)),
            *code,
            Some(match code {
                Some(code) => format!("ALARM:{code}: {}", alarm_words(*code)),
                None => "the controller is in alarm".to_owned(),
            }),
        ),
        StreamEnd::Aborted => (
            "aborted",
            None,
            None,
            Some("stopped by the operator; position kept".to_owned()),
        ),
        StreamEnd::Reset => (
            "reset",
            Some(program.file_line(report.lines_acked + 1)),
            None,
            Some("the controller reset itself mid-job; position lost".to_owned()),
        ),
        StreamEnd::Lost { reason, laser_off } => (
            "lost",
            Some(program.file_line(report.lines_acked + 1)),
            None,
            Some(format!(
                "{reason}; laser-off attempt {}",
                if *laser_off {
                    "sent"
                } else {
                    "could not be sent"
                }
            )),
        ),
    };
    if args.port.json {
        let body = StreamJson {
            file,
            port: &args.port.port,
            result,
            lines_total: report.lines_total,
            lines_sent: report.lines_sent,
            lines_acked: report.lines_acked,
            peak_in_flight_bytes: report.peak_in_flight_bytes,
            wall_s: report.wall.as_secs_f64(),
            last_acked_file_line,
            failed_line,
            code,
            message,
        };
        print_json(&body);
        return;
    }
    println!(
        "{file} → {}: {result}; {} of {} lines sent, {} acknowledged, peak {} bytes in flight, {:.2} s",
        args.port.port,
        report.lines_sent,
        report.lines_total,
        report.lines_acked,
        report.peak_in_flight_bytes,
        report.wall.as_secs_f64()
    );
    if let Some(message) = message {
        match failed_line {
            Some(line) => println!("{file} line {line}: {message}"),
            None => println!("{message}"),
        }
    }
}

#[derive(Serialize)]
struct StatusJson<'a> {
    port: &'a str,
    version: &'a str,
    state: String,
    alarm: Option<u8>,
    position_mm: Option<[f64; 3]>,
    settings: &'a std::collections::BTreeMap<u32, String>,
    build_info: &'a [String],
}

/// What the laser settings mean, for the text listing.
fn setting_name(number: u32) -> &'static str {
    match number {
        10 => "status report mask",
        11 => "junction deviation, mm",
        20 => "soft limits",
        21 => "hard limits",
        22 => "homing",
        30 => "max power (S at 100 %)",
        31 => "min power",
        32 => "laser mode",
        100..=102 => "steps/mm",
        110..=112 => "max rate, mm/min",
        120..=122 => "acceleration, mm/s²",
        130..=132 => "max travel, mm",
        _ => "",
    }
}

fn status(args: &PortArgs) -> anyhow::Result<ExitCode> {
    let mut grbl = match Grbl::connect(&args.port, args.baud) {
        Ok(grbl) => grbl,
        Err(err) => return Ok(connect_failed(args, &err)),
    };
    let report = match grbl.poll_status() {
        Ok(report) => report,
        Err(err) => return Ok(connect_failed(args, &err)),
    };
    let alarm = grbl.alarm.flatten();
    if args.json {
        let body = StatusJson {
            port: &args.port,
            version: &grbl.version,
            state: report.state.to_string(),
            alarm,
            position_mm: grbl.position_mm(),
            settings: &grbl.settings,
            build_info: &grbl.build_info,
        };
        println!("{}", serde_json::to_string(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}: GRBL {}, {}", args.port, grbl.version, report.state);
    if let Some(alarm) = grbl.alarm {
        match alarm {
            Some(code) => println!(
                "ALARM:{code}: {}. {}",
                alarm_words(code),
                crate::engrave::grbl::alarm_recovery(code)
            ),
            None => println!("locked in alarm: unlock ($X) or home ($H) when it is safe"),
        }
    }
    if let Some([x, y, z]) = grbl.position_mm() {
        println!("machine position X {x:.3} Y {y:.3} Z {z:.3} mm");
    }
    for line in &grbl.build_info {
        println!("{line}");
    }
    for (number, value) in &grbl.settings {
        let name = setting_name(*number);
        if name.is_empty() {
            println!("${number}={value}");
        } else {
            println!("${number}={value}  ({name})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ports() -> anyhow::Result<ExitCode> {
    let ports = serialport::available_ports()?;
    if ports.is_empty() {
        println!("no serial ports found");
    }
    for port in ports {
        let kind = match port.port_type {
            serialport::SerialPortType::UsbPort(usb) => format!(
                "USB {:04x}:{:04x} {}",
                usb.vid,
                usb.pid,
                usb.product.unwrap_or_default()
            ),
            serialport::SerialPortType::PciPort => "PCI".to_owned(),
            serialport::SerialPortType::BluetoothPort => "Bluetooth".to_owned(),
            serialport::SerialPortType::Unknown => "unknown".to_owned(),
        };
        println!("{}  {kind}", port.port_name);
    }
    Ok(ExitCode::SUCCESS)
}
