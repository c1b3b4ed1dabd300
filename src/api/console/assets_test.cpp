// The embedding step (embed_assets.cmake) against the files themselves: the
// binary carries every asset byte for byte, typed and tagged.
#include "api/console/assets.hpp"

#include <gtest/gtest.h>

#include <set>

#include "api/console/static_files.hpp"

namespace berth::api::console {
namespace {

TEST(ConsoleAssets, EveryAssetIsEmbeddedWithATypeAndAQuotedEtag) {
  std::set<std::string_view> names;
  for (const Asset& asset : embedded_assets()) {
    names.insert(asset.name);
    EXPECT_FALSE(asset.body.empty()) << asset.name;
    EXPECT_FALSE(asset.content_type.empty()) << asset.name;
    EXPECT_EQ(asset.etag.size(), 34u) << asset.name;
    EXPECT_TRUE(asset.etag.starts_with('"') && asset.etag.ends_with('"')) << asset.name;
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"index.html", "app.css", "app.js", "icon.svg"}));
}

TEST(ConsoleAssets, ContentTypesFollowTheExtension) {
  EXPECT_EQ(find_asset("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(find_asset("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset("app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_asset("icon.svg")->content_type, "image/svg+xml");
  EXPECT_EQ(find_asset("missing.js"), nullptr);
}

TEST(ConsoleAssets, ThePageLoadsItsScriptFromAFileNeverInline) {
  const std::string_view page = find_asset("index.html")->body;
  EXPECT_TRUE(page.starts_with("<!doctype html>"));
  EXPECT_NE(page.find("<script src=\"/console/assets/app.js\""), std::string_view::npos);
  // The only <script is the one with src: the CSP refuses inline scripts.
  EXPECT_EQ(page.find("<script"), page.rfind("<script"));
  EXPECT_EQ(page.find(" style="), std::string_view::npos);
  EXPECT_EQ(page.find(" onclick="), std::string_view::npos);
  // No byte was lost or added: the file ends as written.
  EXPECT_TRUE(page.ends_with("</html>\n"));
}

TEST(ConsoleAssets, EtagMatching) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
}

}  // namespace
}  // namespace berth::api::console
