#include "repo/checker.h"

#include <glob.h>

#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "common/text.h"
#include "engine/aggregate.h"
#include "expr/expression.h"
#include "repo/loader.h"
#include "sluice/error.h"

namespace sluice::repo {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void Fail(const Location& loc, const std::string& message, const std::string& hint) {
  throw DefinitionError(loc.file, loc.line, message, hint);
}

std::vector<std::string> Names(const Schema& schema) {
  std::vector<std::string> out;
  for (const Field& f : schema) out.push_back(f.name);
  return out;
}

std::string NameHint(const std::string& name, const std::vector<std::string>& candidates,
                     const std::string& kind) {
  const std::string near = ClosestName(name, candidates);
  if (!near.empty()) return "did you mean '" + near + "'?";
  if (candidates.empty()) return "no " + kind + " is defined";
  return fmt::format("{} available: {}", kind, fmt::join(candidates, ", "));
}

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& i : items) out.push_back(i.name);
  return out;
}

// Why a source column is text though nearly every value is a number: one dirty value. The
// note (column → why) is added to the error of an expression that then fails on the column's
// type (`amount * 2` on a string), so that the error names the value and its row. Judged on
// the first 100,000 rows.
using DirtyNotes = std::map<std::string, std::string>;

// Whether `text` holds `word` as a whole identifier (not inside a longer one).
bool MentionsWord(std::string_view text, std::string_view word) {
  const auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const size_t end = at + word.size();
    if ((at == 0 || !ident(text[at - 1])) && (end == text.size() || !ident(text[end]))) return true;
  }
  return false;
}

DirtyNotes DirtyText(const SourceDef& s, const fs::path& root, io::DuckDb& db,
                     const Schema& inferred) {
  DirtyNotes notes;
  std::vector<std::string> text;
  for (const Field& f : inferred) {
    if (f.type == DataType::kString && f.name != s.timestamp_field &&
        f.name != s.created_timestamp_field) {
      text.push_back(f.name);
    }
  }
  if (text.empty()) return notes;
  const std::string sample = "(SELECT row_number() OVER () AS __row, * FROM (" +
                             SourceSql(s, root, {}, db) + ") LIMIT 100000)";
  std::string counts;
  for (const std::string& c : text) {
    const std::string id = io::QuoteIdent(c);
    counts += fmt::format("{}count({}), count(TRY_CAST({} AS DOUBLE))", counts.empty() ? "" : ", ",
                          id, id);
  }
  const Batch b = db.Query("SELECT " + counts + " FROM " + sample);
  for (size_t i = 0; i < text.size(); ++i) {
    const int64_t values = b.columns[2 * i].i64[0], numbers = b.columns[2 * i + 1].i64[0];
    if (numbers == values || numbers < 9 * (values - numbers) || numbers < 10) continue;
    const std::string id = io::QuoteIdent(text[i]);
    const Batch bad = db.Query(fmt::format(
        "SELECT __row, CAST({0} AS VARCHAR) FROM {1} WHERE {0} IS NOT NULL AND TRY_CAST({0} AS "
        "DOUBLE) IS NULL ORDER BY __row LIMIT 1",
        id, sample));
    if (bad.num_rows == 0) continue;
    std::string value = bad.columns[1].str[0];
    if (value.size() > 60) value = value.substr(0, 60) + "...";
    notes[text[i]] = fmt::format(
        "column '{}' of source '{}' is read as text because of the value '{}' (row {}); {} of "
        "its {} values are numbers",
        text[i], s.name, value, bad.columns[0].i64[0], numbers, values);
  }
  return notes;
}

