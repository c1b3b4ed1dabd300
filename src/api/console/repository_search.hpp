// One page of a registry's repositories matching a search, found by walking
// the store's name-ordered listing in batches from a cursor, so a page costs
// a few indexed range reads however many repositories there are, and nothing
// ever loads them all:
//   - prefix: the walk starts at the prefix and stops at the first name past
//     it, so it reads only what matches;
//   - substring: the walk filters, and stops after `scan_budget` names with
//     a cursor to continue from, so a rare match in 10k names costs several
//     bounded requests rather than one unbounded one.
// Pages follow name order; `next` is the name to continue after ("" at the
// end).
//
// Thread-safety: a pure function of the fetcher it is given.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/types.hpp"
#include "util/result.hpp"

namespace berth::api::console {

enum class MatchMode { kPrefix, kSubstring };

struct SearchRequest {
  std::string query;  // "" matches every name
  MatchMode mode = MatchMode::kSubstring;
  std::string after;  // continue strictly after this name ("" = from the start)
  std::size_t limit = 50;
  std::size_t scan_budget = 5000;  // names read at most per call
  // Which matching records the caller may see (null: all). Hidden ones
  // still move the cursor and count against the budget, so paging stays
  // in name order and bounded.
  std::function<bool(const registry::RepositoryRecord&)> visible;
};

struct SearchPage {
  std::vector<registry::RepositoryRecord> repositories;
  std::string next;  // "" when the listing is done
};

// Records in name order strictly after `after`, at most `limit`
// (Registry::list_repository_records of one registry).
using RepositoryPageFetcher = std::function<Result<std::vector<registry::RepositoryRecord>>(
    std::string_view after, std::size_t limit)>;

Result<SearchPage> search_repositories(const RepositoryPageFetcher& fetch,
                                       const SearchRequest& request);

// Where a prefix walk starts: a name just below every name that starts with
// `prefix` (repository names use no byte above 0x7e), or "" for "".
std::string prefix_start(std::string_view prefix);

}  // namespace berth::api::console
