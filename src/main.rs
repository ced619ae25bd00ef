//! The `qcstation` binary: the GUI by default, the CLI with a command. Built with the
//! `alloc-count` feature it counts every heap allocation, for `qcstation bench`.

#[cfg(feature = "alloc-count")]
#[global_allocator]
static ALLOCATOR: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

fn main() -> std::process::ExitCode {
    #[cfg(feature = "alloc-count")]
    qcstation::cli::count_allocations_with(|| {
        let stats = ALLOCATOR.stats();
        qcstation::app::ProcessAllocations {
            calls: (stats.allocations + stats.reallocations) as u64,
            bytes: stats.bytes_allocated as u64,
        }
    });
    qcstation::cli::main()
}