void InferSourceSchema(SourceDef& s, const fs::path& root, io::DuckDb& db) {
  if (s.type == SourceType::kPush) return;  // declared (the loader requires it)
  if (s.type == SourceType::kFile) {
    if (SourceFiles(s, root).empty()) {
      if (!s.schema.empty()) return;  // declared; data may arrive later
      Fail(s.loc, fmt::format("source '{}': no file matches '{}'", s.name, s.path),
           "add data files, or declare the columns with schema: {col: type, ...}");
    }
  }
  std::vector<io::DescribedColumn> described;
  try {
    described = db.Describe(SourceSql(s, root, {}, db));
  } catch (const InputError& e) {
    Fail(s.loc, fmt::format("source '{}' cannot be read: {}", s.name, e.what()),
         s.type == SourceType::kSql ? "check the query" : "check the files match the path and format");
  }
  Schema inferred;
  for (const auto& c : described) inferred.push_back({c.name, *c.type});
  if (s.schema.empty()) {
    // JSON (and CSV whose sniffer gave up) carries times as strings: the timestamp fields are
    // timestamps by definition, parsed at ingest, where a value that does not parse rejects
    // the delivery.
    for (Field& f : inferred) {
      if (f.type == DataType::kString &&
          (f.name == s.timestamp_field || f.name == s.created_timestamp_field)) {
        f.type = DataType::kTimestamp;
      }
    }
    s.schema = inferred;
    return;
  }
  for (const Field& f : s.schema) {
    const int i = FindField(inferred, f.name);
    if (i < 0) {
      Fail(s.loc, fmt::format("source '{}': declared column '{}' is not in the data", s.name, f.name),
           NameHint(f.name, Names(inferred), "columns"));
    }
    if (inferred[i].type != f.type) {
      Fail(s.loc, fmt::format("source '{}': column '{}' is declared {} but the data has {}",
                              s.name, f.name, TypeName(f.type), TypeName(inferred[i].type)),
           "fix the declared type in schema:");
    }
  }
}

void CheckTimestampField(const SourceDef& s, const std::string& field, const char* key) {
  const int i = FindField(s.schema, field);
  if (i < 0) {
    Fail(s.loc, fmt::format("source '{}': {} '{}' is not a column", s.name, key, field),
         NameHint(field, Names(s.schema), "columns"));
  }
  if (s.schema[i].type != DataType::kTimestamp) {
    Fail(s.loc, fmt::format("source '{}': {} '{}' has type {}, not timestamp", s.name, key, field,
                            TypeName(s.schema[i].type)),
         "point it at a timestamp or date column (strings in CSV are parsed when ISO 8601)");
  }
}

// Why a text column of a feature view's source is text (DirtyText's note), or "".
using WhyText = std::function<std::string(const std::string& column)>;

