// Reads a feature repository's YAML files into definitions (SPEC §3). Structural errors
// (invalid YAML, missing or unknown keys, bad durations, duplicate names) are DefinitionErrors
// with file:line and a hint; semantic checks are checker.h's.
#pragma once

#include <filesystem>

#include "common/text.h"
#include "repo/definitions.h"

namespace sluice::repo {

// Loads `root`/sluice.yaml and every other *.yaml / *.yml below `root` (skipping hidden
// directories and datasets/), in path order. Throws InputError when sluice.yaml is missing and
// DefinitionError for the first malformed definition. Types of features and schemas of
// sources are not yet known: run Check().
RepoDefinition LoadRepo(const std::filesystem::path& root);

// Loads only `root`/sluice.yaml (commands that work on applied definitions need no more).
// Throws InputError when it is missing, DefinitionError when malformed.
ProjectConfig LoadConfig(const std::filesystem::path& root);

}  // namespace sluice::repo
