// Definition files: the YAML loader, the checker (names, keys, types, expressions, clashes)
// and the check-suite rules, as `sluice plan` runs them. The first byte picks the file the
// rest becomes: definitions (defs.yaml beside a fixed sluice.yaml) or sluice.yaml itself. A
// tiny CSV is there for file sources to read; SQL sources and paths outside the repository are
// dropped before the checker (it would run the SQL or read whatever the path names).
#include <algorithm>

#include "fuzz_util.h"
#include "io/duckdb.h"
#include "quality/rules/rule_table.h"
#include "repo/checker.h"
#include "repo/loader.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& root = fuzz::ScratchDir();
  static bool once = [&] {
    fuzz::WriteFile(
        root / "data/a.csv",
        "user_id,ts,amount,cat\n1,2026-01-01 00:00:00,1.5,x\n2,2026-01-02 00:00:00,2.5,y\n");
    return true;
  }();
  (void)once;
  const std::string_view text = fuzz::AsText(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    fuzz::WriteFile(root / "sluice.yaml", "project: f\n");
    fuzz::WriteFile(root / "defs.yaml", text);
  } else {
    fuzz::WriteFile(root / "sluice.yaml", text);
    fuzz::WriteFile(root / "defs.yaml", "");
  }
  try {
    repo::RepoDefinition repo = repo::LoadRepo(root, quality::ParseRule);
    std::erase_if(repo.sources, [](const repo::SourceDef& s) {
      return s.type == repo::SourceType::kSql || s.path.starts_with("/") ||
             s.path.find("..") != std::string::npos || s.path.find("~") != std::string::npos;
    });
    static io::DuckDb db;
    repo::CheckRepo(repo, db);
    quality::CheckSuites(repo);
  } catch (const Error&) {
  }
  return 0;
}
