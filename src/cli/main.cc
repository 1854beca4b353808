// sluice: the command-line entry point. Errors are caught here, once, and mapped to exit codes
// (SPEC §9): 0 success, 1 failed check or mismatch, 2 bad usage or bad input, 3 internal.
#include <malloc.h>

#include <cstdio>

#include "cli/commands.h"
#include "sluice/error.h"

int main(int argc, char** argv) {
  using namespace sluice;
  // Bucket-at-a-time work allocates and frees tens of MB per bucket. glibc's defaults hand
  // such blocks back to the kernel on free (mmap'd chunks, heap trimming, and per-thread
  // arenas, whose sub-heaps are unmapped as soon as they empty), so every bucket page-faults
  // its memory in again, which costs more than the work itself on a virtual machine. One
  // arena that keeps freed memory for reuse: peak RSS is unchanged, most faults go away, and
  // the workers allocate in large blocks, so sharing the arena costs little.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  cli::GlobalOptions g;
  CLI::App app{"sluice: point-in-time correct features for training and serving.\n"
               "Define entities, sources and features in YAML, `sluice apply`, `sluice ingest`,\n"
               "then `sluice dataset create`. Docs: docs/guide.md.",
               "sluice"};
  app.set_version_flag("--version", "sluice 0.1.0");
  app.option_defaults()->always_capture_default();
  app.add_option("--repo", g.repo, "Feature repository directory")->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable JSON output (a stable contract, docs/json.md)");
  app.require_subcommand(1);
  app.fallthrough();
  cli::Action action;
  cli::AddRepoCommands(app, g, action);
  cli::AddOfflineCommands(app, g, action);
  cli::AddDatasetCommands(app, g, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const Error& e) {
    if (g.json) {
      cli::PrintJson({{"error", {{"message", e.what()}, {"exit_code", e.exit_code()}}}});
    }
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    if (g.json) cli::PrintJson({{"error", {{"message", e.what()}, {"exit_code", 3}}}});
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 3;
  }
}
