#include "auth/credentials.hpp"
#include "auth/identity.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "auth/failure_kinds.hpp"

namespace berth::auth {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

TEST(CredentialStore, ParsesLinesCommentsAndDefaults) {
  std::string text =
      "# berth credentials\n"
      "\n"
      "AKIAONE0000000000001 wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY 111111111111\n"
      "   # indented comment\r\n"
      "\tAKIATWO0000000000002\tsecret-two\r\n"
      "   \n";
  auto store = CredentialStore::parse(text, "222222222222");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_EQ(store->size(), 2u);
  auto one = store->lookup("AKIAONE0000000000001");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->secret_access_key, kSecret);
  EXPECT_EQ(one->account_id, "111111111111");
  EXPECT_FALSE(one->session_token.has_value());
  auto two = store->lookup("AKIATWO0000000000002");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->secret_access_key, "secret-two");
  EXPECT_EQ(two->account_id, "222222222222");
  EXPECT_FALSE(store->development_mode());
}

TEST(CredentialStore, BadLinesNameTheLineAndNeverTheSecret) {
  const std::string secret = "Sup3rS3cretValueThatMustNotLeak/xyz";
  const std::vector<std::string> bad_lines = {
      "ONLYONEFIELD",
      "AKIA1 " + secret + " 123456789012 extra",
      "AKIA1 " + secret + " 12345",
      "AKIA1 " + secret + " abcdefghijkl",
      "AKIA/1 " + secret,
      "AKIA1 " + secret + "\x01",
      "AKIA1 " + secret + " 123456789012 admin",
      "AKIA1 " + secret + " 123456789012 user/",
      "AKIA1 " + secret + " 123456789012 group/devs",
      "AKIA1 " + secret + " 123456789012 user/a no-such-policy.json",
      "AKIA1 " + secret + " 123456789012 user/a policy.json sixth",
  };
  for (const auto& line : bad_lines) {
    SCOPED_TRACE(line);
    std::string text = "# header\nAKIAGOOD " + std::string(kSecret) + "\n" + line + "\n";
    auto store = CredentialStore::parse(text, "123456789012", "creds.txt");
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(store.error().message.find("creds.txt line 3"), std::string::npos)
        << store.error().message;
    EXPECT_EQ(store.error().message.find(secret), std::string::npos);
    EXPECT_EQ(store.error().detail.find(secret), std::string::npos);
  }
}

TEST(CredentialStore, DuplicateKeyAndBadDefaultAccountAreRejected) {
  auto dup = CredentialStore::parse("K1 s1\nK1 s2\n", "123456789012");
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(CredentialStore::parse("K1 s1\n", "12345").has_value());
}

TEST(CredentialStore, LoadsFileAndReportsMissingFile) {
  const char* dir = std::getenv("BERTH_TEST_TMPDIR");
  std::filesystem::path base = dir ? dir : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  auto path = base / "berth_auth_credentials_test.txt";
  {
    std::ofstream out(path);
    out << "AKIAFILE " << kSecret << "\n";
  }
  auto store = CredentialStore::load_file(path, "123456789012");
  std::filesystem::remove(path);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_TRUE(store->lookup("AKIAFILE").has_value());

  auto missing = CredentialStore::load_file(base / "no-such-credentials", "123456789012");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kUnavailable);
}

