#include "api/console/repository_search.hpp"

#include <algorithm>
#include <cctype>

namespace berth::api::console {

namespace {
constexpr std::size_t kMinBatch = 100;
constexpr std::size_t kMaxBatch = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string prefix_start(std::string_view prefix) {
  if (prefix.empty()) return {};
  std::string start(prefix);
  // "team/app" -> "team/apo\x7f": below "team/app", above every name that
  // starts with "team/apo".
  start.back() = static_cast<char>(start.back() - 1);
  start.push_back('\x7f');
  return start;
}

Result<SearchPage> search_repositories(const RepositoryPageFetcher& fetch,
                                       const SearchRequest& request) {
  SearchPage page;
  if (request.limit == 0) return page;
  const std::string query = lower(request.query);
  std::string cursor = request.after;
  if (request.mode == MatchMode::kPrefix && !query.empty()) {
    cursor = std::max(cursor, prefix_start(query));
  }
  const std::size_t batch = std::clamp(request.limit, kMinBatch, kMaxBatch);
  std::size_t scanned = 0;
  while (true) {
    std::vector<registry::RepositoryRecord> records = BERTH_TRY(fetch(cursor, batch));
    for (registry::RepositoryRecord& record : records) {
      cursor = record.name;
      ++scanned;
      bool match = true;
      if (request.mode == MatchMode::kPrefix) {
        if (!record.name.starts_with(query)) {
          if (record.name > query) return page;  // past the prefix: nothing more matches
          match = false;
        }
      } else {
        match = query.empty() || record.name.find(query) != std::string::npos;
      }
      if (match && request.visible && !request.visible(record)) match = false;
      if (match) {
        page.repositories.push_back(std::move(record));
        if (page.repositories.size() == request.limit) {
          page.next = cursor;
          return page;
        }
      }
      if (scanned >= request.scan_budget) {
        page.next = cursor;
        return page;
      }
    }
    if (records.size() < batch) return page;
  }
}

}  // namespace berth::api::console
