#include "nw/core/listen_address.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(ListenAddress, HostAndPortInEveryWrittenForm) {
  const struct {
    const char* text;
    const char* host;
    std::uint16_t port;
  } rows[] = {
      {"127.0.0.1:9464", "127.0.0.1", 9464},
      {"[::1]:9464", "::1", 9464},
      {"localhost:0", "localhost", 0},
      {"0.0.0.0:65535", "0.0.0.0", 65535},
  };
  for (const auto& row : rows) {
    const auto parsed = parse_listen_address(row.text);
    ASSERT_TRUE(std::holds_alternative<ListenAddress>(parsed))
        << row.text << ": " << std::get<std::string>(parsed);
    EXPECT_EQ(std::get<ListenAddress>(parsed).host, row.host) << row.text;
    EXPECT_EQ(std::get<ListenAddress>(parsed).port, row.port) << row.text;
  }
}

TEST(ListenAddress, MalformedAddressesSayWhatIsWrong) {
  const std::pair<const char*, const char*> rows[] = {
      {"127.0.0.1", "expected host:port"},
      {":9464", "missing host"},
      {"[]:9464", "missing host"},
      {"127.0.0.1:", "port must be a number from 0 to 65535"},
      {"127.0.0.1:65536", "port must be a number from 0 to 65535"},
      {"127.0.0.1:99999999999999999999", "port must be a number from 0 to 65535"},
      {"127.0.0.1:-1", "port must be a number from 0 to 65535"},
      {"127.0.0.1:http", "port must be a number from 0 to 65535"},
      {"::1:9464", "write an IPv6 address in brackets"},
  };
  for (const auto& [text, message] : rows) {
    const auto parsed = parse_listen_address(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << text << " accepted";
    EXPECT_NE(std::get<std::string>(parsed).find(message), std::string::npos)
        << text << ": " << std::get<std::string>(parsed);
  }
}

}  // namespace
}  // namespace nw
