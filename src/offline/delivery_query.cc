#include "offline/delivery_query.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "repo/checker.h"
#include "sluice/error.h"

namespace sluice::offline {
namespace fs = std::filesystem;

DeliveryQuery BuildDeliveryQuery(const repo::SourceDef& src, const fs::path& root,
                                 const std::vector<std::string>& files, io::DuckDb& db,
                                 const std::string& context) {
  const std::string canonical = repo::SourceSql(src, root, files, db);
  const std::vector<io::DescribedColumn> described = db.Describe(canonical, context);
  DeliveryQuery q;
  for (const auto& d : described) {
    q.delivered.push_back({d.name, d.type ? std::string(TypeName(*d.type)) : d.duckdb_type});
  }
  std::string select;
  for (const Field& f : src.schema) {
    auto it = std::find_if(described.begin(), described.end(),
                           [&](const auto& d) { return d.name == f.name; });
    if (it == described.end()) {
      std::vector<std::string> names;
      for (const auto& d : described) names.push_back(d.name);
      const std::string near = ClosestName(f.name, names);
      throw InputError(fmt::format("{}: column '{}' of source '{}' is missing{}", context, f.name,
                                   src.name, near.empty() ? "" : " (found '" + near + "')"));
    }
    if (!select.empty()) select += ", ";
    const std::string id = io::QuoteIdent(f.name);
    if (it->type == f.type) {
      select += id;
    } else if (it->type == DataType::kInt64 && f.type == DataType::kFloat64) {
      select += fmt::format("CAST({0} AS DOUBLE) AS {0}", id);
    } else if (it->type == DataType::kString && f.type != DataType::kFloat64List) {
      const char* target = f.type == DataType::kInt64     ? "BIGINT"
                           : f.type == DataType::kFloat64 ? "DOUBLE"
                           : f.type == DataType::kBool    ? "BOOLEAN"
                                                          : "TIMESTAMP";
      select += fmt::format(
          "TRY_CAST({0} AS {1}) AS {0}, ({0} IS NOT NULL AND TRY_CAST({0} AS {1}) IS NULL) AS "
          "{2}, {0} AS {3}",
          id, target, io::QuoteIdent("__unparsable_" + f.name), io::QuoteIdent("__raw_" + f.name));
      q.parsed.push_back(f.name);
    } else {
      throw InputError(fmt::format(
          "{}: column '{}' has type {} but source '{}' expects {}", context, f.name,
          it->type ? TypeName(*it->type) : it->duckdb_type, src.name, TypeName(f.type)));
    }
  }
  q.sql = "SELECT " + select + " FROM (" + canonical + ")";
  return q;
}

}  // namespace sluice::offline
