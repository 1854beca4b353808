#include "e2e/e2e_util.h"

#include "io/duckdb.h"

namespace sluice {

ScratchRepo::ScratchRepo() = default;

RunResult ScratchRepo::Run(const std::string& args, int exit_code, const std::string& env) const {
  RunResult r = RunSluice(args, root(), env);
  EXPECT_EQ(r.exit_code, exit_code) << "sluice " << args << "\nstdout:\n"
                                    << r.out << "\nstderr:\n"
                                    << r.err;
  return r;
}

nlohmann::json ScratchRepo::Json(const std::string& args, int exit_code,
                                 const std::string& env) const {
  RunResult r = Run("--json " + args, exit_code, env);
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON from sluice " << args << ": " << r.out;
    return {};
  }
}

std::vector<std::string> ScratchRepo::Query(const std::string& sql) const {
  io::DuckDb db;
  db.Execute("SET file_search_path = " + io::QuoteLiteral(root().string()));
  Batch b = db.Query(sql);
  std::vector<std::string> out;
  for (size_t r = 0; r < b.num_rows; ++r) out.push_back(b.columns[0].Get(r).ToString());
  return out;
}

}  // namespace sluice