TEST(CredentialStore, PrincipalsAndIdentityPoliciesRelativeToTheFile) {
  const char* dir = std::getenv("BERTH_TEST_TMPDIR");
  std::filesystem::path base = dir ? dir : std::filesystem::temp_directory_path();
  base /= "berth_auth_identities";
  std::filesystem::create_directories(base / "policies");
  {
    std::ofstream(base / "policies" / "pull.json")
        << R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
              "Action": ["ecr:BatchGetImage"], "Resource": "*"}})";
    std::ofstream(base / "bad.json") << R"({"Statement": {"Effect": "Perhaps"}})";
    std::ofstream(base / "credentials")
        << "AKIAROOT " << kSecret << "\n"
        << "AKIAACCT " << kSecret << " 222222222222\n"
        << "AKIAALICE " << kSecret << " 222222222222 user/alice\n"
        << "AKIACI " << kSecret << " 222222222222 role/ci/builder policies/pull.json\n";
    std::ofstream(base / "credentials-bad") << "AKIAX " << kSecret << " 222222222222 user/x bad.json\n";
  }
  auto store = CredentialStore::load_file(base / "credentials", "123456789012");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_EQ(store->lookup("AKIAROOT")->principal, "root");
  EXPECT_EQ(store->lookup("AKIAROOT")->account_id, "123456789012");
  EXPECT_EQ(store->lookup("AKIAACCT")->principal, "root");
  EXPECT_EQ(store->lookup("AKIAALICE")->principal, "user/alice");
  EXPECT_EQ(store->lookup("AKIAALICE")->identity_policy, nullptr);
  auto ci = store->lookup("AKIACI");
  EXPECT_EQ(ci->principal, "role/ci/builder");
  ASSERT_NE(ci->identity_policy, nullptr);
  EXPECT_EQ(ci->identity_policy->statements.size(), 1u);

  auto bad = CredentialStore::load_file(base / "credentials-bad", "123456789012");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("line 1"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("Effect"), std::string::npos) << bad.error().message;
  std::filesystem::remove_all(base);
}

TEST(CredentialStore, UnknownKeyIsUnrecognizedClient) {
  CredentialStore store;
  auto r = store.lookup("AKIANOBODY");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().detail, kUnrecognizedClient);
  // Development mode does not change lookup; the verifier decides.
  ASSERT_TRUE(store.accept_any_key("000000000000"));
  EXPECT_TRUE(store.development_mode());
  EXPECT_EQ(store.default_account_id(), "000000000000");
  EXPECT_FALSE(store.lookup("AKIANOBODY").has_value());
  EXPECT_FALSE(store.accept_any_key("nope").has_value());
}

TEST(CredentialStore, AddValidatesAndReplaces) {
  CredentialStore store;
  EXPECT_FALSE(store.add({"", "s", "123456789012", {}, {}}).has_value());
  EXPECT_FALSE(store.add({"K", "", "123456789012", {}, {}}).has_value());
  EXPECT_FALSE(store.add({"K", "s", "1234", {}, {}}).has_value());
  EXPECT_FALSE(store.add({"K", "s", "123456789012", std::string(), {}}).has_value());
  ASSERT_TRUE(store.add({"K", "s1", "123456789012", {}, {}}));
  ASSERT_TRUE(store.add({"K", "s2", "123456789012", std::string("tok"), 42}));
  auto c = store.lookup("K");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->secret_access_key, "s2");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_EQ(c->expires_at_ms, 42);
}

TEST(CredentialStore, ConcurrentReadersAndWriter) {
  CredentialStore store;
  ASSERT_TRUE(store.add({"K0", "s", "123456789012", {}, {}}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store] {
      for (int i = 0; i < 2000; ++i) EXPECT_TRUE(store.lookup("K0").has_value());
    });
  }
  threads.emplace_back([&store] {
    for (int i = 0; i < 500; ++i) {
      EXPECT_TRUE(store.add({"K" + std::to_string(i + 1), "s", "123456789012", {}, {}}));
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(store.size(), 501u);
}

TEST(CredentialStore, GeneratedLocalCredentialsHaveAwsShape) {
  auto a = generate_local_credentials("123456789012");
  auto b = generate_local_credentials("123456789012");
  ASSERT_EQ(a.access_key_id.size(), 20u);
  EXPECT_TRUE(a.access_key_id.starts_with("AKIA"));
  for (char c : a.access_key_id) {
    EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) << c;
  }
  ASSERT_EQ(a.secret_access_key.size(), 40u);
  for (char c : a.secret_access_key) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') << c;
  }
  EXPECT_NE(a.access_key_id, b.access_key_id);
  EXPECT_NE(a.secret_access_key, b.secret_access_key);
  CredentialStore store;
  EXPECT_TRUE(store.add(a).has_value());
}

}  // namespace
}  // namespace berth::auth
