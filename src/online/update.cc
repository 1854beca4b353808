#include "online/update.h"

#include <numeric>
#include <set>

#include "common/key.h"
#include "engine/row_order.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

// One key's rows in a sorted batch: order[begin, end).
struct Group {
  std::string entity;  // encoded join keys
  size_t begin = 0, end = 0;
};

// Sorts `rows` in row order and cuts it into key groups.
std::vector<Group> GroupByKey(const OnlineView& view, const Batch& rows,
                              std::vector<uint32_t>& order) {
  const engine::LastValueSpec& spec = view.spec();
  std::vector<const Column*> keys;
  for (const std::string& k : spec.join_keys) keys.push_back(&rows.Get(k));
  const Column* created =
      spec.created_timestamp_field.empty() ? nullptr : &rows.Get(spec.created_timestamp_field);
  std::vector<uint32_t> all(rows.num_rows);
  std::iota(all.begin(), all.end(), 0u);
  order = engine::SortRows(keys, rows.Get(spec.timestamp_field), created,
                           rows.Get(offline::kSeqColumn).i64.data(), std::move(all));
  std::vector<Group> groups;
  std::string enc;
  for (size_t i = 0; i < order.size(); ++i) {
    enc.clear();
    AppendKeyEncoding(keys, order[i], enc);
    if (groups.empty() || groups.back().entity != enc) {
      if (!groups.empty()) groups.back().end = i;
      groups.push_back({enc, i, i});
    }
  }
  if (!groups.empty()) groups.back().end = order.size();
  return groups;
}

// Builds records for `groups` of `rows` on top of `records` (one per group) and appends their
// encodings to `puts`.
void BuildRecords(const OnlineView& view, const Batch& rows, const std::vector<uint32_t>& order,
                  const std::vector<Group>& groups, std::vector<ViewRecord>& records,
                  std::vector<std::pair<std::string, std::string>>& puts) {
  if (groups.empty()) return;
  const OnlineView::Prepared prepared = view.Prepare(rows);
  std::vector<ViewRecord*> recs;
  std::vector<uint32_t> newest;
  for (size_t g = 0; g < groups.size(); ++g) {
    const Group& grp = groups[g];
    view.Append(records[g], prepared, order.data() + grp.begin, grp.end - grp.begin);
    recs.push_back(&records[g]);
    newest.push_back(order[grp.end - 1]);
  }
  view.SetLastValues(recs, rows, newest);
  for (size_t g = 0; g < groups.size(); ++g) {
    view.Expire(records[g]);
    puts.emplace_back(RecordKey(view.def().name, groups[g].entity), records[g].Encode());
  }
}

}  // namespace

UpdateStats UpdateRecords(const OnlineView& view, Store& store, const Batch& rows,
                          bool read_stored, const std::function<Batch()>& all_rows,
                          std::vector<std::pair<std::string, std::string>>& puts) {
  UpdateStats stats;
  const std::string& name = view.def().name;
  std::vector<uint32_t> order;
  const std::vector<Group> groups = GroupByKey(view, rows, order);
  std::vector<std::optional<std::string>> stored(groups.size());
  if (read_stored && !groups.empty()) {
    std::vector<std::string> keys;
    for (const Group& g : groups) keys.push_back(RecordKey(name, g.entity));
    stored = store.MultiGet(keys);
  }
  std::vector<Group> append_groups;
  std::vector<ViewRecord> append_records;
  std::set<std::string> rebuild;
  for (size_t g = 0; g < groups.size(); ++g) {
    Group grp = groups[g];
    ViewRecord rec = view.NewRecord();
    if (stored[g]) {
      try {
        ViewRecord old = ViewRecord::Decode(*stored[g], name);
        if (old.view_version == view.version()) rec = std::move(old);
      } catch (const InputError&) {
        // Derived state: what does not decode is rebuilt (or, with no rows to rebuild from,
        // started over).
        if (all_rows) {
          rebuild.insert(grp.entity);
          continue;
        }
      }
    }
    // Appending is exact only when every new row comes after the stored ones.
    if (rec.has_row) {
      while (grp.begin < grp.end &&
             view.RowKeyOf(rows, order[grp.begin]).Compare(rec.newest) <= 0) {
        if (all_rows) break;
        ++grp.begin;
        ++stats.late_dropped;
      }
      if (all_rows && grp.begin < grp.end &&
          view.RowKeyOf(rows, order[grp.begin]).Compare(rec.newest) <= 0) {
        rebuild.insert(grp.entity);
        continue;
      }
      if (grp.begin == grp.end) continue;  // every row was late: the record stays
    }
    append_groups.push_back(grp);
    append_records.push_back(std::move(rec));
  }
  BuildRecords(view, rows, order, append_groups, append_records, puts);
  stats.written += static_cast<int64_t>(append_groups.size());
  if (!rebuild.empty()) {
    // These keys start over from every row of the bucket.
    const Batch all = all_rows();
    std::vector<uint32_t> all_order;
    std::vector<Group> chosen;
    for (const Group& g : GroupByKey(view, all, all_order)) {
      if (rebuild.count(g.entity)) chosen.push_back(g);
    }
    std::vector<ViewRecord> fresh(chosen.size(), view.NewRecord());
    BuildRecords(view, all, all_order, chosen, fresh, puts);
    stats.rebuilt += static_cast<int64_t>(chosen.size());
    stats.written += static_cast<int64_t>(chosen.size());
  }
  return stats;
}

}  // namespace sluice::online