void CheckFeatures(std::vector<FeatureDef>& features, const Schema& input,
                   const std::string& owner, const WhyText& why_text = {}) {
  std::set<std::string> seen;
  for (FeatureDef& f : features) {
    if (!seen.insert(f.name).second) {
      Fail(f.loc, fmt::format("duplicate feature '{}' in {}", f.name, owner), "rename one of them");
    }
    const expr::TextPosition pos{f.loc.file, f.loc.line};
    std::optional<DataType> input_type;
    try {
      if (!f.expr.empty()) input_type = expr::Expression::Compile(f.expr, input, pos).type();
    } catch (const DefinitionError& e) {
      // A type error on a text column that one dirty value made text: name that value.
      const bool type_error = e.message().find("type mismatch") != std::string::npos ||
                              e.message().find("string") != std::string::npos;
      if (!why_text || !type_error) throw;
      for (const Field& c : input) {
        if (c.type != DataType::kString || !MentionsWord(f.expr, c.name)) continue;
        const std::string note = why_text(c.name);
        if (note.empty()) continue;
        throw DefinitionError(e.file(), e.line(), e.message() + "; " + note,
                              fmt::format("fix the value, or declare the column's type "
                                          "(schema: {{{}: float64, ...}}): ingest then rejects "
                                          "or quarantines the rows that do not parse",
                                          c.name));
      }
      throw;
    }
    if (f.aggregate.empty()) {
      f.type = *input_type;
      continue;
    }
    auto result = AggregateResultType(f.aggregate, input_type);
    if (!result) {
      if (!AggregateResultType(f.aggregate, DataType::kFloat64) &&
          !AggregateResultType(f.aggregate, std::nullopt)) {
        Fail(f.loc, fmt::format("unknown aggregate '{}' for feature '{}'", f.aggregate, f.name),
             "use count, sum, mean, min, max, stddev, variance, last, first or "
             "approx_count_distinct");
      }
      Fail(f.loc,
           fmt::format("aggregate '{}' of feature '{}' cannot take {}", f.aggregate, f.name,
                       input_type ? "a " + std::string(TypeName(*input_type)) + " expr"
                                  : "no expr"),
           input_type ? "sum/mean/stddev/variance need a numeric expr" : "add expr: <column>");
    }
    f.type = *result;
    if (!f.window_us || *f.window_us <= 0) {
      Fail(f.loc, fmt::format("aggregate feature '{}' has no window", f.name),
           "add window: 1h (or 30m, 7d, ...)");
    }
    if (!f.hop_us) {
      // SPEC §5.2: window / 60 rounded down to a whole second, at least one second.
      const Micros s = 1'000'000;
      f.hop_us = std::max<Micros>(s, *f.window_us / 60 / s * s);
      if (*f.window_us % *f.hop_us != 0) {
        Fail(f.loc,
             fmt::format("window of feature '{}' is not a multiple of its default hop", f.name),
             "set hop: explicitly to a divisor of the window");
      }
    } else if (*f.hop_us != 0 && *f.window_us % *f.hop_us != 0) {
      Fail(f.loc, fmt::format("window of feature '{}' is not a multiple of its hop", f.name),
           "choose a hop that divides the window (e.g. window: 1h, hop: 5m), or hop: 0 "
           "for an exact sliding window");
    }
    if (!f.where.empty()) {
      auto where = expr::Expression::Compile(f.where, input, pos);
      if (where.type() != DataType::kBool) {
        Fail(f.loc, fmt::format("where of feature '{}' is {}, not bool", f.name,
                                TypeName(where.type())),
             "write a condition, e.g. category == 'food'");
      }
    }
  }
}

void CheckOnDemandCycles(const RepoDefinition& repo) {
  std::map<std::string, int> state;  // 1 = visiting, 2 = done
  std::function<void(const OnDemandViewDef&)> visit = [&](const OnDemandViewDef& v) {
    state[v.name] = 1;
    for (const std::string& in : v.inputs) {
      if (const auto* next = repo.FindOnDemandView(in)) {
        if (state[in] == 1) {
          Fail(v.loc, fmt::format("on-demand view '{}' is part of a cycle through '{}'", v.name, in),
               "an on-demand view cannot depend on itself");
        }
        if (state[in] == 0) visit(*next);
      }
    }
    state[v.name] = 2;
  };
  for (const auto& v : repo.on_demand_views) {
    if (state[v.name] == 0) visit(v);
  }
}

Schema OutputSchema(const RepoDefinition& repo, const std::string& view) {
  Schema out;
  auto add = [&](const std::vector<FeatureDef>& fs) {
    for (const FeatureDef& f : fs) out.push_back({view + "." + f.name, f.type});
  };
  if (const auto* fv = repo.FindFeatureView(view)) add(fv->features);
  if (const auto* odv = repo.FindOnDemandView(view)) add(odv->features);
  return out;
}

