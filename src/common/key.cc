#include "common/key.h"

#include <cstring>

#include "common/hash.h"

namespace sluice {

void AppendKeyEncoding(const std::vector<const Column*>& keys, size_t row, std::string& out) {
  for (const Column* c : keys) {
    if (c->IsNull(row)) {
      out += 'n';
      continue;
    }
    if (c->type == DataType::kString) {
      const std::string& s = c->str[row];
      const uint32_t len = static_cast<uint32_t>(s.size());
      char buf[5] = {'s'};
      std::memcpy(buf + 1, &len, 4);  // little-endian hosts only (x86_64, aarch64)
      out.append(buf, 5);
      out += s;
    } else {
      char buf[9] = {'i'};
      std::memcpy(buf + 1, &c->i64[row], 8);
      out.append(buf, 9);
    }
  }
}

uint32_t BucketOfKey(const std::string& encoded, uint32_t bucket_count) {
  return static_cast<uint32_t>(Xxh64(encoded.data(), encoded.size()) % bucket_count);
}

}  // namespace sluice
