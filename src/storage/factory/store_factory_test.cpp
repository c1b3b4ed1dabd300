#include "storage/factory/store_factory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

namespace berth::storage::factory {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  const char* base = std::getenv("BERTH_TEST_TMPDIR");
  fs::path dir = fs::path(base ? base : "/tmp") /
                 ("store-factory-" + std::to_string(::getpid()) + "-" +
                  std::to_string(std::rand()));
  fs::create_directories(dir);
  return dir;
}

TEST(StoreFactory, OpensTheEmbeddedStoresFromTheirUrls) {
  const fs::path dir = temp_dir();
  auto blobs = open_blob_store(default_blob_store_url(dir), {.fsync = false});
  ASSERT_TRUE(blobs.has_value()) << blobs.error().message;
  auto meta = open_meta_store(default_meta_store_url(dir));
  ASSERT_TRUE(meta.has_value()) << meta.error().message;
  EXPECT_TRUE(fs::exists(dir / "metadata.db"));
  EXPECT_TRUE(fs::is_directory(dir / "blobs"));
  fs::remove_all(dir);
}

TEST(StoreFactory, MustExistCreatesNothing) {
  const fs::path dir = temp_dir() / "absent";
  auto blobs = open_blob_store("file://" + dir.string(), {.must_exist = true});
  ASSERT_FALSE(blobs.has_value());
  EXPECT_NE(blobs.error().message.find(dir.string()), std::string::npos);
  auto meta = open_meta_store("sqlite://" + (dir / "metadata.db").string(), {.must_exist = true});
  ASSERT_FALSE(meta.has_value());
  EXPECT_FALSE(fs::exists(dir));
}

TEST(StoreFactory, UnknownSchemesAndStrayParametersAreNamed) {
  auto blobs = open_blob_store("ftp://host/x");
  ASSERT_FALSE(blobs.has_value());
  EXPECT_NE(blobs.error().message.find("ftp"), std::string::npos);
  auto meta = open_meta_store("mysql://u:pw@h/db");
  ASSERT_FALSE(meta.has_value());
  EXPECT_EQ(meta.error().message.find("pw"), std::string::npos) << meta.error().message;
  auto params = open_meta_store("sqlite:///tmp/x.db?mode=ro");
  ASSERT_FALSE(params.has_value());
  EXPECT_NE(params.error().message.find("mode"), std::string::npos);
}

}  // namespace
}  // namespace berth::storage::factory
