#include "nw/io/audit_reader.h"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <simdjson.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zlib.h>

#include "nw/core/rfc3339.h"

namespace nw {
namespace {

namespace ondemand = simdjson::ondemand;

// Bytes of lines read (or inflated) at a time: large enough that reads, inflate calls and the
// copy of a block's last partial line cost nothing next to the parsing.
constexpr std::size_t kBlock = std::size_t{1} << 20;
// Bytes of gzip data read at a time.
constexpr std::size_t kCompressedBlock = std::size_t{256} << 10;
// Blocks in turn between the inflating thread and the parsing one: one being filled, one being
// parsed, one ready.
constexpr std::size_t kInflatedBlocks = 3;

// A block of lines: the previous block's last partial line is copied in front of its data (at
// most kMaxAuditLine bytes), and SIMDJSON_PADDING readable bytes follow it, so that every line
// is parsed where it is.
struct Block {
  static constexpr std::size_t kHeadroom = kMaxAuditLine;
  std::vector<char> bytes = std::vector<char>(kHeadroom + kBlock + simdjson::SIMDJSON_PADDING);
  std::size_t size = 0;  // of the data at data()
  char* data() { return bytes.data() + kHeadroom; }
};

std::string errno_text(int error) {
  return std::strerror(error);
}

// Reads a file descriptor to its end, retrying interrupted reads.
class RawInput {
 public:
  explicit RawInput(int fd) : fd_(fd) {}
  // Up to `size` bytes at `into`; 0 at the end or on an error (error() says which).
  std::size_t read(void* into, std::size_t size) {
    while (!ended_) {
      const ssize_t got = ::read(fd_, into, size);
      if (got > 0) return static_cast<std::size_t>(got);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && error_.empty()) error_ = errno_text(errno);
      ended_ = true;
    }
    return 0;
  }
  const std::string& error() const { return error_; }

 private:
  int fd_;
  bool ended_ = false;
  std::string error_;
};

// gzip data (one member or several one after another) inflated block by block.
class GzipInput {
 public:
  // `first`: the bytes already read from `raw` (starting with the gzip magic).
  GzipInput(RawInput& raw, std::vector<unsigned char>& buffer, std::size_t first)
      : raw_(raw), buffer_(buffer) {
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) {  // a gzip header and trailer, not zlib's
      error_ = "cannot start decompressing";
      return;
    }
    started_ = true;
    zs_.next_in = buffer_.data();
    zs_.avail_in = static_cast<uInt>(first);
  }
  ~GzipInput() {
    if (started_) inflateEnd(&zs_);
  }
  GzipInput(const GzipInput&) = delete;
  GzipInput& operator=(const GzipInput&) = delete;

  // Inflates up to `size` bytes into `into`; 0 at the end of the data or on an error.
  std::size_t read(char* into, std::size_t size) {
    if (!started_ || !error_.empty()) return 0;
    zs_.next_out = reinterpret_cast<Bytef*>(into);
    zs_.avail_out = static_cast<uInt>(size);
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0) {
        const std::size_t got = raw_.read(buffer_.data(), buffer_.size());
        if (got == 0) {
          if (!raw_.error().empty())
            error_ = raw_.error();
          else if (!member_ended_)
            error_ = "the gzip data is cut short (the records before the cut were read)";
          break;
        }
        zs_.next_in = buffer_.data();
        zs_.avail_in = static_cast<uInt>(got);
      }
      if (member_ended_) {
        // gzip allows members one after another (cat a.gz b.gz); anything else is not gzip.
        if (zs_.next_in[0] != 0x1f) {
          error_ = "data after the end of the gzip data was not read";
          break;
        }
        inflateReset(&zs_);
        member_ended_ = false;
      }
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error_ = std::string("the gzip data is corrupt (") +
                 (zs_.msg ? zs_.msg : "inflate failed") + "; the records before it were read)";
        break;
      }
    }
    return size - zs_.avail_out;
  }
  const std::string& error() const { return error_; }

 private:
  RawInput& raw_;
  std::vector<unsigned char>& buffer_;
  z_stream zs_{};
  bool started_ = false;
  bool member_ended_ = false;
  std::string error_;
};

// Inflates on a thread of its own into blocks that the calling thread takes in turn: inflating
// costs about as much as parsing, so with two cores a compressed file is read in about the
// time of a plain one. The calling thread parses; nothing else is shared but the blocks,
// handed over under the mutex.
class InflatingThread {
 public:
  InflatingThread(GzipInput& gzip, std::vector<Block>& blocks) : gzip_(gzip) {
    for (Block& b : blocks) free_.push_back(&b);
    thread_ = std::thread([this] { run(); });
  }
  // Also when the parsing thread leaves early (an exception): the inflating thread stops at
  // its next block.
  ~InflatingThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  InflatingThread(const InflatingThread&) = delete;
  InflatingThread& operator=(const InflatingThread&) = delete;

