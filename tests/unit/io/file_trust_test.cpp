// The configuration (and, in tests/contract/credentials_test.cpp, the AWS files) must be the
// operator's: a file others can write is refused, with the command that fixes it.
#include "nw/io/file_trust.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "nw/io/config_file.h"

namespace nw {
namespace {

namespace fs = std::filesystem;

const std::string kValidConfig =
    "[endpoint.e]\nurl = https://db:8182\n[rule.r]\nmax_elapsed = 5m\n";

class ConfigFileTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "nw_file_trust_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, mode_t mode) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << kValidConfig;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);  // whatever the umask
    return path;
  }
  static std::string errors(const ConfigResult& r, const std::string& origin) {
    std::string out;
    for (const auto& e : r.errors) out += e.format(origin) + "\n";
    return out;
  }

  fs::path dir_;
};

TEST_F(ConfigFileTrust, AFileOthersCanWriteIsRefusedWithTheFix) {
  struct Row {
    mode_t mode;
    const char* shown;
  } rows[] = {{0666, "0666"}, {0620, "0620"}, {0602, "0602"}, {0664, "0664"}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.shown);
    const std::string path = write("watchdog.ini", row.mode);
    const ConfigResult r = load_config_file(path);
    ASSERT_EQ(r.errors.size(), 1u) << errors(r, path);
    EXPECT_EQ(r.errors[0].format(path),
              path + ": is writable by others (mode " + row.shown +
                  "): anyone could change what gets cancelled; fix with: chmod go-w " + path);
  }
}

TEST_F(ConfigFileTrust, TheOwnersFileReadableByItsGroupIsFine) {
  for (mode_t mode : {0600, 0640, 0644, 0400, 0444}) {
    SCOPED_TRACE(mode);
    const std::string path = write("watchdog.ini", mode);
    const ConfigResult r = load_config_file(path);
    EXPECT_TRUE(r.ok()) << errors(r, path);
  }
}

// Configuration management links configs into place: the file linked to is judged, not the
// link (whose own mode is always 0777).
TEST_F(ConfigFileTrust, ALinkedConfigIsJudgedByItsTarget) {
  const std::string link = (dir_ / "linked.ini").string();
  fs::create_symlink(write("real.ini", 0644), link);
  const ConfigResult fine = load_config_file(link);
  EXPECT_TRUE(fine.ok()) << errors(fine, link);

  ASSERT_EQ(::chmod((dir_ / "real.ini").c_str(), 0666), 0);
  const ConfigResult refused = load_config_file(link);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_NE(refused.errors[0].message.find("is writable by others (mode 0666)"), std::string::npos)
      << errors(refused, link);
}

// Owned by root or by the user running the daemon; any other user could rewrite it at will.
TEST_F(ConfigFileTrust, AFileOwnedByAnotherUserIsRefused) {
  const std::string path = write("watchdog.ini", 0644);
  EXPECT_TRUE(load_config_file(path).ok()) << "the running user's own file";
  if (::geteuid() != 0) GTEST_SKIP() << "only root can give a file away";
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  const ConfigResult r = load_config_file(path);
  ASSERT_EQ(r.errors.size(), 1u);
  const std::string message = r.errors[0].format(path);
  EXPECT_NE(message.find(": is owned by "), std::string::npos) << message;
  EXPECT_NE(message.find("(uid 65534), neither root nor the user running the daemon"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("could change what gets cancelled; fix with: chown root " + path),
            std::string::npos)
      << message;
}

TEST_F(ConfigFileTrust, AMissingFileIsStillCannotRead) {
  const std::string path = (dir_ / "absent.ini").string();
  const ConfigResult r = load_config_file(path);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].format(path), path + ": cannot read the file: No such file or directory");
}

// Usually the right directory with the file name left out: said as such, not as a read error.
TEST_F(ConfigFileTrust, ADirectoryIsSaidToBeADirectory) {
  const std::string path = dir_.string();
  for (const std::string& given : {path, path + "/"}) {
    SCOPED_TRACE(given);
    const ConfigResult r = load_config_file(given);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].format(given),
              given +
                  ": is a directory, not a configuration file: give --config the file "
                  "itself, e.g. " +
                  path + "/neptune-watchdog.ini");
  }
  const TrustedFileRead read = read_trusted_file(path, kCredentialFileHarm);
  EXPECT_TRUE(read.is_directory);
  EXPECT_FALSE(read.text.has_value());
  EXPECT_EQ(read.open_error, "Is a directory");
}

// A stream the caller hands over (a pipe, /dev/stdin) is the caller's own, not a file kept on
// disk for others to change.
TEST(FileTrust, OnlyRegularFilesAreJudged) {
  struct stat st {};
  st.st_mode = S_IFIFO | 0666;
  st.st_uid = 65534;
  EXPECT_EQ(untrusted_file_problem(st, "/dev/stdin", kConfigFileHarm), "");
  st.st_mode = S_IFREG | 0666;
  EXPECT_NE(untrusted_file_problem(st, "/x", kConfigFileHarm), "");
}

TEST(FileTrust, ReadsAtMostMaxSize) {
  const auto path = fs::temp_directory_path() / ("nw_file_trust_" + std::to_string(::getpid()));
  std::ofstream(path) << std::string(100, 'x');
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(read_trusted_file(path.string(), kConfigFileHarm, 99).too_large);
  const auto whole = read_trusted_file(path.string(), kConfigFileHarm, 100);
  ASSERT_TRUE(whole.text.has_value());
  EXPECT_EQ(whole.text->size(), 100u);
  fs::remove(path);
}

}  // namespace
}  // namespace nw