// A feature's output name (a dataset column, a full feature name online) is
// `<view>__<feature>`: two features must not share one (`user_txn` + `last__amount` and
// `user_txn__last` + `amount`), whichever views they are in.
void CheckOutputNames(const RepoDefinition& repo) {
  struct Owner {
    std::string view;
    const FeatureDef* feature;
  };
  std::map<std::string, Owner> seen;
  auto add = [&](const std::string& view, const FeatureDef& f) {
    const std::string out = view + "__" + f.name;
    const auto [it, fresh] = seen.emplace(out, Owner{view, &f});
    if (fresh) return;
    Fail(f.loc,
         fmt::format("feature '{}' of view '{}' and feature '{}' of view '{}' both have the output "
                     "name '{}' (a dataset column, a full feature name)",
                     f.name, view, it->second.feature->name, it->second.view, out),
         fmt::format("rename one of them (the other is at {}:{})", it->second.feature->loc.file,
                     it->second.feature->loc.line));
  };
  for (const FeatureViewDef& v : repo.feature_views) {
    for (const FeatureDef& f : v.features) add(v.name, f);
  }
  for (const OnDemandViewDef& v : repo.on_demand_views) {
    for (const FeatureDef& f : v.features) add(v.name, f);
  }
}

}  // namespace

std::vector<std::string> SourceFiles(const SourceDef& source, const fs::path& root) {
  const fs::path pattern = fs::path(source.path).is_absolute() ? fs::path(source.path)
                                                               : root / source.path;
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      if (fs::is_regular_file(g.gl_pathv[i])) out.emplace_back(g.gl_pathv[i]);
    }
  }
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

std::string SourceSql(const SourceDef& source, const fs::path& root,
                      const std::vector<std::string>& files_in, io::DuckDb& db) {
  std::string from;
  if (source.type == SourceType::kFile) {
    std::vector<std::string> files = files_in.empty() ? SourceFiles(source, root) : files_in;
    if (files.empty()) throw InputError("source '" + source.name + "': no file matches '" + source.path + "'");
    from = io::ReadFunction(io::FormatOfPath(files.front()), files);
  } else {
    db.Execute("SET file_search_path = " + io::QuoteLiteral(root.string()));
    from = "(" + source.query + ")";
  }
  const std::string raw = "SELECT * FROM " + from;
  // One file read (an ingest's delivery): the error names it.
  const std::string context =
      "source '" + source.name + "'" +
      (files_in.size() == 1 ? " (" + fs::relative(files_in[0], root).string() + ")" : "");
  return "SELECT " + io::CanonicalSelect(db.Describe(raw, context), context) + " FROM " + from;
}

std::optional<DataType> AggregateResultType(std::string_view fn, std::optional<DataType> in) {
  // The engine's function table is the one definition of what each aggregate takes.
  const auto f = engine::MakeAggregate(fn, in);
  if (!f) return std::nullopt;
  return f->result_type();
}