  // The next block of inflated lines, or null at the end.
  Block* next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !filled_.empty() || ended_; });
    if (filled_.empty()) return nullptr;
    Block* block = filled_.front();
    filled_.pop_front();
    return block;
  }
  // `block`, parsed, goes back to be filled again.
  void done_with(Block* block) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(block);
    }
    changed_.notify_all();
  }

 private:
  void run() {
    for (;;) {
      Block* block;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return !free_.empty() || stopping_; });
        if (stopping_) return;
        block = free_.front();
        free_.pop_front();
      }
      block->size = gzip_.read(block->data(), kBlock);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (block->size > 0) {
          filled_.push_back(block);
        } else {
          free_.push_back(block);
          ended_ = true;
        }
      }
      changed_.notify_all();
      if (block->size == 0) return;
    }
  }

  GzipInput& gzip_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Block*> free_, filled_;
  bool ended_ = false;     // the gzip data is read to its end or its error
  bool stopping_ = false;  // the parsing thread is done
  std::thread thread_;
};

enum class LineKind { decision, event, skipped };

// The fields the digest needs, as bits of what a record has shown so far.
enum : unsigned {
  kTime = 1u << 0,
  kEndpoint = 1u << 1,
  kRule = 1u << 2,
  kOutcome = 1u << 3,
  kElapsed = 1u << 4,
  kLanguage = 1u << 5,
  kQuery = 1u << 6,
  kFingerprint = 1u << 7,
};
constexpr unsigned kAlwaysNeeded = kTime | kEndpoint | kRule | kOutcome | kElapsed;

}  // namespace

struct AuditReader::State {
  ondemand::parser parser;
  std::vector<Block> blocks;  // one for a plain file, kInflatedBlocks for a compressed one
  std::vector<unsigned char> compressed = std::vector<unsigned char>(kCompressedBlock);

