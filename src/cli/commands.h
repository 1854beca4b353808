// The sluice command line: one unit per command (cmd_*.cc). Each unit has an options struct, a
// Register function that declares the command's options and help on CLI11 and nothing else, and
// a Run function holding its behaviour; its Add…Command function, listed in main.cc, binds the
// two with AddCommand.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/time.h"
#include "repo/definitions.h"

namespace sluice::cli {

// Options every command has (SPEC §9).
struct GlobalOptions {
  std::string repo = ".";
  bool json = false;
};

// The options every command takes, given before or after the command; shown at the end of
// each command's --help.
inline constexpr const char* kGlobalOptionsHelp =
    "Global options (before or after the command):\n"
    "  --repo DIR                  Feature repository directory (default: .)\n"
    "  --json                      Machine-readable JSON output (docs/json.md)";

// What the chosen command does once its arguments are parsed; returns the exit code.
using Action = std::function<int()>;

// Adds one command below `parent`: `register_options` adds the subcommand with its options and
// help, bound to an `Options` value the app keeps alive; when the command line selects it,
// `action` becomes run(g, options). `g` and `action` must outlive the app.
template <typename Options>
void AddCommand(CLI::App& parent, const GlobalOptions& g, Action& action,
                CLI::App* (*register_options)(CLI::App&, Options&),
                int (*run)(const GlobalOptions&, const Options&)) {
  // Shared by the subcommand's callback and the action it sets (CLI11 copies callbacks).
  auto options = std::make_shared<Options>();
  CLI::App* command = register_options(parent, *options);
  command->footer(kGlobalOptionsHelp);
  command->callback(
      [&g, &action, options, run] { action = [&g, options, run] { return run(g, *options); }; });
}

// Adds a group of commands (`dataset`, `quarantine`): one of its subcommands is required.
CLI::App& AddCommandGroup(CLI::App& parent, const std::string& name,
                          const std::string& description);

// Every command, in the order of `sluice --help`; main.cc lists them.
void AddInitCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddPlanCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddApplyCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddListCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddDescribeCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddIngestCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddSnapshotsCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddGcCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddDatasetCreateCommand(CLI::App& dataset, const GlobalOptions& g, Action& action);
void AddDatasetReproduceCommand(CLI::App& dataset, const GlobalOptions& g, Action& action);
void AddDatasetListCommand(CLI::App& dataset, const GlobalOptions& g, Action& action);
void AddDatasetShowCommand(CLI::App& dataset, const GlobalOptions& g, Action& action);
void AddDatasetDeleteCommand(CLI::App& dataset, const GlobalOptions& g, Action& action);
void AddMaterializeCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddConsistencyCheckCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddServeCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddGetOnlineCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddValidateCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddProfileCommand(CLI::App& app, const GlobalOptions& g, Action& action);
void AddQuarantineListCommand(CLI::App& quarantine, const GlobalOptions& g, Action& action);
void AddQuarantineShowCommand(CLI::App& quarantine, const GlobalOptions& g, Action& action);

// What commands share.

// Absolute repository root.
std::filesystem::path RepoRoot(const GlobalOptions& g);
// The registry database of the repository at `root` (config.registry, relative to `root`).
std::filesystem::path RegistryPath(const std::filesystem::path& root,
                                   const repo::ProjectConfig& config);
// The applied definitions of the repository at g.repo (config from sluice.yaml, definitions
// from the registry).
repo::RepoDefinition LoadApplied(const GlobalOptions& g);
// The applied source `name`; throws NotFoundError (exit 2) for an unknown one.
const repo::SourceDef& SourceOrThrow(const repo::RepoDefinition& repo, const std::string& name);
// `text` as a timestamp; throws UsageError naming `option` when it is not one.
Micros ParseTimeOption(const std::string& text, const char* option);
// Seconds since `start` on the steady clock.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace sluice::cli
