// URL handling of the PostgreSQL store: parsing through libpq, the
// redacted forms used in messages, and connection errors that never show
// the password. No server needed (the failures are local or refused).
// Thread-safety: single-threaded GoogleTest cases.
#include "storage/meta/postgres/pg_conninfo.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "storage/meta/postgres/pg_meta_store.hpp"

namespace berth::storage::meta::postgres {
namespace {

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(ConnInfo, ParsesLibpqUrisAndDescribesTheTarget) {
  auto info = parse_conninfo("postgresql://berth:s3cret@db.example:6543/registry?sslmode=disable");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->target, "db.example:6543/registry");
  EXPECT_EQ(info->redacted, "postgresql://berth:***@db.example:6543/registry?sslmode=disable");
  EXPECT_EQ(info->secrets, std::vector<std::string>{"s3cret"});

  auto short_form = parse_conninfo("postgres://localhost/berth");
  ASSERT_TRUE(short_form.has_value());
  EXPECT_EQ(short_form->uri, "postgresql://localhost/berth");
  EXPECT_EQ(short_form->target, "localhost:5432/berth");
  EXPECT_TRUE(short_form->secrets.empty());

  auto upper = parse_conninfo("PostgreSQL://u@h:1/d");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(upper->uri, "postgresql://u@h:1/d");
}

TEST(ConnInfo, EncodedPasswordsAreSecretInBothForms) {
  auto info = parse_conninfo("postgresql://u:p%40ss%2Fw@h/d");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->secrets, (std::vector<std::string>{"p%40ss%2Fw", "p@ss/w"}));
  EXPECT_EQ(scrub("failed for p@ss/w and p%40ss%2Fw", info->secrets), "failed for *** and ***");
  auto query = parse_conninfo("postgresql://u@h/d?password=hunter2");
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->secrets, std::vector<std::string>{"hunter2"});
}

TEST(ConnInfo, MalformedUrlsAreRefusedWithoutThePassword) {
  for (const char* url : {"postgresql://u:s3cret@h/d?nosuchparam=1",
                          "postgresql://u:s3cret@h:notaport/d%zz", "postgresql://u:s3cret@[::1/d",
                          "mysql://u:s3cret@h/d"}) {
    auto info = parse_conninfo(url);
    ASSERT_FALSE(info.has_value()) << url;
    EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(info.error().message.find("s3cret"), std::string::npos) << info.error().message;
    EXPECT_EQ(info.error().message.find('\n'), std::string::npos) << info.error().message;
  }
}

TEST(ConnInfo, ScrubMakesOneLine) {
  EXPECT_EQ(scrub("connection to server failed: Connection refused\n\tIs the server running?\n",
                  {}),
            "connection to server failed: Connection refused Is the server running?");
}

TEST(ConnInfo, AnUnreachableServerIsUnavailableAndNamed) {
  const std::string url =
      "postgresql://berth:s3cret@127.0.0.1:" + std::to_string(closed_port()) + "/berth";
  auto store = open_postgres_meta_store(url);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().message.find("127.0.0.1"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cret"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find('\n'), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace berth::storage::meta::postgres
