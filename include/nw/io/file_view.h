#pragma once
// A regular file's bytes mapped read-only (Poco::SharedMemory), read where they are instead of
// copied into memory of the program's own: `--test-matching` reads captures of megabytes (8,192
// queries are 2 MB), and the copy, with the page faults of a fresh buffer, was a tenth of a run.
#include <memory>
#include <string>
#include <string_view>

namespace Poco {
class SharedMemory;
}

namespace nw {

class FileView {
 public:
  // The file at `path` mapped; null when it is not a regular file of at least one byte that can
  // be mapped (a pipe, standard input, an empty file): the caller reads it as a stream then.
  static std::unique_ptr<FileView> map(const std::string& path);
  ~FileView();

  // Valid while this view lives. A file truncated while mapped would fault: captures are
  // written before they are judged.
  std::string_view text() const;

 private:
  explicit FileView(std::unique_ptr<Poco::SharedMemory> memory);
  std::unique_ptr<Poco::SharedMemory> memory_;
};

}  // namespace nw
