#include "server/bodies.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>

#include "common/json.h"
#include "common/text.h"
#include "common/time.h"
#include "sluice/error.h"

namespace sluice::server {
using nlohmann::json;

std::string Quote(const json& v) {
  if (v.is_array()) return fmt::format("an array of {}", v.size());
  if (v.is_object()) return "an object";
  std::string text = JsonText(v);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

Column ToColumn(const json& values, DataType type, const std::string& what) {
  if (!values.is_array()) throw HttpError{400, fmt::format("{} must be an array of values", what)};
  Column c(type);
  for (size_t i = 0; i < values.size(); ++i) {
    const json& v = values[i];
    auto wrong = [&] {
      return HttpError{400, fmt::format("{} must hold {} values; value {} is {}", what,
                                        TypeName(type), i, Quote(v))};
    };
    if (v.is_null()) {
      c.Append(Value::Null(type));
      continue;
    }
    switch (type) {
      case DataType::kInt64:
        if (!v.is_number_integer()) throw wrong();
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}) {
          throw HttpError{
              400, fmt::format("{}: value {} ({}) is out of the int64 range", what, i, Quote(v))};
        }
        c.Append(Value::Int(v.get<int64_t>()));
        break;
      case DataType::kFloat64:
        if (!v.is_number()) throw wrong();
        c.Append(Value::Float(v.get<double>()));
        break;
      case DataType::kBool:
        if (!v.is_boolean()) throw wrong();
        c.Append(Value::Bool(v.get<bool>()));
        break;
      case DataType::kString:
        if (!v.is_string()) throw wrong();
        c.Append(Value::String(v.get<std::string>()));
        break;
      case DataType::kTimestamp: {
        const auto t = v.is_string() ? ParseTimestamp(v.get<std::string>()) : std::nullopt;
        if (!t) throw wrong();
        c.Append(Value::Timestamp(*t));
        break;
      }
      case DataType::kFloat64List: {
        if (!v.is_array()) throw wrong();
        std::vector<double> list;
        for (const json& x : v) {
          if (!x.is_number()) throw wrong();
          list.push_back(x.get<double>());
        }
        c.Append(Value::List(std::move(list)));
        break;
      }
    }
  }
  return c;
}

json ParseObject(const std::string& body) {
  json req;
  try {
    req = json::parse(body);
  } catch (const json::exception& e) {  // a syntax error, or a number beyond a double (406)
    throw HttpError{400, std::string("malformed JSON: ") + e.what()};
  }
  if (!req.is_object()) throw HttpError{400, "the body must be a JSON object"};
  return req;
}

PushRequest ParsePushBody(const std::string& body, const repo::RepoDefinition& defs) {
  const json req = ParseObject(body);
  for (const auto& [k, v] : req.items()) {
    if (k != "push_source_name" && k != "df" && k != "to" && k != "allow_registry_cache") {
      throw HttpError{400, fmt::format("unknown field \"{}\" (push_source_name, df, to)", k)};
    }
  }
  PushRequest out;
  if (!req.contains("push_source_name") || !req["push_source_name"].is_string()) {
    throw HttpError{400, "\"push_source_name\" must name a push source"};
  }
  out.source = req["push_source_name"].get<std::string>();
  const repo::SourceDef* src = defs.FindSource(out.source);
  if (!src) {
    std::vector<std::string> names;
    for (const auto& x : defs.sources) {
      if (x.type == repo::SourceType::kPush) names.push_back(x.name);
    }
    const std::string near = ClosestName(out.source, names);
    throw HttpError{404, fmt::format("unknown push source '{}'{}", out.source,
                                     !near.empty()   ? "; did you mean '" + near + "'?"
                                     : names.empty() ? " (no push source is defined)"
                                                     : fmt::format(" (push sources: {})",
                                                                   fmt::join(names, ", ")))};
  }
  if (src->type != repo::SourceType::kPush) {
    throw HttpError{400, fmt::format("source '{}' is a {} source, not a push source (type: push)",
                                     out.source, repo::SourceTypeName(src->type))};
  }
  if (req.contains("to")) {
    const auto to =
        req["to"].is_string() ? online::ParsePushTo(req["to"].get<std::string>()) : std::nullopt;
    if (!to)
      throw HttpError{400, "\"to\" must be \"online\", \"offline\" or \"online_and_offline\""};
    out.to = *to;
  }
  if (!req.contains("df") || !req["df"].is_object()) {
    throw HttpError{400, "\"df\" must be an object of column: [values]"};
  }
  const json& df = req["df"];
  std::vector<std::string> columns;
  for (const Field& f : src->schema) columns.push_back(f.name);
  for (const auto& [name, values] : df.items()) {
    if (FindField(src->schema, name) < 0) {
      throw HttpError{400, fmt::format("df: unknown column '{}' (push source '{}' has: {})", name,
                                       out.source, fmt::join(columns, ", "))};
    }
  }
  for (const Field& f : src->schema) {
    if (!df.contains(f.name)) {
      throw HttpError{400, fmt::format("df: missing column '{}' ({})", f.name, TypeName(f.type))};
    }
    Column c = ToColumn(df[f.name], f.type, "df column '" + f.name + "'");
    if (!out.rows.columns.empty() && c.size() != out.rows.num_rows) {
      throw HttpError{400, fmt::format("df column '{}' has {} values, others have {}", f.name,
                                       c.size(), out.rows.num_rows)};
    }
    out.rows.num_rows = c.size();
    out.rows.AddColumn(f.name, std::move(c));
  }
  if (out.rows.num_rows == 0) throw HttpError{400, "df has no rows"};
  std::vector<std::string> required = defs.AllJoinKeys(*src);
  required.insert(required.begin(), src->timestamp_field);
  for (const std::string& k : required) {
    const Column& c = out.rows.Get(k);
    for (size_t r = 0; r < c.size(); ++r) {
      if (c.IsNull(r)) {
        throw HttpError{400, fmt::format("df: row {} has a null {} '{}'", r,
                                         k == src->timestamp_field ? "timestamp" : "join key", k)};
      }
    }
  }
  return out;
}

online::MaterializeOptions ParseMaterializeBody(const std::string& body) {
  const json req = body.empty() ? json::object() : ParseObject(body);
  online::MaterializeOptions o;
  if (req.contains("views")) {
    if (!req["views"].is_array()) throw HttpError{400, "\"views\" must be an array of names"};
    for (const json& v : req["views"]) {
      if (!v.is_string()) throw HttpError{400, "\"views\" must be an array of names"};
      o.views.push_back(v.get<std::string>());
    }
  }
  if (req.contains("until")) {
    const auto t =
        req["until"].is_string() ? ParseTimestamp(req["until"].get<std::string>()) : std::nullopt;
    if (!t) throw HttpError{400, "\"until\" must be a timestamp (2026-01-31T12:00:00Z)"};
    o.until = *t;
  }
  return o;
}

}  // namespace sluice::server