  // One line (no newline). `readable` counts the bytes from line's start that may be read.
  LineKind parse(const char* line, std::size_t size, std::size_t readable, DigestRecord& r) {
    r = DigestRecord{};
    ondemand::document doc;
    if (parser.iterate(line, size, readable).get(doc)) return LineKind::skipped;
    ondemand::object object;
    if (doc.get_object().get(object)) return LineKind::skipped;
    unsigned seen = 0;
    for (auto field_result : object) {
      ondemand::field field;
      if (std::move(field_result).get(field)) return LineKind::skipped;
      const ondemand::raw_json_string key = field.key();
      ondemand::value value = field.value();
      std::string_view text;
      // The first character picks the one or two names to compare (keys are ASCII without
      // escapes as the daemon writes them; another spelling is an unknown key).
      switch (key.raw()[0]) {
        case 't':
          if (!key.unsafe_is_equal("time")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto time = parse_rfc3339(text)) {
            r.time = *time;
            seen |= kTime;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'e':
          if (key.unsafe_is_equal("event")) return LineKind::event;
          if (key.unsafe_is_equal("endpoint")) {
            if (value.get_string().get(r.endpoint)) return LineKind::skipped;
            seen |= kEndpoint;
          } else if (key.unsafe_is_equal("elapsed_ms")) {
            if (value.get_int64().get(r.elapsed_ms)) return LineKind::skipped;
            seen |= kElapsed;
          }
          break;
        case 'r':
          if (!key.unsafe_is_equal("rule")) break;
          if (value.get_string().get(r.rule)) return LineKind::skipped;
          seen |= kRule;
          break;
        case 'o':
          if (!key.unsafe_is_equal("outcome")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto outcome = audit_outcome_named(text)) {
            r.outcome = *outcome;
            seen |= kOutcome;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'l':
          if (!key.unsafe_is_equal("language")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto language = language_named(text)) {
            r.language = *language;
            seen |= kLanguage;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'q':
          if (!key.unsafe_is_equal("query")) break;
          if (value.get_string().get(r.query)) return LineKind::skipped;
          seen |= kQuery;
          break;
        case 'f':
          if (!key.unsafe_is_equal("fingerprint")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          r.fingerprint = parse_fingerprint_hex(text);
          if (!r.fingerprint) return LineKind::skipped;
          seen |= kFingerprint;
          break;
        default:
          break;
      }
    }
    // Anything after the object ("{...} {...}", "{...} x") makes the line damaged.
    const char* after = nullptr;
    if (!doc.current_location().get(after)) return LineKind::skipped;
    if ((seen & kAlwaysNeeded) != kAlwaysNeeded) return LineKind::skipped;
    if (!(seen & kFingerprint) && (seen & (kLanguage | kQuery)) != (kLanguage | kQuery))
      return LineKind::skipped;
    return LineKind::decision;
  }
};

AuditReader::AuditReader(int standard_input)
    : state_(std::make_unique<State>()), standard_input_(standard_input) {}

AuditReader::~AuditReader() = default;

AuditReadResult AuditReader::read(const std::string& path,
                                  const std::function<void(const DigestRecord&)>& on_record) {
  AuditReadResult result;
  const bool from_stdin = path == "-";
  const int fd = from_stdin ? standard_input_ : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = path + ": " + errno_text(errno);
    return result;
  }
  if (!from_stdin) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  State& s = *state_;
  RawInput raw(fd);

  DigestRecord record;
  const auto take_line = [&](const char* line, std::size_t size, std::size_t readable) {
    while (size > 0 && (line[size - 1] == '\r' || line[size - 1] == ' ' || line[size - 1] == '\t'))
      --size;
    std::size_t lead = 0;
    while (lead < size && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
    if (lead == size) return;
    ++result.lines;
    switch (s.parse(line, size, readable, record)) {
      case LineKind::decision:
        ++result.decisions;
        on_record(record);
        break;
      case LineKind::event:
        ++result.events;
        break;
      case LineKind::skipped:
        ++result.skipped;
        break;
    }
  };

  // The lines of one block after the last partial line of the previous one (`carry`), which
  // is put in front of the block's data. A line longer than kMaxAuditLine is dropped up to
  // its newline (`overlong`) and counted as skipped.
  std::vector<char> carry;
  bool overlong = false;
  const auto take_block = [&](Block& block) {
    char* const data = block.data();
    char* line = data - carry.size();
    // An empty carry's data() may be null, which memcpy may not be given even for 0 bytes.
    if (!carry.empty()) std::memcpy(line, carry.data(), carry.size());
    carry.clear();
    char* const end = data + block.size;
    const char* const readable_end = block.bytes.data() + block.bytes.size();
    while (char* newline = static_cast<char*>(std::memchr(line, '\n', end - line))) {
      if (overlong || static_cast<std::size_t>(newline - line) > kMaxAuditLine) {
        overlong = false;
        ++result.lines;
        ++result.skipped;
      } else {
        take_line(line, newline - line, readable_end - line);
      }
      line = newline + 1;
    }
    if (overlong || static_cast<std::size_t>(end - line) > kMaxAuditLine)
      overlong = true;
    else
      carry.assign(line, end);
  };
  // A last line without its newline (the daemon stopped while writing it, or a copy cut short).
  const auto take_rest = [&](Block& block) {
    if (overlong) {
      ++result.lines;
      ++result.skipped;
    } else if (!carry.empty()) {
      block.size = 0;
      char* const line = block.data() - carry.size();
      std::memcpy(line, carry.data(), carry.size());
      take_line(line, carry.size(), block.bytes.data() + block.bytes.size() - line);
    }
  };

  // gzip is told by its first two bytes, read into the inflater's input.
  std::size_t first = 0;
  while (first < 2) {
    const std::size_t got = raw.read(s.compressed.data() + first, s.compressed.size() - first);
    if (got == 0) break;
    first += got;
  }
  if (first >= 2 && s.compressed[0] == 0x1f && s.compressed[1] == 0x8b) {
    result.compressed = true;
    if (s.blocks.size() < kInflatedBlocks) s.blocks.resize(kInflatedBlocks);
    GzipInput gzip(raw, s.compressed, first);
    {
      InflatingThread inflater(gzip, s.blocks);
      while (Block* block = inflater.next()) {
        take_block(*block);
        inflater.done_with(block);
      }
    }  // joined: the inflater's error is read after its thread ended
    take_rest(s.blocks[0]);
    if (!gzip.error().empty()) result.error = path + ": " + gzip.error();
  } else {
    if (s.blocks.empty()) s.blocks.resize(1);
    Block& block = s.blocks[0];
    std::memcpy(block.data(), s.compressed.data(), first);
    block.size = first;
    while (block.size > 0) {
      take_block(block);
      block.size = raw.read(block.data(), kBlock);
    }
    take_rest(block);
    if (!raw.error().empty()) result.error = path + ": " + raw.error();
  }
  if (!from_stdin) ::close(fd);
  return result;
}

}  // namespace nw
