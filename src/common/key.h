// Entity keys: a canonical byte encoding of one row's join-key values, and the bucket it falls
// in. Ingest (which lays out segments) and the feature engine (which reads them a bucket at a
// time) must agree on both, forever: the encoding and hash are part of the on-disk format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice {

// Appends the encoding of row `row` of `keys` to `out`: per column, int64 → 'i' + 8 bytes
// little-endian; string → 's' + 4-byte little-endian length + bytes; null → 'n'.
void AppendKeyEncoding(const std::vector<const Column*>& keys, size_t row, std::string& out);

// The bucket of an encoded key: XXH64(encoding, seed 0) % bucket_count.
uint32_t BucketOfKey(const std::string& encoded, uint32_t bucket_count);

}  // namespace sluice
