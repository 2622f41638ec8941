#include "nw/io/file_view.h"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace nw {
namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("nw-file-view-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(FileView, MapsARegularFileAsItIs) {
  const auto path = scratch("capture.json");
  const std::string body = std::string("{\"queries\":[]}\n") + std::string(10000, ' ') +
                           std::string("\0x", 2);  // a NUL byte is kept too
  std::ofstream(path, std::ios::binary) << body;
  const auto view = FileView::map(path.string());
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->text(), body);
  std::filesystem::remove_all(path.parent_path());
}

TEST(FileView, LeavesWhatCannotBeMappedToAStream) {
  const auto empty = scratch("empty.json");
  std::ofstream(empty).flush();
  EXPECT_EQ(FileView::map(empty.string()), nullptr);                           // nothing to map
  EXPECT_EQ(FileView::map(empty.parent_path().string()), nullptr);             // a directory
  EXPECT_EQ(FileView::map((empty.parent_path() / "none").string()), nullptr);  // missing
  const auto fifo = scratch("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(FileView::map(fifo.string()), nullptr);  // a pipe: read as it comes
  std::filesystem::remove_all(empty.parent_path());
}

}  // namespace
}  // namespace nw
