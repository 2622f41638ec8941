#include "nw/io/file_view.h"

#include <sys/stat.h>

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/SharedMemory.h>

namespace nw {

std::unique_ptr<FileView> FileView::map(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return nullptr;
  try {
    return std::unique_ptr<FileView>(new FileView(
        std::make_unique<Poco::SharedMemory>(Poco::File(path), Poco::SharedMemory::AM_READ)));
  } catch (const Poco::Exception&) {
    return nullptr;  // read as a stream, which says why it cannot be read
  }
}

FileView::FileView(std::unique_ptr<Poco::SharedMemory> memory) : memory_(std::move(memory)) {}

FileView::~FileView() = default;

std::string_view FileView::text() const {
  return {memory_->begin(), static_cast<std::size_t>(memory_->end() - memory_->begin())};
}

}  // namespace nw
