#include "nw/io/logging.h"

#include <cstdlib>
#include <regex>
#include <string>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace nw {
namespace {

// JOURNAL_STREAM names the stream journald gave us; it only counts if it is stderr itself.
TEST(DiagnosticLogger, UnderJournaldLinesCarryTheirSyslogPriority) {
  testing::internal::CaptureStderr();
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", stream.c_str(), 1);
  {
    auto log = make_diagnostic_logger(LogLevel::debug);
    log->debug("d");
    log->info("i");
    log->warn("w");
    log->error("e");
  }
  unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "<7>debug d\n<6>info i\n<4>warning w\n<3>error e\n");
}

TEST(DiagnosticLogger, ElsewhereLinesStartWithAUtcTimestamp) {
  setenv("JOURNAL_STREAM", "1:2", 1);  // some other stream: not ours
  testing::internal::CaptureStderr();
  {
    auto log = make_diagnostic_logger(LogLevel::info);
    log->debug("hidden");
    log->warn("shown");
  }
  unsetenv("JOURNAL_STREAM");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(
      out, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning shown\n)")))
      << out;
}

}  // namespace
}  // namespace nw
