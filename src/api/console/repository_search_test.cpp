#include "api/console/repository_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

namespace berth::api::console {
namespace {

// A sorted listing of repository names that counts what each search reads.
struct FakeListing {
  std::vector<std::string> names;
  std::size_t rows_read = 0;
  std::size_t calls = 0;

  RepositoryPageFetcher fetcher() {
    return [this](std::string_view after, std::size_t limit)
               -> Result<std::vector<registry::RepositoryRecord>> {
      ++calls;
      std::vector<registry::RepositoryRecord> out;
      auto it = std::upper_bound(names.begin(), names.end(), after,
                                 [](std::string_view a, const std::string& b) { return a < b; });
      for (; it != names.end() && out.size() < limit; ++it) {
        out.push_back(registry::RepositoryRecord{0, "r", *it, 0, "{}"});
      }
      rows_read += out.size();
      return out;
    };
  }
};

FakeListing ten_thousand() {
  FakeListing listing;
  for (int team = 0; team < 100; ++team) {
    for (int app = 0; app < 100; ++app) {
      char name[64];
      std::snprintf(name, sizeof name, "team%02d/app%02d", team, app);
      listing.names.emplace_back(name);
    }
  }
  listing.names.emplace_back("zeta/needle");
  std::sort(listing.names.begin(), listing.names.end());
  return listing;
}

std::vector<std::string> names_of(const SearchPage& page) {
  std::vector<std::string> out;
  for (const auto& r : page.repositories) out.push_back(r.name);
  return out;
}

TEST(RepositorySearch, PagesThroughEverythingInNameOrder) {
  FakeListing listing = ten_thousand();
  SearchRequest request{.query = "", .mode = MatchMode::kSubstring, .after = "", .limit = 50};
  auto first = search_repositories(listing.fetcher(), request);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->repositories.size(), 50u);
  EXPECT_EQ(first->repositories.front().name, "team00/app00");
  EXPECT_EQ(first->next, "team00/app49");
  EXPECT_LE(listing.rows_read, 100u);  // one batch, not 10k rows

  request.after = first->next;
  auto second = search_repositories(listing.fetcher(), request);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->repositories.front().name, "team00/app50");

  request.after = "team99/app90";
  auto last = search_repositories(listing.fetcher(), request);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->repositories.size(), 10u);  // team99/app91..99 and zeta/needle
  EXPECT_EQ(last->next, "");
}

TEST(RepositorySearch, PrefixReadsOnlyWhatMatches) {
  FakeListing listing = ten_thousand();
  listing.names.push_back("team42");  // the prefix itself is a name too
  std::sort(listing.names.begin(), listing.names.end());
  auto page = search_repositories(listing.fetcher(),
                                  {.query = "team42", .mode = MatchMode::kPrefix, .limit = 200});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->repositories.size(), 101u);
  EXPECT_EQ(page->repositories.front().name, "team42");
  EXPECT_EQ(page->repositories.back().name, "team42/app99");
  EXPECT_EQ(page->next, "");
  EXPECT_LE(listing.rows_read, 250u);
}

TEST(RepositorySearch, SubstringFindsRareMatchesWithinABudgetAndResumes) {
  FakeListing listing = ten_thousand();
  SearchRequest request{.query = "NEEDLE", .mode = MatchMode::kSubstring, .limit = 50,
                        .scan_budget = 4000};
  std::vector<std::string> found;
  std::size_t requests = 0;
  do {
    auto page = search_repositories(listing.fetcher(), request);
    ASSERT_TRUE(page);
    ++requests;
    for (auto& name : names_of(*page)) found.push_back(name);
    EXPECT_LE(listing.rows_read, 4000u * requests);
    request.after = page->next;
  } while (!request.after.empty());
  EXPECT_EQ(found, std::vector<std::string>{"zeta/needle"});
  EXPECT_EQ(requests, 3u);  // 4000 + 4000 + the rest
}

TEST(RepositorySearch, PrefixStartSitsJustBelowThePrefix) {
  EXPECT_EQ(prefix_start(""), "");
  const std::string start = prefix_start("team/app");
  EXPECT_LT(start, "team/app");
  EXPECT_GT(start, "team/apo");
  EXPECT_GT(start, "team/apo/zzz-9");
}

TEST(RepositorySearch, ErrorsFromTheStorePassThrough) {
  RepositoryPageFetcher broken = [](std::string_view, std::size_t)
      -> Result<std::vector<registry::RepositoryRecord>> {
    return fail(ErrorCode::kUnavailable, "database down");
  };
  auto page = search_repositories(broken, {});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, ErrorCode::kUnavailable);
}

TEST(RepositorySearch, HiddenRecordsMoveTheCursorButNeverShow) {
  FakeListing listing = ten_thousand();
  // Only team07/... may be seen: pages hold those alone, in order, and the
  // hidden names around them neither end a page early nor escape the budget.
  SearchRequest request{.query = "", .mode = MatchMode::kSubstring, .after = "", .limit = 60};
  request.visible = [](const registry::RepositoryRecord& r) { return r.name.starts_with("team07/"); };
  auto first = search_repositories(listing.fetcher(), request);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->repositories.size(), 60u);
  EXPECT_EQ(first->repositories.front().name, "team07/app00");
  EXPECT_EQ(first->next, "team07/app59");
  request.after = first->next;
  auto second = search_repositories(listing.fetcher(), request);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->repositories.size(), 40u);
  EXPECT_EQ(second->repositories.back().name, "team07/app99");
  // The budget (5000 names read from team07/app60 on) ran out past team07:
  // a cursor to continue from, no more rows.
  EXPECT_EQ(second->next, "team57/app59");
}

}  // namespace
}  // namespace berth::api::console