void CheckRepo(RepoDefinition& repo, io::DuckDb& db) {
  std::map<std::string, DirtyNotes> dirty;  // per source
  const auto entity_names = NamesOf(repo.entities);
  const auto source_names = NamesOf(repo.sources);
  for (SourceDef& s : repo.sources) {
    InferSourceSchema(s, repo.root, db);
    CheckTimestampField(s, s.timestamp_field, "timestamp_field");
    if (!s.created_timestamp_field.empty()) {
      CheckTimestampField(s, s.created_timestamp_field, "created_timestamp_field");
    }
  }
  for (FeatureViewDef& v : repo.feature_views) {
    const std::string owner = "feature view '" + v.name + "'";
    const SourceDef* source = repo.FindSource(v.source);
    if (!source) {
      Fail(v.loc, fmt::format("{} reads unknown source '{}'", owner, v.source),
           NameHint(v.source, source_names, "sources"));
    }
    for (const std::string& e : v.entities) {
      const EntityDef* entity = repo.FindEntity(e);
      if (!entity) {
        Fail(v.loc, fmt::format("{} names unknown entity '{}'", owner, e),
             NameHint(e, entity_names, "entities"));
      }
      for (const std::string& key : entity->join_keys) {
        const int i = FindField(source->schema, key);
        if (i < 0) {
          Fail(v.loc,
               fmt::format("{}: join key '{}' of entity '{}' is not a column of source '{}'",
                           owner, key, e, source->name),
               NameHint(key, Names(source->schema), "columns"));
        }
        const DataType t = source->schema[i].type;
        if (t != DataType::kInt64 && t != DataType::kString) {
          Fail(v.loc, fmt::format("{}: join key '{}' has type {}", owner, key, TypeName(t)),
               "join keys must be int64 or string columns");
        }
      }
    }
    if (v.ttl_us && *v.ttl_us <= 0) Fail(v.loc, owner + " has a ttl of zero", "omit ttl for no limit");
    // Computed only when an expression fails on a text column (it reads the data again).
    const WhyText why_text = [&, source](const std::string& column) -> std::string {
      if (!dirty.count(source->name)) {
        try {
          dirty[source->name] = DirtyText(*source, repo.root, db, source->schema);
        } catch (const Error&) {
          dirty[source->name] = {};
        }
      }
      const DirtyNotes& notes = dirty[source->name];
      const auto it = notes.find(column);
      return it == notes.end() ? "" : it->second;
    };
    CheckFeatures(v.features, source->schema, owner, why_text);
  }
  CheckOnDemandCycles(repo);
  std::vector<std::string> view_names = NamesOf(repo.feature_views);
  for (const auto& v : repo.on_demand_views) view_names.push_back(v.name);
  // On-demand views in dependency order, so that an input's feature types are known.
  std::vector<bool> done(repo.on_demand_views.size(), false);
  for (size_t pass = 0; pass <= repo.on_demand_views.size(); ++pass) {
    for (size_t i = 0; i < repo.on_demand_views.size(); ++i) {
      OnDemandViewDef& v = repo.on_demand_views[i];
      if (done[i]) continue;
      Schema input = v.request;
      bool ready = true;
      for (const std::string& in : v.inputs) {
        if (!repo.FindFeatureView(in) && !repo.FindOnDemandView(in)) {
          Fail(v.loc, fmt::format("on-demand view '{}' reads unknown view '{}'", v.name, in),
               NameHint(in, view_names, "views"));
        }
        if (const auto* odv = repo.FindOnDemandView(in)) {
          const size_t j = static_cast<size_t>(odv - repo.on_demand_views.data());
          if (!done[j]) ready = false;
        }
        for (Field& f : OutputSchema(repo, in)) input.push_back(f);
      }
      if (!ready) continue;
      CheckFeatures(v.features, input, "on-demand view '" + v.name + "'");
      for (const FeatureDef& f : v.features) {
        if (!f.aggregate.empty()) {
          Fail(f.loc, "on-demand feature '" + f.name + "' cannot aggregate",
               "aggregate in a feature view; on-demand features combine values per request");
        }
      }
      done[i] = true;
    }
  }
  CheckOutputNames(repo);
  for (const FeatureServiceDef& s : repo.feature_services) {
    for (const FeatureRef& r : s.features) {
      const bool is_fv = repo.FindFeatureView(r.view) != nullptr;
      const bool is_odv = repo.FindOnDemandView(r.view) != nullptr;
      if (!is_fv && !is_odv) {
        Fail(s.loc, fmt::format("feature service '{}' names unknown view '{}'", s.name, r.view),
             NameHint(r.view, view_names, "views"));
      }
      if (r.feature.empty()) continue;
      std::vector<std::string> features;
      for (const Field& f : OutputSchema(repo, r.view)) {
        features.push_back(f.name.substr(r.view.size() + 1));
      }
      if (std::find(features.begin(), features.end(), r.feature) == features.end()) {
        Fail(s.loc,
             fmt::format("feature service '{}': view '{}' has no feature '{}'", s.name, r.view,
                         r.feature),
             NameHint(r.feature, features, "features"));
      }
    }
  }
  AssignVersions(repo);
}

}  // namespace sluice::repo
