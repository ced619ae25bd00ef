//! The `qcstation` binary: the GUI by default, the CLI with a command.

fn main() -> std::process::ExitCode {
    qcstation::cli::main()
}
